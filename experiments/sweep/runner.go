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
	"time"

	"github.com/infomax/infomax/experiments"
	"github.com/infomax/infomax/experiments/results"
)

// Runner runs the runs of a sweep that are not done, one after another.
type Runner struct {
	// Out is the output directory; DefaultOut when empty.
	Out string
	// Stdout receives progress and one line per run; io.Discard when nil.
	Stdout io.Writer
	// Log is the logger handed to tasks (with the run id added); a
	// discarding logger when nil.
	Log *slog.Logger
	// Terminal makes progress a one-line display redrawn in place, for a
	// terminal; otherwise progress is plain lines every 10% or 30 s.
	Terminal bool
	// FlushEvery is how often logged metrics are flushed to
	// metrics.jsonl; 5 s when zero. They are always flushed when a run
	// ends.
	FlushEvery time.Duration
}

// Outcome is what a call to [Runner.Run] did.
type Outcome struct {
	// Ran lists the runs that ran to the end in this call; Skipped those
	// already done; Failed those that failed (including an interrupted
	// one); Busy those another live process was running.
	Ran, Skipped, Busy []string
	Failed             []FailedRun
	// Interrupted is set when the context was cancelled.
	Interrupted bool
	// Reports are the report files written; ReportErr joins the errors of
	// reports that failed.
	Reports   []string
	ReportErr error
	// Missing are the runs not done when the reports were made.
	Missing []State
}

// FailedRun is a run that failed, and why.
type FailedRun struct {
	ID     string
	Reason string
	Step   int
}

func (r *Runner) out() string {
	if r.Out == "" {
		return DefaultOut
	}
	return r.Out
}

func (r *Runner) stdout() io.Writer {
	if r.Stdout == nil {
		return io.Discard
	}
	return r.Stdout
}

// printf writes a line of its own, clearing the live progress line first.
func (r *Runner) printf(format string, args ...any) {
	if r.Terminal {
		io.WriteString(r.stdout(), "\r\033[K")
	}
	fmt.Fprintf(r.stdout(), format+"\n", args...)
}

// Run runs every run of the sweep that is not done, in order, then makes
// the sweep's figures and tables. A run that fails is recorded with its
// reason and the sweep goes on; when ctx is cancelled the current run is
// recorded as interrupted and Run returns with Outcome.Interrupted set. The
// error is for problems with the output directory, not with runs.
func (r *Runner) Run(ctx context.Context, s *Sweep) (*Outcome, error) {
	out := r.out()
	if err := os.MkdirAll(s.Dir(out), 0o755); err != nil {
		return nil, err
	}
	states := s.States(out)
	var done int
	for _, st := range states {
		if st.Status == results.StatusDone {
			done++
		}
	}
	r.printf("sweep %s: %d runs, %d done, %d to run -> %s", s.Name, len(s.Runs), done, len(s.Runs)-done, s.Dir(out))
	oc := &Outcome{}
	var finished []time.Duration
	for i, run := range s.Runs {
		if ctx.Err() != nil {
			oc.Interrupted = true
			break
		}
		if states[i].Status == results.StatusDone {
			oc.Skipped = append(oc.Skipped, run.ID)
			continue
		}
		var avg time.Duration
		for _, d := range finished {
			avg += d / time.Duration(len(finished))
		}
		remaining := 0
		for _, st := range states[i+1:] {
			if st.Status != results.StatusDone {
				remaining++
			}
		}
		prog := &progress{r: r, k: i + 1, n: len(s.Runs), id: run.ID, avgRun: avg, remaining: remaining}
		start := time.Now()
		res, err := r.runOne(ctx, s, run, prog)
		if err != nil {
			return oc, err
		}
		switch res.status {
		case statusSkipped:
			oc.Skipped = append(oc.Skipped, run.ID)
		case statusBusy:
			oc.Busy = append(oc.Busy, run.ID)
			r.printf("[%d/%d] %s: running in %s; skipped here", i+1, len(s.Runs), run.ID, res.holder)
		case statusDone:
			oc.Ran = append(oc.Ran, run.ID)
			finished = append(finished, time.Since(start))
			r.printf("[%d/%d] %s: done in %s", i+1, len(s.Runs), run.ID, roundDuration(time.Since(start)))
		case statusFailed:
			oc.Failed = append(oc.Failed, FailedRun{ID: run.ID, Reason: res.reason, Step: res.step})
			if res.reason == reasonInterrupted {
				oc.Interrupted = true
				r.printf("[%d/%d] %s: interrupted at step %d", i+1, len(s.Runs), run.ID, res.step)
			} else {
				r.printf("[%d/%d] %s: FAILED at step %d: %s", i+1, len(s.Runs), run.ID, res.step, res.reason)
			}
		}
		if err := s.WriteResults(out); err != nil {
			return oc, fmt.Errorf("writing results.csv: %w", err)
		}
		if oc.Interrupted {
			break
		}
	}
	if err := s.WriteResults(out); err != nil {
		return oc, fmt.Errorf("writing results.csv: %w", err)
	}
	if oc.Interrupted {
		r.printf("interrupted: the current run is recorded as interrupted; rerun the same command to continue")
		return oc, nil
	}
	oc.Reports, oc.Missing, oc.ReportErr = s.MakeReports(out)
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
}

// panicError is a panic recovered from a task.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// runOne runs one run under its lock, from scratch, and records its summary.
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
	// Another process may have finished the run before we took the lock.
	if sum, err := results.ReadSummary(dir); err == nil && sum.Status == results.StatusDone {
		return runResult{status: statusSkipped}, nil
	}

	if err := results.WriteFileAtomic(filepath.Join(dir, results.ConfigFile), run.ConfigTOML); err != nil {
		return runResult{}, err
	}
	metricsPath := filepath.Join(dir, results.MetricsFile)
	if err := os.Remove(metricsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return runResult{}, err
	}
	mw, err := results.AppendMetrics(metricsPath)
	if err != nil {
		return runResult{}, err
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
		mw.Close()
		return runResult{}, err
	}

	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("run", run.ID)
	metrics := &flushingMetrics{w: mw, every: r.FlushEvery, last: time.Now()}
	if metrics.every <= 0 {
		metrics.every = 5 * time.Second
	}
	prog.start = time.Now()
	env := &experiments.Run{ID: run.ID, Dir: dir, Seed: run.Seed, Metrics: metrics, Progress: prog, Log: log}
	vals, runErr := callTask(ctx, s.task.Task, run.Config, env)
	prog.finish()
	if cerr := mw.Close(); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("writing metrics.jsonl: %w", cerr)
	}

	sum.Finished = time.Now().UTC()
	sum.Seconds = sum.Finished.Sub(sum.Started).Seconds()
	sum.Step = metrics.lastStep
	if vals != nil {
		sum.Metrics = vals
	}
	res := runResult{status: statusDone}
	var de *experiments.DivergedError
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
		res = runResult{status: statusFailed, reason: sum.Error, step: sum.Step}
	}
	if err := results.WriteSummary(dir, sum); err != nil {
		return runResult{}, err
	}
	return res, nil
}

// callTask runs the task, turning a panic into a *panicError.
func callTask(ctx context.Context, task experiments.Task, cfg experiments.Config, env *experiments.Run) (vals results.Values, err error) {
	defer func() {
		if p := recover(); p != nil {
			vals, err = nil, &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return task.Run(ctx, cfg, env)
}

// flushingMetrics writes metrics to metrics.jsonl, flushing them every so
// often so that a crash loses little, and remembers the last step.
type flushingMetrics struct {
	w        *results.MetricsWriter
	every    time.Duration
	last     time.Time
	lastStep int
}

func (m *flushingMetrics) Log(step int, values results.Values) error {
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

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
