package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/english"
)

// status prints every run's state, the time spent and an estimate of the
// time left. An output directory that cannot be used is a usage error.
func status(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	started, err := s.Started(o.out)
	if err != nil {
		fmt.Fprintf(stderr, "sweep status: %v%s\n", err, outHint(err))
		return exitUsage
	}
	if !started {
		fmt.Fprintf(stdout, "sweep %s: nothing under %s yet; %s pending (start with `sweep run %s --out %s`)\n", s.Name, s.Dir(o.out), english.Plural(len(s.Runs), "run"), sweep.ShellQuote(s.File), sweep.ShellQuote(o.out))
		return exitOK
	}
	states := s.States(o.out)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\trun id\tstatus\tstep\ttime\treason")
	for i, st := range states {
		step, took := "", ""
		if st.Summary != nil {
			step = fmt.Sprint(runStep(s, o.out, st))
			took = formatSeconds(runSeconds(st))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, st.Run.ID, stateLabel(st), step, took, stateReason(s, o.out, st))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%s\n", statusSummary(states))
	return exitOK
}

// runStep is how far a run has got: its summary's step or, for a running
// run or one whose process died, the last step its metrics.jsonl holds
// when that is further: the summary changes only at the run's start, its
// checkpoints and its end, while metrics.jsonl is flushed every few
// seconds (and before each checkpoint, so that a process killed between a
// checkpoint and its summary does not show a step short of the checkpoint
// it will resume from).
func runStep(s *sweep.Sweep, out string, st sweep.State) int {
	step := st.Summary.Step
	if st.Status == results.StatusRunning || st.Status == results.StatusInterrupted {
		if last, ok := results.LastStep(filepath.Join(s.RunDir(out, st.Run), results.MetricsFile)); ok {
			step = max(step, last)
		}
	}
	return step
}

// stateLabel is a run's state in a word: done, failed, interrupted,
// running or pending.
func stateLabel(st sweep.State) string { return string(st.Status) }

// runSeconds is the time a run has taken: as recorded, or for a running
// run, since it started.
func runSeconds(st sweep.State) float64 {
	if st.Summary == nil {
		return 0
	}
	if st.Status == results.StatusRunning && !st.Summary.Started.IsZero() {
		return time.Since(st.Summary.Started).Seconds()
	}
	return st.Summary.Seconds
}

// stateReason says why a run failed (and where it will resume from),
// which process runs it, or that a done run kept no model though the
// sweep keeps them (keep_models, set after it was done).
func stateReason(s *sweep.Sweep, out string, st sweep.State) string {
	if st.Holder != nil {
		return st.Holder.String()
	}
	if st.Status == results.StatusDone && s.LacksKeptModel(out, st.Run) {
		return "kept no model: done before keep_models was set (delete its folder to train it again, to the same numbers)"
	}
	diverged := st.Summary != nil && st.Summary.Diverged // run again, it starts over
	if (st.Status == results.StatusFailed && !diverged) || st.Status == results.StatusInterrupted {
		return st.Reason + resumeNote(s, out, st)
	}
	return st.Reason
}

// resumeNote is " (will resume from step N)" for a run with a checkpoint
// at step N, "" for one without.
func resumeNote(s *sweep.Sweep, out string, st sweep.State) string {
	if cs, ok := checkpoint.Peek(s.RunDir(out, st.Run)); ok {
		return fmt.Sprintf(" (will resume from step %d)", cs)
	}
	return ""
}

// statusSummary is the line `sweep status` ends with: the runs in each
// state, the time spent and an estimate of the time left, such as "6 runs:
// 3 done, 1 failed, 2 pending; 1m30s spent, about 1m0s left at 30s a run".
// A failed run that diverged is not counted as left: `sweep run` keeps it
// (see sweep.State.Kept).
// With several runs running, as under --parallel, the runs left are taken
// to go that many at a time: "..., about 30s left at 30s a run, 2 at a
// time".
func statusSummary(states []sweep.State) string {
	counts := map[string]int{}
	var spent, doneTime float64
	var done, kept int
	for _, st := range states {
		counts[stateLabel(st)]++
		spent += runSeconds(st)
		if st.Status == results.StatusDone && st.Summary != nil {
			done++
			doneTime += st.Summary.Seconds
		}
		if st.Kept(false) {
			kept++
		}
	}
	var parts []string
	for _, label := range []string{"done", "failed", "interrupted", "running", "pending"} {
		if counts[label] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[label], label))
		}
		if label == "failed" && kept > 0 {
			parts[len(parts)-1] += fmt.Sprintf(" (%d diverged, kept by `sweep run` unless --retry-diverged)", kept)
		}
	}
	line := fmt.Sprintf("%s: %s; %s spent", english.Plural(len(states), "run"), strings.Join(parts, ", "), formatSeconds(spent))
	if left := len(states) - done - kept; left > 0 && done > 0 {
		atOnce := max(1, counts["running"])
		perRun := doneTime / float64(done)
		line += fmt.Sprintf(", about %s left at %s a run", formatSeconds(perRun*float64(left)/float64(atOnce)), formatSeconds(perRun))
		if atOnce > 1 {
			line += fmt.Sprintf(", %d at a time", atOnce)
		}
	}
	return line
}

// formatSeconds writes a duration in seconds to a sensible precision.
func formatSeconds(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
