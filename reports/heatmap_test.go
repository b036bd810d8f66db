package reports

import (
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestHeatmapCountsLine: the line under a heat map's title gives the
// number of runs its cells average, and the other numbers where cells
// differ in it, the most common number being the one every unmarked cell
// has.
func TestHeatmapCountsLine(t *testing.T) {
	for _, c := range []struct {
		counts [][]int
		values bool
		want   string
	}{
		{[][]int{{3, 3}, {3, 3}}, true, "each cell: mean of 3 runs"},
		{[][]int{{1, 1}, {1, 1}}, true, "each cell: 1 run"},
		{[][]int{{3, 1}, {3, 0}}, true, "each cell: mean of 3 runs (n = 1 where marked)"},
		{[][]int{{3, 1}, {3, 2}, {4, 3}}, true, "each cell: mean of 3 runs (n = 1, 2 or 4 where marked)"},
		// A tie goes to the larger number, the cells with fewer runs marked.
		{[][]int{{2, 3}}, true, "each cell: mean of 3 runs (n = 2 where marked)"},
		// Without values in the cells nothing says n/a: the line says it.
		{[][]int{{3, 0}}, false, "each cell: mean of 3 runs; hatched: no run"},
		{[][]int{{0, 0}}, true, ""},
	} {
		if got := countsLine(heatGrid{Counts: c.counts}, c.values); got != c.want {
			t.Errorf("countsLine(%v, values %v) = %q, want %q", c.counts, c.values, got, c.want)
		}
	}
}

// TestHeatmapEmptyCellHatched draws a heat map on the diverging palette
// centred on 1, whose centre is light grey, with an empty cell: that cell
// must be hatched (a background and lines of another colour in it), and
// its background farther from every colour of the palette than five of
// the palette's largest steps between neighbours, so that it reads as no
// value (it was once a flat grey within a step of 1.0's).
func TestHeatmapEmptyCellHatched(t *testing.T) {
	g := heatGrid{XLabels: []string{"a", "b"}, YLabels: []string{"p"},
		Cells: [][]float64{{1, math.NaN()}}, Counts: [][]int{{2, 0}}}
	o := heatmapOptions{X: []string{"x"}, Y: []string{"y"}, Z: "ratio", Center: 1, Min: 0, Max: 2, Values: false, Precision: 2}
	cmap, err := heatColorMap(Spec{Name: "h"}, g, o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := heatmapPlot(g, cmap, o, "ratio")
	if err != nil {
		t.Fatal(err)
	}
	img := vgimg.NewWith(vgimg.UseWH(4*vg.Inch, 2*vg.Inch), vgimg.UseDPI(96))
	dc := draw.New(img)
	p.Draw(dc)
	trX, trY := p.Transforms(&dc)
	// The pixels of the middle half of each cell; y grows downwards in the image.
	cellColors := func(col int) map[color.RGBA]int {
		seen := map[color.RGBA]int{}
		h := img.Image().Bounds().Dy()
		px := func(l vg.Length) int { return int(l.Dots(96)) }
		for x := px(trX(float64(col) - 0.25)); x < px(trX(float64(col)+0.25)); x++ {
			for y := px(trY(-0.25)); y < px(trY(0.25)); y++ {
				r, g, b, _ := img.Image().At(x, h-1-y).RGBA()
				seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}]++
			}
		}
		return seen
	}
	if full := cellColors(0); len(full) != 1 {
		t.Fatalf("the cell of value 1 has %d colours, want one", len(full))
	}
	empty := cellColors(1)
	if len(empty) < 2 {
		t.Fatalf("the empty cell is one flat colour %v, not hatched", empty)
	}
	var bg color.RGBA // the empty cell's most common colour, its background
	for c, n := range empty {
		if n > empty[bg] {
			bg = c
		}
	}
	pal := cmap.Palette(255).Colors()
	step, nearest := 0.0, math.Inf(1)
	for i, c := range pal {
		nearest = math.Min(nearest, colorDistance(bg, c))
		if i > 0 {
			step = math.Max(step, colorDistance(pal[i-1], c))
		}
	}
	if nearest < 5*step {
		t.Errorf("the empty cell's background %v is %.1f from a colour of the palette, whose steps are up to %.1f", bg, nearest, step)
	}
}

// colorDistance is the Euclidean distance between a and b in 8-bit RGB.
func colorDistance(a, b color.Color) float64 {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) float64 { return (float64(x) - float64(y)) / 257 }
	return math.Sqrt(d(ar, br)*d(ar, br) + d(ag, bg)*d(ag, bg) + d(ab, bb)*d(ab, bb))
}

// TestHatchLines: the hatch's lines rise at 45 degrees, stay inside the
// cell, and cross all of it at the spacing asked for.
func TestHatchLines(t *testing.T) {
	rect := vg.Rectangle{Min: vg.Point{X: 10, Y: 20}, Max: vg.Point{X: 40, Y: 30}}
	lines := hatchLines(rect, 5)
	if len(lines) != 8 { // (30 + 10) / 5
		t.Fatalf("%d lines across a 30 x 10 cell at spacing 5, want 8", len(lines))
	}
	const eps = 1e-9
	for _, l := range lines {
		a, b := l[0], l[1]
		if math.Abs(float64((b.X-a.X)-(b.Y-a.Y))) > eps || b.X <= a.X {
			t.Errorf("line %v does not rise at 45 degrees", l)
		}
		for _, pt := range l {
			if pt.X < rect.Min.X-eps || pt.X > rect.Max.X+eps || pt.Y < rect.Min.Y-eps || pt.Y > rect.Max.Y+eps {
				t.Errorf("line %v leaves the cell %v", l, rect)
			}
		}
	}
}
