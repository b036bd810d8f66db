package estimators

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The plain definitions the Reference methods computed with before they
// stopped allocating (gathering each role's scores into a slice first);
// TestReferencesAreThePlainDefinitions holds the new ones to their bits.

func plainSelected(scores []float64, mask *Mask, r Role) []float64 {
	var out []float64
	for i, role := range mask.Roles {
		if role == r {
			out = append(out, scores[i])
		}
	}
	return out
}

func plainMean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// plainLogSumExp is log sum_i exp(v_i) with math.Exp, the largest value
// subtracted first.
func plainLogSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

func plainMap(v []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return out
}

// plainReferences returns each estimator's float64 loss and estimate by
// the plain definitions.
func plainReferences(scores []float64, mask *Mask, tau float64) map[string][2]float64 {
	pos, neg := plainSelected(scores, mask, Positive), plainSelected(scores, mask, Negative)
	jsdLoss := plainMean(plainMap(neg, softplus)) + plainMean(plainMap(pos, func(s float64) float64 { return softplus(-s) }))
	nwj := 1 + plainMean(pos) - plainMean(plainMap(neg, math.Exp))
	dv := plainMean(pos) - (plainLogSumExp(neg) - math.Log(float64(len(neg))))
	clipped := plainMap(neg, func(s float64) float64 { return math.Max(-tau, math.Min(tau, s)) })
	smile := plainMean(pos) - (plainLogSumExp(clipped) - math.Log(float64(len(clipped))))
	var logSoftmax, logK float64
	var count int
	for r := range mask.Rows {
		rowMask := &Mask{Rows: 1, Cols: mask.Cols, Roles: mask.Roles[r*mask.Cols : (r+1)*mask.Cols]}
		rowScores := scores[r*mask.Cols : (r+1)*mask.Cols]
		negatives := plainSelected(rowScores, rowMask, Negative)
		for _, s := range plainSelected(rowScores, rowMask, Positive) {
			logSoftmax += s - plainLogSumExp(append([]float64{s}, negatives...))
			logK += math.Log(float64(1 + len(negatives)))
			count++
		}
	}
	ls := logSoftmax / float64(count)
	return map[string][2]float64{
		"jsd": {jsdLoss, nwj}, "nwj": {-nwj, nwj}, "dv": {-dv, dv}, "mine": {-dv, dv},
		"smile": {jsdLoss, smile}, "infonce": {-ls, ls + logK/float64(count)},
	}
}

// TestReferencesAreThePlainDefinitions checks every critic estimator's
// Reference, and ReferenceEstimate's estimate, against the plain definitions (the built-in ones) bit for bit (NaN for NaN) on
// every test mask, a 40 × 40 diagonal and a 300 × 300 one (90,000
// scores, which the masked reductions split between cores in 11 spans,
// the last partial), with scores small, large enough to overflow e^s,
// and -Inf, on one, two and three cores.
func TestReferencesAreThePlainDefinitions(t *testing.T) {
	for _, procs := range []int{1, 2, 3} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			testReferencesArePlain(t)
		}()
	}
}

func testReferencesArePlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	masks := testMasks()
	masks["diagonal40"] = Diagonal(40)
	masks["diagonal300"] = Diagonal(300)
	const tau = 5 // smile's default clip
	// jsd's and smile's losses are not -MI: scoring skips them.
	for _, name := range []string{"jsd", "smile"} {
		if _, ok := mustNew(t, name, Params{}).(EstimateReferencer); !ok {
			t.Errorf("%s is not an EstimateReferencer: scoring computes its loss for nothing", name)
		}
	}
	for name, mask := range masks {
		for _, scale := range []float64{3, 800} {
			scores := randomScores(rng, mask.Rows*mask.Cols, scale)
			if scale == 3 && len(scores) > 3 {
				scores[len(scores)-3] = math.Inf(-1)
			}
			want := plainReferences(scores, mask, tau)
			for est, w := range want {
				e := mustNew(t, est, Params{})
				loss, mi := e.Reference(scores, mask)
				if !sameBits(loss, w[0]) || !sameBits(mi, w[1]) {
					t.Errorf("%s on %s, scale %g, %d cores: Reference gives (%v, %v), the plain definitions (%v, %v)", est, name, scale, runtime.GOMAXPROCS(0), loss, mi, w[0], w[1])
				}
				if alone := ReferenceEstimate(e, scores, mask); !sameBits(alone, w[1]) {
					t.Errorf("%s on %s, scale %g: ReferenceEstimate gives %v, Reference's estimate %v", est, name, scale, alone, w[1])
				}
			}
		}
	}
}

// sameBits reports whether a and b are the same float64, or both NaN.
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestReferencesDoNotAllocateScoreArrays scores a 300 × 300 diagonal
// mask: a bmi run's scoring passes millions of scores to Reference, which
// gathered each role's scores into slices (about 7 MB here, 200 MB at
// BMI's 2,500 test pairs) before. A Reference may allocate a little (the
// masked reductions' pooled buffers, of roleSpan values a core, their
// splits between cores, InfoNCE's one row buffer), but less than a
// quarter of the scores' 720 KB a call.
func TestReferencesDoNotAllocateScoreArrays(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops the pooled buffers at random")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	mask := Diagonal(300)
	scores := randomScores(rand.New(rand.NewPCG(23, 24)), mask.Rows*mask.Cols, 3)
	limit := uint64(len(scores) * 8 / 4)
	for _, name := range CriticNames() {
		est := mustNew(t, name, Params{})
		est.Reference(scores, mask) // fills the pools
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 4 {
			est.Reference(scores, mask)
		}
		runtime.ReadMemStats(&after)
		if perCall := (after.TotalAlloc - before.TotalAlloc) / 4; perCall > limit {
			t.Errorf("%s: Reference allocates %d bytes a call on a 300 × 300 mask, want at most %d", name, perCall, limit)
		}
	}
}

// TestSoftplusClosedForms checks the float64 softplus that every Reference
// of the JS loss uses against values known in closed form: log 2 at 0,
// e^x to within rounding far below 0 (where log(1 + e^x) computed as
// x + log(1 + e^-x) cancels to 0), x far above 0 (where log(1 + e^x)
// computed directly overflows), and log(1 + e) at 1.
func TestSoftplusClosedForms(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, math.Ln2},
		{1, math.Log(1 + math.E)},
		{-1, math.Log(1 + 1/math.E)},
		{-40, math.Exp(-40)},
		{-700, math.Exp(-700)},
		{40, 40},
		{1000, 1000},
	} {
		if got := softplus(c.x); math.Abs(got-c.want) > 1e-14*math.Abs(c.want) {
			t.Errorf("softplus(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}
