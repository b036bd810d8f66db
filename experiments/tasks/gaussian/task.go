// Package gaussian is the correlated-Gaussian MI benchmark of Poole et al.
// (2019): x ~ N(0, I_d) and y = rho x + sqrt(1-rho²) eps, whose mutual
// information is known in closed form, so every estimator can be scored
// against the truth. A run trains one critic with one estimator through a
// staircase of true MI values (2, 4, 6, 8, 10 nats in the paper), drawing a
// fresh batch every step, and records the estimate at every step.
//
// Importing the package registers the task "gaussian".
package gaussian

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/infomax/infomax/internal/stats"

	"github.com/infomax/infomax/internal/seed"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
)

func init() {
	tasks.Register(tasks.TaskInfo{
		Name:    "gaussian",
		Summary: "correlated Gaussians with a known MI staircase (Poole et al. 2019)",
		Task:    Task{},
	})
}

// Task is the Gaussian benchmark task.
type Task struct{}

// NewConfig returns the paper-scale defaults.
func (Task) NewConfig() tasks.Config { return DefaultConfig() }

// Run trains the configured critic and estimator through the staircase,
// logging "loss", "mi" (the estimate) and "true_mi" every LogEvery steps,
// and "steps_per_second" (this attempt's training speed) with the last
// step, and returns the summary described at [Summarize], plus "ceiling"
// for a bounded estimator.
//
// With run.Checkpoint set, Run follows the checkpoint contract: it first
// resumes from the last checkpoint, if any (weights, Adam's state, the data
// source, the estimator's state and the estimates so far), saves one after
// every step for which Checkpoint.Due is true, and when ctx is done saves
// one for the last finished step before returning ctx.Err(). A resumed run
// logs and returns exactly what an uninterrupted run with the same seed
// would, except for steps_per_second.
func (Task) Run(ctx context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("gaussian: config is a %T, want *gaussian.Config", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	// Compiling a deep critic's graph takes minutes and cannot stop
	// midway: an interrupt leaves it to finish in the background.
	m, err := tasks.Setup(ctx, func() (*Model, error) {
		return NewModel(c, seed.Derive(uint64(run.Seed), initStream))
	}, func(m *Model) { m.Close() })
	if err != nil {
		return nil, err
	}
	defer m.Close()
	sched := Staircase{Levels: c.MILevels, StepsPerLevel: c.StepsPerLevel}
	sampler := NewSampler(c.Dim, c.Cubic, seed.Derive(uint64(run.Seed), dataStream))
	total := sched.Steps()
	estimates := make([]float64, total)
	run = tasks.Unresumable(run, estimators.UnsavedState(c.Estimator, m.Estimator))
	first, err := resume(run.Checkpoint, c, m, sampler, estimates)
	if err != nil {
		return nil, err
	}
	if run.Log != nil {
		if first > 0 {
			run.Log.Info("gaussian run resuming", "estimator", c.Estimator, "critic", c.Critic, "step", first, "steps", total)
		} else {
			run.Log.Info("gaussian run starting", "estimator", c.Estimator, "critic", c.Critic, "steps", total)
		}
	}
	if err := train(ctx, run, c, m, sched, sampler, first, estimates); err != nil {
		return nil, err
	}
	summary := Summarize(sched, estimates)
	if c, ok := ceiling(m.Estimator, m.Mask); ok {
		summary["ceiling"] = c
	}
	return summary, nil
}

// train is the training loop, from step first on (counted from 0): each
// step draws a batch at the staircase's correlation for the step, trains on
// it and records its estimate in estimates. It logs the metrics once every
// LogEvery steps have been done and after the last, and keeps the
// checkpoint contract of [Task.Run] through a [tasks.Loop]. As in the other
// tasks, a logged step and a checkpoint's step count the steps done, so
// the last of a run is its number of steps.
func train(ctx context.Context, run *tasks.Run, c *Config, m *Model, sched Staircase, sampler *Sampler, first int, estimates []float64) error {
	total := len(estimates)
	loop := &tasks.Loop{Run: run, Task: "gaussian", Total: total, Save: func(done int) error {
		return checkpoint.SaveState(run.Checkpoint, done, func(st *checkpoint.State) error {
			return saveState(st, c, m, sampler, done-1, estimates)
		})
	}}
	start := time.Now()
	for step := first; step < total; step++ {
		if err := loop.Stopped(ctx); err != nil {
			return err
		}
		sampler.Sample(m.X, m.Y, sched.Rho(step, c.Dim))
		loss, mi, err := m.Step()
		if de := tasks.Diverged(step+1, err); de != nil {
			return de
		}
		if err != nil {
			return fmt.Errorf("gaussian: step %d: %w", step, err)
		}
		if reason := pair.NonFinite(loss, mi); reason != "" {
			return &tasks.DivergedError{Step: step + 1, Reason: reason + pair.FirstStepHint(c.Estimator, step+1)}
		}
		estimates[step] = mi
		done := step + 1
		if run.Metrics != nil && (done%c.LogEvery == 0 || done == total) {
			v := results.Values{"loss": loss, "mi": mi, "true_mi": sched.TrueMI(step)}
			if done == total {
				if elapsed := time.Since(start).Seconds(); elapsed > 0 {
					// Wall-clock speed differs between runs, so it is
					// kept out of the summary, which an interrupted and
					// resumed run must reproduce exactly.
					v["steps_per_second"] = float64(total-first) / elapsed
				}
			}
			if err := run.Metrics.Log(done, v); err != nil {
				return fmt.Errorf("gaussian: logging step %d: %w", done, err)
			}
		}
		if err := loop.StepDone(done, done); err != nil {
			return err
		}
	}
	return nil
}

// Summarize returns, for every level L of the staircase (formatted with %g),
// the statistics of the estimates over the second half of that level's
// steps, once the critic has had half a level to adapt:
// level_<L>_mean, level_<L>_bias (mean minus L), level_<L>_variance (the
// population variance) and level_<L>_mse (the mean squared error, equal to
// bias² + variance). estimates holds one estimate per step of s.
func Summarize(s Staircase, estimates []float64) results.Values {
	out := results.Values{}
	for k, level := range s.Levels {
		end := (k + 1) * s.StepsPerLevel
		begin := end - (s.StepsPerLevel - s.StepsPerLevel/2)
		st := stats.OfLevel(level, estimates[begin:end])
		key := levelPrefix(level)
		out[key+"mean"] = st.Mean
		out[key+"bias"] = st.Bias
		out[key+"variance"] = st.Variance
		out[key+"mse"] = st.MSE
	}
	return out
}

// levelPrefix is the prefix of a staircase level's summary metrics.
func levelPrefix(level float64) string { return fmt.Sprintf("level_%g_", level) }

// loggedMetrics are the metrics [Task.Run] logs.
var loggedMetrics = []string{"loss", "mi", "steps_per_second", "true_mi"}

// Metrics names the metrics a run of cfg writes: the summary of
// [Summarize] for its levels, with "ceiling" for an estimator that has one
// (see ceiling), and loggedMetrics.
func (Task) Metrics(cfg tasks.Config) tasks.Metrics {
	c, ok := cfg.(*Config)
	if !ok {
		return tasks.Metrics{}
	}
	var summary []string
	for _, level := range c.MILevels {
		for _, stat := range []string{"bias", "mean", "mse", "variance"} {
			summary = append(summary, levelPrefix(level)+stat)
		}
	}
	if e, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err == nil {
		// Whether there is a ceiling depends on the estimator's parameters,
		// not on the batch: a small mask answers without building the
		// batch's B x B one for every run of a sweep.
		if _, ok := ceiling(e, estimators.Diagonal(2)); ok {
			summary = append(summary, "ceiling")
		}
	}
	slices.Sort(summary)
	return tasks.Metrics{Summary: slices.Compact(summary), Logged: slices.Clone(loggedMetrics)}
}

// ceiling returns e's ceiling for mask, and false where e has none: it is
// not [estimators.Bounded], or its parameters give it none (+Inf).
func ceiling(e estimators.Estimator, mask *estimators.Mask) (float64, bool) {
	b, ok := e.(estimators.Bounded)
	if !ok {
		return 0, false
	}
	c := b.Ceiling(mask)
	return c, !math.IsInf(c, 1)
}

// Model is one critic and estimator in a gorgonia graph built once: each
// step writes a batch into X and Y and runs the graph forward and backward,
// then Adam updates the critic. It is the vector tasks' shared [pair.Model].
type Model = pair.Model

// NewModel builds the graph for c with the critic's weights drawn from
// initSeed. Close it when done.
func NewModel(c *Config, initSeed uint64) (*Model, error) {
	m, err := pair.New(pair.Spec{
		Estimator: c.Estimator, EstimatorParams: c.EstimatorParams,
		Critic: c.Critic, CriticSpec: c.criticSpec(initSeed),
		BatchSize: c.BatchSize, LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Moments: optim.Moments(c.AdamMoments),
	})
	if err != nil {
		return nil, fmt.Errorf("gaussian: %w", err)
	}
	return m, nil
}
