package graph

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaskKernelsMatchTheGoLoops checks rectify32 (both forms), relu32
// and reluGrad32, whose AVX2 kernels take all but the last few elements,
// against the element-by-element definitions bit for bit, on special
// values (NaNs with payloads, signed zeros, infinities, subnormals) in x
// and d and on every length up to 41, so that the kernels' blocks and the
// Go tails both meet each case.
func TestMaskKernelsMatchTheGoLoops(t *testing.T) {
	specials := []float32{float32(math.NaN()), math.Float32frombits(0x7fc01234), math.Float32frombits(0xffa00001),
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(1), math.Float32frombits(0x80000001), 1e-30, -1e-30, 3.5, -2.25, math.MaxFloat32}
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func() float32 {
		if rng.IntN(3) == 0 {
			return specials[rng.IntN(len(specials))]
		}
		return float32(rng.NormFloat64())
	}
	for n := 0; n <= 41; n++ {
		for round := 0; round < 20; round++ {
			x, d := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], d[i] = pick(), pick()
			}
			fwd, grad, relu, reluFwd := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			relu32(x, reluFwd)
			rectify32(x, nil, fwd)
			rectify32(x, d, grad)
			reluGrad32(x, d, relu)
			for i, v := range x {
				m := float32(0)
				if v >= 0 {
					m = 1
				}
				wantRelu := float32(0)
				if v > 0 {
					wantRelu = d[i]
				}
				for _, c := range []struct {
					what      string
					got, want float32
				}{{"rectify", fwd[i], v * m}, {"rectify's gradient", grad[i], d[i] * m}, {"relu's gradient", relu[i], wantRelu}, {"relu", reluFwd[i], max(v, 0)}} {
					if math.Float32bits(c.got) != math.Float32bits(c.want) {
						t.Fatalf("n=%d x=%v (%#x) d=%v (%#x): %s %#x, want %#x", n, v, math.Float32bits(v), d[i], math.Float32bits(d[i]), c.what, math.Float32bits(c.got), math.Float32bits(c.want))
					}
				}
			}
		}
	}
}
