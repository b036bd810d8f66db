package dim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
	"github.com/infomax/infomax/experiments/train/optim"
)

// tinyConfig is a DIM(L) config small enough for a unit test.
func tinyConfig() *Config {
	c := DefaultConfig()
	c.TrainSubset, c.TestSubset = 320, 200
	c.Conv1, c.Conv2, c.Conv3, c.FC, c.Code = 8, 16, 16, 32, 16
	c.MIUnits, c.GlobalUnits = 32, 32
	c.PriorHidden = []int{32, 16}
	c.Epochs, c.BatchSize = 2, 16
	c.LR = 1e-3
	c.ProbeEpochs, c.ProbeBatchSize, c.ProbeHidden = 3, 32, 32
	return c
}

func TestNegativeMaskAll(t *testing.T) {
	const n, locs = 5, 4
	m, err := NegativeMask(NegativesAll, n, locs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != n || m.Cols != n*locs {
		t.Fatalf("shape %dx%d, want %dx%d", m.Rows, m.Cols, n, n*locs)
	}
	for i := 0; i < n; i++ {
		var pos, neg int
		for c := 0; c < m.Cols; c++ {
			switch r := m.Roles[i*m.Cols+c]; {
			case c/locs == i && r != estimators.Positive:
				t.Errorf("row %d column %d (same image) has role %d, want positive", i, c, r)
			case c/locs != i && r != estimators.Negative:
				t.Errorf("row %d column %d (image %d) has role %d, want negative", i, c, c/locs, r)
			case r == estimators.Positive:
				pos++
			case r == estimators.Negative:
				neg++
			}
		}
		if pos != locs || neg != (n-1)*locs {
			t.Errorf("row %d: %d positives and %d negatives, want %d and %d", i, pos, neg, locs, (n-1)*locs)
		}
	}
}

func TestNegativeMaskRoll(t *testing.T) {
	const n, locs = 4, 9
	m, err := NegativeMask(NegativesRoll, n, locs)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		var pos, neg int
		for c := 0; c < m.Cols; c++ {
			r := m.Roles[i*m.Cols+c]
			img := c / locs
			switch {
			case img == i && r != estimators.Positive:
				t.Errorf("row %d column %d (same image) has role %d, want positive", i, c, r)
			case img == (i+1)%n && r != estimators.Negative:
				t.Errorf("row %d column %d (next image) has role %d, want negative", i, c, r)
			case img != i && img != (i+1)%n && r != estimators.Ignored:
				t.Errorf("row %d column %d (image %d) has role %d, want ignored", i, c, img, r)
			}
			if r == estimators.Positive {
				pos++
			}
			if r == estimators.Negative {
				neg++
			}
		}
		if pos != locs || neg != locs {
			t.Errorf("row %d: %d positives and %d negatives, want %d each", i, pos, neg, locs)
		}
	}
	if _, err := NegativeMask("shuffle", n, locs); err == nil {
		t.Error("an unknown scheme gave no error")
	}
}

// snapshot copies the values of nodes.
func snapshot(ns G.Nodes) [][]float32 {
	out := make([][]float32, len(ns))
	for i, n := range ns {
		out[i] = slices.Clone(n.Value().Data().([]float32))
	}
	return out
}

func equalSnapshots(a, b [][]float32) bool {
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// newNoisyModel builds the model for c on batches of 32x32 images of the
// given channels, with weights drawn from initSeed and closed when the
// test ends, and fills its input batch with uniform noise drawn from rng.
func newNoisyModel(tb testing.TB, c *Config, channels int, initSeed uint64, rng *rand.Rand) *Model {
	tb.Helper()
	m, err := NewModel(c, channels, 32, initSeed)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	for i := range m.Input {
		m.Input[i] = float32(rng.Float64())
	}
	return m
}

func TestAdversarialPriorStep(t *testing.T) {
	c := tinyConfig()
	rng := rand.New(rand.NewPCG(1, 2))
	m := newNoisyModel(t, c, 1, 7, rng)
	if _, err := m.EncoderStep(); err != nil {
		t.Fatal(err)
	}
	codes := slices.Clone(m.Codes())
	for _, v := range codes {
		if !(v > 0 && v < 1) {
			t.Fatalf("code %v is outside (0, 1): the codes are not sigmoid(Y)", v)
		}
	}
	m.SamplePrior(rng)
	enc := snapshot(m.Adam.Params())
	before, err := m.DiscriminatorLoss()
	if err != nil {
		t.Fatal(err)
	}
	d0 := snapshot(m.Discriminator.Learnables())
	if _, err := m.DiscriminatorStep(); err != nil {
		t.Fatal(err)
	}
	after, err := m.DiscriminatorLoss()
	if err != nil {
		t.Fatal(err)
	}
	if !(after < before) {
		t.Errorf("one discriminator step on fixed codes took its loss from %v to %v; want a decrease", before, after)
	}
	if !equalSnapshots(enc, snapshot(m.Adam.Params())) {
		t.Error("the discriminator step changed the encoder's or critics' weights")
	}
	d1 := snapshot(m.Discriminator.Learnables())
	if equalSnapshots(d0, d1) {
		t.Error("the discriminator step did not change the discriminator")
	}
	if !equalSnapshots(d1, snapshot(m.discriminatorCopy.Learnables())) {
		t.Error("the encoder graph's copy of the discriminator is out of sync after its step")
	}
	if !slices.Equal(codes, m.Codes()) {
		t.Error("the discriminator step changed the detached codes")
	}
	// The encoder step must leave both copies of the discriminator alone.
	if _, err := m.EncoderStep(); err != nil {
		t.Fatal(err)
	}
	if !equalSnapshots(d1, snapshot(m.Discriminator.Learnables())) || !equalSnapshots(d1, snapshot(m.discriminatorCopy.Learnables())) {
		t.Error("the encoder step changed the discriminator's weights")
	}
	if equalSnapshots(enc, snapshot(m.Adam.Params())) {
		t.Error("the encoder step did not change the encoder")
	}
}

func runTiny(t *testing.T, c *Config, seed int64) (results.Values, *taskstest.Metrics) {
	t.Helper()
	run, rec := taskstest.NewRun(seed, nil)
	run.Dir = t.TempDir()
	sum, err := Task{}.Run(context.Background(), c, run)
	if err != nil {
		t.Fatal(err)
	}
	taskstest.CheckMetrics(t, Task{}, c, sum, rec)
	return sum, rec
}

func TestTinyRunTrainsAndReports(t *testing.T) {
	c := tinyConfig()
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0.1 // every term, so every metric is logged
	sum, rec := runTiny(t, c, 3)
	if len(rec.Values) != c.Epochs {
		t.Fatalf("%d metric rows for %d epochs", len(rec.Values), c.Epochs)
	}
	for _, row := range rec.Values {
		for _, k := range []string{"loss", "mi_local", "mi_global", "prior_d_loss", "prior_g_loss", "images_per_second"} {
			if v, ok := row[k]; !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("epoch metrics %v: %q missing or not finite", row, k)
			}
		}
	}
	if first, last := rec.Values[0]["loss"], rec.Values[len(rec.Values)-1]["loss"]; !(last < first) {
		t.Errorf("training loss went from %v to %v; want a decrease", first, last)
	}
	if v := rec.Values[len(rec.Values)-1]["train_seconds"]; !(v > 0) {
		t.Errorf("the last epoch's metrics %v lack a positive train_seconds", rec.Values[len(rec.Values)-1])
	}
	for _, k := range []string{"train_seconds", "images_per_second"} {
		if _, ok := sum[k]; ok {
			t.Errorf("the summary holds the wall-clock %q, which a resumed run cannot reproduce: %v", k, sum)
		}
	}
	for _, k := range []string{"mlp_conv_acc", "mlp_fc_acc", "mlp_y_acc", "linear_conv_acc", "linear_fc_acc",
		"linear_y_acc", "loss", "mi_local", "mi_global"} {
		v, ok := sum[k]
		if !ok {
			t.Errorf("summary lacks %q: %v", k, sum)
			continue
		}
		if strings.HasSuffix(k, "_acc") && !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v is not an accuracy", k, v)
		}
	}
	// jsd reports the Jensen-Shannon bound of each MI term beside its NWJ
	// read-out: at most log 2, and rising as the critics learn to tell the
	// positives from the negatives.
	if c.Estimator != "jsd" {
		t.Fatalf("tinyConfig's estimator is %q; this test expects jsd's js_* metrics", c.Estimator)
	}
	for _, k := range []string{"js_local", "js_global"} {
		for _, row := range rec.Values {
			if v, ok := row[k]; !ok || !(v <= math.Ln2) {
				t.Errorf("epoch metrics %v: %q missing or above log 2", row, k)
			}
		}
		if first, last := rec.Values[0][k], rec.Values[len(rec.Values)-1][k]; !(last > first) {
			t.Errorf("%s went from %v to %v; want an increase as the critic learns", k, first, last)
		}
		if v, ok := sum[k]; !ok || v != rec.Values[len(rec.Values)-1][k] {
			t.Errorf("summary %s = %v (present %v); want the last epoch's %v", k, v, ok, rec.Values[len(rec.Values)-1][k])
		}
	}
	// Ten balanced classes: chance is about 0.1; even a tiny encoder's
	// conv features do far better on MNIST.
	if sum["linear_conv_acc"] < 0.3 {
		t.Errorf("linear_conv_acc = %v; want well above chance", sum["linear_conv_acc"])
	}
}

func TestDeterministic(t *testing.T) {
	c := tinyConfig()
	c.Epochs = 1
	c.ProbeFeatures = []string{"y"}
	a, _ := runTiny(t, c, 11)
	b, _ := runTiny(t, c, 11)
	if len(a) != len(b) {
		t.Errorf("summaries of different sizes with the same seed: %v and %v", a, b)
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %v then %v with the same seed", k, v, b[k])
		}
	}
}

func TestBaselines(t *testing.T) {
	c := tinyConfig()
	c.Preset = "pixels"
	sum, _ := runTiny(t, c, 1)
	if _, ok := sum["linear_input_acc"]; !ok || len(sum) != 2 {
		t.Errorf("pixels summary %v; want only mlp_input_acc and linear_input_acc", sum)
	}
	for _, set := range []func(c *Config){
		func(c *Config) { c.Model = ModelRandom },
		func(c *Config) { c.Preset = "random" }, // alpha = beta = gamma = 0
		func(c *Config) { c.Preset = "random-uncalibrated" },
		func(c *Config) { c.Model = ModelRandomUncalibrated },
	} {
		c = tinyConfig()
		set(c)
		c.ProbeFeatures = []string{"y"}
		sum, _ = runTiny(t, c, 1)
		if _, ok := sum["linear_y_acc"]; !ok {
			t.Errorf("random summary %v lacks linear_y_acc", sum)
		}
		if _, ok := sum["mi_local"]; ok {
			t.Errorf("random summary %v reports an MI it never trained", sum)
		}
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		key string
		set func(c *Config)
	}{
		{"dataset", func(c *Config) { c.Dataset = "mnits" }},
		{"dataset", func(c *Config) { c.Dataset = "cifar10" }}, // no data_path: no embedded copy
		{"model", func(c *Config) { c.Model = "vae" }},
		{"preset", func(c *Config) { c.Preset = "dim-x" }},
		{"alpha", func(c *Config) { c.Preset = "dim-g"; c.Alpha = 1 }},
		{"model", func(c *Config) { c.Preset = "dim-l"; c.Model = ModelPixels }},
		{"gamma", func(c *Config) { c.Gamma = -1 }},
		{"alpha", func(c *Config) { c.Alpha = math.Inf(1) }},
		{"alpha = 0, beta = 0 and gamma = 0", func(c *Config) { c.Beta, c.Gamma = 0, 0 }},
		{"estimator", func(c *Config) { c.Estimator = "nce" }},
		{"estimator_params", func(c *Config) { c.EstimatorParams = map[string]float64{"tau": 1} }},
		{"negatives", func(c *Config) { c.Negatives = "one" }},
		{"local_critic", func(c *Config) { c.LocalCritic = "dot" }},
		{"global_critic", func(c *Config) { c.GlobalCritic = "dot" }},
		{"mi_units", func(c *Config) { c.MIUnits = 0 }},
		{"y_embedding", func(c *Config) { c.YEmbedding = "nop" }},
		{"y_embedding", func(c *Config) { c.YEmbedding = "official" }}, // mi_units 2048, code 64: nothing to leave out
		{"prior_hidden", func(c *Config) { c.PriorHidden = []int{10} }},
		{"prior_hidden", func(c *Config) { c.PriorHidden = []int{10, 0} }},
		{"occlude_prob", func(c *Config) { c.OccludeProb = 1.5 }},
		{"occlude_size = 0: must be at least 1 pixel", func(c *Config) { c.OccludeProb, c.OccludeSize = 0.5, 0 }},
		{"occlude_size = 33: larger than the 32 × 32 images", func(c *Config) { c.OccludeProb, c.OccludeSize = 0.5, 33 }},
		{"prior_penalty", func(c *Config) { c.PriorPenalty = -1 }},
		{"prior_penalty", func(c *Config) { c.PriorPenalty = math.NaN() }},
		{"gamma", func(c *Config) { c.Preset = "dim-g"; c.SetKeys([]string{"preset", "gamma"}) }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"batch_size", func(c *Config) { c.BatchSize = 1 }},
		{"lr", func(c *Config) { c.LR = 0 }},
		{"beta1", func(c *Config) { c.Beta1 = 1 }},
		{"adam_moments", func(c *Config) { c.AdamMoments = "float16" }},
		{"probe_batch_size", func(c *Config) { c.ProbeBatchSize = 1 }},
		{"probe_hidden", func(c *Config) { c.ProbeHidden = 0 }},
		{"probe_dropout", func(c *Config) { c.ProbeDropout = 1 }},
		{"probe_decay_epochs", func(c *Config) { c.ProbeDecayEpochs = []int{5, 2} }},
		{"probe_batch_size", func(c *Config) { c.TrainSubset, c.BatchSize, c.ProbeBatchSize = 16, 16, 64 }},
		{"probe_batch_size", func(c *Config) { c.TrainSubset, c.BatchSize, c.ProbeBatchSize = 16, 16, 17 }},
		{"probe_features", func(c *Config) { c.ProbeFeatures = []string{"z"} }},
		{"probe_features", func(c *Config) { c.ProbeFeatures = []string{"conv", "fc", "conv"} }},
		{"train_subset", func(c *Config) { c.TrainSubset = -1 }},
		{"train_subset = 60001: mnist has 60000 training images", func(c *Config) { c.TrainSubset = 60001 }},
		{"test_subset = 10001: mnist has 10000 test images", func(c *Config) { c.TestSubset = 10001 }},
		{"validation_subset = 60000:", func(c *Config) { c.ValidationSubset, c.EvalSplit = 60000, "validation" }},
		{"validation_subset = 10001: with train_subset = 50000", func(c *Config) { c.TrainSubset, c.ValidationSubset = 50000, 10001 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.set(c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: no error", tc.key)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.key) {
			t.Errorf("%s: error %q does not start with the key", tc.key, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	whole := DefaultConfig()
	whole.TrainSubset, whole.ValidationSubset, whole.TestSubset = 50000, 10000, 10000
	if err := whole.Validate(); err != nil {
		t.Errorf("subsets that use every image of mnist: %v", err)
	}
	ownCopy := DefaultConfig()
	ownCopy.DataPath, ownCopy.TrainSubset = t.TempDir(), 100000
	if err := ownCopy.Validate(); err != nil {
		t.Errorf("a folder's files are counted when read, not before: %v", err)
	}
	for name := range Presets {
		c := DefaultConfig()
		c.Preset = name
		if err := c.Validate(); err != nil {
			t.Errorf("preset %q: %v", name, err)
		}
	}
}

// TestAdamMomentsKeepRunIDs checks that adam_moments leaves the config's
// TOML, from which a sweep makes each run's id, as it was before the key
// existed unless it asks for float32 moments: "float64" spelled out is the
// default, and resolves to the same run.
func TestAdamMomentsKeepRunIDs(t *testing.T) {
	encode := func(moments string) string {
		c := DefaultConfig()
		c.AdamMoments = moments
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := toml.NewEncoder(&b).Encode(c); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	def := encode("")
	if strings.Contains(def, "adam_moments") {
		t.Errorf("the default config's TOML names adam_moments:\n%s", def)
	}
	if got := encode("float64"); got != def {
		t.Errorf("adam_moments = \"float64\" encodes otherwise than the default:\n%s", got)
	}
	if got := encode("float32"); !strings.Contains(got, `adam_moments = "float32"`) {
		t.Errorf("adam_moments = \"float32\" is not in the config's TOML:\n%s", got)
	}
}

// TestFloat32MomentsTrain checks that a model made with adam_moments =
// "float32" keeps float32 moments in both optimizers and trains: its
// weights move, and two models from the same seed take the same steps.
func TestFloat32MomentsTrain(t *testing.T) {
	c := tinyConfig()
	c.AdamMoments = "float32"
	var weights [2][][]float32
	for i := range weights {
		m := newNoisyModel(t, c, 1, 7, rand.New(rand.NewPCG(1, 2)))
		if m.Adam.Moments() != optim.Float32Moments || (m.PriorAdam != nil && m.PriorAdam.Moments() != optim.Float32Moments) {
			t.Fatalf("the optimizers keep %s moments, want float32", m.Adam.Moments())
		}
		before := snapshot(m.Adam.Params())
		for range 3 {
			if _, err := m.EncoderStep(); err != nil {
				t.Fatal(err)
			}
		}
		weights[i] = snapshot(m.Adam.Params())
		if equalSnapshots(before, weights[i]) {
			t.Fatal("three steps left every weight as it was")
		}
	}
	if !equalSnapshots(weights[0], weights[1]) {
		t.Error("two models from the same seed took different steps")
	}
}

func TestPriorOnlyObjective(t *testing.T) {
	c := tinyConfig()
	c.Alpha, c.Beta, c.Gamma = 0, 0, 1
	m, err := NewModel(c, 1, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.LocalCritic != nil || m.GlobalCritic != nil {
		t.Error("critics were built for terms whose weight is 0")
	}
	st, err := m.EncoderStep()
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(st.LocalMI) || !math.IsNaN(st.GlobalMI) || st.Loss != st.PriorG {
		t.Errorf("prior-only step %+v: want NaN MI terms and loss = prior_g_loss", st)
	}
}

// TestYEmbeddingOfficialDropsYsNetsWhereCodeEqualsTheWidth builds DIM(L+G)
// with encode-and-dot critics whose widths equal code: y_embedding =
// "official" builds neither critic's net for Y (the official code's
// NopNet), "always" builds both, and both train a step; "always" is
// written as "", so that the run's config and id do not change.
func TestYEmbeddingOfficialDropsYsNetsWhereCodeEqualsTheWidth(t *testing.T) {
	learnables := map[string]int{}
	for _, mode := range []string{yEmbedAlways, yEmbedOfficial} {
		c := tinyConfig()
		c.Preset, c.GlobalCritic, c.YEmbedding = "dim-lg", "encode-and-dot", mode
		c.MIUnits, c.GlobalUnits = c.Code, c.Code
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if mode == yEmbedAlways && c.YEmbedding != "" {
			t.Errorf("y_embedding = %q after Validate, want \"\" (left out of the run's config)", c.YEmbedding)
		}
		m, err := NewModel(c, 1, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		local := m.LocalCritic.(*architectures.EncodeAndDot)
		global := m.GlobalCritic.(*architectures.EncodeAndDotGlobal)
		if (local.Global == nil) != (mode == yEmbedOfficial) || (global.Global == nil) != (mode == yEmbedOfficial) {
			t.Errorf("y_embedding = %q: Y's nets built: local %v, global %v", mode, local.Global != nil, global.Global != nil)
		}
		learnables[mode] = len(m.LocalCritic.Learnables()) + len(m.GlobalCritic.Learnables())
		if st, err := m.EncoderStep(); err != nil || math.IsNaN(st.Loss) {
			t.Errorf("y_embedding = %q: step %+v, %v", mode, st, err)
		}
		m.Close()
	}
	if learnables[yEmbedOfficial] >= learnables[yEmbedAlways] {
		t.Errorf("the critics have %d parameters with y_embedding = \"official\", %d without", learnables[yEmbedOfficial], learnables[yEmbedAlways])
	}
}

func TestDivergenceNameFollowsTheEstimator(t *testing.T) {
	for est, want := range map[string]string{"jsd": "js", "infonce": "", "dv": ""} {
		c := tinyConfig()
		c.Estimator = est
		m, err := NewModel(c, 1, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.DivergenceName(); got != want {
			t.Errorf("%s: DivergenceName() = %q, want %q", est, got, want)
		}
		m.Close()
	}
}

func TestOverflowedReadOutIsNotADivergence(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	if r := nonFinite(StepStats{Loss: 0.8, LocalMI: math.Inf(-1), GlobalMI: nan, LocalDiv: 0.5}); r != "" {
		t.Errorf("a finite loss with an overflowed MI read-out was called diverged: %s", r)
	}
	if r := nonFinite(StepStats{Loss: inf, LocalMI: 1}); r == "" {
		t.Error("an infinite loss was not called diverged")
	}
	if r := nonFinite(StepStats{Loss: nan, LocalMI: 1}); r == "" {
		t.Error("a NaN loss was not called diverged")
	}
	e := epochMeans{}
	e.add(StepStats{Loss: 1, LocalMI: math.Inf(-1), GlobalMI: nan, PriorG: 0.7, LocalDiv: 0.4, GlobalDiv: nan}, 1.3)
	e.add(StepStats{Loss: 3, LocalMI: 2, GlobalMI: nan, PriorG: 0.9, LocalDiv: 0.6, GlobalDiv: nan}, 1.1)
	v := e.mean().values("js")
	if _, ok := v["mi_local"]; ok {
		t.Errorf("an epoch whose read-out overflowed reports mi_local = %v", v["mi_local"])
	}
	for k, want := range map[string]float64{"loss": 2, "js_local": 0.5, "prior_g_loss": 0.8, "prior_d_loss": 1.2} {
		if got, ok := v[k]; !ok || math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := v["js_global"]; ok {
		t.Errorf("an untrained global term reports js_global = %v", v["js_global"])
	}
}

// TestDataPathIsCleaned checks that one folder written two ways is one
// data_path, so that its runs get one id.
func TestDataPathIsCleaned(t *testing.T) {
	for _, p := range []string{"cifar", "./cifar/", "cifar//"} {
		c := DefaultConfig()
		c.Dataset, c.DataPath = "cifar10", p
		if err := c.Validate(); err != nil {
			t.Fatalf("data_path %q: %v", p, err)
		}
		if c.DataPath != "cifar" {
			t.Errorf("data_path %q is %q after Validate, want cifar", p, c.DataPath)
		}
	}
}

// TestDivergedProbeIsADivergedRun trains a tiny encoder, then probes it
// at a learning rate of 1e30 on features not standardized: the probe's
// loss overflows, and the run ends as diverged after training (a
// *tasks.DivergedError, which the sweep keeps rather than runs again) at
// the encoder's last step, its reason naming the probe and the settings
// to change, with its finished training checkpointed to resume from. The
// pixels model, trained for no step, diverges at step 0.
func TestDivergedProbeIsADivergedRun(t *testing.T) {
	for _, tc := range []struct {
		model string
		step  int
	}{{ModelDIM, 2 * 320 / 16}, {ModelPixels, 0}} {
		c := tinyConfig()
		c.Model, c.ProbeLR, c.ProbeStandardize = tc.model, 1e30, false
		dir := t.TempDir()
		run, _ := taskstest.NewRun(3, checkpoint.New(dir, checkpoint.Policy{EverySteps: 1000}, nil))
		run.Dir = t.TempDir()
		_, err := Task{}.Run(context.Background(), c, run)
		var de *tasks.DivergedError
		if !errors.As(err, &de) {
			t.Fatalf("%s: the run returned %v, want a *tasks.DivergedError", tc.model, err)
		}
		t.Logf("%s: %v", tc.model, de)
		for _, want := range []string{"probe on ", "probe diverged at epoch", "(probe_lr = 1e+30, probe_standardize = false)"} {
			if !strings.Contains(de.Reason, want) {
				t.Errorf("%s: the reason %q lacks %q", tc.model, de.Reason, want)
			}
		}
		if de.Step != tc.step || !de.AfterTraining {
			t.Errorf("%s: diverged at step %d, after training %v; want %d, true", tc.model, de.Step, de.AfterTraining, tc.step)
		}
		if step, ok := checkpoint.Peek(dir); tc.step > 0 && (!ok || step != tc.step) {
			t.Errorf("%s: the checkpoint is at step %d (found: %v), want the finished training's, %d", tc.model, step, ok, tc.step)
		}
	}
}

// TestUntrainedCriticBreakingTheEstimatorSaysWhy checks that nwj, whose
// loss holds a mean of e^s over negatives, diverges at the first step with
// the paper's encode-and-dot local critic at its official width (its
// untrained scores overflow e^s), with a reason that says no learning rate
// helps and what runs instead, and that what it suggests runs: the same
// model with the concat-and-convolve local critic trains. A divergence
// after the first step gets no such hint.
func TestUntrainedCriticBreakingTheEstimatorSaysWhy(t *testing.T) {
	c := tinyConfig()
	c.Estimator, c.MIUnits, c.Epochs = "nwj", 2048, 1
	run, _ := taskstest.NewRun(3, nil)
	run.Dir = t.TempDir()
	_, err := Task{}.Run(context.Background(), c, run)
	var de *tasks.DivergedError
	if !errors.As(err, &de) || de.Step != 1 {
		t.Fatalf("nwj with a 2048-wide encode-and-dot critic: %v, want a divergence at step 1", err)
	}
	for _, want := range []string{"first step, so no learning rate helps", "sqrt(mi_units) = 45", "passes 1e+06 from scores of about 14 + log(negatives)", "(jsd, infonce, dv, smile)", `local_critic = "concat-and-convolve"`} {
		if !strings.Contains(de.Reason, want) {
			t.Errorf("the reason %q lacks %q", de.Reason, want)
		}
	}
	c = tinyConfig()
	c.Estimator, c.LocalCritic, c.Epochs = "nwj", "concat-and-convolve", 1
	run, _ = taskstest.NewRun(3, nil)
	run.Dir = t.TempDir()
	if _, err := (Task{}).Run(context.Background(), c, run); err != nil {
		t.Errorf("nwj with the concat-and-convolve local critic, as the hint suggests: %v", err)
	}
	if h := untrainedHint(c, 1); h != "" {
		t.Errorf("a divergence at step 1 gets the hint %q", h)
	}
	c = tinyConfig()
	if h := untrainedHint(c, 0); !strings.Contains(h, "(infonce, dv, smile)") {
		t.Errorf("jsd's hint %q does not offer the other three alone", h)
	}
}
