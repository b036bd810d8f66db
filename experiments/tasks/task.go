// Package tasks defines the tasks a sweep can run and what a task is given
// to run with. Tasks live in sub-packages (gaussian, dim) and register
// themselves by name in init, like estimators.
package tasks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/internal/registry"
)

// Config is a task's settings: a pointer to a struct whose fields carry toml
// tags. A task's NewConfig fills it with typed defaults; the sweep engine
// decodes the sweep file's settings over them, strictly, and then calls
// Validate.
type Config interface {
	// Validate reports the first impossible value, naming its key, such as
	// "batch_size = 0: must be at least 2".
	Validate() error
}

// KeysSetter is an optional interface of a [Config], as http.Flusher is of
// an http.ResponseWriter: the sweep engine calls SetKeys on a config that
// implements it, after decoding a run's settings and before Validate, with
// the keys the sweep file set for that run: every key of [base] and the
// name of every parameter, as written (a parameter of a nested table
// carries its dots, "estimator_params.tau"). A config uses them to tell a
// key that was set from one left at its default, whatever its value.
type KeysSetter interface {
	SetKeys(keys []string)
}

// Effective is an optional interface of a [Config]: EffectiveSettings
// returns the top-level settings that another setting decides, each with
// the value the run trains with, which config.toml need not hold (dim's
// preset sets model, alpha, beta and gamma over those keys, which
// config.toml keeps at their defaults so that run ids stay as they were;
// all four are returned, those that happen to equal the default too).
// Reports and the sweep's page read a run's settings through it, so that a
// table by gamma or the page's shared settings show what each run used,
// and a report does not count them among the settings its groups pool.
type Effective interface {
	EffectiveSettings() map[string]any
}

// KeyHinter is an optional interface of a [Config]: KeyHint says where a
// key that names none of the config's settings belongs, as a clause that
// follows "unknown key" (`; tau is a parameter of "smile": ...`), or ""
// where it knows no better place. The sweep engine asks it about every
// unknown key of the config's own table ([base], an [[overrides]] entry or
// a parameter's name) before it looks for a misspelling, so the clause
// must be right in each of them.
type KeyHinter interface {
	KeyHint(key string) string
}

// DiskChecker is an optional interface of a [Config]: CheckDisk reports,
// as Validate does (its message starting with the key, "data_path =
// ..."), a setting that names something on disk that is not there, such
// as a data folder. Validate does not look at the disk, so that a sweep
// can be planned anywhere; `sweep validate` and `sweep run` call CheckDisk
// too, so that a wrong path fails once, at its key, before any run.
type DiskChecker interface {
	CheckDisk() error
}

// Metrics names what a run writes: its summary metrics (summary.json, and
// so the metric columns of results.csv) and the metrics it logs during
// training (metrics.jsonl), each sorted.
type Metrics struct {
	Summary, Logged []string
}

// MetricsNamer is an optional interface of a [Task]: Metrics names the
// metrics that a run of cfg, a config that passed Validate, writes, so that
// a sweep checks the metrics its figures and tables name before any run
// rather than after the sweep. A run may leave out a metric it could not
// compute (a read-out that overflowed), but writes none that Metrics does
// not name; taskstest.CheckMetrics holds a task's runs to it.
type MetricsNamer interface {
	Metrics(cfg Config) Metrics
}

// Task is a kind of experiment: the Gaussian benchmark, Deep InfoMax, ...
type Task interface {
	// NewConfig returns a new config holding the task's defaults.
	NewConfig() Config
	// Run trains and evaluates one configuration with the given run
	// environment, logging metrics as it goes, and returns the final
	// metrics for summary.json. A run whose loss stops being finite returns
	// a *DivergedError. Run stops early, with ctx.Err(), when ctx is done.
	Run(ctx context.Context, cfg Config, run *Run) (results.Values, error)
}

// Uncheckpointed is an optional ability of a [Task], as http.Flusher is of
// an http.ResponseWriter: a task whose runs keep no checkpoints says why
// (an interrupted run starts over), so that the sweep engine can warn of a
// sweep file that sets the checkpoint keys for it.
type Uncheckpointed interface {
	NoCheckpoints() string
}

// ModelKeeper is an optional ability of a [Task]: a task whose runs can
// keep their trained model, when [Run].KeepModel asks them to, names the
// file a run of cfg writes in its folder, such as "encoder.safetensors",
// or "" for a run that keeps none (dim's pixel baseline). The sweep
// engine warns of a sweep file that sets keep_models for a task without
// it, and counts the done runs whose folder lacks the file (done before
// keep_models was set).
type ModelKeeper interface {
	KeptModel(cfg Config) string
}

// ShortRunsStartOver is the reason a task whose runs take minutes gives
// for keeping no checkpoints (see [Uncheckpointed]).
const ShortRunsStartOver = "its runs take minutes; an interrupted one starts over and ends with the same numbers"

// TaskInfo describes a registered task.
type TaskInfo struct {
	Name    string
	Summary string
	Task    Task
}

// Run is what a task is given for one run.
type Run struct {
	// ID is the run's stable id; Dir is its directory, which exists.
	ID  string
	Dir string
	// Seed seeds every random choice of the run: initialization, data
	// order, sampling. The same config and seed give the same numbers.
	Seed int64
	// Metrics receives the metrics logged during training (metrics.jsonl).
	Metrics MetricsLogger
	// Progress receives the run's progress; it may be nil.
	Progress Progress
	// Log is the run's logger; it is never nil.
	Log *slog.Logger
	// Checkpoint saves and restores the run's state; it may be nil, when
	// the run is not to be checkpointed.
	Checkpoint Checkpointer
	// KeepModel asks the run to keep its trained model in Dir (the sweep
	// file's keep_models), as the task's [ModelKeeper] says. It changes
	// nothing that the run computes.
	KeepModel bool
}

// Unresumable returns run, or, where reason is not "", a copy of it with
// no Checkpoint, having logged reason: a run whose state a checkpoint
// cannot hold whole (see estimators.UnsavedState) then starts over when
// interrupted, and ends with the same numbers as one that never was,
// rather than resuming to other numbers.
func Unresumable(run *Run, reason string) *Run {
	if reason == "" || run.Checkpoint == nil {
		return run
	}
	r := *run
	r.Checkpoint = nil
	if r.Log != nil {
		r.Log.Warn("the run takes no checkpoints: an interrupted one starts over", "why", reason)
	}
	return &r
}

// MetricsLogger records metrics at a training step.
type MetricsLogger interface {
	Log(step int, values results.Values) error
}

// Progress is told how far a run has come, in steps out of total.
type Progress interface {
	Update(step, total int)
}

// Checkpointer saves a run's state so that an interrupted run can continue.
// A task encodes its own state (weights, optimizer moments, random state,
// step) as bytes.
type Checkpointer interface {
	// Due reports whether a checkpoint should be written after step.
	Due(step int) bool
	// Save writes state for step atomically.
	Save(step int, state []byte) error
	// Load returns the last saved state, or ok == false when there is none.
	Load() (step int, state []byte, ok bool, err error)
}

// DivergedError reports a run whose training, or what follows it,
// diverged: a loss or an estimate stopped being finite or passed the
// task's bound (see [Divergence]).
type DivergedError struct {
	// Step is the step it diverged at, counted from 1 as metrics.jsonl
	// counts steps (the number of training steps, for what follows them;
	// 0 for a model trained for none).
	Step   int
	Reason string
	// AfterTraining says that the model trained and only what follows it
	// diverged (a dim probe or evaluation): the run keeps its
	// checkpoints, the finished training's among them, so that running it
	// again resumes from there rather than training again.
	AfterTraining bool
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("diverged at step %d: %s", e.Step, e.Reason)
}

// Divergence is the ability of an error to report a computation that
// diverged past what it can go on from, such as an estimator's overflowed
// partition term (*estimators.DivergedError) or a probe whose loss stopped
// being finite: runs are deterministic, so it would diverge again.
type Divergence interface {
	error
	// Divergence says what diverged, in words for the run's summary.
	Divergence() string
}

// Diverged returns the *DivergedError at step of an error that wraps a
// Divergence, its reason the Divergence's, and nil for any other error.
func Diverged(step int, err error) *DivergedError {
	var d Divergence
	if errors.As(err, &d) {
		return &DivergedError{Step: step, Reason: d.Divergence()}
	}
	return nil
}

// UpdateProgress calls run.Progress.Update if there is a progress receiver.
func (r *Run) UpdateProgress(step, total int) {
	if r.Progress != nil {
		r.Progress.Update(step, total)
	}
}

// taskRegistry holds the registered tasks.
var taskRegistry = registry.New("task", func(i TaskInfo) (string, error) {
	return i.Name, cmp.Or(registry.Require(i.Task != nil, "a Task"), registry.RequireSummary(i.Summary))
})

// Register makes a task available by name. It panics on an empty name, a
// nil task, or a name registered twice.
func Register(info TaskInfo) { taskRegistry.Register(info) }

// Names returns the registered task names, sorted.
func Names() []string { return taskRegistry.Names() }

// Lookup returns the named task; an unknown name is an error listing the
// known ones and the closest match.
func Lookup(name string) (TaskInfo, error) { return taskRegistry.Lookup(name) }
