package optim

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// adamDivisors returns divisors as Update makes them, c = 1 - beta^t for
// betas from 0.5 to the largest float64 below 1 and steps from 1 to 10^6,
// and the edges of [2^-53, 1]: both ends, mantissas of all ones, and
// random values.
func adamDivisors(r *rand.Rand) []float64 {
	var cs []float64
	for _, beta := range []float64{0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, math.Nextafter(1, 0)} {
		for _, t := range []int{1, 2, 3, 4, 5, 7, 10, 11, 50, 100, 355, 356, 1000, 4321, 37000, 1e6} {
			cs = append(cs, 1-math.Pow(beta, float64(t)))
		}
	}
	cs = append(cs, 1, 0x1p-53, math.Nextafter(1, 0), 0.5, math.Nextafter(0.5, 1), math.Nextafter(0.5, 0))
	for e := -53; e < 0; e++ {
		cs = append(cs, math.Ldexp(math.Nextafter(2, 0), e), math.Ldexp(1+r.Float64(), e))
	}
	return cs
}

// nearMidpoint returns a dividend a = A * 2^exp, A an integer under
// 2^53, whose quotient by b lies within |delta|/(2B) ulps (at most 2^-25
// here) of a midpoint between two float64s, the hardest case for rounding
// a quotient. With B
// the odd part of b's mantissa, it picks an odd 54-bit O with O*B = delta
// modulo 2^54, for a small odd delta, so that A = (O*B - delta) / 2^54 is
// an integer and A/B = O/2^54 - delta/(2^54 B): O/2^54 is a midpoint
// between two float64s in [1/2, 1), and B >= 2^30 keeps the second term
// small. ok is false where there is no such A; try another delta.
func nearMidpoint(b float64, delta int64, exp int) (a float64, ok bool) {
	frac, _ := math.Frexp(b)
	B := uint64(math.Ldexp(frac, 53))
	B >>= bits.TrailingZeros64(B)
	if B < 1<<30 {
		return 0, false
	}
	const mask = 1<<54 - 1
	inv := B // Newton's iteration for B^-1 modulo 2^64: each step doubles the correct bits
	for range 6 {
		inv *= 2 - B*inv
	}
	O := (uint64(delta) * inv) & mask
	if O < 1<<53 {
		return 0, false
	}
	hi, lo := bits.Mul64(O, B)
	lo, borrow := bits.Sub64(lo, uint64(delta), 0)
	hi -= borrow
	if delta < 0 {
		hi++ // uint64(delta) was 2^64 - |delta|: add back the 2^64
	}
	if lo&mask != 0 {
		panic("nearMidpoint: O*B - delta is not a multiple of 2^54")
	}
	return math.Ldexp(float64(hi<<10|lo>>54), exp), true
}

// TestDivideMatchesDivision checks adamDivide4, which runs the kernel's
// DIVIDE and OUTSIDE, against Go's division bit for bit: random dividends
// over DIVIDE's whole range, dividends whose quotients lie next to a
// rounding midpoint, and the values OUTSIDE must send to the divider
// (zeros, subnormals, huge values, infinities and NaNs), for every
// divisor of adamDivisors. It also checks that DIVIDE, not the divider,
// computed the groups of four that are in its range, so that the test
// would catch a wrong DIVIDE.
func TestDivideMatchesDivision(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2 and FMA: the kernel does not run here")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, b := range adamDivisors(r) {
		var in []float64 // dividends DIVIDE takes
		for len(in) < 2048 {
			sign := float64(1 - 2*r.IntN(2))
			in = append(in, sign*math.Ldexp(1+r.Float64(), r.IntN(1700)-800))
			if a, ok := nearMidpoint(b, int64(2*r.IntN(64)-63), r.IntN(1646)-800); ok {
				in = append(in, sign*a)
			}
		}
		in = append(in[:2040], 0x1p-800, -0x1p-800, 0x1p900, -0x1p900, math.Nextafter(0x1p-800, 1), math.Nextafter(0x1p900, 0), 1, -1)
		checkDivide(t, b, in, len(in)/4)
		out := []float64{0, math.Copysign(0, -1), math.Nextafter(0x1p-800, 0), 5e-324, 0x1p-1000,
			math.Nextafter(0x1p900, math.Inf(1)), math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(),
			math.Float64frombits(0xfff8000000000123), math.Float64frombits(0x7ff0000000000001)}
		for _, x := range out { // each alone among three values DIVIDE takes
			checkDivide(t, b, []float64{1.5, x, -3, 7}, 0)
		}
	}
}

// checkDivide divides a copy of as by b with adamDivide4 and reports the
// first quotient that differs from Go's a/b in a bit, and a count of
// groups divided without the divider other than fast.
func checkDivide(t *testing.T, b float64, as []float64, fast int) {
	t.Helper()
	q := append([]float64(nil), as...)
	if got := adamDivide4(len(q), &q[0], b, 1/b); got != fast {
		t.Errorf("b = %v: %d groups of four divided without the divider, want %d", b, got, fast)
	}
	for i, a := range as {
		if want := a / b; math.Float64bits(q[i]) != math.Float64bits(want) {
			t.Fatalf("%v / %v = %v (%#x), want %v (%#x)", a, b, q[i], math.Float64bits(q[i]), want, math.Float64bits(want))
		}
	}
}

// TestNearMidpointIsNearAMidpoint checks the test's own generator: the
// quotients it makes are within 2^-20 ulps of a midpoint (a random
// quotient is a quarter of an ulp away on average).
func TestNearMidpointIsNearAMidpoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	made := 0
	for range 2000 {
		b := math.Ldexp(1+r.Float64(), -r.IntN(53)-1)
		if r.IntN(2) == 0 {
			b = adamDivisors(r)[r.IntN(100)]
		}
		a, ok := nearMidpoint(b, int64(2*r.IntN(64)-63), 0)
		if !ok {
			continue
		}
		made++
		// a/b in double-double: q + e, with e the rounding error of q.
		q := a / b
		e := math.FMA(-q, b, a) / b
		ulp := math.Nextafter(math.Abs(q), math.Inf(1)) - math.Abs(q)
		if d := math.Abs(math.Abs(e) - ulp/2); d > ulp*0x1p-20 {
			t.Fatalf("a = %v, b = %v: a/b is %g ulps from a midpoint", a, b, d/ulp)
		}
	}
	if made < 400 {
		t.Errorf("nearMidpoint made only %d of 2000 cases", made)
	}
}
