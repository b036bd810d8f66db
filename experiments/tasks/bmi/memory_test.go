package bmi

import (
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/tasks"
)

func TestValidateRefusesSizesThatOverflow(t *testing.T) {
	for _, c := range []struct {
		set  func(c *Config)
		want string
	}{
		{func(c *Config) { c.Samples = 1 << 60 }, "samples = 1152921504606846976: the run's sizes overflow"},
		{func(c *Config) { c.Samples, c.BatchSize, c.TestScoring = 1<<40, 1<<32, ScoreBatches }, "batch_size = 4294967296: the run's sizes overflow"},
		{func(c *Config) { c.Samples = 1 << 40 }, "samples = 1099511627776: the run's sizes overflow: it would need 7.25e+06 EB, 7.25e+06 EB of it for the test split's scores"},
	} {
		cfg := DefaultConfig()
		c.set(cfg)
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	var _ tasks.MemoryEstimator = DefaultConfig()
}

// TestMemoryEstimateGrowsWithTheDraws checks the estimate's parts: the
// draws' part is linear in samples and in the dimensions, and only a neural
// estimator has a score matrix, and one of its test split's unless it is
// scored in batches.
func TestMemoryEstimateGrowsWithTheDraws(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Problem, cfg.Samples, cfg.Estimator = "dense-5x5", 1000000, "cca"
	m := cfg.EstimateMemory()
	if len(m) != 2 || m[1].Bytes != 1e6*(256+64*10) {
		t.Fatalf("cca on dense-5x5 at 10⁶ samples: %+v; want the process and 896 MB of draws", m)
	}
	// Measured peak: 332 MB at 2·10⁶ samples; the estimate must not be below it.
	cfg.Samples = 2000000
	if total := cfg.EstimateMemory().Total(); total < 332e6 {
		t.Errorf("estimate %.0f bytes is below the measured peak of 332 MB", total)
	}
	cfg.Estimator = "infonce"
	if m := cfg.EstimateMemory(); len(m) != 4 || m[2].Bytes != 36*4*256*256 || m[3].Bytes != 24*1e6*1e6+8*(1e6+192)*float64(cfg.Embed) {
		t.Errorf("infonce: %+v; want a batch_size² score part of 36·4·256² bytes and a test split's of 24·(10⁶)² and 8·(10⁶ padded to batches of 256)·embed", m)
	}
	// Measured peak: 422 MB for infonce at 10⁴ samples, scoring the 5,000
	// test pairs against each other.
	cfg.Problem, cfg.Samples, cfg.BatchSize = "sparse-3x3", 10000, 128
	if total := cfg.EstimateMemory().Total(); total < 422e6 {
		t.Errorf("estimate %.0f bytes is below the measured peak of 422 MB", total)
	}
	cfg.TestScoring = ScoreBatches
	if m := cfg.EstimateMemory(); len(m) != 3 {
		t.Errorf("infonce scored in batches: %+v; want no part for the test split's scores", m)
	}
}
