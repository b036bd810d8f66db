package sweep

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// reasonInterrupted is the error recorded for a run stopped by Ctrl-C.
const reasonInterrupted = "interrupted"

type runStatus int

const (
	statusDone runStatus = iota
	statusFailed
	statusInterrupted
	statusSkipped
	statusBusy
)

type runResult struct {
	status runStatus
	reason string
	step   int
	// setup is set for a run that failed before its task started.
	setup  bool
	holder *LockInfo
	// sum is the run's summary as written, nil when none was.
	sum *results.Summary
	// resumedFrom is the checkpoint step the run continued from (0 when
	// it started afresh); checkpoint is the step of the newest checkpoint
	// left for a failed run, -1 when none.
	resumedFrom int
	checkpoint  int
}

// next says what becomes of a failed or interrupted run: where the next
// attempt starts.
func (res runResult) next() string {
	if res.checkpoint >= 0 {
		return fmt.Sprintf("it will resume from the checkpoint at step %d", res.checkpoint)
	}
	return "it will start over"
}

// ended is the run with this id as a FailedRun, for the outcome.
func (res runResult) ended(id string) FailedRun {
	return FailedRun{ID: id, Reason: res.reason, Step: res.step, Checkpoint: res.checkpoint, Diverged: res.sum != nil && res.sum.Diverged}
}

// panicError is a panic recovered from a task.
type panicError struct {
	value any
	stack []byte
}

// Error says what panicked and where: the file and line of the function
// that panicked, the runtime's own frames left out.
func (e *panicError) Error() string {
	if at := panicSite(e.stack); at != "" {
		return fmt.Sprintf("panic: %v (at %s)", e.value, at)
	}
	return fmt.Sprintf("panic: %v", e.value)
}

// panicSite returns the file (its folder and name) and line of the first
// frame of stack, as debug.Stack writes it in a deferred recover, below the
// call of panic that is not in the runtime; "" when there is none.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for j := i + 2; j+1 < len(lines); j += 2 {
			if strings.HasPrefix(lines[j], "runtime.") {
				continue
			}
			file, _, _ := strings.Cut(strings.TrimSpace(lines[j+1]), " ")
			dir, name := filepath.Split(file)
			return filepath.Join(filepath.Base(dir), name)
		}
	}
	return ""
}

// runOne runs one run under its lock, from its checkpoint when it has one
// and from scratch otherwise, and records its summary. A run whose files
// cannot be written (its directory, lock, config or summary) fails with the
// reason, and the sweep goes on.
func (r *Runner) runOne(ctx context.Context, s *Sweep, run *RunSpec, prog *progress) runResult {
	dir := s.RunDir(r.out(), run)
	if err := MakeFolder(dir); err != nil {
		return setupFailed(err)
	}
	release, holder, err := acquireLock(dir)
	if err != nil {
		return setupFailed(fmt.Errorf("locking the run: %w", err))
	}
	if holder != nil {
		return runResult{status: statusBusy, holder: holder}
	}
	defer release()
	defer heartbeat(dir)()
	removeStaleTemps(dir, r.printf)
	// Another process may have finished the run before we took the lock.
	prev, err := results.ReadSummary(dir)
	if err == nil && prev.Status == results.StatusDone {
		return runResult{status: statusSkipped, sum: prev}
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		r.printf("[%d/%d] %s: %v%s", prog.k, prog.n, run.ID, err, rerunsCorrupt)
	}
	if err != nil {
		prev = nil
	}
	if prev != nil && prev.Diverged && !prev.DivergedAfterTraining {
		// Run again (--retry-diverged), it starts over: a checkpoint an
		// earlier version of the code left would carry that code's
		// training up to it into the new run. One whose training
		// finished resumes from it, to run again what followed.
		if err := checkpoint.Remove(dir); err != nil {
			return setupFailed(fmt.Errorf("removing the checkpoints of a diverged run: %w", err))
		}
	}
	a, err := r.startAttempt(s, run, dir, prev)
	if err != nil {
		return setupFailed(fmt.Errorf("starting the run: %w", err))
	}
	vals, runErr := a.call(ctx, s.task.Task, prog)
	return a.end(ctx, vals, runErr)
}

// setupFailed is the result of a run that failed before its task started.
// A permission error says what a rerun needs first.
func setupFailed(err error) runResult {
	reason := err.Error()
	// The error of a file that results could not write says so already.
	if errors.Is(err, fs.ErrPermission) && !results.SaysFix(err) {
		reason += " (make the run's folder writable by this user, then rerun)"
	}
	return runResult{status: statusFailed, reason: reason, checkpoint: -1, setup: true}
}

// attempt is one attempt at a run, from the writing of its config to the
// recording of its summary.
type attempt struct {
	run *RunSpec
	// keepModel is the sweep's keep_models.
	keepModel bool
	dir       string
	log       *slog.Logger
	metrics   *runMetrics
	sum       *results.Summary
	cp        *runCheckpointer
}

// startAttempt writes the run's config.toml and a summary that says it is
// running, and readies its metrics and checkpoints. prev is the summary of
// an earlier attempt, nil when none. The run's directory is not synced for
// them, only for the summaries that record a checkpoint or the end, which
// come after them: a crash before either loses nothing that the next
// attempt does not write again.
func (r *Runner) startAttempt(s *Sweep, run *RunSpec, dir string, prev *results.Summary) (*attempt, error) {
	if err := results.ReplaceFile(filepath.Join(dir, results.ConfigFile), run.ConfigTOML); err != nil {
		return nil, err
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("run", run.ID)
	metrics := &runMetrics{path: filepath.Join(dir, results.MetricsFile), every: r.FlushEvery, log: log}
	if metrics.every <= 0 {
		metrics.every = 5 * time.Second
	}
	sum := &results.Summary{
		RunID:   run.ID,
		Status:  results.StatusRunning,
		Seed:    run.Seed,
		Params:  s.ParamMap(run),
		Metrics: results.Values{},
		Started: time.Now().UTC(),
		Code:    results.CodeRevision(),
	}
	if err := results.ReplaceSummary(dir, sum); err != nil {
		return nil, err
	}
	cp := &runCheckpointer{cp: checkpoint.New(dir, s.Checkpoint, log), metrics: metrics, dir: dir, sum: sum, prev: prev, log: log, saved: -1}
	return &attempt{run: run, keepModel: s.KeepModels, dir: dir, log: log, metrics: metrics, sum: sum, cp: cp}, nil
}

// call runs the task on the run's config and closes metrics.jsonl.
func (a *attempt) call(ctx context.Context, task tasks.Task, prog *progress) (results.Values, error) {
	prog.start = time.Now()
	env := &tasks.Run{ID: a.run.ID, Dir: a.dir, Seed: a.run.Seed, Metrics: a.metrics, Progress: prog, Log: a.log, Checkpoint: a.cp, KeepModel: a.keepModel}
	vals, runErr := callTask(ctx, task, a.run.Config, env)
	prog.finish()
	if cerr := a.metrics.close(); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("writing metrics.jsonl: %w", cerr)
	}
	return vals, runErr
}

// end records in the run's summary how the task ended, with the metrics it
// returned and the error runErr, and returns the run's result. The
// checkpoints of a run that is done or diverged are removed: neither
// resumes from them (a diverged run is kept, or run again from the
// start). When the summary cannot be written the run fails, with its own
// error first: on a full disk, the checkpoint or metrics.jsonl write that
// failed first, then summary.json's.
func (a *attempt) end(ctx context.Context, vals results.Values, runErr error) runResult {
	sum := a.sum
	sum.Finished = time.Now().UTC()
	sum.Seconds = a.cp.seconds()
	// The step reached is the last one logged or checkpointed, whichever is
	// later: a task may checkpoint between its metrics records.
	sum.Step = max(sum.Step, a.metrics.lastStep)
	if vals != nil {
		sum.Metrics = vals
	}
	res := runResult{status: statusDone, resumedFrom: a.cp.resumedFrom, checkpoint: -1}
	a.setStatus(ctx, runErr)
	if sum.Status != results.StatusDone {
		res.status, res.reason, res.step = statusFailed, sum.Error, sum.Step
		if sum.Status == results.StatusInterrupted {
			res.status = statusInterrupted
		}
		if step, ok := checkpoint.Peek(a.dir); ok && (!sum.Diverged || sum.DivergedAfterTraining) {
			res.checkpoint = step
		}
	}
	if err := results.WriteSummary(a.dir, sum); err != nil {
		res.reason = err.Error() // it names summary.json
		if res.status != statusDone {
			res.reason = sum.Error + "; then " + res.reason
		}
		res.status, res.step = statusFailed, sum.Step
		return res
	}
	res.sum = sum
	if sum.Status == results.StatusDone || (sum.Diverged && !sum.DivergedAfterTraining) {
		if err := checkpoint.Remove(a.dir); err != nil {
			a.log.Warn("could not remove the checkpoints of a run that will not resume from them", "status", sum.Status, "err", err)
		}
	}
	return res
}

// setStatus sets the summary's status, and for a run that did not finish
// its error (and for a diverged one the step), from the task's error runErr:
// a run stopped because ctx is done is interrupted, not failed.
func (a *attempt) setStatus(ctx context.Context, runErr error) {
	sum := a.sum
	var de *tasks.DivergedError
	var pe *panicError
	switch {
	case runErr == nil:
		sum.Status = results.StatusDone
	case ctx.Err() != nil:
		sum.Status, sum.Error = results.StatusInterrupted, reasonInterrupted
	case errors.As(runErr, &de):
		sum.Status, sum.Error, sum.Step, sum.Diverged = results.StatusFailed, runErr.Error(), de.Step, true
		sum.DivergedAfterTraining = de.AfterTraining
	case errors.As(runErr, &pe):
		sum.Status, sum.Error = results.StatusFailed, pe.Error()
		a.log.Error("the task panicked (a bug in the task or in a plug-in it ran, such as an estimator: see the stack)", "panic", fmt.Sprint(pe.value), "stack", string(pe.stack))
	default:
		sum.Status, sum.Error = results.StatusFailed, runErr.Error()
	}
}

// runCheckpointer is the Checkpointer a task is given: it flushes the
// metrics logged so far before each checkpoint, so that a checkpoint never
// claims a step whose metrics are not on disk, and saves with the task's
// state the number of records metrics.jsonl then held (see wrapState). On
// loading it cuts metrics.jsonl back to the checkpoint's step; when fewer
// records are left than the checkpoint counted, metrics.jsonl lost some, and
// the run starts over rather than resume with a gap.
type runCheckpointer struct {
	cp      *checkpoint.Checkpointer
	metrics *runMetrics
	dir     string
	sum     *results.Summary
	prev    *results.Summary
	log     *slog.Logger
	// resumedFrom is the step loaded (0 when none); saved the step of the
	// last save (-1 when none).
	resumedFrom int
	saved       int
}

// Due implements tasks.Checkpointer.
func (c *runCheckpointer) Due(step int) bool { return c.cp.Due(step) }

// Save implements tasks.Checkpointer.
func (c *runCheckpointer) Save(step int, state []byte) error {
	if err := c.metrics.flush(); err != nil {
		return fmt.Errorf("writing metrics.jsonl before a checkpoint: %w", err)
	}
	if err := c.cp.Save(step, wrapState(c.metrics.records, state)); err != nil {
		return err
	}
	c.saved = step
	c.log.Debug("checkpoint saved", "step", step)
	// Keep the time spent in the summary, so that a run killed later and
	// resumed still counts it.
	c.sum.Step = step
	c.sum.Seconds = c.seconds()
	if err := results.WriteSummary(c.dir, c.sum); err != nil {
		return err
	}
	return nil
}

// Load implements tasks.Checkpointer.
func (c *runCheckpointer) Load() (step int, state []byte, ok bool, err error) {
	if c.metrics.opened {
		return 0, nil, false, fmt.Errorf("the task loaded its checkpoint after logging metrics: call Load (checkpoint.Resume) before training")
	}
	step, state, ok, err = c.cp.Load()
	if err != nil {
		return 0, nil, false, err
	}
	if !ok {
		return 0, nil, false, c.metrics.open(0, false)
	}
	records, state := unwrapState(state)
	if err := c.metrics.open(step, true); err != nil {
		return 0, nil, false, err
	}
	if records > c.metrics.records {
		c.log.Warn("metrics.jsonl lost records before the checkpoint: starting the run over, so that no step is missing",
			"file", c.metrics.path, "step", step, "records", c.metrics.records, "when saved", records)
		return 0, nil, false, c.metrics.restart()
	}
	c.resumedFrom = step
	c.sum.Step = step
	c.log.Info("resuming from a checkpoint", "step", step)
	return step, state, true, nil
}

// seconds is the time spent on the run: this attempt's, plus the earlier
// attempts' when resuming from their checkpoint.
func (c *runCheckpointer) seconds() float64 {
	secs := time.Since(c.sum.Started).Seconds()
	if c.resumedFrom > 0 && c.prev != nil {
		secs += c.prev.Seconds
	}
	return secs
}

// callTask runs the task, turning a panic into a *panicError.
func callTask(ctx context.Context, task tasks.Task, cfg tasks.Config, env *tasks.Run) (vals results.Values, err error) {
	defer func() {
		if p := recover(); p != nil {
			pe := &panicError{value: p, stack: debug.Stack()}
			if sp, ok := p.(*tasks.SetupPanic); ok {
				pe.value, pe.stack = sp.Value, sp.Stack
			}
			vals, err = nil, pe
		}
	}()
	return task.Run(ctx, cfg, env)
}

// runMetrics writes metrics to metrics.jsonl, flushing them every so often
// so that a crash loses little, and remembers the last step. The file is
// opened on the first record or when the task loads its checkpoint: then it
// is cut back to the checkpoint's step; otherwise it is started afresh.
type runMetrics struct {
	path     string
	every    time.Duration
	log      *slog.Logger
	w        *results.MetricsWriter
	opened   bool
	last     time.Time
	lastStep int
	// records counts the records in the file, kept and logged.
	records int
}

// open opens metrics.jsonl, keeping the records up to step when resuming
// and none otherwise.
func (m *runMetrics) open(step int, resume bool) error {
	if m.opened {
		return nil
	}
	if resume {
		kept, dropped, err := results.TruncateMetrics(m.path, step)
		if err != nil {
			return err
		}
		if dropped > 0 {
			m.log.Info("cut metrics.jsonl back to the checkpoint", "step", step, "kept", kept, "dropped", dropped)
		}
		m.lastStep, m.records = step, kept
	} else if err := os.Remove(m.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	w, err := results.AppendMetrics(m.path)
	if err != nil {
		return err
	}
	m.w, m.opened, m.last = w, true, time.Now()
	return nil
}

func (m *runMetrics) Log(step int, values results.Values) error {
	if !m.opened {
		if err := m.open(0, false); err != nil {
			return err
		}
	}
	if err := m.w.Log(step, values); err != nil {
		return err
	}
	m.lastStep = step
	m.records++
	if time.Since(m.last) >= m.every {
		m.last = time.Now()
		return m.w.Flush()
	}
	return nil
}

// restart closes the file and opens it afresh, empty.
func (m *runMetrics) restart() error {
	if m.opened {
		if err := m.w.Close(); err != nil {
			return err
		}
	}
	m.opened, m.lastStep, m.records = false, 0, 0
	return m.open(0, false)
}

func (m *runMetrics) flush() error {
	if !m.opened {
		return nil
	}
	return m.w.Flush()
}

// close flushes and closes the file, creating an empty one for a run that
// logged nothing.
func (m *runMetrics) close() error {
	if !m.opened {
		if err := m.open(0, false); err != nil {
			return err
		}
	}
	return m.w.Close()
}
