package graph

import (
	"math"
	"math/rand/v2"
	"testing"
)

// softplusInputs returns the inputs TestFastSoftplusIsGorgonias describes.
func softplusInputs() []float32 {
	rng := rand.New(rand.NewPCG(21, 22))
	var inputs []float32
	for range 1_000_000 {
		bits := rng.Uint32N(math.Float32bits(110)) // 0 ... 110 as bit patterns
		x := math.Float32frombits(bits)
		if rng.IntN(4) != 0 {
			x = -x
		}
		inputs = append(inputs, x, float32(rng.Float64()*130-110), float32(rng.NormFloat64()*5))
	}
	for _, edge := range []float32{-110, -103, -88, minNormalArg, 0, 14, 15, 20} {
		for _, from := range []float32{edge, -edge} {
			y := from
			for range 1000 {
				inputs = append(inputs, y)
				y = math.Nextafter32(y, float32(math.Inf(1)))
			}
			y = from
			for range 1000 {
				inputs = append(inputs, y)
				y = math.Nextafter32(y, float32(math.Inf(-1)))
			}
		}
	}
	nan := float32(math.NaN())
	inputs = append(inputs, nan, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)))
	return inputs
}

// TestFastSoftplusIsGorgonias compares softplus32 and sigmoid32 with
// gorgonia's float32 softplus and sigmoid on three million float32 inputs:
// bit patterns drawn uniformly over [-110, 20] (so every binade, the tiny
// ones near zero included, is sampled), values drawn uniformly over it,
// normal scores, the thousand float32s either side of every threshold of
// both functions, and the special values. It also checks that the
// comparison passes through both paths (the fast one on almost every
// input, gorgonia's where a value lies near a rounding boundary), and that
// the fast float64 values lie within an eighth of roundingMargin of
// gorgonia's, so that the margin covers their error.
func TestFastSoftplusIsGorgonias(t *testing.T) {
	inputs := softplusInputs()
	var fast, slow int
	var worst float64 // ulps between the fast float64 values and gorgonia's
	for _, x := range inputs {
		if got, want := softplus32(x), gorgoniaSoftplus(x); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("softplus32(%v) = %v, gorgonia's %v", x, got, want)
		}
		if got, want := sigmoid32(x), gorgoniaSigmoid(x); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("sigmoid32(%v) = %v, gorgonia's %v", x, got, want)
		}
		if x >= minNormalArg && x <= 14 {
			a := float64(x)
			y := fastLog1p(fastExp(-math.Abs(a))) + 0.5*(a+math.Abs(a))
			if nearMidpoint(y) {
				slow++
			} else {
				fast++
			}
			worst = max(worst, ulpsApart(y, math.Log1p(math.Exp(a))), ulpsApart(1/(1+fastExp(-a)), 1/(1+math.Exp(-a))))
		}
	}
	if worst*8 > roundingMargin {
		t.Errorf("the fast float64 values lie up to %.0f ulps from gorgonia's: roundingMargin (%d) must be 8 times that", worst, roundingMargin)
	}
	if slow == 0 || fast < 100*slow {
		t.Errorf("fast path on %d inputs, gorgonia's on %d: want both, the fast one almost always", fast, slow)
	}
}

// TestSoftplusIntoIsGorgonias checks the slice form, softplusInto32, whose
// forward and gradient passes run four elements at a time in AVX2 where
// the CPU has it, against gorgonia's softplus and sigmoid times the
// gradient on softplusInputs, whole and at lengths that leave scalar
// tails, with special values (NaN, infinities, values in [-103, -86))
// placed inside blocks of four, and gradients that include zeros of both
// signs, an infinity and a NaN. (Checked once over all 2³² float32 bit
// patterns, the gradient at 1: the same bits.)
func TestSoftplusIntoIsGorgonias(t *testing.T) {
	inputs := softplusInputs()
	for i, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -90, -103.5, 14.5} {
		inputs[i*7+1] = v
	}
	rng := rand.New(rand.NewPCG(23, 24))
	grads := make([]float32, len(inputs))
	for i := range grads {
		grads[i] = float32(rng.NormFloat64())
	}
	for i, g := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32} {
		grads[i*11+3] = g
	}
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b) }
	for _, n := range []int{len(inputs), len(inputs) - 1, 3, 5, 0} {
		in, d := inputs[len(inputs)-n:], grads[len(inputs)-n:]
		out := make([]float32, n)
		softplusInto32(in, nil, out)
		for i, x := range in {
			if want := gorgoniaSoftplus(x); !same(out[i], want) {
				t.Fatalf("n = %d: softplus of %v = %v, gorgonia's %v", n, x, out[i], want)
			}
		}
		softplusInto32(in, d, out)
		for i, x := range in {
			if want := gorgoniaSigmoid(x) * d[i]; !same(out[i], want) {
				t.Fatalf("n = %d: sigmoid of %v times %v = %v, gorgonia's %v", n, x, d[i], out[i], want)
			}
		}
	}
}

// ulpsApart returns |a-b| in float64 ulps of b.
func ulpsApart(a, b float64) float64 {
	return math.Abs(a-b) / (math.Nextafter(math.Abs(b), math.Inf(1)) - math.Abs(b))
}

// TestNearMidpoint checks nearMidpoint on float64s built at a given
// distance from a float32 midpoint: within roundingMargin ulps it must say
// so, beyond it not, in binades from 2⁻¹²⁰ to 2⁶.
func TestNearMidpoint(t *testing.T) {
	for _, e := range []int{-120, -30, -1, 0, 1, 6} {
		lo := math.Ldexp(1.375, e) // a float32
		mid := math.Float64frombits(math.Float64bits(lo) + 1<<28)
		if next := float64(math.Nextafter32(float32(lo), float32(math.Inf(1)))); mid-lo != (next-lo)/2 {
			t.Fatalf("2^%d: %v is not the float32 midpoint above %v", e, mid, lo)
		}
		for _, c := range []struct {
			ulps int64
			near bool
		}{{0, true}, {roundingMargin - 1, true}, {-(roundingMargin - 1), true}, {roundingMargin, false}, {-roundingMargin, false}, {1 << 27, false}} {
			y := math.Float64frombits(uint64(int64(math.Float64bits(mid)) + c.ulps))
			if got := nearMidpoint(y); got != c.near {
				t.Errorf("2^%d, %d ulps from a midpoint: nearMidpoint = %v, want %v", e, c.ulps, got, c.near)
			}
		}
	}
}

// BenchmarkSoftplus32 times the float32 softplus and sigmoid of 4,096
// normal scores, ours against gorgonia's arithmetic, on one goroutine.
func BenchmarkSoftplus32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, out := make([]float32, 4096), make([]float32, 4096)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	for _, c := range []struct {
		name string
		f    func(float32) float32
	}{{"softplus32", softplus32}, {"gorgonia-softplus", gorgoniaSoftplus[float32]}, {"sigmoid32", sigmoid32}, {"gorgonia-sigmoid", gorgoniaSigmoid[float32]}, {"softplusInto32", nil}, {"softplusInto32-gradient", nil}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if c.f == nil {
					var d []float32
					if c.name == "softplusInto32-gradient" {
						d = x
					}
					softplusInto32(x, d, out)
					continue
				}
				for i, v := range x {
					out[i] = c.f(v)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/element")
		})
	}
}
