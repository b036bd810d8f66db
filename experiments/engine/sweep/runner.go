package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/infomax/infomax/internal/english"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// Runner runs the runs of a sweep that are not done. A Runner runs one
// sweep at a time.
type Runner struct {
	// Out is the output directory; DefaultOut when empty.
	Out string
	// Stdout receives progress and one line per run; io.Discard when nil.
	Stdout io.Writer
	// Log is the logger handed to tasks (with the run id added); a
	// discarding logger when nil.
	Log *slog.Logger
	// Terminal makes progress a one-line display redrawn in place, for a
	// terminal; otherwise progress is plain lines every 10% or 30 s. It is
	// ignored when Parallel > 1.
	Terminal bool
	// FlushEvery is how often logged metrics are flushed to
	// metrics.jsonl; 5 s when zero. They are always flushed before a
	// checkpoint is saved and when a run ends.
	FlushEvery time.Duration
	// Shard limits the runs to one slice of the sweep; the zero Shard is
	// the whole sweep.
	Shard Shard
	// Parallel is how many runs run at once; one when zero.
	Parallel int
	// Force accepts a sweep file whose runs differ from those recorded in
	// the sweep directory (see [Sweep.CheckRecord]).
	Force bool
	// Resume is the command that continues the sweep, for the message
	// printed on an interrupt; "rerun the same command" when empty.
	Resume string
	// Report makes the sweep's figures and tables once every run of the
	// sweep is done (with a shard, every run of every shard). It returns
	// the files written, the runs that are not done (as [Sweep.LoadRuns]
	// finds them) and the errors of the reports that failed, joined; Run
	// prints the files and the error. The engine draws nothing itself:
	// when Report is nil, no reports are made.
	Report func(s *Sweep, out string) (files []string, missing []State, err error)

	w    *syncWriter
	live bool
}

// syncWriter serializes writes from parallel runs.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Outcome is what a call to [Runner.Run] did.
type Outcome struct {
	// Ran lists the runs that ran to the end in this call; Skipped those
	// already done; Failed those that failed (including an interrupted
	// one); Busy those another live process was running. With Parallel >
	// 1 they are in the order the runs ended.
	Ran, Skipped, Busy []string
	Failed             []FailedRun
	// Resumed lists the runs that continued from a checkpoint.
	Resumed []string
	// Interrupted is set when the context was cancelled.
	Interrupted bool
	// Notes say what was accepted of a changed sweep file.
	Notes []string
	// Reports are the report files [Runner.Report] wrote; ReportErr joins
	// the errors of reports that failed.
	Reports   []string
	ReportErr error
	// Missing are the runs not done when the reports were made; with a
	// shard, the runs of the whole sweep that are not done.
	Missing []State
}

// FailedRun is a run that failed, and why.
type FailedRun struct {
	ID     string
	Reason string
	Step   int
	// Checkpoint is the step of the checkpoint the run will resume from,
	// or -1 when it has none and will start over.
	Checkpoint int
}

func (r *Runner) out() string {
	if r.Out == "" {
		return DefaultOut
	}
	return r.Out
}

func (r *Runner) stdout() io.Writer {
	if r.w != nil {
		return r.w
	}
	if r.Stdout == nil {
		return io.Discard
	}
	return r.Stdout
}

// printf writes a line of its own, clearing the live progress line first.
func (r *Runner) printf(format string, args ...any) {
	line := fmt.Sprintf(format+"\n", args...)
	if r.live {
		line = "\r\033[K" + line
	}
	io.WriteString(r.stdout(), line)
}

func (r *Runner) resumeHint() string {
	if r.Resume == "" {
		return "rerun the same command"
	}
	return "run `" + r.Resume + "`"
}

// Run runs every run of the sweep (of its shard) that is not done, Parallel
// at a time, then, once every run of the sweep is done, has Report make the
// sweep's figures and tables. A run that fails
// is recorded with its reason and the sweep goes on; a run with a
// checkpoint continues from it. When ctx is cancelled the running runs save
// a checkpoint and are recorded as interrupted, and Run returns with
// Outcome.Interrupted set. The error is for problems with the output
// directory, and for a sweep file that no longer describes the runs
// recorded there (a *ChangedError), not for problems of runs.
func (r *Runner) Run(ctx context.Context, s *Sweep) (*Outcome, error) {
	out := r.out()
	if err := checkShard(Shard{Index: r.Shard.Index, Count: max(1, r.Shard.Count)}); err != nil {
		return nil, err
	}
	stdout := r.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	r.w = &syncWriter{w: stdout}
	defer func() { r.w = nil }()
	parallel := max(1, r.Parallel)
	r.live = r.Terminal && parallel == 1
	if err := os.MkdirAll(s.Dir(out), 0o755); err != nil {
		return nil, err
	}
	oc := &Outcome{}
	notes, err := s.CheckRecord(out, r.Force)
	if err != nil {
		return nil, err
	}
	oc.Notes = notes
	for _, n := range notes {
		r.printf("%s", n)
	}
	states := s.States(out)
	var mine, pending []int
	for i := range s.Runs {
		if !r.Shard.Contains(i) {
			continue
		}
		mine = append(mine, i)
		if states[i].Status == results.StatusDone {
			oc.Skipped = append(oc.Skipped, s.Runs[i].ID)
		} else {
			pending = append(pending, i)
		}
	}
	scope := fmt.Sprintf("%d runs", len(s.Runs))
	if !r.Shard.All() {
		scope = fmt.Sprintf("shard %s: %d of %d runs", r.Shard, len(mine), len(s.Runs))
	}
	par := ""
	if parallel > 1 {
		par = fmt.Sprintf(", %d at a time", parallel)
	}
	r.printf("sweep %s: %s, %d done, %d to run%s -> %s", s.Name, scope, len(mine)-len(pending), len(pending), par, s.Dir(out))

	var (
		mu       sync.Mutex
		finished []time.Duration
		started  int
		firstErr error
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				run := s.Runs[i]
				mu.Lock()
				var avg time.Duration
				for _, d := range finished {
					avg += d / time.Duration(len(finished))
				}
				started++
				remaining := (len(pending) - started) / parallel
				mu.Unlock()
				prog := &progress{r: r, k: i + 1, n: len(s.Runs), id: run.ID, avgRun: avg, remaining: remaining}
				t0 := time.Now()
				res, err := r.runOne(ctx, s, run, prog)
				took := time.Since(t0)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if res.resumedFrom > 0 {
					oc.Resumed = append(oc.Resumed, run.ID)
				}
				switch res.status {
				case statusSkipped:
					oc.Skipped = append(oc.Skipped, run.ID)
				case statusBusy:
					oc.Busy = append(oc.Busy, run.ID)
					r.printf("[%d/%d] %s: running in %s; skipped here", i+1, len(s.Runs), run.ID, res.holder)
				case statusDone:
					oc.Ran = append(oc.Ran, run.ID)
					finished = append(finished, took)
					from := ""
					if res.resumedFrom > 0 {
						from = fmt.Sprintf(" (resumed from the checkpoint at step %d)", res.resumedFrom)
					}
					r.printf("[%d/%d] %s: done in %s%s", i+1, len(s.Runs), run.ID, roundDuration(took), from)
				case statusFailed:
					oc.Failed = append(oc.Failed, FailedRun{ID: run.ID, Reason: res.reason, Step: res.step, Checkpoint: res.checkpoint})
					next := "it will start over"
					if res.checkpoint >= 0 {
						next = fmt.Sprintf("it will resume from the checkpoint at step %d", res.checkpoint)
					}
					if res.reason == reasonInterrupted {
						oc.Interrupted = true
						r.printf("[%d/%d] %s: interrupted at step %d; %s", i+1, len(s.Runs), run.ID, res.step, next)
					} else {
						r.printf("[%d/%d] %s: FAILED at step %d: %s", i+1, len(s.Runs), run.ID, res.step, res.reason)
					}
				}
				mu.Unlock()
				if err := s.WriteResults(out); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("writing results.csv: %w", err)
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, i := range pending {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case <-ctx.Done():
			break feed
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		oc.Interrupted = true
	}
	if firstErr != nil {
		return oc, firstErr
	}
	if err := s.WriteResults(out); err != nil {
		return oc, fmt.Errorf("writing results.csv: %w", err)
	}
	if oc.Interrupted {
		r.printf("interrupted: nothing is half-written; interrupted runs saved a checkpoint where their task supports it. To continue, %s: done runs are skipped and interrupted ones resume.", r.resumeHint())
		return oc, nil
	}
	if !r.Shard.All() {
		var open []State
		for _, st := range s.States(out) {
			if st.Status == results.StatusPending || st.Status == results.StatusRunning {
				open = append(open, st)
			}
		}
		if len(open) > 0 {
			oc.Missing = open
			r.printf("shard %s finished; %s of other shards not finished yet: `sweep report %s --out %s` merges what is done", r.Shard, english.Plural(len(open), "run"), s.File, out)
			r.printf("%s", oc.Closing())
			return oc, nil
		}
	}
	if r.Report != nil {
		oc.Reports, oc.Missing, oc.ReportErr = r.Report(s, out)
	} else {
		_, oc.Missing = s.LoadRuns(out)
	}
	for _, f := range oc.Reports {
		r.printf("wrote %s", f)
	}
	if oc.ReportErr != nil {
		r.printf("reports failed: %v", oc.ReportErr)
	}
	r.printf("%s", oc.Closing())
	return oc, nil
}

// Closing is the outcome's closing line (more lines when runs failed).
func (oc *Outcome) Closing() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ran, %d already done, %d failed", len(oc.Ran), len(oc.Skipped), len(oc.Failed))
	if len(oc.Busy) > 0 {
		fmt.Fprintf(&b, ", %d running in another process", len(oc.Busy))
	}
	if len(oc.Failed) > 0 {
		b.WriteString("\nfailed runs (rerun the same command to retry them):")
		for _, f := range oc.Failed {
			fmt.Fprintf(&b, "\n  %s: %s", f.ID, f.Reason)
		}
	}
	return b.String()
}

// reasonInterrupted is the error recorded for a run stopped by Ctrl-C.
const reasonInterrupted = "interrupted"

type runStatus int

const (
	statusDone runStatus = iota
	statusFailed
	statusSkipped
	statusBusy
)

type runResult struct {
	status runStatus
	reason string
	step   int
	holder *LockInfo
	// resumedFrom is the checkpoint step the run continued from (0 when
	// it started afresh); checkpoint is the step of the newest checkpoint
	// left for a failed run, -1 when none.
	resumedFrom int
	checkpoint  int
}

// panicError is a panic recovered from a task.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// runOne runs one run under its lock, from its checkpoint when it has one
// and from scratch otherwise, and records its summary.
func (r *Runner) runOne(ctx context.Context, s *Sweep, run *RunSpec, prog *progress) (runResult, error) {
	dir := s.RunDir(r.out(), run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runResult{}, err
	}
	release, holder, err := acquireLock(dir)
	if err != nil {
		return runResult{}, fmt.Errorf("locking run %s: %w", run.ID, err)
	}
	if holder != nil {
		return runResult{status: statusBusy, holder: holder}, nil
	}
	defer release()
	defer heartbeat(dir)()
	// Another process may have finished the run before we took the lock.
	prev, err := results.ReadSummary(dir)
	if err == nil && prev.Status == results.StatusDone {
		return runResult{status: statusSkipped}, nil
	}
	if err != nil {
		prev = nil
	}

	if err := results.WriteFileAtomic(filepath.Join(dir, results.ConfigFile), run.ConfigTOML); err != nil {
		return runResult{}, err
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
	}
	if err := results.WriteSummary(dir, sum); err != nil {
		return runResult{}, err
	}
	cp := &runCheckpointer{cp: checkpoint.New(dir, s.Checkpoint, log), metrics: metrics, dir: dir, sum: sum, prev: prev, log: log, saved: -1}

	prog.start = time.Now()
	env := &tasks.Run{ID: run.ID, Dir: dir, Seed: run.Seed, Metrics: metrics, Progress: prog, Log: log, Checkpoint: cp}
	vals, runErr := callTask(ctx, s.task.Task, run.Config, env)
	prog.finish()
	if cerr := metrics.close(); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("writing metrics.jsonl: %w", cerr)
	}

	sum.Finished = time.Now().UTC()
	sum.Seconds = cp.seconds()
	sum.Step = metrics.lastStep
	if vals != nil {
		sum.Metrics = vals
	}
	res := runResult{status: statusDone, resumedFrom: cp.resumedFrom, checkpoint: -1}
	var de *tasks.DivergedError
	var pe *panicError
	switch {
	case runErr == nil:
		sum.Status = results.StatusDone
	case ctx.Err() != nil:
		sum.Status, sum.Error = results.StatusFailed, reasonInterrupted
	case errors.As(runErr, &de):
		sum.Status, sum.Error, sum.Step = results.StatusFailed, runErr.Error(), de.Step
	case errors.As(runErr, &pe):
		sum.Status, sum.Error = results.StatusFailed, pe.Error()
		log.Error("the task panicked (a bug in the task)", "panic", fmt.Sprint(pe.value), "stack", string(pe.stack))
	default:
		sum.Status, sum.Error = results.StatusFailed, runErr.Error()
	}
	if sum.Status == results.StatusFailed {
		res.status, res.reason, res.step = statusFailed, sum.Error, sum.Step
		if step, ok := checkpoint.Peek(dir); ok {
			res.checkpoint = step
		}
	}
	if err := results.WriteSummary(dir, sum); err != nil {
		return runResult{}, err
	}
	if sum.Status == results.StatusDone {
		if err := checkpoint.Remove(dir); err != nil {
			log.Warn("could not remove the checkpoints of a done run", "err", err)
		}
	}
	return res, nil
}

// runCheckpointer is the Checkpointer a task is given: it flushes the
// metrics logged so far before each checkpoint, so that a checkpoint never
// claims a step whose metrics are not on disk, and on loading cuts
// metrics.jsonl back to the checkpoint's step.
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
	if err := c.cp.Save(step, state); err != nil {
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
	if err := c.metrics.open(step, true); err != nil {
		return 0, nil, false, err
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
			vals, err = nil, &panicError{value: p, stack: debug.Stack()}
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
		m.lastStep = step
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
	if time.Since(m.last) >= m.every {
		m.last = time.Now()
		return m.w.Flush()
	}
	return nil
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

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
