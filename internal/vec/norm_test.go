package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normOperands returns k slices of n float32s: normal values, with NaNs
// of different payloads and signs, infinities, zeros of both signs, the
// largest and a subnormal value dense enough that most operations meet
// two different NaNs or an overflow.
func normOperands(rng *rand.Rand, k, n int) [][]float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, 1e-45}
	out := make([][]float32, k)
	for i := range out {
		out[i] = make([]float32, n)
		for j := range out[i] {
			switch u := rng.IntN(10); {
			case u < 3:
				out[i][j] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<22)) | uint32(rng.IntN(2))<<31)
			case u < 4:
				out[i][j] = special[rng.IntN(len(special))]
			default:
				out[i][j] = float32(rng.NormFloat64() * 10)
			}
		}
	}
	return out
}

// TestNormLoopsMatchTheGoLoop checks Affine, Affine2, ScaleShift,
// LayerGrad and AddNormalized against their Go loops at every length
// from 0 to 40: bit for bit, but where both give a NaN, whose payload
// may differ (where two NaNs meet, the Go compiler's operand order
// decides it, and that order differs between two copies of one
// expression: this test's and the package's Go loops disagree so). On a
// CPU without AVX2 it checks the Go loops alone.
func TestNormLoopsMatchTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	scalars := normOperands(rng, 1, 64)[0]
	for n := 0; n <= 40; n++ {
		o := normOperands(rng, 5, n)
		a, k, b := scalars[n], scalars[n+1], scalars[n+2]
		check := func(name string, got []float32, want func(j int) float32) {
			t.Helper()
			for j := 0; j < n; j++ {
				if w := want(j); math.Float32bits(got[j]) != math.Float32bits(w) && !(isNaN32(got[j]) && isNaN32(w)) {
					t.Fatalf("%s, n = %d, element %d: %v (%#x), want %v (%#x)", name, n, j, got[j], math.Float32bits(got[j]), w, math.Float32bits(w))
				}
			}
			if got[n] != 42 {
				t.Fatalf("%s, n = %d: wrote past x's length", name, n)
			}
		}
		dst := func() []float32 { d := make([]float32, n+1); d[n] = 42; return d }
		got := dst()
		Affine(got, o[0], o[1], o[2])
		check("Affine", got, func(j int) float32 { return float32(o[0][j]*o[1][j]) + o[2][j] })
		got = dst()
		Affine2(got, o[0], o[1], o[2], o[3], o[4])
		check("Affine2", got, func(j int) float32 { return float32(o[2][j]*o[0][j]) + float32(o[3][j]*o[1][j]) + o[4][j] })
		got = dst()
		ScaleShift(got, o[0], o[1], o[2], a, b)
		check("ScaleShift", got, func(j int) float32 { return float32((float32(o[0][j]*a)+b)*o[1][j]) + o[2][j] })
		got = dst()
		LayerGrad(got, o[0], o[1], o[2], a, k, b)
		check("LayerGrad", got, func(j int) float32 { return float32(float32(a*o[0][j])*o[2][j]) + float32(k*o[1][j]) + b })

		acc, want := make([]float64, n+1), make([]float64, n+1)
		for j := range acc[:n] {
			acc[j] = float64(o[4][j]) * 1e3
			want[j] = acc[j] + float64(float64(o[0][j])*(float64(o[1][j])-float64(a))*float64(k))
		}
		acc[n], want[n] = 42, 42
		AddNormalized(acc, o[0], o[1], float64(a), float64(k))
		for j := range want {
			if math.Float64bits(acc[j]) != math.Float64bits(want[j]) && !(math.IsNaN(acc[j]) && math.IsNaN(want[j])) {
				t.Fatalf("AddNormalized, n = %d, element %d: %v (%#x), want %v (%#x)", n, j, acc[j], math.Float64bits(acc[j]), want[j], math.Float64bits(want[j]))
			}
		}
	}
}

// isNaN32 reports whether v is a NaN.
func isNaN32(v float32) bool { return v != v }

// TestNormLoopsTakeFloat64 checks the float64 instances, which run the Go
// loops alone, against each expression with every operation rounded.
func TestNormLoopsTakeFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 13
	o := make([][]float64, 5)
	for i := range o {
		o[i] = make([]float64, n)
		for j := range o[i] {
			o[i][j] = rng.NormFloat64() * 10
		}
	}
	a, k, b := 0.7, -1.3, 2.9
	dst, acc := make([]float64, n), make([]float64, n)
	check := func(name string, got []float64, want func(j int) float64) {
		t.Helper()
		for j := range got {
			if w := want(j); math.Float64bits(got[j]) != math.Float64bits(w) {
				t.Fatalf("%s, element %d: %v, want %v", name, j, got[j], w)
			}
		}
	}
	Affine(dst, o[0], o[1], o[2])
	check("Affine", dst, func(j int) float64 { return float64(o[0][j]*o[1][j]) + o[2][j] })
	Affine2(dst, o[0], o[1], o[2], o[3], o[4])
	check("Affine2", dst, func(j int) float64 { return float64(o[2][j]*o[0][j]) + float64(o[3][j]*o[1][j]) + o[4][j] })
	ScaleShift(dst, o[0], o[1], o[2], a, b)
	check("ScaleShift", dst, func(j int) float64 { return float64((float64(o[0][j]*a)+b)*o[1][j]) + o[2][j] })
	LayerGrad(dst, o[0], o[1], o[2], a, k, b)
	check("LayerGrad", dst, func(j int) float64 { return float64(float64(a*o[0][j])*o[2][j]) + float64(k*o[1][j]) + b })
	AddNormalized(acc, o[0], o[1], a, k)
	check("AddNormalized", acc, func(j int) float64 { return float64(o[0][j] * (o[1][j] - a) * k) })
}
