// Package bmi is a benchmark of fixed samples from distributions with a
// known mutual information, after "Beyond Normal" (Czyż et al., NeurIPS
// 2023, the bmi package): dense and sparse Gaussians, multivariate
// Student-t, uniform variables with uniform noise, and MI-preserving
// invertible transforms of them (normal CDF, half-cube, asinh, spiral).
// Where the gaussian task draws a fresh batch every step, a bmi run draws
// N pairs once, as an experimenter with a data set has them, and asks one
// estimator for the MI:
//
//   - a classic estimator (ksg, cca) estimates from all N pairs, as BMI's
//     do;
//   - a neural one trains its critic on a random half and is scored on the
//     other half every eval_every steps; its estimate is the best test
//     score, and it stops once patience scores in a row fail to beat it
//     (BMI's protocol, see [DefaultConfig]).
//
// The summary holds the estimate ("mi"), the truth ("true_mi"), "bias" and
// "ratio" (estimate over truth), from which the reports make BMI's heat map
// and tables. Runs are short (seconds to minutes) and keep no checkpoint: an
// interrupted run starts over, and ends with the same numbers.
//
// Importing the package registers the task "bmi".
package bmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/seed"
)

func init() {
	tasks.Register(tasks.TaskInfo{
		Name: "bmi",
		Summary: "fixed samples with known MI after Beyond Normal (Czyż et al. 2023), neural and classic estimators; " +
			"problem = \"<family>-<M>x<N>[-<param><value>...][+<transform>...]\" with families dense (rho), " +
			"sparse (pairs, rho), student (dof, rho), uniform (eps) and transforms (see Transforms in `sweep list`)",
		Task: Task{},
	})
}

// Task is the bmi benchmark task.
type Task struct{}

// NewConfig returns BMI's protocol (see [DefaultConfig]).
func (Task) NewConfig() tasks.Config { return DefaultConfig() }

// NoCheckpoints says why a bmi run keeps no checkpoint (see
// [tasks.Uncheckpointed]).
func (Task) NoCheckpoints() string {
	return tasks.ShortRunsStartOver
}

// The streams derived from a run's seed.
const (
	dataStream  = 1
	splitStream = 2
	initStream  = 3
	batchStream = 4
)

// Run draws the problem's N pairs, standardizes them if configured, and
// estimates their MI with the configured estimator. It returns "mi",
// "true_mi", "bias" (mi - true_mi) and "ratio" (mi / true_mi), and for a
// neural estimator also "mi_last" (its last test score), "train_mi" (its
// mean training estimate over the last eval_every steps), "steps" (the
// steps it trained) and "stopped_early" (1 when patience stopped it).
func (Task) Run(ctx context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("bmi: config is a %T, want *bmi.Config", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p, err := ParseProblem(c.Problem)
	if err != nil {
		return nil, err
	}
	data := p.Draw(c.Samples, c.SpiralSpeed, rand.NewPCG(seed.Derive(uint64(run.Seed), dataStream), 0x5a17))
	if c.Standardize {
		standardize(data.X, data.DimX)
		standardize(data.Y, data.DimY)
	}
	truth := p.TrueMI()
	run.Log.Info("bmi run starting", "problem", p.String(), "true_mi", truth, "estimator", c.Estimator, "samples", c.Samples)
	var out results.Values
	if info, _ := estimators.Lookup(c.Estimator); info.Classic() {
		out, err = estimateClassic(ctx, c, data, run, truth)
	} else {
		out, err = estimateNeural(ctx, c, data, run, truth)
	}
	if err != nil {
		return nil, err
	}
	out["true_mi"] = truth
	out["bias"] = out["mi"] - truth
	out["ratio"] = out["mi"] / truth
	return out, nil
}

// Metrics names the metrics a run of cfg writes (see [Task.Run]): a classic
// estimator logs "mi" and "true_mi" once; a neural one logs what
// estimateNeural says.
func (Task) Metrics(cfg tasks.Config) tasks.Metrics {
	c, ok := cfg.(*Config)
	if !ok {
		return tasks.Metrics{}
	}
	if info, _ := estimators.Lookup(c.Estimator); info.Classic() {
		return tasks.Metrics{Summary: []string{"bias", "mi", "ratio", "true_mi"}, Logged: []string{"mi", "true_mi"}}
	}
	return tasks.Metrics{
		Summary: []string{"bias", "mi", "mi_last", "ratio", "steps", "stopped_early", "train_mi", "true_mi"},
		Logged:  []string{"loss", "seconds", "test_mi", "train_mi", "true_mi"},
	}
}

// estimateClassic estimates the MI from all the pairs with a classic
// estimator and logs it as step 0.
func estimateClassic(ctx context.Context, c *Config, data estimators.Sample, run *tasks.Run, truth float64) (results.Values, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run.UpdateProgress(0, 1)
	e, err := estimators.NewSample(c.Estimator, estimators.Params(c.EstimatorParams))
	if err != nil {
		return nil, fmt.Errorf("bmi: %w", err)
	}
	mi, err := e.Estimate(data)
	if err != nil {
		return nil, fmt.Errorf("bmi: %w", err)
	}
	if reason := tasks.NonFinite("MI estimate", mi); reason != "" {
		return nil, &tasks.DivergedError{Step: 0, Reason: reason}
	}
	if run.Metrics != nil {
		if err := run.Metrics.Log(0, results.Values{"mi": mi, "true_mi": truth}); err != nil {
			return nil, fmt.Errorf("bmi: logging the estimate: %w", err)
		}
	}
	run.UpdateProgress(1, 1)
	return results.Values{"mi": mi}, nil
}

// standardize rescales each of the dim coordinates of the rows in v
// (row-major) to mean 0 and variance 1; a constant coordinate is only
// centred.
func standardize(v []float64, dim int) {
	n := len(v) / dim
	for j := range dim {
		var mean, ss float64
		for i := range n {
			mean += v[i*dim+j]
		}
		mean /= float64(n)
		for i := range n {
			d := v[i*dim+j] - mean
			ss += float64(d * d) // rounded: no GOAMD64 level fuses it
		}
		scale := 1.0
		if sd := math.Sqrt(ss / float64(n)); sd > 0 {
			scale = 1 / sd
		}
		for i := range n {
			v[i*dim+j] = (v[i*dim+j] - mean) * scale
		}
	}
}
