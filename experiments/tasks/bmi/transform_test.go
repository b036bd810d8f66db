package bmi

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTransformsRoundTrip checks that every transform's inverse undoes it
// on both sides, on random draws (within ±5 for the normal CDF, whose
// values near 1 keep fewer digits of the tail).
func TestTransformsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range TransformNames() {
		tr, _ := LookupTransform(name)
		for _, side := range []Side{SideX, SideY} {
			for trial := 0; trial < 200; trial++ {
				v := make([]float64, 4)
				for i := range v {
					v[i] = math.Max(-5, math.Min(5, 2*rng.NormFloat64()))
				}
				w := append([]float64(nil), v...)
				tr.Forward(w, side, DefaultSpiralSpeed)
				tr.Inverse(w, side, DefaultSpiralSpeed)
				for i := range v {
					if math.Abs(w[i]-v[i]) > 1e-8*math.Max(1, math.Abs(v[i])) {
						t.Fatalf("%s side %d: %v -> %v after the round trip", name, side, v, w)
					}
				}
			}
		}
	}
}

// TestTransformValues checks each transform's forward values where they
// are known.
func TestTransformValues(t *testing.T) {
	apply := func(name string, v []float64, side Side) []float64 {
		tr, err := LookupTransform(name)
		if err != nil {
			t.Fatal(err)
		}
		w := append([]float64(nil), v...)
		tr.Forward(w, side, DefaultSpiralSpeed)
		return w
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if w := apply("half-cube", []float64{4, -4, 0.25}, SideX); !near(w[0], 8) || !near(w[1], -8) || !near(w[2], 0.125) {
		t.Errorf("half-cube(4, -4, 0.25) = %v, want (8, -8, 0.125)", w)
	}
	if w := apply("asinh", []float64{math.Sinh(1.5), 0}, SideY); !near(w[0], 1.5) || w[1] != 0 {
		t.Errorf("asinh(sinh 1.5, 0) = %v", w)
	}
	if w := apply("normal-cdf", []float64{0, 1.959963984540054, -1}, SideX); !near(w[0], 0.5) || !near(w[1], 0.975) || !near(w[2], 0.15865525393145707) {
		t.Errorf("normal-cdf(0, 1.96, -1) = %v", w)
	}
	// The spiral turns x in the plane (0, 1) and y in (1, 2) by speed·‖v‖².
	v := []float64{0.6, 0.8, 1, 2}
	angle := DefaultSpiralSpeed * (0.36 + 0.64 + 1 + 4)
	sin, cos := math.Sincos(angle)
	x := apply("spiral", v, SideX)
	if !near(x[0], cos*0.6-sin*0.8) || !near(x[1], sin*0.6+cos*0.8) || x[2] != 1 || x[3] != 2 {
		t.Errorf("spiral on x: %v", x)
	}
	y := apply("spiral", v, SideY)
	if y[0] != 0.6 || !near(y[1], cos*0.8-sin*1) || !near(y[2], sin*0.8+cos*1) || y[3] != 2 {
		t.Errorf("spiral on y: %v", y)
	}
}

// TestTransformsKeepTheTruth checks that a transform leaves a problem's
// true MI as it was, and that Draw applies the transforms to the very
// draws it would return without them: the transformed sample, inverted,
// is the plain one.
func TestTransformsKeepTheTruth(t *testing.T) {
	for _, base := range []string{"sparse-3x3", "student-2x3-dof2", "dense-2x4-rho0.3"} {
		plain := mustParse(t, base)
		want := plain.Draw(50, 0.5, rand.NewPCG(7, 8))
		for _, chain := range []string{"+normal-cdf", "+half-cube", "+asinh", "+spiral", "+normal-cdf+spiral", "+asinh+half-cube"} {
			if plain.Family == Student && strings.HasPrefix(chain, "+normal") {
				continue // refused: see TestParseProblemErrors
			}
			p := mustParse(t, base+chain)
			if p.TrueMI() != plain.TrueMI() {
				t.Errorf("%s%s: true MI %v, without the transforms %v", base, chain, p.TrueMI(), plain.TrueMI())
			}
			got := p.Draw(50, 0.5, rand.NewPCG(7, 8))
			for i := range got.N {
				x, y := got.XRow(i), got.YRow(i)
				for k := len(p.Transforms) - 1; k >= 0; k-- {
					tr, _ := LookupTransform(p.Transforms[k])
					tr.Inverse(x, SideX, 0.5)
					tr.Inverse(y, SideY, 0.5)
				}
				for j, v := range append(append([]float64(nil), x...), y...) {
					w := append(append([]float64(nil), want.XRow(i)...), want.YRow(i)...)[j]
					if math.Abs(v-w) > 1e-8*math.Max(1, math.Abs(w)) {
						t.Fatalf("%s%s draw %d: inverted %v, plain %v", base, chain, i, v, w)
					}
				}
			}
		}
	}
}
