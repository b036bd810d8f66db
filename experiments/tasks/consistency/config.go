package consistency

import (
	"fmt"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
)

// The tests a run makes (Song and Ermon 2020, §6), the values of the test
// key.
const (
	// TestBaseline compares I(X; Y) with I(X; X): the ratio should rise
	// with the rows Y keeps, to 1 when it keeps them all.
	TestBaseline = "baseline"
	// TestDataProcessing compares I([X, X]; [Y, h(Y)]) with I(X; Y),
	// where h(Y) keeps drop rows fewer than Y: h(Y) is a function of Y,
	// so the ratio should be 1.
	TestDataProcessing = "data_processing"
	// TestAdditivity compares I([X1, X2]; [Y1, Y2]) of two independent
	// images with I(X; Y): the ratio should be 2.
	TestAdditivity = "additivity"
)

// Config is the consistency task's settings, the keys of a sweep file's
// [base] table for task = "consistency". [DefaultConfig] gives the
// defaults and says how they were chosen.
type Config struct {
	// Test names the test: "baseline", "data_processing" or
	// "additivity".
	Test string `toml:"test"`
	// Rows is t: Y is the image X with its rows from t on set to 0, so
	// that Y keeps the first t rows (0 keeps none, the image's height all).
	Rows int `toml:"rows"`
	// Drop is how many rows fewer than Y the data-processing test's h(Y)
	// keeps (at least none).
	Drop int `toml:"drop"`
	// Dataset, DataPath, TrainSubset, TestSubset, ValidationSubset and
	// EvalSplit are the images and the split the estimates are taken on,
	// as the dim task's keys of the same names (see data.Settings).
	Dataset          string `toml:"dataset"`
	DataPath         string `toml:"data_path"`
	TrainSubset      int    `toml:"train_subset"`
	TestSubset       int    `toml:"test_subset"`
	ValidationSubset int    `toml:"validation_subset"`
	EvalSplit        string `toml:"eval_split"`
	// Estimator names a critic-based MI estimator (see `sweep list`);
	// EstimatorParams are its settings.
	Estimator       string             `toml:"estimator"`
	EstimatorParams map[string]float64 `toml:"estimator_params"`
	// Critic names the pair critic: "separable" or "concat", MLPs on the
	// images' pixels, or "separable-conv", convolutions first; Hidden,
	// Layers and Embed size its MLPs.
	Critic string `toml:"critic"`
	Hidden int    `toml:"hidden"`
	Layers int    `toml:"layers"`
	Embed  int    `toml:"embed"`
	// ConvChannels are the output channels of separable-conv's 5x5
	// stride-2 convolutions, in order; left out, 64 and 128, a
	// reimplementation's of Song and Ermon's tests
	// (architectures.DefaultConvChannels). Only separable-conv
	// reads it.
	ConvChannels []int `toml:"conv_channels,omitempty"`
	// BatchSize is the number of pairs a step trains on and a batch of
	// the estimate scores; the critic scores all BatchSize² pairings.
	BatchSize int `toml:"batch_size"`
	// Steps is the number of training steps of each of the run's two
	// critics.
	Steps int `toml:"steps"`
	// LR, Beta1 and Beta2 are Adam's settings; AdamMoments the precision
	// of its moments ("float64", written as "", or "float32").
	LR          float64 `toml:"lr"`
	Beta1       float64 `toml:"beta1"`
	Beta2       float64 `toml:"beta2"`
	AdamMoments string  `toml:"adam_moments,omitempty"`
	// LogEvery is how often, in steps, the training losses and estimates
	// are written to metrics.jsonl.
	LogEvery int `toml:"log_every"`
}

// DefaultConfig returns the baseline test at t = 14 with infonce. The
// training settings are those of a reimplementation of Song and Ermon's
// tests (batch 100, Adam at 1e-4; ../shared/reference/mi-benchmarks.md);
// the critic is ours: where theirs is a convolutional network scoring
// each concatenated pair, which would score all 100² pairings of a batch
// through two convolutions, ours is the separable critic on the pixels
// (two layers of 256 ReLU units, embeddings of 64), which embeds each
// image once. Steps (2,000) is the pilot's choice, made on the validation
// split (README, "Self-consistency tests on images"). Drop is the paper's
// 3 rows. The estimates are taken on MNIST's test split; MNIST's pixels,
// in [0, 1], are not normalized. A training batch draws its images with
// replacement, as the gaussian task draws its pairs: of 100 from MNIST's
// 60,000, about one batch in 12 holds an image twice, two false negatives
// (the image's x with its y, on either side of the diagonal) among its
// 9,900 pairings.
func DefaultConfig() *Config {
	return &Config{
		Test:            TestBaseline,
		Rows:            14,
		Drop:            3,
		Dataset:         "mnist",
		EvalSplit:       data.SplitTest,
		Estimator:       "infonce",
		EstimatorParams: map[string]float64{},
		Critic:          "separable",
		Hidden:          256,
		Layers:          2,
		Embed:           64,
		BatchSize:       100,
		Steps:           2000,
		LR:              1e-4,
		Beta1:           0.9,
		Beta2:           0.999,
		AdamMoments:     string(optim.Float64Moments),
		LogEvery:        100,
	}
}

// CheckDisk reports a data_path that is not a folder on this machine (see
// tasks.DiskChecker).
func (c *Config) CheckDisk() error {
	if err := data.CheckFolder(c.DataPath); err != nil {
		return fmt.Errorf("data_path: %w", err)
	}
	return nil
}

// checkBatch reports a batch_size larger than a subset the run trains on
// or estimates on, so that no full batch exists.
func (c *Config) checkBatch() error {
	eval, evalKey := c.TestSubset, "test_subset"
	if c.EvalSplit == data.SplitValidation {
		eval, evalKey = c.ValidationSubset, "validation_subset"
	}
	for _, s := range []struct {
		key string
		n   int
	}{{"train_subset", c.TrainSubset}, {evalKey, eval}} {
		if s.n > 0 && c.BatchSize > s.n {
			return fmt.Errorf("batch_size = %d: larger than %s = %d, so no full batch exists; use at most %d", c.BatchSize, s.key, s.n, s.n)
		}
	}
	return nil
}

// KeyHint says where a key the config does not know belongs when some
// estimator takes it as a parameter: in estimator_params (see
// tasks.KeyHinter).
func (c *Config) KeyHint(key string) string { return estimators.ParamHint(key, "estimator_params") }

// Validate reports the first impossible setting, naming its key, and
// cleans data_path.
func (c *Config) Validate() error {
	switch c.Test {
	case TestBaseline, TestDataProcessing, TestAdditivity:
	default:
		return fmt.Errorf("test = %q: must be %q, %q or %q", c.Test, TestBaseline, TestDataProcessing, TestAdditivity)
	}
	path, err := data.Settings{Dataset: c.Dataset, DataPath: c.DataPath, TrainSubset: c.TrainSubset, TestSubset: c.TestSubset,
		ValidationSubset: c.ValidationSubset, EvalSplit: c.EvalSplit}.Check()
	if err != nil {
		return err
	}
	c.DataPath = path
	switch {
	case c.Rows < 0:
		return fmt.Errorf("rows = %d: must be at least 0 (the rows of the image that Y keeps)", c.Rows)
	case c.Rows == 0 && c.Test != TestBaseline:
		return fmt.Errorf("rows = 0: Y keeps no row, so I(X; Y), the %s ratio's denominator, is 0; use rows = 1 or more", c.Test)
	case c.Rows > data.ImageSide:
		return fmt.Errorf("rows = %d: the images have %d rows (package data makes every data set's %dx%d); use at most %d", c.Rows, data.ImageSide, data.ImageSide, data.ImageSide, data.ImageSide)
	case c.Drop < 0:
		return fmt.Errorf("drop = %d: must be at least 0 (how many rows fewer than Y h(Y) keeps)", c.Drop)
	case c.BatchSize < 2:
		return fmt.Errorf("batch_size = %d: must be at least 2 (each pair needs another as a negative)", c.BatchSize)
	case c.Steps < 1:
		return fmt.Errorf("steps = %d: must be at least 1", c.Steps)
	case c.LogEvery < 1:
		return fmt.Errorf("log_every = %d: must be at least 1 (1 logs every step)", c.LogEvery)
	}
	if err := c.checkBatch(); err != nil {
		return err
	}
	if _, err := estimators.LookupCritic(c.Estimator); err != nil {
		return fmt.Errorf("estimator = %q: %w", c.Estimator, err)
	}
	if _, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
		return estimators.ParamKey("estimator_params", err)
	}
	moments, err := optim.CheckAdam(c.LR, c.Beta1, c.Beta2, c.AdamMoments)
	if err != nil {
		return err
	}
	c.AdamMoments = moments
	if err := pair.CheckCritic(c.Critic, c.Hidden, c.Layers, c.Embed, true); err != nil {
		return err
	}
	if err := c.checkConvChannels(); err != nil {
		return err
	}
	return c.EstimateMemory().CheckSizes()
}

// checkConvChannels reports conv_channels set for a critic without
// convolutions, an empty list, a convolution of no channel, or more
// convolutions than the images' side can be halved.
func (c *Config) checkConvChannels() error {
	switch info, _ := architectures.LookupPairCritic(c.Critic); {
	case c.ConvChannels == nil:
		return nil
	case len(c.ConvChannels) == 0:
		return fmt.Errorf("conv_channels = []: lists no convolution; list their channels, such as [32, 64], or leave the key out")
	case !info.Images:
		return fmt.Errorf("conv_channels = %s: critic = %q has no convolution; leave conv_channels out, or use critic = \"separable-conv\"", tomlInts(c.ConvChannels), c.Critic)
	}
	spec := architectures.CriticSpec{DimX: data.ImageSide * data.ImageSide, DimY: data.ImageSide * data.ImageSide, Hidden: 1, Embed: 1,
		ImageSide: data.ImageSide, Channels: c.ConvChannels}
	if err := spec.ValidateImages(); err != nil {
		return fmt.Errorf("conv_channels = %s: %w", tomlInts(c.ConvChannels), err)
	}
	return nil
}

// channels returns the output channels of the critic's convolutions: none
// for a critic of pixels, conv_channels or their default for one of
// images.
func (c *Config) channels() []int {
	if info, _ := architectures.LookupPairCritic(c.Critic); !info.Images {
		return nil
	}
	if len(c.ConvChannels) > 0 {
		return c.ConvChannels
	}
	return architectures.DefaultConvChannels()
}
