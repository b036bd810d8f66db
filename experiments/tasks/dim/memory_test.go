package dim

import (
	"runtime"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestRunsReleaseTheirMemory runs the task several times in one process, as
// a sweep does, and checks that a finished run leaves nothing behind: the
// live heap after the later runs stays within a small bound of the live heap
// after the warm-up runs. Before the probes dropped their tape machines'
// finalizers, every run kept its probes' graphs and values alive (about
// 3 MB a run at this size, 100 MB and more at a sweep's).
func TestRunsReleaseTheirMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("several tiny runs")
	}
	c := tinyConfig()
	c.Epochs = 1
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0.1 // every graph the task builds
	const warmUp, runs = 2, 4
	for i := 0; i < warmUp; i++ {
		runTiny(t, c, int64(i))
	}
	before := taskstest.LiveHeap()
	for i := 0; i < runs; i++ {
		runTiny(t, c, int64(warmUp+i))
	}
	after := taskstest.LiveHeap()
	// The bound leaves room for gorgonia's and tensor's bounded pools of
	// small headers; a leak of one run's graphs is several times larger.
	const bound = 1 << 20
	if after > before+bound {
		t.Errorf("live heap grew from %.2f MB to %.2f MB over %d runs (%.2f MB a run); a finished run keeps memory alive",
			float64(before)/1e6, float64(after)/1e6, runs, float64(after-before)/1e6/runs)
	}
	t.Logf("live heap %.2f MB after %d warm-up runs, %.2f MB after %d more", float64(before)/1e6, warmUp, float64(after)/1e6, runs)
}

// TestMemoryEstimateCoversTheModel loads the data, builds the model, takes
// a training step, then extracts the training images' features, for a
// small config and one at the default widths: the live heap the run holds
// in either phase must be within the estimate, and the estimate within a
// few times the heap (it also covers the heap's growth between collections
// and the process's own memory).
func TestMemoryEstimateCoversTheModel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two models")
	}
	wide := DefaultConfig()
	wide.TrainSubset, wide.TestSubset, wide.BatchSize = 256, 128, 32
	for name, c := range map[string]*Config{"tiny": tinyConfig(), "default widths": wide} {
		t.Run(name, func(t *testing.T) {
			before := taskstest.LiveHeap()
			train, test, err := loadData(c, 1)
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewModel(c, train.C, train.H, 1)
			if err != nil {
				t.Fatal(err)
			}
			copy(m.Input, train.Batch(train.Shuffle(1)[:c.BatchSize], nil))
			if _, err := m.EncoderStep(); err != nil {
				t.Fatal(err)
			}
			training := taskstest.LiveHeap() - before
			fx, err := architectures.NewFeatureExtractor(m.Encoder, extractBatch)
			if err != nil {
				t.Fatal(err)
			}
			m.Close()
			m = nil
			trainF, err := fx.Extract(train.Images, train.N)
			if err != nil {
				t.Fatal(err)
			}
			used := max(training, taskstest.LiveHeap()-before)
			runtime.KeepAlive(trainF)
			fx.Close()
			_ = test
			taskstest.EstimateCovers(t, c, used, 8, baseBytes)
		})
	}
}

// TestValidateRefusesSizesThatOverflow gives widths and epochs whose
// products overflow: Validate must refuse them, naming the setting.
func TestValidateRefusesSizesThatOverflow(t *testing.T) {
	for _, c := range []struct {
		set  func(c *Config)
		want string
	}{
		{func(c *Config) { c.Epochs = 1 << 60 }, "epochs = 1152921504606846976: times 60000 training images"},
		{func(c *Config) { c.ProbeEpochs = 1 << 60 }, "probe_epochs = 1152921504606846976: times 60000 training images"},
		{func(c *Config) { c.MIUnits = 1 << 40 }, "mi_units = 1099511627776: the run's sizes overflow"},
		{func(c *Config) { c.Conv2, c.Conv3 = 1<<30, 1<<30 }, "conv2 = 1073741824: the run's sizes overflow"},
	} {
		cfg := DefaultConfig()
		c.set(cfg)
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
	var _ tasks.MemoryEstimator = DefaultConfig()
}

// TestMemoryEstimateBlamesTheFeatures checks the setting the estimate
// names for the probes' features: train_subset (0 too) at the default
// widths or near them, and the width that adds the most floats to an
// image's features where they are at least twice the defaults', with
// all the training images; and the whole error of an overflow there,
// down to its advice.
func TestMemoryEstimateBlamesTheFeatures(t *testing.T) {
	def := DefaultConfig()
	for _, c := range []struct {
		set  func(c *Config)
		want string
	}{
		{func(c *Config) {}, "train_subset = 0"},
		{func(c *Config) { c.TrainSubset = 60000 }, "train_subset = 60000"},
		{func(c *Config) { c.Code = def.Code + 1 }, "train_subset = 0"},
		// code is furthest above its default by ratio, conv3 adds more.
		{func(c *Config) { c.Conv3, c.Code = 4*def.Conv3, 8*def.Code }, "conv3 = 1024"},
		{func(c *Config) { c.FC = 20 * def.FC }, "fc = 20480"},
		{func(c *Config) { c.Code = 1 << 58 }, "code = 288230376151711744"},
		// Named as written, not as the nearest float64 (2^62).
		{func(c *Config) { c.Code = 1<<62 - 1 }, "code = 4611686018427387903"},
	} {
		cfg := DefaultConfig()
		c.set(cfg)
		var got string
		for _, p := range cfg.EstimateMemory() {
			if p.What == "the probes' features" {
				got = p.Setting
			}
		}
		if got != c.want {
			t.Errorf("features part blames %q, want %q", got, c.want)
		}
	}
	cfg := DefaultConfig()
	cfg.Code = 1 << 58
	const want = "code = 288230376151711744: the run's sizes overflow: it would need 2.82e+05 EB, 1.61e+05 EB of it for the probes' features; make code smaller"
	if err := cfg.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %q", err, want)
	}
}

// TestMemoryEstimateCountsFloat32Moments checks that adam_moments =
// "float32" shrinks the estimate's weights part from 28 bytes a weight to
// 20 and leaves every other part as it is; the default, written "" or
// "float64", counts 28.
func TestMemoryEstimateCountsFloat32Moments(t *testing.T) {
	estimate := func(moments string) tasks.Memory {
		c := DefaultConfig()
		c.AdamMoments = moments
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		return c.EstimateMemory()
	}
	taskstest.MomentsShrinkOnly(t, estimate(""), estimate("float64"), estimate("float32"), "the networks' weights", 20.0/28)
}

// TestMemoryEstimateCountsTheModelsWeights builds the model of each preset
// and critic, Y embedded or not, and checks that the estimate's count of
// weights is the model's, from 4% below (the estimate leaves out the biases
// and the norms' scales) to 2% above, the prior discriminator counted twice
// as it is trained and copied into the encoder's graph. Under y_embedding =
// "official" with code equal to the critics' widths Y has no embedding net,
// and the count must drop with the model's.
func TestMemoryEstimateCountsTheModelsWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several models")
	}
	type variant struct {
		preset, local, global, yEmbedding string
	}
	for _, v := range []variant{
		{"dim-l", "encode-and-dot", "encode-and-dot", ""},
		{"dim-l", "encode-and-dot", "encode-and-dot", "official"},
		{"dim-l", "concat-and-convolve", "encode-and-dot", ""},
		{"dim-g", "encode-and-dot", "encode-and-dot", ""},
		{"dim-g", "encode-and-dot", "encode-and-dot", "official"},
		{"dim-g", "encode-and-dot", "concat", ""},
		{"dim-lg", "encode-and-dot", "encode-and-dot", "official"},
		{"dim-lg", "encode-and-dot", "encode-and-dot", "official, global wider"},
	} {
		t.Run(strings.Join([]string{v.preset, v.local, v.global, v.yEmbedding}, "/"), func(t *testing.T) {
			c := tinyConfig()
			c.Preset, c.LocalCritic, c.GlobalCritic = v.preset, v.local, v.global
			c.YEmbedding, _, _ = strings.Cut(v.yEmbedding, ",")
			c.Code = c.MIUnits // so that "official" leaves Y unembedded
			if strings.HasSuffix(v.yEmbedding, "global wider") {
				c.GlobalUnits = 2 * c.Code // the global critic embeds Y, the local one does not
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			m, err := NewModel(c, 1, data.ImageSide, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			model := countWeights(m.Adam.Params())
			if m.PriorAdam != nil {
				model += 2 * countWeights(m.PriorAdam.Params())
			}
			estimate, _ := c.networks(c.Objective(), 1)
			if r := estimate / float64(model); r < 0.96 || r > 1.02 {
				t.Errorf("the estimate counts %.0f weights, the model has %d (%.3f times)", estimate, model, r)
			}
		})
	}
}

// countWeights returns the number of values of the nodes.
func countWeights(nodes G.Nodes) int {
	n := 0
	for _, p := range nodes {
		n += p.Shape().TotalSize()
	}
	return n
}

// TestMemoryEstimateOfAKeptEncoder checks that a run probing encoder_file,
// which trains nothing, is estimated without a training batch or the
// critics' and Adam's memory: below the trained run's estimate at batch
// 512, and no more than a random baseline's, which builds the critics too.
func TestMemoryEstimateOfAKeptEncoder(t *testing.T) {
	trained := DefaultConfig()
	trained.BatchSize = 512
	kept := DefaultConfig()
	kept.BatchSize, kept.EncoderFile = 512, "runs/x/encoder.safetensors"
	random := DefaultConfig()
	random.BatchSize, random.Model = 512, ModelRandom
	for _, p := range kept.EstimateMemory() {
		if strings.Contains(p.What, "training batch") || strings.Contains(p.What, "calibration") {
			t.Errorf("a kept encoder's estimate counts %q (%.2g bytes), which it does not run", p.What, p.Bytes)
		}
	}
	if k, r, tr := kept.EstimateMemory().Total(), random.EstimateMemory().Total(), trained.EstimateMemory().Total(); !(k <= r && k < tr/2) {
		t.Errorf("a kept encoder's estimate %.3g bytes, want at most the random baseline's %.3g and under half the trained run's %.3g", k, r, tr)
	}
}
