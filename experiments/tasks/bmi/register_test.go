package bmi

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func init() {
	RegisterTransform(Transform{Name: "test-tanh", Summary: "tanh on each coordinate, for a test", MinDimX: 1, MinDimY: 1,
		Forward: eachCoordinate(math.Tanh), Inverse: eachCoordinate(math.Atanh)})
	// A transform of x and y of at least 6 coordinates, which swaps the
	// sixth with the first: TestTransformsRoundTrip must draw vectors of its
	// sizes, not a fixed 4.
	swap := func(v []float64, _ Side, _ float64) { v[0], v[5] = v[5], v[0] }
	RegisterTransform(Transform{Name: "test-swap-6", Summary: "swaps coordinates 0 and 5, for a test", MinDimX: 6, MinDimY: 6,
		Forward: swap, Inverse: swap})
}

// swapNothing is a transform's direction that leaves v as it is.
func swapNothing([]float64, Side, float64) {}

// TestRegisterTransform checks that a transform registered from another
// file is listed, parsed in a problem string and drawn, like the shipped
// ones (TestTransformsRoundTrip checks its inverse), and that the
// registry refuses a second one of the same name, one without an
// inverse, a MinDimY or a summary, naming the file.
func TestRegisterTransform(t *testing.T) {
	if !slices.Contains(TransformNames(), "test-tanh") {
		t.Fatalf("TransformNames() = %v, without test-tanh", TransformNames())
	}
	p, err := ParseProblem("sparse-2x2+test-tanh")
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Draw(5, DefaultSpiralSpeed, rand.NewPCG(1, 2)); slices.ContainsFunc(s.X, func(v float64) bool { return math.Abs(v) >= 1 }) {
		t.Errorf("tanh left a value outside (-1, 1): %v", s.X)
	}
	for _, tc := range []struct {
		tr   Transform
		want string
	}{
		{Transform{Name: "asinh", Summary: "again", MinDimX: 1, MinDimY: 1, Forward: eachCoordinate(math.Asinh), Inverse: eachCoordinate(math.Sinh)},
			`transform "asinh" registered twice, at bmi/transform.go`},
		{Transform{Name: "test-no-inverse", Summary: "no inverse", MinDimX: 1, MinDimY: 1, Forward: eachCoordinate(math.Tanh)},
			`needs Forward and Inverse`},
		{Transform{Name: "test-no-min-y", Summary: "no MinDimY", MinDimX: 1, Forward: swapNothing, Inverse: swapNothing},
			`MinDimX and MinDimY of at least 1`},
		{Transform{Name: "test-no-summary", MinDimX: 1, MinDimY: 1, Forward: swapNothing, Inverse: swapNothing},
			`summary`},
	} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, tc.want) {
					t.Errorf("RegisterTransform(%s) panicked with %q, want %q", tc.tr.Name, r, tc.want)
				}
			}()
			RegisterTransform(tc.tr)
		}()
	}
}
