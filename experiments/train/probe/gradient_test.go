package probe

import (
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
