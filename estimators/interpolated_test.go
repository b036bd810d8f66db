package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// poolesInterpolated is interpolated_lower_bound of Poole et al.'s colab
// (google-research/vbmi/vbmi_demo.ipynb) written out on an n x n score
// matrix f (f[i][j] scores y_i against x_j, positives on the diagonal),
// with their compute_log_loomean (through softplus_inverse) and
// log_interpolate (through alpha_logit), and the log baseline log q(y) = 0.
func poolesInterpolated(f [][]float64, alpha float64) float64 {
	n := len(f)
	alphaLogit := math.Log(alpha) - math.Log1p(-alpha)
	logAlpha, log1mAlpha := -softplus(-alphaLogit), -softplus(alphaLogit)
	logInterpolate := func(logA, logB float64) float64 {
		return plainLogSumExp([]float64{logAlpha + logA, log1mAlpha + logB})
	}
	// interp[i][j] = log a(y_i; x_{≠j}).
	interp := make([][]float64, n)
	for i, row := range f {
		lse := plainLogSumExp(row)
		interp[i] = make([]float64, n)
		for j, s := range row {
			d := lse - s
			looLSE := s + d + math.Log(-math.Expm1(-d)) // s + softplus_inverse(d)
			interp[i][j] = logInterpolate(looLSE-math.Log(float64(n-1)), 0)
		}
	}
	var marg []float64
	var joint float64
	for i := range f {
		for j := range f {
			if i != j {
				marg = append(marg, f[i][j]-interp[i][i])
				joint += f[i][i] - interp[i][j]
			}
		}
	}
	margTerm := math.Exp(plainLogSumExp(marg) - math.Log(float64(len(marg))))
	return 1 + joint/float64(n*(n-1)) - margTerm
}

// interpolatedByDefinition is the interpolated bound on an n x n score
// matrix f (positives on the diagonal, log q(y) = 0) straight from its
// definition: every leave-one-out mean a log-sum-exp of its own n-1
// scores, so that none underflows.
func interpolatedByDefinition(f [][]float64, alpha float64) float64 {
	n := len(f)
	logA := func(row []float64, out int) float64 {
		var rest []float64
		for l, s := range row {
			if l != out {
				rest = append(rest, s)
			}
		}
		u := math.Log(alpha) + plainLogSumExp(rest) - math.Log(float64(n-1))
		return plainLogSumExp([]float64{u, math.Log1p(-alpha)})
	}
	var joint, marg float64
	for i, row := range f {
		for j, s := range row {
			if i != j {
				joint += row[i] - logA(row, j)
				marg += math.Exp(s - logA(row, i))
			}
		}
	}
	return 1 + (joint-marg)/float64(n*(n-1))
}

// TestInterpolatedReferenceExtremeScores checks Reference against
// interpolatedByDefinition where a row's held-out negative lies 800 nats
// and more above the positive and the other negatives, so that their e^s,
// shifted by the row's largest score, underflow in float64.
func TestInterpolatedReferenceExtremeScores(t *testing.T) {
	const n = 4
	rng := rand.New(rand.NewPCG(35, 36))
	flat := randomScores(rng, n*n, 3)
	f := make([][]float64, n)
	for i := range f {
		f[i] = flat[i*n : (i+1)*n]
	}
	if got, want := interpolatedByDefinition(f, 0.5), poolesInterpolated(f, 0.5); !close(got, want, 1e-12) {
		t.Fatalf("on scores within 3 of 0 the definition gives %.12g, Poole et al.'s code %.12g", got, want)
	}
	flat[0], flat[1] = 200, 1000 // row 0: positive 200, a negative 1000
	for _, alpha := range []float64{0.01, 0.5, 1} {
		want := interpolatedByDefinition(f, alpha)
		if _, mi := mustNew(t, "interpolated", Params{"alpha": alpha}).Reference(flat, Diagonal(n)); !close(mi, want, 1e-9) {
			t.Errorf("alpha %g: Reference gives %.12g, the bound's definition %.12g", alpha, mi, want)
		}
	}
}

// TestInterpolatedIsPoolesCode checks the graph and Reference at several
// alphas against poolesInterpolated on a 5 x 5 batch: the estimate, and the
// loss's gradient against central finite differences of their bound.
func TestInterpolatedIsPoolesCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	mask := Diagonal(5)
	flat := randomScores(rng, 25, 3)
	f := make([][]float64, 5)
	for i := range f {
		f[i] = flat[i*5 : (i+1)*5]
	}
	for _, alpha := range []float64{0.01, 0.5, 0.99} {
		est := mustNew(t, "interpolated", Params{"alpha": alpha})
		want := poolesInterpolated(f, alpha)
		loss, mi := est.Reference(flat, mask)
		if !close(mi, want, 1e-12) || !close(loss, -want, 1e-12) {
			t.Errorf("alpha %g: Reference gives loss %.12g, MI %.12g; Poole et al.'s code MI %.12g", alpha, loss, mi, want)
		}
		got, err := runGraph(est, flat, mask, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		if !close(got.mi, want, 1e-12) {
			t.Errorf("alpha %g: graph gives MI %.12g; Poole et al.'s code %.12g", alpha, got.mi, want)
		}
		const h = 1e-6
		for k := range flat {
			flat[k] += h
			up := poolesInterpolated(f, alpha)
			flat[k] -= 2 * h
			down := poolesInterpolated(f, alpha)
			flat[k] += h
			if fd := -(up - down) / (2 * h); math.Abs(fd-got.grad[k]) > 1e-6 {
				t.Errorf("alpha %g: d loss/d s[%d] = %.9g, finite differences of Poole et al.'s bound give %.9g", alpha, k, got.grad[k], fd)
			}
		}
	}
}

// TestInterpolatedEnds checks the two ends of alpha: at 0 the bound is nwj,
// to the bit, on every test mask; at 1 it is the mean, over the n pairs of
// a batch, of InfoNCE on the n-1 others (K = n-1), which is not InfoNCE on
// the whole batch (K = n).
func TestInterpolatedEnds(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	zero, nwj := mustNew(t, "interpolated", Params{"alpha": 0}), mustNew(t, "nwj", nil)
	for maskName, mask := range testMasks() {
		scores := randomScores(rng, mask.Rows*mask.Cols, 3)
		gotLoss, gotMI := zero.Reference(scores, mask)
		wantLoss, wantMI := nwj.Reference(scores, mask)
		if !sameBits(gotLoss, wantLoss) || !sameBits(gotMI, wantMI) {
			t.Errorf("alpha 0 on %s: Reference gives (%v, %v), nwj (%v, %v)", maskName, gotLoss, gotMI, wantLoss, wantMI)
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got, err := runGraph(zero, scores, mask, dt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := runGraph(nwj, scores, mask, dt)
			if err != nil {
				t.Fatal(err)
			}
			if got.mi != want.mi || got.loss != want.loss {
				t.Errorf("alpha 0 on %s (%v): graph gives MI %v, nwj's %v", maskName, dt, got.mi, want.mi)
			}
		}
	}

	const n = 6
	one, infonce := mustNew(t, "interpolated", Params{"alpha": 1}), mustNew(t, "infonce", nil)
	scores := randomScores(rng, n*n, 3)
	var leaveOneOut float64
	for j := range n {
		var sub []float64
		for r := range n {
			for c := range n {
				if r != j && c != j {
					sub = append(sub, scores[r*n+c])
				}
			}
		}
		_, mi := infonce.Reference(sub, Diagonal(n-1))
		leaveOneOut += mi / n
	}
	_, mi := one.Reference(scores, Diagonal(n))
	if !close(mi, leaveOneOut, 1e-12) {
		t.Errorf("alpha 1: Reference gives %.12g, the mean of InfoNCE over the %d batches of %d pairs %.12g", mi, n, n-1, leaveOneOut)
	}
	if _, whole := infonce.Reference(scores, Diagonal(n)); close(mi, whole, 1e-6) {
		t.Errorf("alpha 1 gives %.12g, InfoNCE on the whole batch %.12g: the test's scores no longer tell the two apart", mi, whole)
	}
}

// TestInterpolatedCeiling checks that the estimate stays at or below
// 1 + log((n-1)/alpha) on an n x n batch, coming within 1e-6 of it for
// a critic that scores the positives 60 and the negatives -60.
func TestInterpolatedCeiling(t *testing.T) {
	const n = 8
	scores := make([]float64, n*n)
	for i := range scores {
		scores[i] = -60
		if i%(n+1) == 0 {
			scores[i] = 60
		}
	}
	for _, alpha := range []float64{0.01, 0.5} {
		_, mi := mustNew(t, "interpolated", Params{"alpha": alpha}).Reference(scores, Diagonal(n))
		ceiling := 1 + math.Log((n-1)/alpha)
		if mi > ceiling+1e-12 || mi < ceiling-1e-6 {
			t.Errorf("alpha %g: scores of 60 and -60 give %.9g, want just under 1 + log(%d/alpha) = %.9g", alpha, mi, n-1, ceiling)
		}
	}
}

// TestInterpolatedCeilingMethod checks Ceiling against the estimate on
// every test mask (several positives a row, ignored entries, a row of
// negatives only): a critic scoring positives 60 and negatives -60 comes
// within 1e-6 of it, and random scores stay under it; at alpha = 0, nwj's
// bound, there is none (+Inf).
func TestInterpolatedCeilingMethod(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for name, mask := range testMasks() {
		perfect := make([]float64, mask.Rows*mask.Cols)
		for i, role := range mask.Roles {
			perfect[i] = -60
			if role == Positive {
				perfect[i] = 60
			}
		}
		for _, alpha := range []float64{0.01, 0.5, 1} {
			e := mustNew(t, "interpolated", Params{"alpha": alpha}).(Interpolated)
			ceiling := e.Ceiling(mask)
			if _, mi := e.Reference(perfect, mask); mi > ceiling+1e-12 || mi < ceiling-1e-6 {
				t.Errorf("%s, alpha %g: scores of 60 and -60 give %.9g, want just under the ceiling %.9g", name, alpha, mi, ceiling)
			}
			for range 20 {
				if _, mi := e.Reference(randomScores(rng, len(perfect), 8), mask); mi > ceiling {
					t.Errorf("%s, alpha %g: random scores give %.9g, above the ceiling %.9g", name, alpha, mi, ceiling)
				}
			}
		}
	}
	if got := (Interpolated{Alpha: 0.5}).Ceiling(Diagonal(64)); math.Abs(got-(1+math.Log(126))) > 1e-12 {
		t.Errorf("ceiling of a batch of 64 at alpha 0.5 = %.12g, want 1 + log(63/0.5) = %.12g", got, 1+math.Log(126))
	}
	if got := (Interpolated{}).Ceiling(Diagonal(8)); !math.IsInf(got, 1) {
		t.Errorf("ceiling at alpha 0 = %g, want +Inf (nwj's bound has none)", got)
	}
}

// TestInterpolatedDominantNegative checks that a float32 graph stays finite
// where one negative outweighs the rest of its row by 100 nats, so that the
// leave-one-out sum without it cancels to nothing, and where the positive
// lies 100 nats below every negative.
func TestInterpolatedDominantNegative(t *testing.T) {
	const n = 4
	for _, alpha := range []float64{0.01, 1} {
		for _, c := range []struct {
			name string
			at   func(r, col int) float64
		}{
			{"a negative 100 nats above the row", func(r, col int) float64 { return 100 * indicator(r == 0 && col == 1) }},
			{"a positive 100 nats below the row", func(r, col int) float64 { return -100 * indicator(r == col) }},
		} {
			scores := make([]float64, n*n)
			for i := range scores {
				scores[i] = c.at(i/n, i%n)
			}
			got, err := runGraph(mustNew(t, "interpolated", Params{"alpha": alpha}), scores, Diagonal(n), tensor.Float32)
			if err != nil {
				t.Fatal(err)
			}
			bad := notFinite(got.loss, got.mi)
			for _, g := range got.grad {
				bad = bad || notFinite(g)
			}
			if bad {
				t.Errorf("alpha %g, %s: float32 graph gives loss %g, MI %g, gradient %v", alpha, c.name, got.loss, got.mi, got.grad)
			}
		}
	}
}

// TestInterpolatedFloat32Cancellation checks the float32 graph where one
// negative of a 4 x 4 batch lies gap nats above every other score, so that
// the leave-one-out sum without it loses digits (10 nats) or rounds the
// other negatives away (20 nats): within 1e-4 of Reference, gradient and
// all, at 10; at 20 above Reference by less than the 0.05 that the type's
// doc allows (0.034), and below the ceiling 1 + log(3/alpha).
func TestInterpolatedFloat32Cancellation(t *testing.T) {
	const n, alpha = 4, 0.5
	est := mustNew(t, "interpolated", Params{"alpha": alpha})
	for _, gap := range []float64{10, 20} {
		scores := make([]float64, n*n)
		scores[1] = gap
		_, want := est.Reference(scores, Diagonal(n))
		got, err := runGraph(est, scores, Diagonal(n), tensor.Float32)
		if err != nil {
			t.Fatal(err)
		}
		if gap == 10 {
			exact, err := runGraph(est, scores, Diagonal(n), tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.mi-want) > 1e-4 {
				t.Errorf("gap 10: float32 graph gives MI %.6g, Reference %.6g", got.mi, want)
			}
			for k, g := range got.grad {
				if math.Abs(g-exact.grad[k]) > 1e-4 {
					t.Errorf("gap 10: float32 d loss/d s[%d] = %.6g, float64 %.6g", k, g, exact.grad[k])
				}
			}
			continue
		}
		if d := got.mi - want; d < -1e-4 || d > 0.05 || got.mi > 1+math.Log((n-1)/alpha) {
			t.Errorf("gap %g: float32 graph gives MI %.6g, Reference %.6g: want at most 0.05 above it and below the ceiling", gap, got.mi, want)
		}
	}
}

// TestInterpolatedAlphaChecked checks that alpha outside [0, 1] is refused,
// naming the parameter.
func TestInterpolatedAlphaChecked(t *testing.T) {
	for _, alpha := range []float64{-0.1, 1.5} {
		_, err := New("interpolated", Params{"alpha": alpha})
		if pe, ok := err.(*ParamError); !ok || pe.Param != "alpha" {
			t.Errorf("alpha %g: New returned %v, want a ParamError on alpha", alpha, err)
		}
	}
}

// TestInterpolatedCeilingOfATinyAlpha: an alpha so small that n/alpha
// overflows (1e-310, which New takes) still has a finite ceiling,
// 1 + log n - log alpha, which scores of 800 and -800 come near; a +Inf
// would tell the gaussian task that it has none.
func TestInterpolatedCeilingOfATinyAlpha(t *testing.T) {
	e := mustNew(t, "interpolated", Params{"alpha": 1e-310}).(Interpolated)
	mask := Diagonal(4)
	want := 1 + math.Log(3) - math.Log(1e-310)
	got := e.Ceiling(mask)
	if math.Abs(got-want) > 1e-9 {
		t.Fatalf("ceiling at alpha 1e-310 = %g, want 1 + log 3 - log alpha = %.12g", got, want)
	}
	scores := make([]float64, 16)
	for i, role := range mask.Roles {
		scores[i] = -800
		if role == Positive {
			scores[i] = 800
		}
	}
	if _, mi := e.Reference(scores, mask); mi > got+1e-9 || mi < got-1e-6 {
		t.Errorf("scores of 800 and -800 give %.12g, want just under the ceiling %.12g", mi, got)
	}
}
