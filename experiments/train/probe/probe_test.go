package probe

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// blobs returns n examples of d-dimensional Gaussian blobs, one per class,
// whose centres are 6 standard deviations apart along separate axes, so a
// linear classifier separates them almost perfectly.
func blobs(rng *rand.Rand, n, d, classes int) *Features {
	f := &Features{X: make([]float32, n*d), N: n, D: d, Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		c := i % classes
		f.Labels[i] = c
		row := f.Row(i)
		for j := range row {
			row[j] = float32(rng.NormFloat64())
		}
		row[c%d] += 6
	}
	return f
}

// xor returns n points uniform in [-1, 1]^2 away from the axes, labelled by
// whether their coordinates have the same sign: no line separates the
// classes better than about 50% on balanced data (at best 2/3 of the four
// quadrants), while a one-hidden-layer network separates them perfectly.
func xor(rng *rand.Rand, n int) *Features {
	f := &Features{X: make([]float32, n*2), N: n, D: 2, Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		a := float32(0.1 + 0.9*rng.Float64())
		b := float32(0.1 + 0.9*rng.Float64())
		if rng.IntN(2) == 0 {
			a = -a
		}
		if rng.IntN(2) == 0 {
			b = -b
		}
		f.X[2*i], f.X[2*i+1] = a, b
		if (a > 0) == (b > 0) {
			f.Labels[i] = 1
		}
	}
	return f
}

func quickConfig() Config {
	return Config{Hidden: 64, Dropout: 0.1, Epochs: 10, BatchSize: 32, LR: 3e-3, Seed: 7}
}

// probeFunc is TrainMLP or TrainLinear.
type probeFunc = func(context.Context, *Features, *Features, int, Config) (Result, error)

// probes are both probes, by name.
var probes = map[string]probeFunc{"mlp": TrainMLP, "linear": TrainLinear}

// mustTrain trains the named probe on train, scored on test, and fails the
// test on an error.
func mustTrain(t *testing.T, name string, probe probeFunc, train, test *Features, classes int, cfg Config) Result {
	t.Helper()
	res, err := probe(context.Background(), train, test, classes, cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func TestBothProbesSeparateGaussianBlobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	train, test := blobs(rng, 600, 10, 3), blobs(rng, 300, 10, 3)
	for name, probe := range probes {
		res := mustTrain(t, name, probe, train, test, 3, quickConfig())
		t.Logf("%s: test accuracy %.3f, train %.3f, final loss %.4f", name, res.TestAccuracy, res.TrainAccuracy, res.FinalLoss)
		if res.TestAccuracy <= 0.95 || res.TrainAccuracy <= 0.95 {
			t.Errorf("%s: test accuracy %.3f, train %.3f; want both > 0.95", name, res.TestAccuracy, res.TrainAccuracy)
		}
		if res.Epochs != 10 || res.Steps != 10*(600/32) {
			t.Errorf("%s: %d epochs and %d steps, want 10 and %d (last partial batch dropped)", name, res.Epochs, res.Steps, 10*(600/32))
		}
		if len(res.Predictions) != test.N {
			t.Errorf("%s: %d predictions for %d test rows", name, len(res.Predictions), test.N)
		}
	}
}

func TestOnlyTheMLPProbeSolvesXOR(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	train, test := xor(rng, 1000), xor(rng, 500)
	cfg := quickConfig()
	cfg.Epochs = 20
	lin := mustTrain(t, "linear", TrainLinear, train, test, 2, cfg)
	mlp := mustTrain(t, "mlp", TrainMLP, train, test, 2, cfg)
	t.Logf("XOR test accuracy: linear %.3f, MLP %.3f", lin.TestAccuracy, mlp.TestAccuracy)
	if lin.TestAccuracy >= 0.7 {
		t.Errorf("linear probe reached %.3f on XOR; a linear classifier cannot exceed about 0.67", lin.TestAccuracy)
	}
	if mlp.TestAccuracy <= 0.9 {
		t.Errorf("MLP probe reached only %.3f on XOR, want > 0.9", mlp.TestAccuracy)
	}
}

// TestTheTestSplitIsWhatIsScored gives the test rows labels shifted by one
// class: a probe that learned the training labels must then score about 0
// on the test split while scoring about 1 on the training split. A probe
// scored on (a split of) the training set would score about 1.
func TestTheTestSplitIsWhatIsScored(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	train, test := blobs(rng, 600, 10, 3), blobs(rng, 300, 10, 3)
	for i := range test.Labels {
		test.Labels[i] = (test.Labels[i] + 1) % 3
	}
	for name, probe := range probes {
		res := mustTrain(t, name, probe, train, test, 3, quickConfig())
		t.Logf("%s with shifted test labels: train accuracy %.3f, test %.3f", name, res.TrainAccuracy, res.TestAccuracy)
		if res.TrainAccuracy <= 0.95 || res.TestAccuracy >= 0.05 {
			t.Errorf("%s: train accuracy %.3f (want > 0.95), test %.3f (want < 0.05 with shifted test labels)", name, res.TrainAccuracy, res.TestAccuracy)
		}
		if got := accuracy(res.Predictions, test.Labels); got != res.TestAccuracy {
			t.Errorf("%s: TestAccuracy %.4f is not the accuracy of the returned test predictions (%.4f)", name, res.TestAccuracy, got)
		}
	}
}

func TestSameSeedSameResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// Overlapping blobs, so that predictions depend on the details.
	train, test := blobs(rng, 300, 10, 3), blobs(rng, 200, 10, 3)
	for i := range train.X {
		train.X[i] *= 3
	}
	for i := range test.X {
		test.X[i] *= 3
	}
	cfg := quickConfig()
	cfg.Epochs = 3
	for name, probe := range probes {
		a := mustTrain(t, name, probe, train, test, 3, cfg)
		b := mustTrain(t, name, probe, train, test, 3, cfg)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with seed %d differ: %+v vs %+v", name, cfg.Seed, a, b)
		}
		other := cfg
		other.Seed++
		c := mustTrain(t, name, probe, train, test, 3, other)
		if c.FinalLoss == a.FinalLoss {
			t.Errorf("%s: seeds %d and %d gave the same final loss %v; the seed is not used", name, cfg.Seed, other.Seed, a.FinalLoss)
		}
	}
}

// unscaledBlobs returns training and test blobs shifted and scaled far
// from unit range.
func unscaledBlobs(rng *rand.Rand) (train, test *Features) {
	train, test = blobs(rng, 600, 10, 3), blobs(rng, 300, 10, 3)
	for _, f := range []*Features{train, test} {
		for i := range f.X {
			f.X[i] = f.X[i]*200 + 1000
		}
	}
	return train, test
}

// TestMLPProbeHandlesUnscaledFeatures shifts and scales the features far
// from unit range: batch normalization in training, and its running
// statistics in evaluation, must absorb that without standardization.
func TestMLPProbeHandlesUnscaledFeatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	train, test := unscaledBlobs(rng)
	res := mustTrain(t, "mlp", TrainMLP, train, test, 3, quickConfig())
	if res.TestAccuracy <= 0.95 {
		t.Errorf("MLP probe on shifted and scaled blobs: test accuracy %.3f, want > 0.95", res.TestAccuracy)
	}
}

func TestStandardizeRescuesTheLinearProbe(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	train, test := unscaledBlobs(rng)
	cfg := quickConfig()
	cfg.Standardize = true
	res := mustTrain(t, "linear", TrainLinear, train, test, 3, cfg)
	if res.TestAccuracy <= 0.95 {
		t.Errorf("standardized linear probe on shifted and scaled blobs: test accuracy %.3f, want > 0.95", res.TestAccuracy)
	}
}

func TestStandardizerMapsTrainingColumnsToZeroMeanUnitVariance(t *testing.T) {
	f := &Features{X: []float32{1, 5, 10, 3, 5, 30, 5, 5, 20}, N: 3, D: 3, Labels: []int{0, 1, 0}}
	s := newStandardizer(f)
	got := make([]float32, 3)
	var mean, sq [3]float64
	for i := 0; i < 3; i++ {
		s.copyRow(got, f.Row(i))
		for j, v := range got {
			mean[j] += float64(v) / 3
			sq[j] += float64(v) * float64(v) / 3
		}
	}
	for j := range mean {
		wantSq := 1.0
		if j == 1 { // the constant column maps to 0
			wantSq = 0
		}
		if math.Abs(mean[j]) > 1e-6 || math.Abs(sq[j]-wantSq) > 1e-5 {
			t.Errorf("column %d: mean %v and mean square %v after standardizing, want 0 and %v", j, mean[j], sq[j], wantSq)
		}
	}
}

func TestDivergenceIsReported(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	train, test := blobs(rng, 200, 10, 3), blobs(rng, 50, 10, 3)
	for i := range train.X {
		train.X[i] *= 3e37 // finite, but the logits overflow float32
	}
	cfg := quickConfig()
	_, err := TrainLinear(context.Background(), train, test, 3, cfg)
	var div *DivergedError
	if !errors.As(err, &div) || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("got error %v, want a *DivergedError", err)
	}
}

func TestCancelledContextStopsTraining(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	train, test := blobs(rng, 200, 10, 3), blobs(rng, 50, 10, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainMLP(ctx, train, test, 3, quickConfig()); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestInvalidInputsAreRejected(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	good := func() (*Features, *Features) { return blobs(rng, 100, 4, 3), blobs(rng, 20, 4, 3) }
	cases := []struct {
		name   string
		change func(train, test *Features, classes *int, cfg *Config)
		want   string
	}{
		{"nil test", func(tr, te *Features, _ *int, _ *Config) { *te = Features{} }, "test features are empty"},
		{"empty train", func(tr, _ *Features, _ *int, _ *Config) { tr.N, tr.X, tr.Labels = 0, nil, nil }, "train features are empty"},
		{"short X", func(tr, _ *Features, _ *int, _ *Config) { tr.X = tr.X[:len(tr.X)-1] }, "len(X)"},
		{"missing labels", func(tr, _ *Features, _ *int, _ *Config) { tr.Labels = tr.Labels[:10] }, "10 labels for 100 rows"},
		{"label too large", func(_, te *Features, _ *int, _ *Config) { te.Labels[3] = 3 }, "label 3 of row 3"},
		{"negative label", func(tr, _ *Features, _ *int, _ *Config) { tr.Labels[0] = -1 }, "label -1 of row 0"},
		{"NaN feature", func(tr, _ *Features, _ *int, _ *Config) { tr.X[9] = float32(math.NaN()) }, "row 2 column 1 is NaN"},
		{"width mismatch", func(_, te *Features, _ *int, _ *Config) { te.D, te.N = 2, 40; te.Labels = make([]int, 40) }, "4 columns but test features 2"},
		{"one class", func(_, _ *Features, c *int, _ *Config) { *c = 1 }, "at least 2"},
		{"zero hidden", func(_, _ *Features, _ *int, c *Config) { c.Hidden = 0 }, "Hidden = 0"},
		{"dropout 1", func(_, _ *Features, _ *int, c *Config) { c.Dropout = 1 }, "Dropout = 1"},
		{"no epochs", func(_, _ *Features, _ *int, c *Config) { c.Epochs = 0 }, "Epochs = 0"},
		{"zero LR", func(_, _ *Features, _ *int, c *Config) { c.LR = 0 }, "LR = 0"},
		{"NaN LR", func(_, _ *Features, _ *int, c *Config) { c.LR = math.NaN() }, "LR = NaN"},
		{"decay order", func(_, _ *Features, _ *int, c *Config) { c.DecayEpochs = []int{5, 5} }, "DecayEpochs"},
		{"batch too big", func(_, _ *Features, _ *int, c *Config) { c.BatchSize = 101 }, "BatchSize = 101 exceeds the 100 training rows"},
		{"batch of one for BN", func(_, _ *Features, _ *int, c *Config) { c.BatchSize = 1 }, "batch normalization needs at least 2"},
		{"NaN dropout", func(_, _ *Features, _ *int, c *Config) { c.Dropout = math.NaN() }, "Dropout = NaN"},
		{"zero batch", func(_, _ *Features, _ *int, c *Config) { c.BatchSize = 0 }, "BatchSize = 0 must be positive"},
		{"infinite LR", func(_, _ *Features, _ *int, c *Config) { c.LR = math.Inf(1) }, "LR = +Inf"},
	}
	for _, tc := range cases {
		train, test := good()
		classes, cfg := 3, quickConfig()
		tc.change(train, test, &classes, &cfg)
		_, err := TrainMLP(context.Background(), train, test, classes, cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := TrainMLP(context.Background(), nil, blobs(rng, 5, 4, 3), 3, quickConfig()); err == nil || !strings.Contains(err.Error(), "train features are missing") {
		t.Errorf("nil train features: got %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig is invalid: %v", err)
	}
}

func TestLearningRateDecaysAtTheMilestones(t *testing.T) {
	cfg := Config{LR: 1, DecayEpochs: []int{3, 5}}
	want := []float64{1, 1, 0.1, 0.1, 0.01, 0.01}
	for e, w := range want {
		if got := cfg.lrAt(e + 1); math.Abs(got-w) > 1e-12 {
			t.Errorf("epoch %d: lr %v, want %v", e+1, got, w)
		}
	}
}

// TestFirstNonFiniteFindsTheFirst checks firstNonFinite on every length up
// to 20 with a NaN, +Inf or -Inf at each place (and a second one after
// it), and that the largest finite values, subnormals and zeros of either
// sign pass.
func TestFirstNonFiniteFindsTheFirst(t *testing.T) {
	finite := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45, 1, -3.5}
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001)}
	for n := 0; n <= 20; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = finite[i%len(finite)]
		}
		if got := firstNonFinite(x); got != -1 {
			t.Fatalf("n = %d, all finite: %d, want -1", n, got)
		}
		for at := 0; at < n; at++ {
			for _, b := range bad {
				y := append([]float32(nil), x...)
				y[at] = b
				if at+3 < n {
					y[at+3] = b
				}
				if got := firstNonFinite(y); got != at {
					t.Fatalf("n = %d, %v at %d: %d, want %d", n, b, at, got, at)
				}
			}
		}
	}
}

// TestDecayEpochsArePyTorchMilestonesPlusOne checks that DefaultConfig,
// the official classifier's settings, follows PyTorch's MultiStepLR with
// milestones [50, 100] stepped after each epoch, lr = LR·0.1^(milestones ≤
// e) at the 0-based epoch e: DecayEpochs [51, 101], since its epochs count
// from 1 and decay at their start. It and the doc used to give [50, 100],
// MultiStepLR's milestones themselves, one epoch early: decayed after 49
// epochs, not 50.
func TestDecayEpochsArePyTorchMilestonesPlusOne(t *testing.T) {
	milestones := []int{50, 100}
	cfg := DefaultConfig() // the official classifier's schedule
	for e := 0; e < 120; e++ {
		want := cfg.LR
		for _, m := range milestones {
			if e >= m {
				want *= 0.1
			}
		}
		if got := cfg.lrAt(e + 1); math.Abs(got-want) > 1e-15 {
			t.Errorf("DefaultConfig, epoch %d (from 1): lr %v, want MultiStepLR's %v", e+1, got, want)
		}
	}
	if got := (Config{LR: 1, DecayEpochs: milestones}).lrAt(50); got != 0.1 {
		t.Errorf("DecayEpochs [50, 100] at epoch 50 (from 1): lr %v; the doc says it decays at the 50th epoch's start", got)
	}
}

// TestDefaultConfigIsThePapers pins DefaultConfig to the official
// classifier's settings, which its doc comment lists: a changed default
// would silently change every probe accuracy a run reports.
func TestDefaultConfigIsThePapers(t *testing.T) {
	want := Config{Hidden: 200, Dropout: 0.1, Epochs: 101, BatchSize: 64, LR: 1e-4, DecayEpochs: []int{51, 101}}
	if got := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultConfig() = %+v, want the paper's %+v", got, want)
	}
}

// TestAccuracyIsTheFractionCorrect checks accuracy on hand-counted
// predictions, and that a trained probe's TestAccuracy and TrainAccuracy
// are the fraction of rows whose prediction is the label, counted here.
func TestAccuracyIsTheFractionCorrect(t *testing.T) {
	if got := accuracy([]int{0, 2, 1, 1}, []int{0, 1, 1, 2}); got != 0.5 {
		t.Errorf("accuracy with 2 of 4 right = %v, want 0.5", got)
	}
	if got := accuracy([]int{1, 1, 1}, []int{1, 1, 1}); got != 1 {
		t.Errorf("accuracy with 3 of 3 right = %v, want 1", got)
	}
	rng := rand.New(rand.NewPCG(19, 20))
	// Overlapping blobs: some test rows are misclassified.
	train, test := blobs(rng, 300, 4, 3), blobs(rng, 150, 4, 3)
	for _, f := range []*Features{train, test} {
		for i := range f.X {
			f.X[i] += float32(3 * rng.NormFloat64())
		}
	}
	res := mustTrain(t, "linear", TrainLinear, train, test, 3, quickConfig())
	right := 0
	for i, p := range res.Predictions {
		if p == test.Labels[i] {
			right++
		}
	}
	if want := float64(right) / 150; res.TestAccuracy != want || right == 150 {
		t.Errorf("TestAccuracy %v with %d of 150 test rows right; want %v, and some rows wrong", res.TestAccuracy, right, want)
	}
}

// TestArgmaxTakesTheFirstOfTies checks argmax's documented tie rule: a
// probe whose logits tie predicts the lowest class.
func TestArgmaxTakesTheFirstOfTies(t *testing.T) {
	for _, tc := range []struct {
		v    []float32
		want int
	}{{[]float32{1, 3, 3}, 1}, {[]float32{2, 2, 2}, 0}, {[]float32{-1, -2, 0}, 2}} {
		if got := argmax(tc.v); got != tc.want {
			t.Errorf("argmax(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// TestStandardizeUsesTheTrainingStatistics checks that Standardize scales
// both splits by the training split's statistics, as a caller would by
// hand: the probe on features standardized here (population standard
// deviation, in float32 like copyRow) must give bit for bit the same
// result. Test rows scaled by their own statistics would leak the test
// split into the features.
func TestStandardizeUsesTheTrainingStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	train, test := unscaledBlobs(rng)
	for i := range test.X { // the test split's statistics differ from the training split's
		test.X[i] = test.X[i]*3 + 50
	}
	mean, invStd := make([]float32, train.D), make([]float32, train.D)
	for j := range mean {
		m, sq := 0.0, 0.0
		for i := 0; i < train.N; i++ {
			m += float64(train.Row(i)[j])
		}
		m /= float64(train.N)
		for i := 0; i < train.N; i++ {
			d := float64(train.Row(i)[j]) - m
			sq += d * d
		}
		mean[j], invStd[j] = float32(m), float32(1/math.Sqrt(sq/float64(train.N)))
	}
	scaled := func(f *Features) *Features {
		out := &Features{X: make([]float32, len(f.X)), N: f.N, D: f.D, Labels: f.Labels}
		for i, v := range f.X {
			out.X[i] = (v - mean[i%f.D]) * invStd[i%f.D]
		}
		return out
	}
	cfg := quickConfig()
	cfg.Epochs = 2
	want := mustTrain(t, "linear", TrainLinear, scaled(train), scaled(test), 3, cfg)
	cfg.Standardize = true
	got := mustTrain(t, "linear", TrainLinear, train, test, 3, cfg)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Standardize gave test accuracy %v, loss %v; features standardized by the training split's statistics give %v, %v",
			got.TestAccuracy, got.FinalLoss, want.TestAccuracy, want.FinalLoss)
	}
}

// TestRoundingNoiseIsAConstantColumn checks the standardizer's tolerance:
// a column that differs in one row of 200 by one float32 step of 1000 has
// a standard deviation below 1e-8 of its mean and maps to 0, like a
// constant column, rather than blowing the rounding up to about 14.
func TestRoundingNoiseIsAConstantColumn(t *testing.T) {
	f := &Features{X: make([]float32, 200), N: 200, D: 1, Labels: make([]int, 200)}
	for i := range f.X {
		f.X[i] = 1000
	}
	f.X[7] = math.Nextafter32(1000, 2000)
	s := newStandardizer(f)
	got := make([]float32, 1)
	for i := 0; i < f.N; i++ {
		if s.copyRow(got, f.Row(i)); got[0] != 0 {
			t.Fatalf("row %d maps to %v, want 0 for a column constant up to rounding", i, got[0])
		}
	}
}
