package dim

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
	"github.com/infomax/infomax/experiments/train/evals"
	"github.com/infomax/infomax/experiments/train/probe"
)

// quadrants returns n points uniform in [-1, 1]^2 away from the axes and
// their labels: 1 where the two coordinates share a sign when xor is set
// (a rule only the MLP probe can learn), else 1 where x is positive (a
// linear rule); flip swaps the two labels.
func quadrants(rng *rand.Rand, n int, xor, flip bool) *probe.Features {
	f := &probe.Features{X: make([]float32, 2*n), N: n, D: 2, Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		a, b := float32(0.2+0.8*rng.Float64()), float32(0.2+0.8*rng.Float64())
		if rng.IntN(2) == 0 {
			a = -a
		}
		if rng.IntN(2) == 0 {
			b = -b
		}
		f.X[2*i], f.X[2*i+1] = a, b
		same := a > 0
		if xor {
			same = (a > 0) == (b > 0)
		}
		if same != flip {
			f.Labels[i] = 1
		}
	}
	return f
}

// TestRunProbesReportsEachProbesTestAccuracy checks what runProbes writes
// under each name: on XOR features the MLP probe's accuracy must be high
// and the linear probe's about chance, and where the test labels are the
// training rule flipped both must be about 0, the accuracy on the test
// rows and not on the training rows.
func TestRunProbesReportsEachProbesTestAccuracy(t *testing.T) {
	c := DefaultConfig()
	c.ProbeEpochs, c.ProbeLR, c.ProbeBatchSize, c.ProbeHidden = 30, 3e-3, 32, 32
	rng := rand.New(rand.NewPCG(1, 2))
	summary := results.Values{}
	ctx := context.Background()
	if err := runProbes(ctx, c, "xor", quadrants(rng, 600, true, false), quadrants(rng, 300, true, false), 2, 1, summary); err != nil {
		t.Fatal(err)
	}
	if err := runProbes(ctx, c, "flip", quadrants(rng, 600, false, false), quadrants(rng, 300, false, true), 2, 1, summary); err != nil {
		t.Fatal(err)
	}
	t.Logf("summary %v", summary)
	if summary["mlp_xor_acc"] < 0.9 || summary["linear_xor_acc"] > 0.75 {
		t.Errorf("on XOR: mlp_xor_acc %.3f (want > 0.9), linear_xor_acc %.3f (want about chance)", summary["mlp_xor_acc"], summary["linear_xor_acc"])
	}
	if summary["mlp_flip_acc"] > 0.1 || summary["linear_flip_acc"] > 0.1 {
		t.Errorf("with flipped test labels: mlp_flip_acc %.3f, linear_flip_acc %.3f; want both about 0", summary["mlp_flip_acc"], summary["linear_flip_acc"])
	}
}

// TestPickTakesTheNamedFeatures checks that pick returns each kind of
// extracted features with its own width, and the labels.
func TestPickTakesTheNamedFeatures(t *testing.T) {
	f := &architectures.Features{N: 1, ConvDim: 3, FCDim: 2, YDim: 1,
		Conv: []float32{1, 2, 3}, FC: []float32{4, 5}, Y: []float32{6}}
	labels := []int{7}
	for name, want := range map[string][]float32{"conv": f.Conv, "fc": f.FC, "y": f.Y} {
		got := pick(f, name, labels)
		if got.N != 1 || got.D != len(want) || &got.X[0] != &want[0] || &got.Labels[0] != &labels[0] {
			t.Errorf("pick(%q) = %+v, want the %d %s features", name, got, len(want), name)
		}
	}
}

// TestProbesTrainOnTheTrainingSplit runs the pixel and the random
// baselines with 20 test images, fewer than a probe batch of 32: the
// probes train on the 96 training images and only score the test ones,
// so the runs must succeed, where probes trained on the test split would
// find no full batch.
func TestProbesTrainOnTheTrainingSplit(t *testing.T) {
	for _, preset := range []string{"pixels", "random"} {
		c := tinyConfig()
		c.Preset, c.TrainSubset, c.TestSubset, c.ProbeFeatures = preset, 96, 20, []string{"y"}
		c.ProbeEpochs, c.ProbeHidden = 1, 8
		sum, _ := runTiny(t, c, 1)
		if len(sum) == 0 {
			t.Errorf("%s: empty summary", preset)
		}
	}
}

// TestEachEpochHasItsOwnShuffle trains 2 epochs of 2 batches and checks
// the batch left in the model's input: the second batch of the shuffle
// seeded with shuffleSeed + 1, the second epoch's, which a resumed run
// recomputes from the epoch's number alone.
func TestEachEpochHasItsOwnShuffle(t *testing.T) {
	c := tinyConfig()
	c.TrainSubset, c.Epochs = 32, 2
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	train, _, err := loadData(c, 6)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(c, train.C, train.H, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	run, _ := taskstest.NewRun(6, nil)
	tr := newTrainer(c, m, train, run)
	if err := tr.trainModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, second := train.Shuffle(tr.shuffleSeed), train.Shuffle(tr.shuffleSeed+1)
	if slices.Equal(first, second) {
		t.Fatal("the two epochs' shuffles are the same order")
	}
	want := train.Batch(second[16:32], nil)
	if !slices.Equal(m.Input[:len(want)], want) {
		t.Error("the last batch trained on is not the second batch of the second epoch's shuffle")
	}
}

// TestRunSVMReportsTheTestAccuracy trains the SVM on a linear rule and
// scores it on test rows whose labels are the rule flipped: svm_<f>_acc
// must be about 0, the test accuracy, though the held-out training rows
// that chose the penalty score about 1.
func TestRunSVMReportsTheTestAccuracy(t *testing.T) {
	c := DefaultConfig()
	c.ProbeEpochs, c.ProbeLR, c.ProbeBatchSize = 30, 1e-2, 32
	rng := rand.New(rand.NewPCG(3, 4))
	summary := results.Values{}
	if err := runSVM(context.Background(), c, "flip", quadrants(rng, 400, false, false), quadrants(rng, 200, false, true), 2, 1, summary); err != nil {
		t.Fatal(err)
	}
	if got := summary["svm_flip_acc"]; got > 0.1 {
		t.Errorf("svm_flip_acc %.3f with flipped test labels, want about 0", got)
	}
}

// TestRunNDMReportsEachCodeAtItsOwnRate checks runNDM against evals.NDM
// called directly at ndm_lr, which differs from eval_lr here: ndm must be
// the NDM of the codes and ndm_sigmoid that of their sigmoid, both at
// ndm_lr.
func TestRunNDMReportsEachCodeAtItsOwnRate(t *testing.T) {
	c := DefaultConfig()
	c.NDMLR = 3e-3
	rng := rand.New(rand.NewPCG(5, 6))
	codes := func(n int) evals.Matrix {
		m := evals.Matrix{X: make([]float32, 2*n), N: n, D: 2}
		for i := 0; i < n; i++ {
			a := rng.NormFloat64()
			m.X[2*i], m.X[2*i+1] = float32(3*a), float32(a+0.5*rng.NormFloat64())
		}
		return m
	}
	train, test := codes(400), codes(200)
	cfg := evals.Config{Epochs: 2, BatchSize: 32, LR: 1e-4, Hidden: 16, Validation: 0.2, Seed: 9}
	summary := results.Values{}
	if err := runNDM(context.Background(), c, train, test, cfg, summary); err != nil {
		t.Fatal(err)
	}
	at := evals.NDMConfig{Config: cfg, Estimator: c.NDMEstimator}
	at.LR = 3e-3
	plain, err1 := evals.NDM(context.Background(), train, test, at)
	squashed, err2 := evals.NDM(context.Background(), train.Sigmoid(), test.Sigmoid(), at)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if summary["ndm"] != plain.Test || summary["ndm_sigmoid"] != squashed.Test || plain.Test == squashed.Test {
		t.Errorf("ndm %v and ndm_sigmoid %v, want %v and %v (NDM at ndm_lr of the codes and of their sigmoid)",
			summary["ndm"], summary["ndm_sigmoid"], plain.Test, squashed.Test)
	}
}

// TestEvaluateReportsMIXYOnTheScoredSplit runs the mi_xy evaluation on
// training images of 2 pixels whose codes are their pixels with noise
// (correlation 0.9 a pixel, 1.66 nats) and scored images whose codes are
// independent of them: mi_xy must be the estimate on the scored pairs,
// about 0 or below, not the held-out training pairs' large one.
func TestEvaluateReportsMIXYOnTheScoredSplit(t *testing.T) {
	c := DefaultConfig()
	c.Evaluations, c.EvalEpochs = []string{EvalMIXY}, 4
	rng := rand.New(rand.NewPCG(7, 8))
	pairs := func(n int, rho float64) (*data.Set, *architectures.Features) {
		set := &data.Set{N: n, C: 1, H: 2, W: 1, Classes: 2, Images: make([]float32, 2*n), Labels: make([]int, n)}
		f := &architectures.Features{N: n, YDim: 2, Y: make([]float32, 2*n)}
		for k := range set.Images {
			a := rng.NormFloat64()
			set.Images[k], f.Y[k] = float32(a), float32(rho*a+math.Sqrt(1-rho*rho)*rng.NormFloat64())
		}
		return set, f
	}
	train, trainF := pairs(2000, 0.9)
	test, testF := pairs(500, 0)
	summary := results.Values{}
	if err := evaluate(context.Background(), c, trainF, testF, train, test, 1, summary); err != nil {
		t.Fatal(err)
	}
	if got, ok := summary["mi_xy"]; !ok || got > 0.3 {
		t.Errorf("mi_xy = %v (present %v) on independent scored pairs, want about 0 or below", got, ok)
	}
}
