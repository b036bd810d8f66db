package consistency

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestLoadSideKeepsTheFirstRowsOfEveryChannel loads a side of two parts
// from images of 2 channels of 3x2 pixels: the first part image a with
// its first row kept, the second image b whole.
func TestLoadSideKeepsTheFirstRowsOfEveryChannel(t *testing.T) {
	s := &data.Set{N: 2, C: 2, H: 3, W: 2, Images: make([]float32, 2*12)}
	for i := range s.Images {
		s.Images[i] = float32(i + 1)
	}
	dst := make([]float32, 24)
	loadSide(dst, []part{{rows: 1}, {second: true, rows: whole}}, s, 0, 1)
	want := []float32{
		1, 2, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, // image 0, row 0 of each channel
		13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, // image 1 whole
	}
	if !slices.Equal(dst, want) {
		t.Errorf("loaded %v, want %v", dst, want)
	}
	loadSide(dst[:12], []part{{rows: 0}}, s, 1, 0)
	if !slices.Equal(dst[:12], make([]float32, 12)) {
		t.Errorf("rows = 0 kept %v, want zeros", dst[:12])
	}
}

// TestViewsOfTheTests checks what each test's two critics see: the
// paper's X, Y_t, [X, X], [Y_t, Y_{t-drop}] (never below 0 rows) and
// [X1, X2], [Y1_t, Y2_t], against X and X for the baseline and X and Y_t
// otherwise.
func TestViewsOfTheTests(t *testing.T) {
	c := DefaultConfig()
	c.Rows, c.Drop = 2, 3
	for _, tc := range []struct {
		test      string
		num, ref  view
		twoImages bool
	}{
		{TestBaseline, view{x: []part{{rows: whole}}, y: []part{{rows: 2}}}, view{x: []part{{rows: whole}}, y: []part{{rows: whole}}}, false},
		{TestDataProcessing, view{x: []part{{rows: whole}, {rows: whole}}, y: []part{{rows: 2}, {rows: 0}}}, view{x: []part{{rows: whole}}, y: []part{{rows: 2}}}, false},
		{TestAdditivity, view{x: []part{{rows: whole}, {second: true, rows: whole}}, y: []part{{rows: 2}, {second: true, rows: 2}}}, view{x: []part{{rows: whole}}, y: []part{{rows: 2}}}, true},
	} {
		c.Test = tc.test
		num, ref := c.testView(), c.referenceView()
		if !reflect.DeepEqual(num.x, tc.num.x) || !reflect.DeepEqual(num.y, tc.num.y) || num.twoImages() != tc.twoImages {
			t.Errorf("%s: the test's view is %+v, want %+v", tc.test, num, tc.num)
		}
		if !reflect.DeepEqual(ref.x, tc.ref.x) || !reflect.DeepEqual(ref.y, tc.ref.y) || ref.twoImages() {
			t.Errorf("%s: the reference's view is %+v, want %+v", tc.test, ref, tc.ref)
		}
	}
}

// TestPartnersIsOneCycle: every image gets another as its partner, each
// image is some image's partner once, and following partners visits all.
func TestPartnersIsOneCycle(t *testing.T) {
	for _, n := range []int{2, 3, 100} {
		p := partners(rand.New(rand.NewPCG(1, uint64(n))), n)
		seen := make([]bool, n)
		i := 0
		for range n {
			if p[i] == i || seen[p[i]] {
				t.Fatalf("n = %d: partners %v is not one cycle without fixed points", n, p)
			}
			seen[p[i]], i = true, p[i]
		}
	}
	rng := rand.New(rand.NewPCG(2, 3))
	for range 1000 {
		if a, b := drawPair(rng, 3, true); a == b {
			t.Fatalf("drawPair gave image %d twice", a)
		}
	}
}

// TestValidateNamesTheKey checks that each bad setting is refused with its
// key.
func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Test = "additive" }, `test = "additive": must be "baseline", "data_processing" or "additivity"`},
		{func(c *Config) { c.Rows = -1 }, "rows = -1: must be at least 0"},
		{func(c *Config) { c.Test, c.Rows = TestAdditivity, 0 }, "rows = 0: Y keeps no row, so I(X; Y), the additivity ratio's denominator, is 0"},
		{func(c *Config) { c.Drop = -1 }, "drop = -1: must be at least 0"},
		{func(c *Config) { c.BatchSize = 1 }, "batch_size = 1: must be at least 2"},
		{func(c *Config) { c.Steps = 0 }, "steps = 0: must be at least 1"},
		{func(c *Config) { c.LogEvery = 0 }, "log_every = 0: must be at least 1"},
		{func(c *Config) { c.Estimator = "ksg" }, `estimator = "ksg"`},
		{func(c *Config) { c.EstimatorParams = map[string]float64{"tau": 1} }, "estimator_params"},
		{func(c *Config) { c.EvalSplit = "validation" }, `eval_split = "validation" but validation_subset = 0`},
		{func(c *Config) { c.TrainSubset = 70000 }, "train_subset = 70000: mnist has 60000 training images"},
		{func(c *Config) { c.Rows = 33 }, "rows = 33: the images have 32 rows"},
		{func(c *Config) { c.TrainSubset = 50 }, "batch_size = 100: larger than train_subset = 50"},
		{func(c *Config) { c.TestSubset = 50 }, "batch_size = 100: larger than test_subset = 50"},
		{func(c *Config) { c.EvalSplit, c.ValidationSubset = "validation", 50 }, "batch_size = 100: larger than validation_subset = 50"},
		{func(c *Config) { c.Critic = "no-such-critic" }, `critic = "no-such-critic"`},
		{func(c *Config) { c.LR = 0 }, "lr"},
		{func(c *Config) { c.ConvChannels = []int{32, 64} }, `conv_channels = [32, 64]: critic = "separable" has no convolution`},
		{func(c *Config) { c.Critic, c.ConvChannels = "separable-conv", []int{32, 0} }, "conv_channels = [32, 0]: convolution 2 has 0 channels"},
		{func(c *Config) { c.Critic, c.ConvChannels = "separable-conv", []int{} }, "conv_channels = []: lists no convolution"},
		{func(c *Config) { c.Critic, c.ConvChannels = "separable-conv", []int{1, 1, 1, 1, 1, 1} }, "conv_channels = [1, 1, 1, 1, 1, 1]: convolution 6 would read a 1x1 map"},
	} {
		c := DefaultConfig()
		tc.set(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want an error containing %q", err, tc.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// tiny is a run small enough for a unit test: 300 training images, 200
// test images, 30 steps of a small critic.
func tiny(test string) *Config {
	c := DefaultConfig()
	c.Test, c.Rows = test, 16
	c.TrainSubset, c.TestSubset = 300, 200
	c.Hidden, c.Layers, c.Embed, c.BatchSize, c.Steps, c.LogEvery, c.LR = 16, 1, 8, 20, 30, 10, 1e-3
	return c
}

// runTiny runs c with seed, checks the metrics it wrote against those the
// task names, and returns its summary.
func runTiny(t *testing.T, c *Config, seed int64) results.Values {
	t.Helper()
	out, _ := taskstest.RunChecked(t, Task{}, c, seed)
	return out
}

// TestTinyRunsAreDeterministicAndShareTheirReference runs each test twice
// with one seed: the same numbers, the ratio the quotient of the two
// estimates, the ideal ratio where the test has one; and the reference
// critic of the data-processing and additivity tests, I(X; Y) at the
// same rows, is the same run in both, so their ratios share a
// denominator.
func TestTinyRunsAreDeterministicAndShareTheirReference(t *testing.T) {
	refs := map[string]float64{}
	for _, test := range []string{TestBaseline, TestDataProcessing, TestAdditivity} {
		a, b := runTiny(t, tiny(test), 4), runTiny(t, tiny(test), 4)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with one seed gave %v and %v", test, a, b)
		}
		if a["ratio"] != a["mi"]/a["mi_ref"] {
			t.Errorf("%s: ratio %v, mi %v, mi_ref %v", test, a["ratio"], a["mi"], a["mi_ref"])
		}
		if want := tiny(test).ideal(); a["ideal"] != want {
			t.Errorf("%s: ideal %v, want %v", test, a["ideal"], want)
		}
		refs[test] = a["mi_ref"]
	}
	if refs[TestDataProcessing] != refs[TestAdditivity] || refs[TestBaseline] == refs[TestAdditivity] {
		t.Errorf("the references' estimates %v: want data_processing's and additivity's equal, the baseline's I(X; X) apart", refs)
	}
}

// TestTinyConvRunsAreDeterministic runs the baseline and the additivity
// test, whose critic reads two images a side, with the convolutional
// critic twice each: the same numbers, finite estimates, and other
// numbers than the MLP critic's.
func TestTinyConvRunsAreDeterministic(t *testing.T) {
	for _, test := range []string{TestBaseline, TestAdditivity} {
		c := tiny(test)
		c.Critic, c.ConvChannels = "separable-conv", []int{4, 4}
		a, b := runTiny(t, c, 2), runTiny(t, c, 2)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with one seed gave %v and %v", test, a, b)
		}
		if math.IsNaN(a["ratio"]) || math.IsInf(a["ratio"], 0) {
			t.Errorf("%s: ratio %v", test, a["ratio"])
		}
		if mlp := runTiny(t, tiny(test), 2); mlp["mi"] == a["mi"] {
			t.Errorf("%s: the conv critic's estimate %v is the MLP critic's", test, a["mi"])
		}
	}
}

// TestRowsOfPaddingAreRefused: MNIST's digits are padded with 2 rows of
// 0, so rows = 2 leaves Y blank, and the additivity ratio's denominator
// I(X; Y) 0: the run fails before training, naming the key.
func TestRowsOfPaddingAreRefused(t *testing.T) {
	c := tiny(TestAdditivity)
	c.Rows = 2
	r, _ := taskstest.NewRun(1, nil)
	if _, err := (Task{}).Run(context.Background(), c, r); err == nil || !strings.Contains(err.Error(), "rows = 2: the first 2 rows of every training image are 0") {
		t.Errorf("Run = %v, want the rows refused", err)
	}
	c.Rows = 3
	if !blankRows(&data.Set{N: 1, C: 1, H: 4, W: 1, Images: []float32{0, 0, 1, 0}}, 2) || blankRows(&data.Set{N: 1, C: 1, H: 4, W: 1, Images: []float32{0, 0, 1, 0}}, 3) {
		t.Error("blankRows does not see the first non-zero row")
	}
}

// TestAReferenceNotAboveZeroIsADivergence: nwj's estimate of an untrained
// critic (one step at a learning rate of 1e-30) is not above 0 here, and
// the run ends as diverged rather than report a ratio over it.
func TestAReferenceNotAboveZeroIsADivergence(t *testing.T) {
	c := tiny(TestDataProcessing)
	c.Estimator, c.Steps, c.LR = "nwj", 1, 1e-30
	r, _ := taskstest.NewRun(1, nil)
	_, err := Task{}.Run(context.Background(), c, r)
	var de *tasks.DivergedError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "the reference's estimate is not above 0, and a ratio over it would mean nothing") {
		t.Fatalf("Run = %v, want a divergence of the reference's estimate", err)
	}
}

// measuredPeak is the peak resident memory of one run of the additivity
// test at the defaults, all of MNIST (/usr/bin/time -v sweep run of a
// one-run sweep, 2026-12-06, the 2-core Zen 3 machine: 510 MB, 22.5 s).
const measuredPeak = 510e6

// measuredConvPeak is the same for the convolutional critic of
// sweeps/consistency-conv.toml (conv_channels = [32, 64], layers = 1, rows
// = 14; 2026-12-07, the same machine: 652 MB, 3 min 23 s).
const measuredConvPeak = 652e6

// TestMemoryEstimateCoversAMeasuredRun: the estimate of the shipped
// sweeps' largest runs (additivity, all of MNIST, with the MLP critic and
// with the convolutional one) is above the peak a single such run
// measured, and grows with batch_size and with the convolutions' width.
func TestMemoryEstimateCoversAMeasuredRun(t *testing.T) {
	c := DefaultConfig()
	c.Test = TestAdditivity
	conv := *c
	conv.Critic, conv.ConvChannels, conv.Layers = "separable-conv", []int{32, 64}, 1
	for _, m := range []struct {
		c    *Config
		peak float64
	}{{c, measuredPeak}, {&conv, measuredConvPeak}} {
		if total := m.c.EstimateMemory().Total(); total < m.peak {
			t.Errorf("critic %q: estimate %.0f bytes, below the measured peak %.0f", m.c.Critic, total, m.peak)
		}
	}
	small, narrow := c.EstimateMemory().Total(), conv.EstimateMemory().Total()
	c.BatchSize *= 4
	if c.EstimateMemory().Total() <= small {
		t.Error("the estimate does not grow with batch_size")
	}
	conv.ConvChannels = []int{64, 128}
	if conv.EstimateMemory().Total() <= narrow {
		t.Error("the estimate does not grow with conv_channels")
	}
	conv.ConvChannels = []int{100000, 100000}
	if got := conv.EstimateMemory().Largest().Setting; got != "conv_channels = [100000, 100000]" {
		t.Errorf("convolutions of 100,000 channels: the memory is blamed on %q, want conv_channels", got)
	}
	conv.ConvChannels, conv.BatchSize = nil, 10000
	if got := conv.EstimateMemory().Largest().Setting; got != "batch_size = 10000" {
		t.Errorf("the default convolutions at batch 10,000: the memory is blamed on %q, want batch_size", got)
	}
	conv.ConvChannels, conv.BatchSize, conv.Hidden = []int{32, 64, 10000000}, 100, 1024
	if got := conv.EstimateMemory().Largest().Setting; got != "conv_channels = [32, 64, 10000000]" {
		t.Errorf("a last convolution of 10⁷ channels before a layer of 1024: the memory is blamed on %q, want conv_channels", got)
	}
	conv.ConvChannels = []int{} // refused by Validate, but no panic here
	conv.EstimateMemory()
}

// TestTheEstimateIsTakenOnTheEvaluationSplit: loadImages gives the test
// split, or with eval_split = "validation" the images held out of
// training; and a critic's estimate is the mean of its estimates of every
// full batch of them, each image with its partner.
func TestTheEstimateIsTakenOnTheEvaluationSplit(t *testing.T) {
	c := tiny(TestAdditivity)
	train, eval, err := loadImages(context.Background(), c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 300 || eval.Split != data.SplitTest || eval.N != 200 {
		t.Fatalf("train %d images, evaluation on %d of %s; want 300, and 200 of test", train.N, eval.N, eval.Split)
	}
	c.EvalSplit, c.ValidationSubset = data.SplitValidation, 100
	if _, val, err := loadImages(context.Background(), c, 1); err != nil || val.Split != data.SplitValidation || val.N != 100 {
		t.Fatalf("with eval_split = validation: %v, %v", val, err)
	}
	cr, err := newCritic(c, c.testView(), train, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.m.Close()
	partner := partners(rand.New(rand.NewPCG(3, 4)), eval.N)
	got, err := cr.estimate(eval, partner)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for k := range eval.N / c.BatchSize {
		for j := range c.BatchSize {
			i := k*c.BatchSize + j
			cr.v.load(cr.m, j, eval, i, partner[i])
		}
		_, mi, err := cr.m.Eval()
		if err != nil {
			t.Fatal(err)
		}
		sum += mi
	}
	if want := sum / float64(eval.N/c.BatchSize); got != want {
		t.Errorf("estimate %v, want the mean over the %d batches, %v", got, eval.N/c.BatchSize, want)
	}
}

// TestCheckpointKeysAreAWarning checks that a sweep file setting a
// checkpoint key for this task, which keeps no checkpoints, gets a warning
// at that key's line saying so and what to do, and a file without them
// none.
func TestCheckpointKeysAreAWarning(t *testing.T) {
	const head = "name = \"c\"\ntask = \"consistency\"\n"
	for _, tc := range []struct{ keys, want string }{
		{"", ""},
		{"checkpoint_every = 300\n", "c.toml:3: checkpoint_every: task \"consistency\" keeps no checkpoints"},
		{"checkpoint_minutes = 5\n", "c.toml:3: checkpoint_minutes: task \"consistency\" keeps no checkpoints"},
	} {
		s, err := sweep.Parse("c.toml", []byte(head+tc.keys+"[base]\nsteps = 10\n"))
		if err != nil {
			t.Fatalf("%q: %v", tc.keys, err)
		}
		ws := s.Warnings()
		switch {
		case tc.want == "" && len(ws) > 0:
			t.Errorf("no checkpoint key: warnings %q", ws)
		case tc.want != "" && (len(ws) != 1 || !strings.HasPrefix(ws[0], tc.want) || !strings.HasSuffix(ws[0], "remove them")):
			t.Errorf("%q: warnings %q, want one starting %q", tc.keys, ws, tc.want)
		}
	}
}

// TestATrainingBatchsRepeatsAreTwoFalseNegatives draws training batches
// of 100 images from 60,000, MNIST's training split, as a critic's step
// draws them (drawPair, one image a pair), and counts the batches that
// hold an image twice and, in those, the off-diagonal pairings of an
// image with itself, positives scored as negatives: about one batch in 12
// (1 - prod(1 - i/60000) = 0.079), and two false negatives for each image
// held twice, one on each side of the diagonal (2.08 on average in such a
// batch, a few holding two repeats), as DefaultConfig's doc says.
func TestATrainingBatchsRepeatsAreTwoFalseNegatives(t *testing.T) {
	const batches, batch, n = 20000, 100, 60000
	rng := rand.New(rand.NewPCG(7, 8))
	imgs := make([]int, batch)
	var repeating, falseNegatives int
	for range batches {
		for j := range imgs {
			imgs[j], _ = drawPair(rng, n, false)
		}
		fn := 0
		for j := range imgs {
			for k := range imgs {
				if j != k && imgs[j] == imgs[k] {
					fn++
				}
			}
		}
		if fn > 0 {
			repeating++
			falseNegatives += fn
		}
	}
	if share := float64(repeating) / batches; share < 1.0/14 || share > 1.0/11 {
		t.Errorf("%.4f of the batches hold an image twice, want about one in 12 (0.079)", share)
	}
	if per := float64(falseNegatives) / float64(repeating); per < 2 || per > 2.2 {
		t.Errorf("a batch that holds an image twice has %.3f false negatives on average, want about 2", per)
	}
}
