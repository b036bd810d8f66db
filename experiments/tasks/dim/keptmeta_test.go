package dim

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
	"github.com/infomax/infomax/internal/safetensors"
)

// keepUntrained writes, without training, the encoder of c for images of
// the given channels to a fresh folder as keepEncoder does, the training
// set's normalization being mean and std, and returns the file's path.
func keepUntrained(t *testing.T, c *Config, channels int, mean, std []float32) string {
	t.Helper()
	enc, err := architectures.NewEncoder(G.NewGraph(), architectures.NewInit(1), c.encoderSpec(channels, data.ImageSide))
	if err != nil {
		t.Fatal(err)
	}
	run, _ := taskstest.NewRun(3, nil)
	run.Dir = t.TempDir()
	train := &data.Set{Name: c.Dataset, C: channels, H: data.ImageSide, W: data.ImageSide, Mean: mean, Std: std}
	if err := keepEncoder(c, run, enc, train); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(run.Dir, KeptEncoder)
}

// TestKeptMetadataNormalization checks that a kept encoder's metadata
// gives the training images' per-channel mean as normalize_mean and their
// standard deviation as normalize_std, each in its own key, as PyTorch
// code feeding the encoder reads them.
func TestKeptMetadataNormalization(t *testing.T) {
	c := tinyConfig()
	c.Dataset = "cifar10"
	path := keepUntrained(t, c, 3, []float32{0.25, 0.5, 0.125}, []float32{2, 4, 8})
	f, err := safetensors.ReadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"normalize_mean": "[0.25,0.5,0.125]", "normalize_std": "[2,4,8]", "image_channels": "3", "seed": "3"} {
		if f.Metadata[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, f.Metadata[k], want)
		}
	}
}

// TestCheckEncoderFileChannels checks that CheckDisk's check of
// encoder_file sizes the encoder for the config's data set's channels: a
// 3-channel encoder passes for cifar10, and for mnist is refused with the
// kept run's sizes and its data set's channels as the fix.
func TestCheckEncoderFileChannels(t *testing.T) {
	c := tinyConfig()
	c.Dataset, c.Normalize = "cifar10", true
	path := keepUntrained(t, c, 3, []float32{0.5, 0.5, 0.5}, []float32{1, 1, 1})
	c.EncoderFile = path
	if err := c.checkEncoderFile(); err != nil {
		t.Errorf("a cifar10 encoder for cifar10: %v", err)
	}
	m := tinyConfig()
	m.Dataset, m.Normalize, m.EncoderFile = "mnist", true, path
	err := m.checkEncoderFile()
	for _, want := range []string{`tensor "conv1.weight" has shape [8 3 4 4], but the config's encoder needs [8 1 4 4]`,
		"set conv1 = 8, conv2 = 16, conv3 = 16, fc = 32, code = 16, first_bn = true as the run that kept it did, and a data set of 3-channel images as it had (cifar10)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a cifar10 encoder for mnist: error %v, want one saying %q", err, want)
		}
	}
	// A kept encoder of the same channels gets no data-set hint.
	m.Conv2 = 32
	mpath := keepUntrained(t, tinyConfig(), 1, []float32{0.5}, []float32{1})
	m.EncoderFile = mpath
	if err := m.checkEncoderFile(); err == nil || strings.Contains(err.Error(), "a data set of") || !strings.Contains(err.Error(), "conv2 = 16") {
		t.Errorf("an mnist encoder of other sizes for mnist: error %v, want the kept sizes and no data-set hint", err)
	}
}

// TestKeptModelNames checks that a run keeps encoder.safetensors only
// where it trains an encoder: not the pixel baseline, not a run probing
// encoder_file (whose folder would otherwise be expected to hold a copy).
func TestKeptModelNames(t *testing.T) {
	c := tinyConfig()
	if got := (Task{}).KeptModel(c); got != KeptEncoder {
		t.Errorf("a trained encoder keeps %q, want %q", got, KeptEncoder)
	}
	px := tinyConfig()
	px.Preset = "pixels"
	if got := (Task{}).KeptModel(px); got != "" {
		t.Errorf("pixels keep %q, want none", got)
	}
	ef := tinyConfig()
	ef.EncoderFile = "runs/x/encoder.safetensors"
	if got := (Task{}).KeptModel(ef); got != "" {
		t.Errorf("a run probing encoder_file keeps %q, want none", got)
	}
}

// TestUnusedNegativesSuggestTheBuiltTerm checks that a negatives setting
// for the MI term an objective lacks suggests the other term's key where
// that term is built (dim-l: local only; dim-g: global only).
func TestUnusedNegativesSuggestTheBuiltTerm(t *testing.T) {
	l := tinyConfig()
	l.Preset, l.NumGlobalNegatives = "dim-l", 4
	if err := l.Validate(); err == nil || !strings.Contains(err.Error(), "has no global MI term; remove the key, or write num_negatives for the other term") {
		t.Errorf("num_global_negatives on dim-l: %v, want the hint to num_negatives", err)
	}
	g := tinyConfig()
	g.Preset, g.NumNegatives = "dim-g", 4
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "has no local MI term; remove the key, or write num_global_negatives for the other term") {
		t.Errorf("num_negatives on dim-g: %v, want the hint to num_global_negatives", err)
	}
}

// TestVariantBoundaries checks the variants' range checks at their
// edges: occlude_prob = 1 and occlude_size = 32 (the whole image) pass,
// an occlude_size left 0 with occlusion off passes, and an infinite
// coord_weight is refused.
func TestVariantBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(c *Config)
		ok   bool
	}{
		{"occlude_prob = 1", func(c *Config) { c.OccludeProb, c.OccludeSize = 1, 8 }, true},
		{"occlude_size = 32", func(c *Config) { c.OccludeProb, c.OccludeSize = 0.5, 32 }, true},
		{"occlude_size = 0 without occlusion", func(c *Config) { c.OccludeProb, c.OccludeSize = 0, 0 }, true},
		{"occlude_size = 33", func(c *Config) { c.OccludeProb, c.OccludeSize = 0.5, 33 }, false},
		{"coord_weight = +Inf", func(c *Config) { c.CoordWeight = math.Inf(1) }, false},
	} {
		c := tinyConfig()
		tc.set(c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestEncoderFileOfAnotherWriter checks the checks of encoder_file against
// a file not written by a dim run (PyTorch's, or with its metadata cut):
// its normalization is not checked, and a tensor of another shape gets
// the generic fix unless the metadata gives every size.
func TestEncoderFileOfAnotherWriter(t *testing.T) {
	c := tinyConfig()
	c.Normalize, c.EncoderFile = true, "enc.safetensors"
	for _, meta := range []map[string]string{nil, {"format": "pt"}, {"task": "other"}} {
		if err := c.checkNormalize(meta); err != nil {
			t.Errorf("metadata %v: %v, want no normalize check", meta, err)
		}
	}
	if err := c.checkNormalize(map[string]string{"task": "dim"}); err == nil {
		t.Errorf("a dim run's file without normalize_mean for normalize = true: accepted")
	}
	te := &architectures.TensorError{Name: "conv2.weight", Got: []int{16, 8, 4, 4}, Want: []int{32, 8, 4, 4}}
	partial := map[string]string{"conv1": "8", "conv2": "16", "conv3": "16", "fc": "32", "code": "16"}
	if err := c.encoderFileError(te, partial); err == nil || !strings.HasSuffix(err.Error(), "set conv1, conv2, conv3, fc, code and first_bn as the run that kept it did (its config.toml)") {
		t.Errorf("metadata without first_bn: %v, want the generic fix", err)
	}
}
