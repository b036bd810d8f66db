package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomGradient returns a float32 gradient from r: zeros of both signs,
// huge, subnormal and ordinary values of either sign, and, if special,
// infinities and NaNs with assorted payloads too.
func randomGradient(r *rand.Rand, special bool) float32 {
	sign := float32(1)
	if r.IntN(2) == 0 {
		sign = -1
	}
	k := r.IntN(10)
	if special && k == 0 {
		switch r.IntN(3) {
		case 0:
			return float32(math.Inf(int(sign)))
		case 1:
			return math.Float32frombits(0x7fc00000 | r.Uint32()&0x803fffff) // quiet NaN
		default:
			return math.Float32frombits(0x7f800001 | r.Uint32()&0x803fffff) // signaling NaN
		}
	}
	switch k {
	case 1:
		return sign * 0
	case 2:
		return sign * math.MaxFloat32 * float32(1-r.Float64()/2)
	case 3:
		return sign * math.SmallestNonzeroFloat32 * float32(r.IntN(1<<20)+1)
	default:
		return sign * float32(math.Exp(60*r.Float64()-30)*r.NormFloat64())
	}
}

// adamCase is the state of one bitwise comparison: the weights and
// moments that the Go loop updates, and copies of them that adamUpdate32
// updates.
type adamCase struct {
	w, w32 []float32
	m, m32 []float64
	v, v32 []float64
}

// newAdamCase returns a case of n weights from r, its moments zero as
// NewAdam leaves them, all slices starting one element into their arrays
// so that the kernel sees unaligned addresses.
func newAdamCase(r *rand.Rand, n int) *adamCase {
	w := make([]float32, n+1)[1:]
	for i := range w {
		w[i] = float32(r.NormFloat64() * math.Exp(10*r.Float64()-5))
	}
	m, v := make([]float64, n+1)[1:], make([]float64, n+1)[1:]
	return &adamCase{w: w, w32: slices.Clone(w), m: m, m32: slices.Clone(m), v: v, v32: slices.Clone(v)}
}

// compare reports the first element where the two updates, the Go loop's
// (w, m, v) and the one under test (w32, m32, v32: adamUpdate32's or a
// kernel's), differ in a single bit.
func (c *adamCase) compare(t *testing.T, label string) {
	t.Helper()
	for i := range c.w {
		switch {
		case math.Float32bits(c.w[i]) != math.Float32bits(c.w32[i]):
			t.Fatalf("%s: w[%d] = %v (%#x) from the Go loop, %v (%#x) under test", label, i, c.w[i], math.Float32bits(c.w[i]), c.w32[i], math.Float32bits(c.w32[i]))
		case math.Float64bits(c.m[i]) != math.Float64bits(c.m32[i]):
			t.Fatalf("%s: m[%d] = %v (%#x) from the Go loop, %v (%#x) under test", label, i, c.m[i], math.Float64bits(c.m[i]), c.m32[i], math.Float64bits(c.m32[i]))
		case math.Float64bits(c.v[i]) != math.Float64bits(c.v32[i]):
			t.Fatalf("%s: v[%d] = %v (%#x) from the Go loop, %v (%#x) under test", label, i, c.v[i], math.Float64bits(c.v[i]), c.v32[i], math.Float64bits(c.v32[i]))
		}
	}
}

// TestAdamUpdate32MatchesGoLoop checks that adamUpdate32 (the AVX2 kernel
// and its Go tail, where the CPU has AVX2) gives the Go loop's bits for
// w, m and v over several steps in a row, for many lengths and settings,
// early in training and from step 1001 on, where c1 = 1 - beta1^t has
// rounded to 1 for beta1 = 0.9 and 0.5 (the kernel then leaves out m/c1;
// for beta1 = 0 it is 1 at every step, and for 0.99 not yet at 1001).
// Built with -tags purego, or on a CPU without AVX2, both sides are the
// Go loop.
//
// Where the CPU has AVX-512 it runs three times: with adamKernel8z, which
// then takes every step from c1 = 1 on, with adamKernel8d in its place,
// and without either, so that adamKernel4 is checked on those steps too.
func TestAdamUpdate32MatchesGoLoop(t *testing.T) {
	t.Logf("hasAVX2FMA = %v, hasAVX512 = %v, useKernel8z = %v, useDivider = %v", hasAVX2FMA, hasAVX512, useKernel8z, useDivider)
	settings := []struct{ lr, b1, b2 float64 }{{0.01, 0.9, 0.999}, {1e-3, 0, 0}, {0.5, 0.5, 0.99}, {3e-4, 0.99, 0.9999}}
	r := rand.New(rand.NewPCG(1, 2))
	defer func(wide, divider bool) { useKernel8z, useDivider = wide, divider }(useKernel8z, useDivider)
	for _, k := range kernel8Settings() {
		useKernel8z, useDivider = k.wide, k.divider
		for _, special := range []bool{false, true} {
			for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 1000, 65537} {
				for _, set := range settings {
					for _, first := range []int{1, 1001} {
						adamSteps(t, r, n, set.lr, set.b1, set.b2, first, special)
					}
				}
			}
		}
	}
}

// kernel8Setting is a setting of useKernel8z and useDivider.
type kernel8Setting struct{ wide, divider bool }

// kernel8Settings returns the settings of useKernel8z and useDivider to
// test: every kernel where the CPU has AVX-512F and AVX-512VL, the AVX2
// one alone elsewhere. The caller restores them.
func kernel8Settings() []kernel8Setting {
	if hasAVX512 {
		return []kernel8Setting{{false, false}, {true, true}, {true, false}}
	}
	return []kernel8Setting{{false, false}}
}

// TestAdamKernel8zNearFloat32Midpoints checks adamKernel8z where its
// estimate of the update's division can round to float32 otherwise than
// the division itself: updates lr*m/(sqrt(v)+eps) within 40 ulps of a
// midpoint between two float32s, normal and subnormal, of both signs,
// against the Go loop bit for bit. It also checks that CHECK sent some of
// these to the divider (the test would not catch a CHECK that trusts
// every estimate otherwise) and almost none of a run of random updates
// (one that distrusts every estimate would be as slow as adamKernel4).
// adamKernel8d, which divides every update, runs on the same updates.
func TestAdamKernel8zNearFloat32Midpoints(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F and AVX-512VL on this CPU")
	}
	r := rand.New(rand.NewPCG(11, 12))
	const lr, eps = 1e-3, 1e-8
	// Steps far on with beta1 = beta2 = 0.5 and zero gradients: c1 = c2
	// = 1, m and v halve exactly, so m and v are set through the moments
	// of the step before.
	s := adamStep{lr: lr, b1: 0.5, b2: 0.5, eps: eps, c1: 1, c2: 1}
	var w []float32
	var mOld, vOld []float64
	for range 2000 {
		mNew, vNew := atMidpoint(r, lr, eps, 1, r.IntN(8) == 0)
		mNew *= float64(1 - 2*r.IntN(2))
		// Every ulp up to 40 on either side, where CHECK distrusts the
		// estimate, then every 1024 ulps up to 40,960 (its margin is
		// 2^13 = 8,192), where it trusts the farther ones.
		ulp := math.Nextafter(math.Abs(mNew), math.Inf(1)) - math.Abs(mNew)
		for _, step := range []float64{1, 1024} {
			for k := -40.0; k <= 40; k++ {
				mOld, vOld = append(mOld, 2*(mNew+k*step*ulp)), append(vOld, 2*vNew)
				w = append(w, float32(r.NormFloat64()))
			}
		}
	}
	n := len(w) &^ 7
	w, mOld, vOld = w[:n], mOld[:n], vOld[:n]
	g := make([]float32, n)
	wantW, wantM, wantV := slices.Clone(w), slices.Clone(mOld), slices.Clone(vOld)
	adamUpdate(s, wantW, g, wantM, wantV)
	// adamKernel8d first, so that no register it fails to set is left
	// set by adamKernel8z.
	d := &adamCase{w: wantW, w32: slices.Clone(w), m: wantM, m32: slices.Clone(mOld), v: wantV, v32: slices.Clone(vOld)}
	adamKernel8d(n, &d.w32[0], &g[0], &d.m32[0], &d.v32[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
	d.compare(t, "next to midpoints, adamKernel8d")
	exact := adamKernel8z(n, &w[0], &g[0], &mOld[0], &vOld[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
	for i := range w {
		if math.Float32bits(w[i]) != math.Float32bits(wantW[i]) {
			t.Fatalf("weight %d (m %v, v %v): %v (%#x) from adamKernel8z, %v (%#x) from the Go loop", i, wantM[i], wantV[i], w[i], math.Float32bits(w[i]), wantW[i], math.Float32bits(wantW[i]))
		}
	}
	if exact == 0 || exact == n/8 {
		t.Errorf("%d of %d groups of eight next to float32 midpoints took the division: CHECK trusted every estimate or none", exact, n/8)
	}
	t.Logf("%d of %d groups of eight next to midpoints took the division", exact, n/8)

	// Random updates: about one group of eight in 4,000 takes the division.
	n = 1 << 16
	c := newAdamCase(r, n)
	g = make([]float32, n)
	for i := range g {
		c.m[i], c.v[i] = r.NormFloat64()*1e-3, r.ExpFloat64()*1e-6
		g[i] = float32(r.NormFloat64() * 1e-3)
	}
	c.m32, c.v32 = slices.Clone(c.m), slices.Clone(c.v)
	d = &adamCase{w: c.w, w32: slices.Clone(c.w32), m: c.m, m32: slices.Clone(c.m), v: c.v, v32: slices.Clone(c.v)}
	s = adamStep{lr: 1e-4, b1: 0.9, b2: 0.999, eps: 1e-8, c1: 1, c2: 0.5}
	adamUpdate(s, c.w, g, c.m, c.v)
	adamKernel8d(n, &d.w32[0], &g[0], &d.m32[0], &d.v32[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
	d.compare(t, "random updates, adamKernel8d")
	exact = adamKernel8z(n, &c.w32[0], &g[0], &c.m32[0], &c.v32[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
	c.compare(t, "random updates, adamKernel8z")
	if exact > n/8/100 {
		t.Errorf("%d of %d groups of eight of random updates took the division, want under 1%%", exact, n/8)
	}
}

// adamSteps runs six steps from step first on n random weights, through
// adamUpdate and adamUpdate32, and compares their bits after each.
func adamSteps(t *testing.T, r *rand.Rand, n int, lr, b1, b2 float64, first int, special bool) {
	c := newAdamCase(r, n)
	g := make([]float32, n+1)[1:]
	t.Helper()
	for step := first; step < first+6; step++ {
		for i := range g {
			g[i] = randomGradient(r, special)
		}
		if step == first+2 {
			clear(g) // a step with no gradient at all
		}
		s := adamStep{lr: lr, b1: b1, b2: b2, eps: 1e-8,
			c1: 1 - math.Pow(b1, float64(step)),
			c2: 1 - math.Pow(b2, float64(step))}
		adamUpdate(s, c.w, g, c.m, c.v)
		adamUpdate32(s, c.w32, g, c.m32, c.v32)
		c.compare(t, fmt.Sprintf("n=%d lr=%g b1=%g b2=%g special=%v step %d", n, lr, b1, b2, special, step))
	}
}

// TestAdamUpdate32OutsideTheKernelsRange checks that adamUpdate32 still
// gives the Go loop's bits for bias corrections outside [2^-53, 1], which
// only betas set on Adam's fields directly can give (beta1 = 1 makes c1
// zero; beta2 = 1 - 2^-60, c2 = 2^-60 at step 1): the kernel's divisions
// by a reciprocal would give NaNs where the Go loop's give infinities.
func TestAdamUpdate32OutsideTheKernelsRange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []adamStep{
		{lr: 0.01, b1: 1, b2: 0.999, eps: 1e-8, c1: 0, c2: 0.001},
		{lr: 0.01, b1: 0.9, b2: 1, eps: 1e-8, c1: 0.1, c2: 0x1p-60},
	} {
		c := newAdamCase(r, 64)
		g := make([]float32, 64)
		for i := range g {
			g[i] = randomGradient(r, false)
			// Moments from earlier steps: with a beta of 1 they stay.
			c.m[i], c.v[i] = r.NormFloat64(), r.ExpFloat64()
			c.m32[i], c.v32[i] = c.m[i], c.v[i]
		}
		adamUpdate(s, c.w, g, c.m, c.v)
		adamUpdate32(s, c.w32, g, c.m32, c.v32)
		c.compare(t, fmt.Sprintf("c1 = %g, c2 = %g", s.c1, s.c2))
	}
}

// atMidpoint returns a first moment m and a second moment v, v random,
// whose update lr*m/(sqrt(v/c2)+eps) lies as near as float64 allows to a
// midpoint between a random float32 above 2^-40 and the next, or a
// random subnormal float32 and the next.
func atMidpoint(r *rand.Rand, lr, eps, c2 float64, subnormal bool) (m, v float64) {
	v = math.Exp(-30 * r.Float64())
	f := float32(math.Ldexp(1+r.Float64(), -r.IntN(40)))
	if subnormal {
		f = math.Float32frombits(r.Uint32() & 0x7fffff)
	}
	mid := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
	return mid * (math.Sqrt(v/c2) + eps) / lr, v
}

// TestAdamKernelsOutsideNearMidpoints checks the kernels' division of v
// by c2 where a group has a lane OUTSIDE DIVIDE's range (v = 0), which
// sends the whole group to VDIVPD: the other lanes' updates lie next to
// float32 midpoints, and c2 is not a power of two, so that v times the
// reciprocal of c2 in place of v/c2 would round some of them the wrong
// way. Each kernel runs on its own copy, adamKernel8d first, bit for bit
// against the Go loop.
func TestAdamKernelsOutsideNearMidpoints(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2 and FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(21, 22))
	const lr, eps, groups = 1e-3, 1e-8, 4000
	for _, c2 := range []float64{0.3, 0.7, 0.001, 0.999, 1.0 / 3} {
		// b1 = b2 = 0.5 and zero gradients: the moments of the step are
		// half those stored, exactly.
		s := adamStep{lr: lr, b1: 0.5, b2: 0.5, eps: eps, c1: 1, c2: c2}
		c := newAdamCase(r, 8*groups)
		for i := range c.w {
			if i%8 == 0 {
				c.w[i], c.m[i], c.v[i] = 1, 1, 0
				continue
			}
			m, v := atMidpoint(r, lr, eps, c2, false)
			c.w[i], c.m[i], c.v[i] = float32(r.NormFloat64()), 2*m, 2*v
		}
		g := make([]float32, len(c.w))
		kernels := []struct {
			name string
			run  func(w []float32, m, v []float64)
		}{
			{"adamKernel8d", func(w []float32, m, v []float64) {
				adamKernel8d(len(w), &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
			}},
			{"adamKernel8z", func(w []float32, m, v []float64) {
				adamKernel8z(len(w), &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
			}},
			{"adamKernel4", func(w []float32, m, v []float64) {
				adamKernel4(len(w), &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c1, s.c2, s.eps, 1/s.c1, 1/s.c2)
			}},
		}
		if !hasAVX512 {
			kernels = kernels[2:]
		}
		want := &adamCase{w: slices.Clone(c.w), m: slices.Clone(c.m), v: slices.Clone(c.v)}
		adamUpdate(s, want.w, g, want.m, want.v)
		for _, k := range kernels {
			got := &adamCase{w: want.w, w32: slices.Clone(c.w), m: want.m, m32: slices.Clone(c.m), v: want.v, v32: slices.Clone(c.v)}
			k.run(got.w32, got.m32, got.v32)
			got.compare(t, fmt.Sprintf("%s, c2 = %g", k.name, c2))
		}
	}
}

// TestAdamKernel8zSpecialValues checks adamKernel8d and adamKernel8z
// against the Go loop bit for bit on moments set directly to zeros of
// both signs, subnormals, huge values, infinities and NaNs with assorted
// payloads, for settings a user may give Adam's fields (eps of 0, -0,
// the smallest subnormal, huge, infinite, NaN or negative; learning rates
// from 1e-300 to 1e300 and NaNs, whose payloads meet m's in the update's
// first product; c2 from 2^-53 to 1), where the estimate's denominator
// can be zero, infinite or a NaN and CHECK must send the lane to the
// divider.
func TestAdamKernel8zSpecialValues(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F and AVX-512VL on this CPU")
	}
	r := rand.New(rand.NewPCG(13, 14))
	moments := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 0x1p-1022, 1e-300, 1e-10, 1, -3.5, 1e300,
		math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff0000000000001),
		math.Float64frombits(0xfff8000000000123)}
	for _, eps := range []float64{1e-8, 0, math.Copysign(0, -1), 5e-324, 1e-300, 1e300, math.MaxFloat64, math.Inf(1), math.NaN(), -1e-8, -1} {
		for _, lr := range []float64{1e-3, 1e300, 1e-300, math.NaN(), math.Float64frombits(0x7ff8000000000456)} {
			for _, c2 := range []float64{1, 0.5, 0x1p-53} {
				const n = 256
				c := newAdamCase(r, n)
				g := make([]float32, n)
				for i := range g {
					c.m[i], c.v[i] = moments[r.IntN(len(moments))], math.Abs(moments[r.IntN(len(moments))])
					if r.IntN(4) == 0 {
						c.v[i] = -c.v[i]
					}
					g[i] = randomGradient(r, true)
				}
				c.m32, c.v32 = slices.Clone(c.m), slices.Clone(c.v)
				d := &adamCase{w: c.w, w32: slices.Clone(c.w32), m: c.m, m32: slices.Clone(c.m), v: c.v, v32: slices.Clone(c.v)}
				s := adamStep{lr: lr, b1: 0.5, b2: 0.999, eps: eps, c1: 1, c2: c2}
				adamUpdate(s, c.w, g, c.m, c.v)
				adamKernel8d(n, &d.w32[0], &g[0], &d.m32[0], &d.v32[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
				d.compare(t, fmt.Sprintf("adamKernel8d, eps %g, lr %g, c2 %g", eps, lr, c2))
				adamKernel8z(n, &c.w32[0], &g[0], &c.m32[0], &c.v32[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
				c.compare(t, fmt.Sprintf("adamKernel8z, eps %g, lr %g, c2 %g", eps, lr, c2))
			}
		}
	}
}

// TestAdamKernel8zMargin checks CHECK's margin, one group of eight
// updates at a time, each update the same distance from a midpoint
// between two float32s: every group within 2^10 ulps of its midpoints
// goes to the divider (the margin is 2^-40, 2^12 to 2^13 ulps; a smaller
// one would trust estimates that a less accurate ESTIMATE could round
// the wrong way), and none 2^15 ulps or more from them (a larger margin
// would send needless groups to the divider), and all give the Go
// loop's bits.
func TestAdamKernel8zMargin(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F and AVX-512VL on this CPU")
	}
	r := rand.New(rand.NewPCG(15, 16))
	const lr, eps = 1e-3, 1e-8
	s := adamStep{lr: lr, b1: 0.5, b2: 0.5, eps: eps, c1: 1, c2: 1}
	for _, offset := range []float64{0, 1, -1, 16, -16, 1024, -1024, 1 << 15, -(1 << 15), 1 << 20, -(1 << 20)} {
		for range 50 {
			w, m, v := make([]float32, 8), make([]float64, 8), make([]float64, 8)
			for i := range w {
				// As in TestAdamKernel8zNearFloat32Midpoints: zero gradients
				// halve m and v exactly.
				mNew, vNew := atMidpoint(r, lr, eps, 1, false)
				ulp := math.Nextafter(mNew, math.Inf(1)) - mNew
				w[i], m[i], v[i] = float32(r.NormFloat64()), 2*(mNew+offset*ulp), 2*vNew
			}
			g := make([]float32, 8)
			wantW, wantM, wantV := slices.Clone(w), slices.Clone(m), slices.Clone(v)
			adamUpdate(s, wantW, g, wantM, wantV)
			exact := adamKernel8z(8, &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(wantW[i]) {
					t.Fatalf("%g ulps from midpoints: weight %d %v from adamKernel8z, %v from the Go loop", offset, i, w[i], wantW[i])
				}
			}
			switch far := math.Abs(offset) >= 1<<15; {
			case !far && exact != 1:
				t.Fatalf("a group %g ulps from its midpoints did not go to the divider", offset)
			case far && exact != 0:
				t.Fatalf("a group %g ulps from its midpoints went to the divider", offset)
			}
		}
	}
}

// TestFlushingSubnormalsLeavesTheWeights checks flushSubnormals's
// promise: over runs of steps with mostly zero gradients, from first
// moments around 2^-1022, adamUpdate32 with the first moments flushed
// every step, or every fifth, gives adamUpdate's bits without the flush
// for every weight and second moment, and first moments that differ only
// where adamUpdate's is subnormal.
func TestFlushingSubnormalsLeavesTheWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 1003
	for _, set := range []struct{ lr, b1 float64 }{{0.01, 0.9}, {0.01, 0.5}, {1e3, 0.5}, {1e-3, 0.99}} {
		for _, every := range []int{1, 5} {
			for _, first := range []int{1, 1001} {
				c := newAdamCase(r, n)
				for i := range c.m {
					c.m[i] = float64(1-2*r.IntN(2)) * math.Ldexp(1+r.Float64(), -1022+r.IntN(81)-40)
					c.v[i] = math.Ldexp(r.Float64(), -r.IntN(60))
					if i%7 == 0 {
						c.w[i] = 0
					}
				}
				c.w32, c.m32, c.v32 = slices.Clone(c.w), slices.Clone(c.m), slices.Clone(c.v)
				g := make([]float32, n)
				subnormals := 0
				for step := first; step < first+200; step++ {
					for i := range g {
						g[i] = 0
						if r.IntN(10) == 0 {
							g[i] = randomGradient(r, false)
						}
					}
					s := adamStep{lr: set.lr, b1: set.b1, b2: 0.999, eps: 1e-8,
						c1: 1 - math.Pow(set.b1, float64(step)),
						c2: 1 - math.Pow(0.999, float64(step))}
					adamUpdate(s, c.w, g, c.m, c.v)
					adamUpdate32(s, c.w32, g, c.m32, c.v32)
					if step%every == 0 {
						flushSubnormals(c.m32)
					}
					label := fmt.Sprintf("lr=%g b1=%g every %d, step %d", set.lr, set.b1, every, step)
					for i := range c.w {
						if math.Float32bits(c.w[i]) != math.Float32bits(c.w32[i]) || math.Float64bits(c.v[i]) != math.Float64bits(c.v32[i]) {
							t.Fatalf("%s: weight %d = %v, v = %v with the flush, %v and %v without", label, i, c.w32[i], c.v32[i], c.w[i], c.v[i])
						}
						subnormal := c.m[i] != 0 && math.Abs(c.m[i]) < 0x1p-1022
						if subnormal {
							subnormals++
						}
						if math.Float64bits(c.m[i]) != math.Float64bits(c.m32[i]) && !(subnormal && math.Abs(c.m32[i]) < 0x1p-1022) {
							t.Fatalf("%s: m[%d] = %v with the flush, %v without", label, i, c.m32[i], c.m[i])
						}
					}
				}
				if subnormals == 0 {
					t.Errorf("lr=%g b1=%g from step %d: no first moment was subnormal; the test checks nothing", set.lr, set.b1, first)
				}
			}
		}
	}
}

// TestFlushSubnormals checks which first moments flushSubnormals zeroes:
// subnormals of either sign, to a zero of their sign, and nothing else.
func TestFlushSubnormals(t *testing.T) {
	in := []float64{0x1p-1022, -0x1p-1022, math.Nextafter(0x1p-1022, 0), -5e-324, 5e-324, 0, math.Copysign(0, -1),
		1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, 0x1p-1021}
	want := []float64{0x1p-1022, -0x1p-1022, 0, math.Copysign(0, -1), 0, 0, math.Copysign(0, -1),
		1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, 0x1p-1021}
	got := slices.Clone(in)
	flushSubnormals(got)
	for i := range in {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("flushSubnormals(%v (%#x)) = %v (%#x), want %v", in[i], math.Float64bits(in[i]), got[i], math.Float64bits(got[i]), want[i])
		}
	}
}
