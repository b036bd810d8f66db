package probe

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// smallTrainer returns an MLP-probe trainer on a batch of 6 rows of 3
// features and 3 classes, with its batch, labels and dropout mask filled
// from a fixed source.
func smallTrainer(t *testing.T) *trainer {
	t.Helper()
	cfg := Config{Hidden: 4, Dropout: 0.5, Epochs: 1, BatchSize: 6, LR: 1e-3, Seed: 3}
	tr, err := newTrainer(3, 3, cfg, model{mlp: true}, nil, 6)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.close)
	rng := rand.New(rand.NewPCG(1, 1))
	xs := tr.x.Data().([]float32)
	for i := range xs {
		xs[i] = float32(2*rng.NormFloat64() + 1)
	}
	ys := tr.y.Data().([]float32)
	for k := 0; k < 6; k++ {
		ys[k*3+k%3] = 1
	}
	for i := range tr.mask.Data().([]float32) {
		tr.mask.Data().([]float32)[i] = float32(2 * rng.IntN(2)) // 0 or 1/(1-0.5)
	}
	// Move gamma and beta away from 1 and 0 so that their roles show.
	for i := range tr.gamma.Value().Data().([]float32) {
		tr.gamma.Value().Data().([]float32)[i] = float32(0.5 + rng.Float64())
		tr.beta.Value().Data().([]float32)[i] = float32(rng.Float64() - 0.5)
	}
	return tr
}

func runLoss(t *testing.T, tr *trainer) float64 {
	t.Helper()
	if err := tr.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	tr.vm.Reset()
	return float64(tr.loss.Data().(float32))
}

// referenceLoss computes the MLP probe's training loss in float64 straight
// from the definitions: Linear, batch normalization with the biased batch
// variance, dropout mask, ReLU, Linear, mean softmax cross-entropy.
func referenceLoss(tr *trainer) float64 {
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	x, y, mask := f64(tr.x.Data().([]float32)), f64(tr.y.Data().([]float32)), f64(tr.mask.Data().([]float32))
	w1, b1 := f64(tr.params[0].Value().Data().([]float32)), f64(tr.params[1].Value().Data().([]float32))
	gamma, beta := f64(tr.params[2].Value().Data().([]float32)), f64(tr.params[3].Value().Data().([]float32))
	w2, b2 := f64(tr.params[4].Value().Data().([]float32)), f64(tr.params[5].Value().Data().([]float32))
	n, d, h, c := tr.batch, tr.d, tr.hidden, tr.classes
	hid := make([]float64, n*h)
	for i := 0; i < n; i++ {
		for j := 0; j < h; j++ {
			s := b1[j]
			for k := 0; k < d; k++ {
				s += x[i*d+k] * w1[k*h+j]
			}
			hid[i*h+j] = s
		}
	}
	for j := 0; j < h; j++ {
		mean, v := 0.0, 0.0
		for i := 0; i < n; i++ {
			mean += hid[i*h+j] / float64(n)
		}
		for i := 0; i < n; i++ {
			v += (hid[i*h+j] - mean) * (hid[i*h+j] - mean) / float64(n)
		}
		for i := 0; i < n; i++ {
			z := gamma[j]*(hid[i*h+j]-mean)/math.Sqrt(v+bnEpsilon) + beta[j]
			hid[i*h+j] = math.Max(0, z*mask[i*h+j])
		}
	}
	loss := 0.0
	for i := 0; i < n; i++ {
		logits := make([]float64, c)
		lse := 0.0
		for o := 0; o < c; o++ {
			logits[o] = b2[o]
			for j := 0; j < h; j++ {
				logits[o] += hid[i*h+j] * w2[j*c+o]
			}
			lse += math.Exp(logits[o])
		}
		for o := 0; o < c; o++ {
			loss -= y[i*c+o] * (logits[o] - math.Log(lse)) / float64(n)
		}
	}
	return loss
}

func TestTrainingLossMatchesTheDefinition(t *testing.T) {
	tr := smallTrainer(t)
	got, want := runLoss(t, tr), referenceLoss(tr)
	if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Fatalf("training graph loss %v, reference %v", got, want)
	}
}

// TestGradientsMatchFiniteDifferences checks every parameter entry's
// gradient, batch normalization included, against central differences of
// the float64 reference loss.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	tr := smallTrainer(t)
	runLoss(t, tr)
	checkFiniteDifferences(t, tr, referenceLoss)
}

// checkFiniteDifferences checks the gradient of every parameter entry that
// the last run of tr's graph left against central differences of the
// float64 reference loss.
func checkFiniteDifferences(t *testing.T, tr *trainer, reference func(*trainer) float64) {
	t.Helper()
	for _, p := range tr.params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad := append([]float32(nil), gv.Data().([]float32)...)
		w := p.Value().Data().([]float32)
		for j := range w {
			orig := w[j]
			const h = 1e-3
			w[j] = orig + h
			up := reference(tr)
			w[j] = orig - h
			down := reference(tr)
			w[j] = orig
			// The step is rounded to float32; divide by the step taken.
			fd := (up - down) / (float64(orig+h) - float64(orig-h))
			if math.Abs(fd-float64(grad[j])) > 1e-3+1e-2*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name(), j, grad[j], fd)
			}
		}
	}
}

// TestInferenceFoldsBatchNormalization sets the running statistics to a
// batch's own statistics and checks the inference graph then reproduces
// the training graph's loss on that batch without dropout.
func TestInferenceFoldsBatchNormalization(t *testing.T) {
	tr := smallTrainer(t)
	for i := range tr.mask.Data().([]float32) {
		tr.mask.Data().([]float32)[i] = 1
	}
	want := runLoss(t, tr)
	mean := tr.batchMean.Data().([]float32)
	variance := tr.batchVar.Data().([]float32)
	for j := range tr.runMean {
		tr.runMean[j], tr.runVar[j] = float64(mean[j]), float64(variance[j])
	}
	f := &Features{X: append([]float32(nil), tr.x.Data().([]float32)...), N: tr.batch, D: tr.d}
	if _, err := tr.predict(f); err != nil {
		t.Fatal(err)
	}
	logits := tr.logits.Data().([]float32)
	ys := tr.y.Data().([]float32)
	got := 0.0
	for i := 0; i < tr.batch; i++ {
		row := logits[i*tr.classes : (i+1)*tr.classes]
		lse := 0.0
		for _, l := range row {
			lse += math.Exp(float64(l))
		}
		for o, l := range row {
			got -= float64(ys[i*tr.classes+o]) * (float64(l) - math.Log(lse)) / float64(tr.batch)
		}
	}
	if math.Abs(got-want) > 1e-4 {
		t.Fatalf("inference loss %v with the batch's statistics, training loss %v", got, want)
	}
}

// TestGradientsDoNotAccumulateAcrossSteps guards against gorgonia's
// accumulation of gradients across runs (into dual values, which no
// machine of the project binds): two identical runs separated by an
// update with zero learning rate must give identical gradients.
func TestGradientsDoNotAccumulateAcrossSteps(t *testing.T) {
	tr := smallTrainer(t)
	tr.opt.LR = 0
	runLoss(t, tr)
	first := append([]float32(nil), must(tr.params[0].Grad()).Data().([]float32)...)
	if err := tr.opt.Update(); err != nil {
		t.Fatal(err)
	}
	runLoss(t, tr)
	second := must(tr.params[0].Grad()).Data().([]float32)
	for j := range first {
		if first[j] != second[j] {
			t.Fatalf("gradient entry %d was %v on the first run and %v on the second", j, first[j], second[j])
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRunningStatisticsFollowPyTorch checks one update of the running
// averages against BatchNorm1d's rule with momentum 0.1, from their
// starting values 0 and 1: mean 0.1·m, variance 0.9 + 0.1·v·n/(n-1), the
// batch variance made unbiased.
func TestRunningStatisticsFollowPyTorch(t *testing.T) {
	tr := smallTrainer(t)
	runLoss(t, tr)
	mean := tr.batchMean.Data().([]float32)
	variance := tr.batchVar.Data().([]float32)
	tr.updateRunningStats()
	n := float64(tr.batch)
	for j := range tr.runMean {
		wantMean := 0.1 * float64(mean[j])
		wantVar := 0.9 + 0.1*float64(variance[j])*n/(n-1)
		if math.Abs(tr.runMean[j]-wantMean) > 1e-12 || math.Abs(tr.runVar[j]-wantVar) > 1e-12 {
			t.Errorf("unit %d: running mean %v and variance %v, want %v and %v", j, tr.runMean[j], tr.runVar[j], wantMean, wantVar)
		}
	}
}

// TestInferenceScaleAndShiftAreTheFoldedBatchNorm checks syncInference's
// fold of batch normalization, gamma/sqrt(var + 1e-5) and beta - mean·scale,
// on running statistics set by hand, one variance 0: the epsilon keeps a
// unit that never varied finite.
func TestInferenceScaleAndShiftAreTheFoldedBatchNorm(t *testing.T) {
	tr := smallTrainer(t)
	copy(tr.runMean, []float64{0.5, -2, 0, 3})
	copy(tr.runVar, []float64{0, 1e-4, 4, 0.25})
	tr.syncInference()
	gamma := tr.gamma.Value().Data().([]float32)
	beta := tr.beta.Value().Data().([]float32)
	scale, shift := tr.scale.Data().([]float32), tr.shift.Data().([]float32)
	for j := range scale {
		s := float64(gamma[j]) / math.Sqrt(tr.runVar[j]+1e-5)
		want := []float64{s, float64(beta[j]) - tr.runMean[j]*s}
		for k, got := range []float32{scale[j], shift[j]} {
			if math.Abs(float64(got)-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
				t.Errorf("unit %d: scale and shift %v, %v; want %v", j, scale[j], shift[j], want)
				break
			}
		}
	}
}

// fitTrainer trains a fresh trainer of the given kind on f for cfg and
// returns it with fit's result.
func fitTrainer(t *testing.T, f *Features, classes int, cfg Config, kind model) (*trainer, Result) {
	t.Helper()
	tr, err := newTrainer(f.D, classes, cfg, kind, nil, f.N)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.close)
	res, err := tr.fit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return tr, res
}

// TestFitDecaysTheLearningRateAndUsesThePapersAdam checks that fit sets
// Adam's rate to lrAt of each epoch (after 3 epochs with decays at 2 and
// 3, LR/100) and that Adam has cortex's betas, 0.5 and 0.999.
func TestFitDecaysTheLearningRateAndUsesThePapersAdam(t *testing.T) {
	f := blobs(rand.New(rand.NewPCG(23, 24)), 24, 3, 3)
	cfg := Config{Epochs: 3, BatchSize: 8, LR: 1e-2, DecayEpochs: []int{2, 3}, Seed: 1}
	tr, res := fitTrainer(t, f, 3, cfg, model{})
	if math.Abs(tr.opt.LR-1e-4) > 1e-18 || res.Steps != 9 || tr.opt.Step != 9 {
		t.Errorf("after 3 epochs of 3 steps: Adam's LR %v and steps %d (result %d); want 1e-4 and 9", tr.opt.LR, tr.opt.Step, res.Steps)
	}
	if tr.opt.Beta1 != 0.5 || tr.opt.Beta2 != 0.999 {
		t.Errorf("Adam's betas %v and %v, want cortex's 0.5 and 0.999", tr.opt.Beta1, tr.opt.Beta2)
	}
}

// TestFinalLossIsTheLastEpochsMeanBatchLoss checks FinalLoss in closed
// form: on all-zero features the linear probe's logits are its bias b, so
// with a learning rate too small to move b every row's cross-entropy is
// logsumexp(b) - b[label], and over an epoch of balanced labels the mean is
// logsumexp(b) - mean(b).
func TestFinalLossIsTheLastEpochsMeanBatchLoss(t *testing.T) {
	f := &Features{X: make([]float32, 12*2), N: 12, D: 2, Labels: make([]int, 12)}
	for i := range f.Labels {
		f.Labels[i] = i % 3
	}
	cfg := Config{Epochs: 2, BatchSize: 4, LR: 1e-20, Seed: 2}
	tr, res := fitTrainer(t, f, 3, cfg, model{})
	b := tr.trainedParams[1].Value().Data().([]float32)
	lse, mean := 0.0, 0.0
	for _, v := range b {
		lse += math.Exp(float64(v))
		mean += float64(v) / 3
	}
	if want := math.Log(lse) - mean; math.Abs(res.FinalLoss-want) > 1e-6 {
		t.Errorf("FinalLoss %v, want the mean cross-entropy %v", res.FinalLoss, want)
	}
}

// TestDropoutMaskDropsAndRescales checks the last step's dropout mask
// with dropout 0.25: every entry is 0 or 1/0.75, about a quarter of the
// 40 x 50 entries 0.
func TestDropoutMaskDropsAndRescales(t *testing.T) {
	f := blobs(rand.New(rand.NewPCG(25, 26)), 40, 3, 3)
	cfg := Config{Hidden: 50, Dropout: 0.25, Epochs: 1, BatchSize: 40, LR: 1e-3, Seed: 3}
	tr, _ := fitTrainer(t, f, 3, cfg, model{mlp: true})
	zeros := 0
	for _, m := range tr.mask.Data().([]float32) {
		switch m {
		case 0:
			zeros++
		case float32(1 / 0.75):
		default:
			t.Fatalf("mask entry %v, want 0 or %v", m, float32(1/0.75))
		}
	}
	if frac := float64(zeros) / 2000; frac < 0.2 || frac > 0.3 {
		t.Errorf("%.3f of the mask is 0, want about 0.25", frac)
	}
}
