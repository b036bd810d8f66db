package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/reports"
)

// fakeConfig is the config of the "fake" task the tests register: a few
// typed fields, a nested table, a map and a list, like a real task's.
type fakeConfig struct {
	Estimator       string             `toml:"estimator"`
	BatchSize       int                `toml:"batch_size"`
	Steps           int                `toml:"steps"`
	Width           int                `toml:"width"`
	Cubic           bool               `toml:"cubic"`
	Hidden          []int              `toml:"hidden"`
	EstimatorParams map[string]float64 `toml:"estimator_params"`
	Optim           fakeOptim          `toml:"optim"`
	// Behavior makes Run misbehave: "diverge" (at step 3), "fail",
	// "panic", "block" (wait for the context to be cancelled, after
	// writing a file named "started" in the run directory), or "nospace"
	// (at step 3, fail as a checkpoint save on a full disk does, after
	// making summary.json a directory, so that it cannot be written
	// either), or "inf" (end with mi = +Inf and loss = -Inf), or
	// "blockahead" (log step 1, save a checkpoint at step 4, then block as
	// "block" does: a run checkpointed past its last metrics record).
	Behavior string `toml:"behavior"`
	// DivergeIf makes Run diverge at step 3 while this file exists. Such a
	// run checkpoints at step 2 and resumes from its checkpoint, as a real
	// task does.
	DivergeIf string `toml:"diverge_if"`
	// DivergeAfterIf makes Run, once it has trained (and checkpointed its
	// last step), diverge after training, as a probe may, while this file
	// exists. Such a run resumes from its checkpoint.
	DivergeAfterIf string `toml:"diverge_after_if"`
	// Critic and Dataset are checked against the real registries, as the
	// real tasks check theirs.
	Critic  string `toml:"critic"`
	Dataset string `toml:"dataset"`
}

type fakeOptim struct {
	LR       float64 `toml:"lr"`
	Momentum float64 `toml:"momentum"`
}

var fakeEstimators = []string{"dv", "infonce", "jsd"}

// KeyHint places "tau" in estimator_params, as the real tasks place an
// estimator's parameters (tasks.KeyHinter).
func (c *fakeConfig) KeyHint(key string) string {
	if key == "tau" {
		return "; tau goes in estimator_params"
	}
	return ""
}

func (c *fakeConfig) Validate() error {
	switch {
	case !slices.Contains(fakeEstimators, c.Estimator):
		return fmt.Errorf("estimator = %q: unknown estimator (known: %s)", c.Estimator, strings.Join(fakeEstimators, ", "))
	case c.BatchSize < 2:
		return fmt.Errorf("batch_size = %d: must be at least 2", c.BatchSize)
	case c.Steps < 1:
		return fmt.Errorf("steps = %d: must be at least 1", c.Steps)
	case c.Optim.LR <= 0:
		return fmt.Errorf("optim.lr = %g: must be positive", c.Optim.LR)
	case slices.ContainsFunc(c.Hidden, func(h int) bool { return h < 1 }):
		i := slices.IndexFunc(c.Hidden, func(h int) bool { return h < 1 })
		return fmt.Errorf("hidden[%d] = %d: must be at least 1", i, c.Hidden[i])
	case c.EstimatorParams["tau"] < 0:
		return fmt.Errorf("estimator_params.tau = %g: must not be negative", c.EstimatorParams["tau"])
	case c.EstimatorParams["tau"] > float64(c.Steps):
		return fmt.Errorf("estimator_params.tau = %g: must be at most steps (%d)", c.EstimatorParams["tau"], c.Steps)
	case !slices.Contains(architectures.PairCriticNames(), c.Critic):
		return fmt.Errorf("critic = %q: unknown critic (known: %s)", c.Critic, strings.Join(architectures.PairCriticNames(), ", "))
	case !slices.Contains(data.Names(), c.Dataset):
		return fmt.Errorf("dataset = %q: unknown data set (known: %s)", c.Dataset, strings.Join(data.Names(), ", "))
	}
	return nil
}

type fakeTask struct{}

func (fakeTask) NewConfig() tasks.Config {
	return &fakeConfig{
		Estimator:       "jsd",
		BatchSize:       8,
		Steps:           5,
		Width:           4,
		Hidden:          []int{16, 16},
		EstimatorParams: map[string]float64{"tau": 1},
		Optim:           fakeOptim{LR: 0.01, Momentum: 0.9},
		Critic:          "separable",
		Dataset:         "mnist",
	}
}

// Run logs mi = step * lr * batch_size and loss = -mi at every step, and
// returns the last of them.
func (fakeTask) Run(ctx context.Context, c tasks.Config, run *tasks.Run) (results.Values, error) {
	cfg := c.(*fakeConfig)
	if cfg.Behavior == "blockahead" {
		if err := checkpointAhead(run); err != nil {
			return nil, err
		}
	}
	if cfg.Behavior == "block" || cfg.Behavior == "blockahead" {
		if err := os.WriteFile(filepath.Join(run.Dir, "started"), nil, 0o644); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if cfg.Behavior == "setuppanic" {
		tasks.Setup(ctx, func() (int, error) { panic("in setup") }, nil)
	}
	var last results.Values
	start := 1
	if cfg.DivergeIf != "" || cfg.DivergeAfterIf != "" {
		step, _, ok, err := run.Checkpoint.Load()
		if err != nil {
			return nil, err
		}
		if ok {
			start = step + 1
		}
	}
	for step := start; step <= cfg.Steps; step++ {
		if step == 3 {
			switch cfg.Behavior {
			case "diverge":
				return nil, &tasks.DivergedError{Step: step, Reason: "loss is NaN"}
			case "fail":
				return nil, errors.New("boom")
			case "panic":
				panic("kaboom")
			case "nospace":
				return nil, fullDisk(run.Dir)
			}
			if cfg.DivergeIf != "" {
				if _, err := os.Stat(cfg.DivergeIf); err == nil {
					return nil, &tasks.DivergedError{Step: step, Reason: "loss is NaN"}
				}
			}
		}
		mi := float64(step) * cfg.Optim.LR * float64(cfg.BatchSize)
		last = results.Values{"mi": mi, "loss": -mi}
		if err := run.Metrics.Log(step, last); err != nil {
			return nil, err
		}
		run.UpdateProgress(step, cfg.Steps)
		if cfg.DivergeIf != "" && step == 2 {
			if err := run.Checkpoint.Save(step, []byte("state")); err != nil {
				return nil, err
			}
		}
	}
	if cfg.DivergeAfterIf != "" {
		if start <= cfg.Steps {
			if err := run.Checkpoint.Save(cfg.Steps, []byte("trained")); err != nil {
				return nil, err
			}
		}
		if _, err := os.Stat(cfg.DivergeAfterIf); err == nil {
			return nil, &tasks.DivergedError{Step: cfg.Steps, Reason: "probe loss is NaN", AfterTraining: true}
		}
		last = results.Values{"mi": float64(cfg.Steps) * cfg.Optim.LR * float64(cfg.BatchSize)}
		last["loss"] = -last["mi"]
	}
	run.Log.Info("finished", "mi", last["mi"])
	if cfg.Behavior == "inf" {
		return results.Values{"mi": math.Inf(1), "loss": math.Inf(-1)}, nil
	}
	return last, nil
}

// Metrics names the metrics of Run.
func (fakeTask) Metrics(tasks.Config) tasks.Metrics {
	return tasks.Metrics{Summary: []string{"loss", "mi"}, Logged: []string{"loss", "mi"}}
}

// checkpointAhead logs step 1 and saves a checkpoint at step 4, as a task
// that logs its metrics less often than it checkpoints does.
func checkpointAhead(run *tasks.Run) error {
	if _, _, _, err := run.Checkpoint.Load(); err != nil {
		return err
	}
	if err := run.Metrics.Log(1, results.Values{"mi": 1, "loss": -1}); err != nil {
		return err
	}
	return run.Checkpoint.Save(4, []byte("state"))
}

// behaviorFile is runFile sweeping the fake task's behavior over these
// values instead of the estimator (see fakeConfig.Behavior).
func behaviorFile(behaviors ...string) string {
	quoted := make([]string, len(behaviors))
	for i, b := range behaviors {
		quoted[i] = strconv.Quote(b)
	}
	return strings.Replace(runFile, "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]",
		"[parameters.behavior]\nvalues = ["+strings.Join(quoted, ", ")+"]", 1)
}

// fullDisk makes the summary.json in dir a directory, which no file can
// be renamed over, and returns the error of a checkpoint that could not be
// saved for want of space.
func fullDisk(dir string) error {
	path := filepath.Join(dir, results.SummaryFile)
	if err := os.Remove(path); err != nil {
		return err
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		return err
	}
	return fmt.Errorf("fake: saving the checkpoint after step 2: %w", &os.PathError{Op: "write", Path: filepath.Join(dir, "checkpoint.bin"), Err: syscall.ENOSPC})
}

// fakeReport is the "fake_table" report kind: it writes NAME.txt with one
// line per done run, "id metric=value", for the option metric (default mi).
var fakeReport = reports.Kind{
	Name:    "fake_table",
	Summary: "a test table",
	Check: func(spec reports.Spec) error {
		for k, v := range spec.Options {
			if k != "metric" {
				return &reports.OptionError{Kind: "fake_table", Report: spec.Name, Option: k, Problem: "unknown option", Valid: []string{"metric"}}
			}
			if _, ok := v.(string); !ok {
				return fmt.Errorf("option metric must be a string")
			}
		}
		return nil
	},
	Make: func(runs []reports.Run, spec reports.Spec, dir string) ([]string, error) {
		metric := "mi"
		if m, ok := spec.Options["metric"].(string); ok {
			metric = m
		}
		var b strings.Builder
		for _, r := range runs {
			if r.Summary.Status != results.StatusDone {
				continue
			}
			fmt.Fprintf(&b, "%s task=%v %s=%g\n", r.ID, r.Config["task"], metric, r.Summary.Metrics[metric])
		}
		path := filepath.Join(dir, spec.Name+".txt")
		return []string{path}, results.WriteFileAtomic(path, []byte(b.String()))
	},
}

// drawReports is the [Runner.Report] of the tests (cmd/sweep has its own):
// it has each declared figure and table made by its kind, and stops at the
// first that fails.
func drawReports(s *Sweep, out string) ([]string, []State, error) {
	runs, missing := s.LoadRuns(out)
	dir := filepath.Join(s.Dir(out), ReportsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, missing, err
	}
	var files []string
	for _, spec := range append(slices.Clone(s.Figures), s.Tables...) {
		kind, err := reports.Lookup(spec.Kind)
		if err == nil {
			var made []string
			made, err = kind.Make(runs, spec, dir)
			files = append(files, made...)
		}
		if err != nil {
			return files, missing, err
		}
	}
	return files, missing, nil
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "fake", Summary: "a task for the sweep tests", Task: fakeTask{}})
	reports.Register(fakeReport)
}
