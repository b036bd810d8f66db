package reports

import (
	"image/color"
	"math"
	"slices"
	"testing"
)

func TestViridisFollowsItsTable(t *testing.T) {
	m := newViridis(-1, 3)
	ends := []struct {
		v    float64
		want color.RGBA
	}{
		{-1, color.RGBA{68, 1, 84, 255}},   // #440154, viridis' first colour
		{3, color.RGBA{253, 231, 37, 255}}, // #FDE725, its last
	}
	for _, e := range ends {
		c, err := m.At(e.v)
		if err != nil || c != e.want {
			t.Errorf("At(%v) = %v, %v; want %v", e.v, c, err, e.want)
		}
	}
	for _, v := range []float64{-1.001, 3.001, math.NaN()} {
		if _, err := m.At(v); err == nil {
			t.Errorf("At(%v) outside [-1, 3]: no error", v)
		}
	}
	if _, err := newViridis(1, 1).At(1); err == nil {
		t.Error("At on an empty range: no error")
	}
}

// TestViridisLightnessRises checks the property that makes viridis honest
// for heat maps: lightness rises steadily with the value, so that no band
// of values stands out and the order survives grey-scale printing.
func TestViridisLightnessRises(t *testing.T) {
	pal := newViridis(0, 1).Palette(64).Colors()
	if len(pal) != 64 {
		t.Fatalf("Palette(64) has %d colours", len(pal))
	}
	prev := -1.0
	for i, c := range pal {
		l := cieLightness(c)
		if l <= prev {
			t.Fatalf("colour %d (%v) has lightness %.2f, not above the previous %.2f", i, c, l, prev)
		}
		prev = l
	}
}

// cieLightness is the CIE L* of an sRGB colour, from 0 (black) to 100.
func cieLightness(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	y := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	if y > 216.0/24389 {
		return 116*math.Cbrt(y) - 16
	}
	return y * 24389 / 27
}

func TestSeriesColorsRepeatWithDashes(t *testing.T) {
	n := len(seriesColors)
	if seriesColor(0) != seriesColor(n) {
		t.Errorf("colours do not cycle after %d", n)
	}
	if seriesDashes(0) != nil || seriesDashes(n-1) != nil {
		t.Error("the first round of colours is not solid")
	}
	if len(seriesDashes(n)) == 0 || slices.Equal(seriesDashes(2*n), seriesDashes(n)) {
		t.Errorf("the second and third rounds are not dashed differently: %v, %v", seriesDashes(n), seriesDashes(2*n))
	}
}
