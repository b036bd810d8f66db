package gaussian

import (
	"runtime"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestMemoryEstimateCoversTheModel builds the model of small configs, each
// large in one way, and takes a step: the live heap the model holds must
// be within the estimate, and the estimate within a few times the heap
// (it also covers the heap's growth between collections and the
// process's own memory).
func TestMemoryEstimateCoversTheModel(t *testing.T) {
	large := map[string]func(c *Config){
		"wide separable": func(c *Config) { c.Hidden, c.Layers = 1024, 2 },
		"concat":         func(c *Config) { c.Critic, c.BatchSize, c.Hidden = "concat", 128, 64 },
		"deep":           func(c *Config) { c.Hidden, c.Layers, c.BatchSize, c.Dim = 8, 100, 8, 4 },
		"wide input":     func(c *Config) { c.Dim, c.BatchSize, c.Hidden, c.Layers = 100000, 8, 8, 1 },
	}
	for name, set := range large {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.StepsPerLevel = 10
			set(cfg)
			before := taskstest.LiveHeap()
			m, err := NewModel(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := m.Step(); err != nil {
				t.Fatal(err)
			}
			used := taskstest.LiveHeap() - before
			runtime.KeepAlive(m)
			m.Close()
			taskstest.EstimateCovers(t, cfg, used, 4, baseBytes)
		})
	}
}

// TestValidateRefusesSizesThatOverflow gives settings whose products, or
// whose step count, overflow: Validate must refuse them, naming the
// setting (they passed, and the run panicked in makeslice or ran 0 steps).
func TestValidateRefusesSizesThatOverflow(t *testing.T) {
	for _, c := range []struct {
		set  func(c *Config)
		want string
	}{
		{func(c *Config) { c.StepsPerLevel = 1<<63 - 1 }, "steps_per_level = 9223372036854775807: "},
		{func(c *Config) { c.StepsPerLevel, c.MILevels = 1<<62, []float64{2, 4, 6, 8} }, "steps_per_level = 4611686018427387904: times 4 levels"},
		{func(c *Config) { c.BatchSize = 100000000000 }, "batch_size = 100000000000: the run's sizes overflow"},
		{func(c *Config) { c.Critic, c.BatchSize = "concat", 30000000 }, "batch_size = 30000000: the run's sizes overflow"},
		{func(c *Config) { c.Hidden, c.Layers = 1<<40, 3 }, "hidden = 1099511627776: the run's sizes overflow"},
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

// TestMemoryEstimateCountsFloat32Moments checks that adam_moments =
// "float32" shrinks the critic's weights part from 36 bytes a weight to
// 28, for both critics, and leaves every other part as it is; the
// default, written "" or "float64", counts 36.
func TestMemoryEstimateCountsFloat32Moments(t *testing.T) {
	for _, critic := range []string{"separable", "concat"} {
		estimate := func(moments string) tasks.Memory {
			c := DefaultConfig()
			c.Critic, c.AdamMoments = critic, moments
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			return c.EstimateMemory()
		}
		taskstest.MomentsShrinkOnly(t, estimate(""), estimate("float64"), estimate("float32"), "the critic's weights", 28.0/36)
	}
}
