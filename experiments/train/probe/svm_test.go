package probe

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// svmTrainer returns an SVM trainer on a batch of 6 rows of 4 features
// and 3 classes with penalty 0.3, its batch, labels and weights filled from
// a fixed source.
func svmTrainer(t *testing.T) *trainer {
	t.Helper()
	cfg := Config{Hidden: 1, Epochs: 1, BatchSize: 6, LR: 1e-3, Seed: 5}
	tr, err := newTrainer(4, 3, cfg, model{hinge: true, decay: 0.3}, nil, 6)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.close)
	rng := rand.New(rand.NewPCG(9, 9))
	for i, xs := 0, tr.x.Data().([]float32); i < len(xs); i++ {
		xs[i] = float32(rng.NormFloat64())
	}
	ys := tr.y.Data().([]float32)
	for k := 0; k < 6; k++ {
		ys[k*3+(k*2)%3] = 1
	}
	for _, p := range tr.params {
		for i, w := 0, p.Value().Data().([]float32); i < len(w); i++ {
			w[i] = float32(rng.NormFloat64())
		}
	}
	return tr
}

// referenceHinge computes the SVM's loss in float64 from its definition:
// mean over rows of max(0, 1 + max_{j != y} s_j - s_y), plus decay/2 |W|^2.
func referenceHinge(tr *trainer) float64 {
	x, y := tr.x.Data().([]float32), tr.y.Data().([]float32)
	w, b := tr.params[0].Value().Data().([]float32), tr.params[1].Value().Data().([]float32)
	n, d, c := tr.batch, tr.d, tr.classes
	loss := 0.0
	for i := 0; i < n; i++ {
		s := make([]float64, c)
		label := 0
		for o := 0; o < c; o++ {
			s[o] = float64(b[o])
			for k := 0; k < d; k++ {
				s[o] += float64(x[i*d+k]) * float64(w[k*c+o])
			}
			if y[i*c+o] == 1 {
				label = o
			}
		}
		worst := math.Inf(-1)
		for o := 0; o < c; o++ {
			if o != label {
				worst = math.Max(worst, s[o])
			}
		}
		loss += math.Max(0, 1+worst-s[label]) / float64(n)
	}
	for _, v := range w {
		loss += tr.decay / 2 * float64(v) * float64(v)
	}
	return loss
}

// TestSVMLossAndGradientMatchTheDefinition checks the SVM's graph loss
// against the float64 definition, and every weight's and bias's gradient
// against central differences of it.
func TestSVMLossAndGradientMatchTheDefinition(t *testing.T) {
	tr := svmTrainer(t)
	got, want := runLoss(t, tr), referenceHinge(tr)
	if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Fatalf("SVM graph loss %v, reference %v", got, want)
	}
	checkFiniteDifferences(t, tr, referenceHinge)
}

// TestSVMSeparatesBlobsAndChoosesOnValidation trains the SVM on separable
// blobs: it must classify the test rows, and among a sensible penalty and
// one so large that it shrinks the weights to nothing it must choose the
// sensible one, by the held-out training rows.
func TestSVMSeparatesBlobsAndChoosesOnValidation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	train, test := blobs(rng, 600, 10, 3), blobs(rng, 300, 10, 3)
	cfg := SVMConfig{Config: quickConfig(), Penalties: []float64{1e3, 1e-4}, Validation: 0.2}
	res, err := TrainSVM(context.Background(), train, test, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SVM: penalty %g, validation %.3f, test %.3f", res.Penalty, res.ValidationAccuracy, res.TestAccuracy)
	if res.Penalty != 1e-4 {
		t.Errorf("chose penalty %g, want 1e-4 (1e3 crushes the weights)", res.Penalty)
	}
	if res.TestAccuracy <= 0.95 || res.ValidationAccuracy <= 0.95 {
		t.Errorf("test accuracy %.3f, validation %.3f; want both > 0.95", res.TestAccuracy, res.ValidationAccuracy)
	}
	if want := 10 * (480 / 32); res.Steps != want {
		t.Errorf("%d steps, want %d: the SVM fits on the 480 rows not held out", res.Steps, want)
	}
}

// TestSVMRejectsBadSettings checks the SVM's own settings are refused
// with a message naming them.
func TestSVMRejectsBadSettings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	train, test := blobs(rng, 100, 4, 2), blobs(rng, 50, 4, 2)
	for _, tc := range []struct {
		cfg  SVMConfig
		want string
	}{
		{SVMConfig{Config: quickConfig(), Validation: 0.1}, "Penalties is empty"},
		{SVMConfig{Config: quickConfig(), Penalties: []float64{-1}, Validation: 0.1}, "penalty -1"},
		{SVMConfig{Config: quickConfig(), Penalties: []float64{0, math.Inf(1)}, Validation: 0.1}, "penalty +Inf must be finite"},
		{SVMConfig{Config: quickConfig(), Penalties: []float64{0}, Validation: 0.004}, "0 to validate"},
		{SVMConfig{Config: quickConfig(), Penalties: []float64{0}, Validation: 1}, "Validation = 1"},
		{SVMConfig{Config: quickConfig(), Penalties: []float64{0}, Validation: 0.9}, "too few"},
	} {
		_, err := TrainSVM(context.Background(), train, test, 2, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TrainSVM(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
}

// separable returns n rows of d features in classes tight clusters: class
// c's rows are 6 on axis c plus noise of standard deviation 0.1, so any
// sensible linear classifier gets every row right.
func separable(rng *rand.Rand, n, d, classes int) *Features {
	f := blobs(rng, n, d, classes)
	for i := range f.X {
		f.X[i] *= 0.1
	}
	for i := 0; i < n; i++ {
		f.Row(i)[f.Labels[i]%d] += 6 - 0.6
	}
	return f
}

// TestHoldOutSplitsTheRowsInTwo checks holdOut's split: round(frac·N)
// rows validate, the rest fit, and together they are the rows of f, each
// once, labels kept.
func TestHoldOutSplitsTheRowsInTwo(t *testing.T) {
	f := blobs(rand.New(rand.NewPCG(27, 28)), 10, 2, 3)
	fit, val := holdOut(f, 0.25, 4)
	if val.N != 3 || fit.N != 7 { // round(2.5) = 3
		t.Fatalf("holdOut(10 rows, 0.25) gave %d to fit and %d to validate, want 7 and 3", fit.N, val.N)
	}
	seen := map[float32]int{}
	for _, part := range []*Features{fit, val} {
		for i := 0; i < part.N; i++ {
			seen[part.Row(i)[0]]++
			for j := 0; j < f.N; j++ {
				if f.Row(j)[0] == part.Row(i)[0] && (f.Labels[j] != part.Labels[i] || f.Row(j)[1] != part.Row(i)[1]) {
					t.Errorf("row %d of the split is not row %d of f with its label", i, j)
				}
			}
		}
	}
	for i := 0; i < f.N; i++ {
		if seen[f.Row(i)[0]] != 1 {
			t.Errorf("row %d appears %d times in the split, want once", i, seen[f.Row(i)[0]])
		}
	}
}

// TestSVMIsChosenOnTheHeldOutRows mislabels exactly the held-out rows: the
// SVM fitted on the others must score 0 on them, and still report its
// penalty and test predictions. An SVM judged on the rows it was fitted
// on would score about 1.
func TestSVMIsChosenOnTheHeldOutRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	train, test := separable(rng, 300, 5, 3), separable(rng, 90, 5, 3)
	cfg := SVMConfig{Config: quickConfig(), Penalties: []float64{1e-4}, Validation: 0.2}
	_, val := holdOut(train, cfg.Validation, cfg.Seed)
	held := map[float32]bool{}
	for i := 0; i < val.N; i++ {
		held[val.Row(i)[0]] = true
	}
	for i := 0; i < train.N; i++ {
		if held[train.Row(i)[0]] {
			train.Labels[i] = (train.Labels[i] + 1) % 3
		}
	}
	res, err := TrainSVM(context.Background(), train, test, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ValidationAccuracy != 0 || res.Penalty != 1e-4 || len(res.Predictions) != test.N || res.TestAccuracy != 1 {
		t.Errorf("penalty %g, validation accuracy %v, test accuracy %v, %d predictions; want 1e-4, 0 on the mislabeled held-out rows, 1 and %d",
			res.Penalty, res.ValidationAccuracy, res.TestAccuracy, len(res.Predictions), test.N)
	}
}

// TestSVMTiesGoToTheFirstPenalty checks TrainSVM's tie rule: on clusters
// that both small penalties classify perfectly, the first is kept.
func TestSVMTiesGoToTheFirstPenalty(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	train, test := separable(rng, 300, 5, 3), separable(rng, 90, 5, 3)
	cfg := SVMConfig{Config: quickConfig(), Penalties: []float64{1e-4, 1e-5}, Validation: 0.2}
	res, err := TrainSVM(context.Background(), train, test, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ValidationAccuracy != 1 || res.Penalty != 1e-4 {
		t.Errorf("validation accuracy %v with penalty %g; want 1 with the first penalty, 1e-4", res.ValidationAccuracy, res.Penalty)
	}
}
