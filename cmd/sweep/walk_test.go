package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/reports"
)

// walkConfig is the config of the "walk" task the CLI tests register: a
// seeded random walk, slow enough to be killed in the middle of a run.
type walkConfig struct {
	Steps   int     `toml:"steps"`
	Scale   float64 `toml:"scale"`
	SleepMS int     `toml:"sleep_ms"`
	// DivergeAbove makes the walk diverge at the first step where |x|
	// exceeds it; 0 never.
	DivergeAbove float64 `toml:"diverge_above"`
}

func (c *walkConfig) Validate() error {
	if c.Steps < 1 || !(c.Scale > 0) || c.SleepMS < 0 {
		return fmt.Errorf("steps = %d, scale = %g, sleep_ms = %d: steps and scale must be positive", c.Steps, c.Scale, c.SleepMS)
	}
	return nil
}

type walkTask struct{}

func (walkTask) NewConfig() tasks.Config { return &walkConfig{Steps: 50, Scale: 1, SleepMS: 2} }

// Metrics names the metrics of Run.
func (walkTask) Metrics(tasks.Config) tasks.Metrics {
	return tasks.Metrics{Summary: []string{"max_abs", "x"}, Logged: []string{"x"}}
}

// completionsEnv names a file the walk task appends its run id to when it
// finishes, so that a test can count runs done to the end.
const completionsEnv = "SWEEP_TEST_COMPLETIONS"

// Run walks x += scale * N(0, 1), tracking the largest |x|, and follows the
// checkpoint contract: resume, save when due, save and return when ctx is
// done.
func (walkTask) Run(ctx context.Context, c tasks.Config, run *tasks.Run) (results.Values, error) {
	cfg := c.(*walkConfig)
	src := rand.NewPCG(uint64(run.Seed), 7)
	var x, maxAbs float64
	start, err := checkpoint.Resume(run.Checkpoint, func(st *checkpoint.State) error {
		v, err := st.GetFloat64s("x_max")
		if err != nil {
			return err
		}
		x, maxAbs = v[0], v[1]
		return st.GetRand("rng", src)
	})
	if err != nil {
		return nil, err
	}
	saved := start
	save := func(step int) error {
		saved = step
		return checkpoint.SaveState(run.Checkpoint, step, func(st *checkpoint.State) error {
			st.PutFloat64s("x_max", []float64{x, maxAbs})
			return st.PutRand("rng", src)
		})
	}
	rng := rand.New(src)
	for step := start + 1; step <= cfg.Steps; step++ {
		if ctx.Err() != nil {
			if saved != step-1 {
				if err := save(step - 1); err != nil {
					return nil, err
				}
			}
			return nil, ctx.Err()
		}
		time.Sleep(time.Duration(cfg.SleepMS) * time.Millisecond)
		x += cfg.Scale * rng.NormFloat64()
		maxAbs = math.Max(maxAbs, math.Abs(x))
		if cfg.DivergeAbove > 0 && maxAbs > cfg.DivergeAbove {
			return nil, &tasks.DivergedError{Step: step, Reason: fmt.Sprintf("|x| = %g is beyond %g", maxAbs, cfg.DivergeAbove)}
		}
		if err := run.Metrics.Log(step, results.Values{"x": x}); err != nil {
			return nil, err
		}
		if run.Checkpoint != nil && run.Checkpoint.Due(step) {
			if err := save(step); err != nil {
				return nil, err
			}
		}
		run.UpdateProgress(step, cfg.Steps)
	}
	if path := os.Getenv(completionsEnv); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(f, run.ID)
		if err := f.Close(); err != nil {
			return nil, err
		}
	}
	if run.KeepModel {
		if err := results.WriteFileAtomic(filepath.Join(run.Dir, walkModel), []byte(fmt.Sprint(x))); err != nil {
			return nil, err
		}
	}
	return results.Values{"x": x, "max_abs": maxAbs}, nil
}

// walkModel is the file a walk run keeps its "model", its last x, in
// when the sweep keeps models.
const walkModel = "walk.model"

// KeptModel names the file a walk run keeps (see tasks.ModelKeeper).
func (walkTask) KeptModel(tasks.Config) string { return walkModel }

// failingReport is the report kind "failing" of the CLI tests: it passes
// validation and fails once it reads the runs, as a report can whatever
// validation checks (a disk that fills, a bug in a kind).
var failingReport = reports.Kind{
	Name:    "failing",
	Summary: "a report that fails on the runs, for the CLI tests",
	Check:   func(reports.Spec) error { return nil },
	Make: func(runs []reports.Run, spec reports.Spec, dir string) ([]string, error) {
		return nil, fmt.Errorf("failing report %q: read %d runs and failed, as it always does", spec.Name, len(runs))
	},
}

// undeclaredWalkTask is the walk task with a bug in its Metrics: it leaves
// out max_abs, which its runs write.
type undeclaredWalkTask struct{ walkTask }

// Metrics names the metrics of Run, but for max_abs.
func (undeclaredWalkTask) Metrics(tasks.Config) tasks.Metrics {
	return tasks.Metrics{Summary: []string{"x"}, Logged: []string{"x"}}
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "walk", Summary: "a slow random walk for the CLI tests", Task: walkTask{}})
	tasks.Register(tasks.TaskInfo{Name: "walk-undeclared", Summary: "the walk, its Metrics missing max_abs", Task: undeclaredWalkTask{}})
	reports.Register(failingReport)
}
