package bmi

import (
	"fmt"
	"math"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
)

// Config is the bmi task's settings, the keys of a sweep file's [base]
// table for task = "bmi". [DefaultConfig] gives BMI's protocol.
type Config struct {
	// Problem names the distribution, as in "sparse-3x3+normal-cdf" (see
	// [ParseProblem]).
	Problem string `toml:"problem"`
	// Samples is N, the number of draws of (x, y): the whole data set.
	Samples int `toml:"samples"`
	// Standardize rescales every coordinate of x and y to mean 0 and
	// variance 1 over the N draws before any estimator sees them, as BMI
	// does for its neural and KSG estimators.
	Standardize bool `toml:"standardize"`
	// SpiralSpeed is the speed of the spiral transform, BMI's speed: x
	// turns by SpiralSpeed·‖x‖²/dim x, y by SpiralSpeed·‖y‖²/dim y (see
	// DefaultSpiralSpeed).
	SpiralSpeed float64 `toml:"spiral_speed"`
	// Estimator names the estimator, neural or classic (see `sweep list`);
	// EstimatorParams are its settings.
	Estimator       string             `toml:"estimator"`
	EstimatorParams map[string]float64 `toml:"estimator_params"`

	// The rest applies to neural estimators only. A classic one estimates
	// from all N draws, as BMI's KSG and CCA do.

	// TrainFraction is the share of the N draws a neural estimator trains
	// on; it is scored on the rest, the test split.
	TrainFraction float64 `toml:"train_fraction"`
	// BatchSize is the number of training pairs per step (drawn without
	// replacement from the training split) and of test pairs per
	// evaluation batch; the critic scores all BatchSize² pairings. A split
	// smaller than BatchSize makes the batch its size, and the run's log
	// says so.
	BatchSize int `toml:"batch_size"`
	// TestScoring is how the critic is scored on the test split: "all",
	// BMI's way, the estimate of the scores of every test y against every
	// test x (N_test² pairs, a block of batch_size² at a time); or
	// "batches", the mean of the estimates of consecutive batches of
	// batch_size test pairs (a last partial batch left out), cheaper for
	// a large test split but not BMI's: averaging log-mean-exp over
	// batches lifts dv's, mine's and smile's estimates a little, and
	// caps infonce's at log batch_size rather than log N_test.
	TestScoring string `toml:"test_scoring"`
	// MaxSteps bounds the training steps; EvalEvery is how often, in steps,
	// the critic is scored on the test split.
	MaxSteps  int `toml:"max_steps"`
	EvalEvery int `toml:"eval_every"`
	// Patience stops training once that many evaluations in a row have not
	// beaten the best test estimate; 0 trains for MaxSteps.
	Patience int `toml:"patience"`
	// LR, Beta1 and Beta2 are Adam's settings.
	LR    float64 `toml:"lr"`
	Beta1 float64 `toml:"beta1"`
	Beta2 float64 `toml:"beta2"`
	// AdamMoments is the precision of Adam's moments and of its update's
	// arithmetic: "float64", the default, or "float32", as PyTorch's Adam
	// keeps them for float32 weights (optim.Float32Moments). Validate
	// writes "float64" as "", which the config's TOML, and so the run's
	// id, leaves out: runs from before the key existed keep their ids.
	AdamMoments string `toml:"adam_moments,omitempty"`
	// Critic names the pair critic, "concat" or "separable"; Hidden, Layers
	// and Embed size it (Layers hidden layers of Hidden ReLU units, and
	// separable embeddings of size Embed).
	Critic string `toml:"critic"`
	Hidden int    `toml:"hidden"`
	Layers int    `toml:"layers"`
	Embed  int    `toml:"embed"`
}

// DefaultConfig returns BMI's protocol (Czyż et al. 2023, and the bmi
// package's neural estimators): N = 5,000 draws, standardized; neural
// estimators train on a random half with batches of 256 for at most 10,000
// steps, are scored on the other half every 250 steps, and stop once two
// scores in a row fail to beat the best, which is their estimate. Two
// choices are ours. BMI's critic is an MLP of 16 and 8 ReLU units on the
// concatenated pair, which scores all 256² pairings of a batch; ours is
// the separable critic (two layers of 64 units, embedding 16), a step of
// which costs about an eighth of a concat critic's of two 16-unit layers
// (BenchmarkStep). BMI trains by Adam at 0.1; at that rate nwj diverged at
// step 3 on sparse-3x3 with our critic, and at 0.01 infonce overfit (1.17
// nats on its training batches, 0.80 on the test split; truth 1.02), so we
// train at 1e-3 (infonce 0.98, nwj 0.98 there, scored in batches of 256
// before test_scoring's "all"; the suite's runs, batch 128, at "all":
// 0.99 and 0.98). The default run is jsd on
// the 3×3 sparse Gaussian.
func DefaultConfig() *Config {
	return &Config{
		Problem:         "sparse-3x3",
		Samples:         5000,
		Standardize:     true,
		SpiralSpeed:     DefaultSpiralSpeed,
		Estimator:       "jsd",
		EstimatorParams: map[string]float64{},
		TrainFraction:   0.5,
		BatchSize:       256,
		TestScoring:     ScoreAll,
		MaxSteps:        10000,
		EvalEvery:       250,
		Patience:        2,
		LR:              1e-3,
		Beta1:           0.9,
		Beta2:           0.999,
		AdamMoments:     string(optim.Float64Moments),
		Critic:          "separable",
		Hidden:          64,
		Layers:          2,
		Embed:           16,
	}
}

// KeyHint says where a key the config does not know belongs when some
// estimator takes it as a parameter: in estimator_params (see
// tasks.KeyHinter).
func (c *Config) KeyHint(key string) string { return estimators.ParamHint(key, "estimator_params") }

// Validate reports the first impossible setting, naming its key.
func (c *Config) Validate() error {
	p, err := ParseProblem(c.Problem)
	if err != nil {
		return fmt.Errorf("problem = %q: %w", c.Problem, err)
	}
	if c.Samples < 4 {
		return fmt.Errorf("samples = %d: must be at least 4", c.Samples)
	}
	if err := c.EstimateMemory().CheckSizes(); err != nil {
		return err
	}
	if !(c.SpiralSpeed >= 0) || math.IsInf(c.SpiralSpeed, 0) {
		return fmt.Errorf("spiral_speed = %g: must be a finite speed, at least 0", c.SpiralSpeed)
	}
	info, err := estimators.Lookup(c.Estimator)
	if err != nil {
		return fmt.Errorf("estimator = %q: %w", c.Estimator, err)
	}
	// Before the classic estimators' return: their runs' ids too are made
	// from the TOML that leaves the default moments out.
	moments, err := optim.MomentsKey(c.AdamMoments)
	if err != nil {
		return err
	}
	c.AdamMoments = moments
	if info.Classic() {
		if _, err := estimators.NewSample(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
			return estimators.ParamKey("estimator_params", err)
		}
		// A classic estimator trains no critic, but a misspelt one is
		// still an error, as it would be for the sweep's neural runs.
		if err := pair.CheckCriticName(c.Critic, false); err != nil {
			return err
		}
		return c.checkClassic(p, info)
	}
	if _, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
		return estimators.ParamKey("estimator_params", err)
	}
	return c.validateNeural()
}

// checkClassic reports a sample too small for the classic estimators'
// needs that the config shows: KSG's k neighbours and CCA's dimensions.
func (c *Config) checkClassic(p Problem, info estimators.Info) error {
	k, ok := c.EstimatorParams["k"]
	if !ok {
		k = info.Params["k"]
	}
	if c.Estimator == "ksg" && float64(c.Samples) <= k {
		return fmt.Errorf("samples = %d: ksg needs more than k = %g", c.Samples, k)
	}
	if c.Estimator == "cca" && c.Samples <= p.DimX+p.DimY {
		return fmt.Errorf("samples = %d: cca needs more draws than the %d dimensions of (x, y)", c.Samples, p.DimX+p.DimY)
	}
	return nil
}

// validateNeural checks the settings of a neural estimator's training.
func (c *Config) validateNeural() error {
	train, test := c.splitSizes()
	switch {
	case !(c.TrainFraction > 0 && c.TrainFraction < 1):
		return fmt.Errorf("train_fraction = %g: must be above 0 and below 1 (BMI's is 0.5)", c.TrainFraction)
	case train < 2 || test < 2:
		return fmt.Errorf("train_fraction = %g: splits samples = %d into %d to train and %d to test; each needs at least 2",
			c.TrainFraction, c.Samples, train, test)
	case c.BatchSize < 2:
		return fmt.Errorf("batch_size = %d: must be at least 2 (each sample needs another as a negative)", c.BatchSize)
	case c.MaxSteps < 1:
		return fmt.Errorf("max_steps = %d: must be at least 1", c.MaxSteps)
	case c.EvalEvery < 1 || c.EvalEvery > c.MaxSteps:
		return fmt.Errorf("eval_every = %d: must be from 1 to max_steps = %d", c.EvalEvery, c.MaxSteps)
	case c.Patience < 0:
		return fmt.Errorf("patience = %d: must not be negative (0 turns early stopping off)", c.Patience)
	case c.TestScoring != ScoreAll && c.TestScoring != ScoreBatches:
		return fmt.Errorf("test_scoring = %q: must be %q (every test pair, BMI's) or %q (the mean over batches of batch_size pairs)", c.TestScoring, ScoreAll, ScoreBatches)
	}
	if err := optim.CheckSettings(c.LR, c.Beta1, c.Beta2); err != nil {
		return err
	}
	return pair.CheckCritic(c.Critic, c.Hidden, c.Layers, c.Embed, false)
}

// The ways of scoring the critic on the test split (Config.TestScoring).
const (
	ScoreAll     = "all"
	ScoreBatches = "batches"
)

// splitSizes returns the sizes of the training and test splits.
func (c *Config) splitSizes() (train, test int) {
	train = int(math.Round(c.TrainFraction * float64(c.Samples)))
	return train, c.Samples - train
}

// batch returns the batch size a neural run uses: BatchSize, or the
// smaller split's size when that is smaller.
func (c *Config) batch() int {
	train, test := c.splitSizes()
	return min(c.BatchSize, train, test)
}
