package gaussian

import (
	"fmt"
	"math"
	"slices"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
)

// Config is the Gaussian benchmark's settings, the keys of a sweep file's
// [base] table for task = "gaussian". [DefaultConfig] gives the paper-scale
// values of Poole et al. (2019).
type Config struct {
	// Dim is the dimension d of x and of y.
	Dim int `toml:"dim"`
	// BatchSize is the number K of (x, y) pairs per step; the critic scores
	// all K² pairings.
	BatchSize int `toml:"batch_size"`
	// MILevels is the staircase of true MI values in nats, one per stage.
	MILevels []float64 `toml:"mi_levels"`
	// StepsPerLevel is the number of training steps spent at each level.
	StepsPerLevel int `toml:"steps_per_level"`
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
	// Estimator names the MI estimator (see `sweep list`); EstimatorParams
	// are its settings, such as smile's tau.
	Estimator       string             `toml:"estimator"`
	EstimatorParams map[string]float64 `toml:"estimator_params"`
	// Critic names the pair critic: "separable" or "concat".
	Critic string `toml:"critic"`
	// Hidden, Layers and Embed size the critic: Layers hidden layers of
	// Hidden ReLU units, and separable embeddings of size Embed.
	Hidden int `toml:"hidden"`
	Layers int `toml:"layers"`
	Embed  int `toml:"embed"`
	// ConcatHidden, when positive, replaces Hidden for the concat critic
	// only. The concat critic runs its hidden layers on all K² pairings,
	// about K times the work of the separable critic at the same width, so
	// a CPU sweep comparing both critics can give concat a narrower width
	// without narrowing the separable one. 0 uses Hidden.
	ConcatHidden int `toml:"concat_hidden"`
	// Cubic replaces y by y³, an invertible map that leaves the MI
	// unchanged but makes the optimal critic harder to represent.
	Cubic bool `toml:"cubic"`
	// LogEvery is how often, in steps, metrics are written to
	// metrics.jsonl. The summary always uses every step.
	LogEvery int `toml:"log_every"`
}

// DefaultConfig returns the paper-scale settings: d = 20, K = 64, the
// 2, 4, 6, 8, 10 nat staircase with 4000 steps per level (20000 in all),
// Adam at lr 5e-4, and a separable critic of two 256-unit layers with
// embedding 32, trained with jsd.
func DefaultConfig() *Config {
	return &Config{
		Dim:             20,
		BatchSize:       64,
		MILevels:        []float64{2, 4, 6, 8, 10},
		StepsPerLevel:   4000,
		LR:              5e-4,
		Beta1:           0.9,
		Beta2:           0.999,
		AdamMoments:     string(optim.Float64Moments),
		Estimator:       "jsd",
		EstimatorParams: map[string]float64{},
		Critic:          "separable",
		Hidden:          256,
		Layers:          2,
		Embed:           32,
		Cubic:           false,
		LogEvery:        1,
	}
}

// KeyHint says where a key the config does not know belongs when some
// estimator takes it as a parameter: in estimator_params (see
// tasks.KeyHinter).
func (c *Config) KeyHint(key string) string { return estimators.ParamHint(key, "estimator_params") }

// Validate reports the first impossible setting, naming its key.
func (c *Config) Validate() error {
	switch {
	case c.Dim < 1:
		return fmt.Errorf("dim = %d: must be at least 1", c.Dim)
	case c.BatchSize < 2:
		return fmt.Errorf("batch_size = %d: must be at least 2 (each sample needs another as a negative)", c.BatchSize)
	case len(c.MILevels) == 0:
		return fmt.Errorf("mi_levels is empty: give at least one MI level in nats, such as [2, 4, 6, 8, 10]")
	case c.StepsPerLevel < 1:
		return fmt.Errorf("steps_per_level = %d: must be at least 1", c.StepsPerLevel)
	case c.StepsPerLevel > math.MaxInt/len(c.MILevels):
		return fmt.Errorf("steps_per_level = %d: times %d levels, more steps than a count can hold", c.StepsPerLevel, len(c.MILevels))
	}
	moments, err := optim.CheckAdam(c.LR, c.Beta1, c.Beta2, c.AdamMoments)
	if err != nil {
		return err
	}
	c.AdamMoments = moments
	if err := pair.CheckCritic(c.Critic, c.Hidden, c.Layers, c.Embed, false); err != nil {
		return err
	}
	switch {
	case c.ConcatHidden < 0:
		return fmt.Errorf("concat_hidden = %d: must not be negative (0 uses hidden)", c.ConcatHidden)
	case c.LogEvery < 1:
		return fmt.Errorf("log_every = %d: must be at least 1 (1 logs every step)", c.LogEvery)
	}
	for i, mi := range c.MILevels {
		if !(mi >= 0) || math.IsInf(mi, 0) {
			return fmt.Errorf("mi_levels[%d] = %g: must be a finite MI in nats, at least 0", i, mi)
		}
		if rho := RhoForMI(mi, c.Dim); !(rho < 1) {
			return fmt.Errorf("mi_levels[%d] = %g: too large for dim = %d (the correlation rounds to 1); keep each level below %d nats", i, mi, c.Dim, 15*c.Dim)
		}
		if j := slices.IndexFunc(c.MILevels[:i], func(o float64) bool { return levelPrefix(o) == levelPrefix(mi) }); j >= 0 {
			return fmt.Errorf("mi_levels[%d] = %g: lists %g twice (mi_levels[%d] too), and a level's statistics are named by its value (%smean): give each level once", i, mi, mi, j, levelPrefix(mi))
		}
	}
	if _, err := estimators.LookupCritic(c.Estimator); err != nil {
		return fmt.Errorf("estimator = %q: %w", c.Estimator, err)
	}
	if _, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
		return estimators.ParamKey("estimator_params", err)
	}
	return c.EstimateMemory().CheckSizes()
}

// TotalSteps is the number of training steps of the whole staircase.
func (c *Config) TotalSteps() int { return len(c.MILevels) * c.StepsPerLevel }

// CriticHidden is the hidden width of the configured critic: ConcatHidden
// for the concat critic when it is set, Hidden otherwise.
func (c *Config) CriticHidden() int {
	if c.Critic == "concat" && c.ConcatHidden > 0 {
		return c.ConcatHidden
	}
	return c.Hidden
}

// criticSpec gives the critic's sizes for this config.
func (c *Config) criticSpec(seed uint64) architectures.CriticSpec {
	return architectures.CriticSpec{
		DimX: c.Dim, DimY: c.Dim,
		Hidden: c.CriticHidden(), Layers: c.Layers, Embed: c.Embed,
		Seed: seed,
	}
}
