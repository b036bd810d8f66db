package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infomax/infomax/internal/english"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
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
	// BusyPoll is how often Run looks again at a run that another live
	// process holds, to wait for it to end or take it over once that
	// process is gone (on this host, at once; from another host, after
	// LockStaleAfter without a heartbeat); one second when zero.
	BusyPoll time.Duration
	// Force accepts a sweep file whose runs differ from those recorded in
	// the sweep directory (see [Sweep.CheckRecord]).
	Force bool
	// RetryDiverged runs again the runs whose training, or what follows
	// it, diverged in an earlier call: from the start, or from the
	// finished training where only what follows it diverged. Without it
	// they are kept as they are, failed (see [State.Kept]): runs are
	// deterministic, so they would diverge again, unless the code changed.
	RetryDiverged bool
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
	// already done, or done by another process while this one waited for
	// them; Busy those another live process was still running when the
	// call was interrupted; Kept the runs of the shard that diverged in an
	// earlier call and that this one did not run again. With Parallel > 1
	// they are in the order the runs ended.
	Ran, Skipped, Busy, Kept []string
	// Failed lists the runs that failed; Stopped those interrupted, which
	// the next call continues.
	Failed, Stopped []FailedRun
	// Resumed lists the runs that continued from a checkpoint.
	Resumed []string
	// NotDone lists the runs of the shard that were not done when Run
	// returned: failed, interrupted, or still held by another process
	// after an interrupt.
	NotDone []string
	// Interrupted is set when the context was cancelled.
	Interrupted bool
	// Unkept lists the runs already done that keep no model although the
	// sweep keeps models (keep_models): done before the key was set. They
	// are not run again for it.
	Unkept []string
	// Retried lists the runs that had diverged in an earlier call and that
	// this one ran again (Runner.RetryDiverged).
	Retried []string
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

// FailedRun is a run that failed or was interrupted, and why.
type FailedRun struct {
	ID     string
	Reason string
	Step   int
	// Checkpoint is the step of the checkpoint the run will resume from,
	// or -1 when it has none and will start over.
	Checkpoint int
	// Diverged says that the run's training, or what follows it,
	// diverged: the next call keeps it, unless Runner.RetryDiverged is
	// set.
	Diverged bool
}

func (r *Runner) busyPoll() time.Duration {
	if r.BusyPoll <= 0 {
		return time.Second
	}
	return r.BusyPoll
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
// sweep's figures and tables. A run that fails (its task's error, or files
// that cannot be written) is recorded with its reason and the sweep goes on;
// a run with a checkpoint continues from it. A run that another live process
// holds is waited for, and taken over if that process dies (see BusyPoll),
// so that when Run returns uninterrupted every run of the shard has ended,
// here or there; Outcome.NotDone lists those not done. When ctx is cancelled
// the running runs save a checkpoint and are recorded as interrupted, and
// Run returns with Outcome.Interrupted set. results.csv is kept as runs end
// (see resultsTable) and rewritten from every run's summary.json at the
// end, so the bookkeeping of a run costs the same whatever the number of
// runs. The error is
// for problems with the output directory (an *OutError when nothing could
// start), and for a sweep file that no longer describes the runs recorded
// there (a *ChangedError), not for problems of runs.
func (r *Runner) Run(ctx context.Context, s *Sweep) (*Outcome, error) {
	out := r.out()
	if err := checkShard(Shard{Index: r.Shard.Index, Count: max(1, r.Shard.Count)}); err != nil {
		return nil, err
	}
	parallel := r.startOutput()
	defer func() { r.w = nil }()
	oc, err := r.checkDir(s, out)
	if err != nil {
		return nil, err
	}
	states := s.States(out)
	pending := r.pendingRuns(s, out, states, oc, parallel)
	r.tidy(s, out, states)
	b := r.newBatch(ctx, s, out, states, oc, parallel)
	err = b.run(pending)
	if ctx.Err() != nil {
		oc.Interrupted = true
	}
	if err != nil {
		return oc, err
	}
	states, err = s.rewriteResults(out)
	if err != nil {
		return oc, err // it names results.csv
	}
	for i, st := range states {
		if r.Shard.Contains(i) && st.Status != results.StatusDone {
			oc.NotDone = append(oc.NotDone, st.Run.ID)
		}
	}
	r.finish(ctx, s, out, states, oc)
	return oc, nil
}

// startOutput sets up the output of a call of Run, serialized for parallel
// runs and live on a terminal when runs run one at a time, and returns how
// many runs run at once.
func (r *Runner) startOutput() (parallel int) {
	stdout := r.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	r.w = &syncWriter{w: stdout}
	parallel = max(1, r.Parallel)
	r.live = r.Terminal && parallel == 1
	return parallel
}

// checkDir makes the sweep directory and checks the sweep against the
// record there (see [Sweep.CheckRecord]), printing what was accepted of a
// changed file. It returns the outcome to fill in, or a *ChangedError, or
// an *OutError for a directory that cannot be made or written.
func (r *Runner) checkDir(s *Sweep, out string) (*Outcome, error) {
	if _, err := s.Started(out); err != nil {
		return nil, err // it says why, better than MkdirAll's error would
	}
	if err := MakeFolder(s.Dir(out)); err != nil {
		return nil, &OutError{Dir: s.Dir(out), Err: err}
	}
	oc := &Outcome{}
	notes, err := s.CheckRecord(out, r.Force)
	var ce *ChangedError
	if err != nil && !errors.As(err, &ce) {
		return nil, &OutError{Dir: s.Dir(out), Err: err}
	}
	if err != nil {
		return nil, err
	}
	oc.Notes = notes
	for _, n := range notes {
		r.printf("%s", n)
	}
	return oc, nil
}

// pendingRuns returns the indices of the runs of the shard that are not
// done in states, records those done as skipped, and prints what the call
// will do.
func (r *Runner) pendingRuns(s *Sweep, out string, states []State, oc *Outcome, parallel int) []int {
	mine := s.ShardRuns(r.Shard)
	var pending []int
	for _, i := range mine {
		switch {
		case states[i].Status == results.StatusDone:
			oc.Skipped = append(oc.Skipped, s.Runs[i].ID)
			if s.LacksKeptModel(out, s.Runs[i]) {
				oc.Unkept = append(oc.Unkept, s.Runs[i].ID)
			}
		case states[i].Kept(r.RetryDiverged):
			oc.Kept = append(oc.Kept, s.Runs[i].ID)
		default:
			if states[i].Kept(false) {
				oc.Retried = append(oc.Retried, s.Runs[i].ID)
			}
			pending = append(pending, i)
		}
	}
	scope := english.Plural(len(s.Runs), "run")
	if !r.Shard.All() {
		scope = fmt.Sprintf("shard %s: %d of %s", r.Shard, len(mine), english.Plural(len(s.Runs), "run"))
	}
	par := ""
	if parallel > 1 {
		par = fmt.Sprintf(", %d at a time", parallel)
	}
	kept := ""
	if len(oc.Kept) > 0 {
		kept = fmt.Sprintf(", %d diverged before and kept (--retry-diverged runs them again)", len(oc.Kept))
	}
	r.printf("sweep %s: %s, %d done%s, %d to run%s -> %s", s.Name, scope, len(oc.Skipped), kept, len(pending), par, s.Dir(out))
	return pending
}

// tidy removes what processes killed at the wrong moment left: old
// temporary files in the sweep's folder and its reports folder, and
// leftovers beside the done runs of this shard (tidyDoneRun).
func (r *Runner) tidy(s *Sweep, out string, states []State) {
	for _, dir := range []string{s.Dir(out), filepath.Join(s.Dir(out), ReportsDir)} {
		removeOldTemps(dir, staleSharedTemp, r.printf)
	}
	for _, i := range s.ShardRuns(r.Shard) {
		if states[i].Status == results.StatusDone {
			r.tidyDoneRun(s.RunDir(out, s.Runs[i]))
		}
	}
}

// tidyDoneRun removes the checkpoints, the dead lock and the temporary
// files that a process killed after writing a done run's summary, and
// before removing them, left in its directory dir; under the run's lock
// (breaking a dead one), which it then releases. A run with none of them,
// the usual case, is left untouched.
func (r *Runner) tidyDoneRun(dir string) {
	temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(temps) == 0 && !exists(filepath.Join(dir, checkpoint.FileName)) &&
		!exists(filepath.Join(dir, checkpoint.PrevFileName)) && !exists(filepath.Join(dir, results.LockFile)) {
		return
	}
	release, holder, err := acquireLock(dir)
	if err != nil || holder != nil {
		return // another process has it: it removes them itself
	}
	defer release()
	removeStaleTemps(dir, r.printf)
	if err := checkpoint.Remove(dir); err != nil {
		r.printf("could not remove the checkpoints of the done run in %s: %v", dir, err)
	}
}

// exists reports whether there is a file at path.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// finish ends a call of Run whose runs have all ended: it says how to
// continue an interrupted sweep, or that runs of other shards are still
// pending or running (their failed and interrupted runs have ended, and
// do not hold the reports back), or has Report make the reports; and it
// prints the closing line (before the advice on continuing, which comes
// last).
func (r *Runner) finish(ctx context.Context, s *Sweep, out string, states []State, oc *Outcome) {
	if oc.Interrupted {
		r.printf("%s", oc.Closing())
		r.printf("interrupted: nothing is half-written; interrupted runs saved a checkpoint where their task supports it. To continue, %s: done runs are skipped and interrupted ones resume from their checkpoints (or start over, where their task keeps none).", r.resumeHint())
		return
	}
	if open := r.otherShardsOpen(states); len(open) > 0 {
		oc.Missing = open
		r.printf("shard %s finished; %s of other shards still pending or running: `sweep report %s --out %s` merges what is done", r.Shard, english.Plural(len(open), "run"), ShellQuote(s.File), ShellQuote(out))
		r.printf("%s", oc.Closing())
		return
	}
	r.report(ctx, s, out, oc)
	r.printf("%s", oc.Closing())
}

// otherShardsOpen returns, for a shard, the runs of the sweep that are
// pending or running in states; none for the whole sweep.
func (r *Runner) otherShardsOpen(states []State) []State {
	if r.Shard.All() {
		return nil
	}
	var open []State
	for _, st := range states {
		if st.Status == results.StatusPending || st.Status == results.StatusRunning {
			open = append(open, st)
		}
	}
	return open
}

// report has Report make the sweep's reports, and prints the files written
// and the errors; without Report it only finds the runs that are not done.
// The reports are made whole even when ctx is cancelled meanwhile (they
// take seconds, and every run is saved by then); an interrupt then says
// so, rather than seem ignored.
func (r *Runner) report(ctx context.Context, s *Sweep, out string, oc *Outcome) {
	if r.Report == nil {
		_, oc.Missing = s.LoadRuns(out)
		return
	}
	said := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(said)
		r.printf("%s", reportsInterrupted)
	})
	defer func() {
		if !stop() {
			<-said // it was said, or is being said: let it end before Run does
		}
	}()
	oc.Reports, oc.Missing, oc.ReportErr = r.Report(s, out)
	for _, f := range oc.Reports {
		r.printf("wrote %s", f)
	}
	if oc.ReportErr != nil {
		r.printf("reports failed: %v", oc.ReportErr)
	}
}

// reportsInterrupted is what report says of an interrupt while the reports
// are made.
const reportsInterrupted = "interrupted while writing the reports: every run is saved, and the reports are finished first; `sweep report` makes them again"

// Closing is the outcome's closing line (more lines when runs failed).
func (oc *Outcome) Closing() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ran, %d already done, %d failed", len(oc.Ran), len(oc.Skipped), len(oc.Failed))
	diverged, again := 0, 0
	for _, f := range oc.Failed {
		if f.Diverged {
			diverged++
			if slices.Contains(oc.Retried, f.ID) {
				again++
			}
		}
	}
	switch {
	case again == diverged && diverged > 0:
		fmt.Fprintf(&b, " (%d diverged again)", diverged)
	case again > 0:
		fmt.Fprintf(&b, " (%d diverged, %d of them again)", diverged, again)
	case diverged > 0:
		fmt.Fprintf(&b, " (%d diverged)", diverged)
	}
	if len(oc.Kept) > 0 {
		fmt.Fprintf(&b, ", %d diverged before and kept", len(oc.Kept))
	}
	if len(oc.Stopped) > 0 {
		fmt.Fprintf(&b, ", %d interrupted", len(oc.Stopped))
	}
	if len(oc.Busy) > 0 {
		fmt.Fprintf(&b, ", %d still running in another process", len(oc.Busy))
	}
	if len(oc.Unkept) > 0 {
		fmt.Fprintf(&b, "; %s done before keep_models was set kept no model (delete a run's folder to have it trained again, to the same numbers)", english.Plural(len(oc.Unkept), "run"))
	}
	if n := len(oc.NotDone) - len(oc.Failed) - len(oc.Stopped) - len(oc.Busy) - len(oc.Kept); n > 0 && oc.Interrupted {
		fmt.Fprintf(&b, "; %s of this shard not started before the interrupt", english.Plural(n, "run"))
	} else if n > 0 {
		fmt.Fprintf(&b, "; %s of this shard not done for reasons of other processes (see `sweep status`)", english.Plural(n, "run"))
	}
	if len(oc.Failed) > 0 {
		retry := "rerun the same command to retry them"
		switch {
		case again > 0:
			retry += "; a run that diverged is deterministic and would diverge again as it is: change its config (a smaller learning rate, say) or the code, or leave it recorded as failed"
		case diverged > 0:
			retry += "; a run that diverged would diverge again and is kept, unless you add --retry-diverged"
		}
		b.WriteString("\nfailed runs (" + retry + "):")
		for _, f := range oc.Failed {
			fmt.Fprintf(&b, "\n  %s: %s", f.ID, f.Reason)
		}
	}
	return b.String()
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
