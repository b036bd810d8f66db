package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
)

// status prints every run's state, the time spent and an estimate of the
// time left. An output directory that cannot be used is a usage error.
func status(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	started, err := s.Started(o.out)
	if err != nil {
		fmt.Fprintf(stderr, "sweep status: %v\n", err)
		return exitUsage
	}
	if !started {
		fmt.Fprintf(stdout, "sweep %s: nothing under %s yet; %d runs pending (start with `sweep run %s --out %s`)\n", s.Name, s.Dir(o.out), len(s.Runs), s.File, o.out)
		return exitOK
	}
	states := s.States(o.out)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\trun id\tstatus\tstep\ttime\treason")
	counts := map[string]int{}
	var spent, doneTime float64
	var done int
	for i, st := range states {
		label := string(st.Status)
		counts[label]++
		step, took := "", ""
		if st.Summary != nil {
			step = fmt.Sprint(st.Summary.Step)
			secs := st.Summary.Seconds
			if st.Status == results.StatusRunning && !st.Summary.Started.IsZero() {
				secs = time.Since(st.Summary.Started).Seconds()
			}
			took = formatSeconds(secs)
			spent += secs
			if st.Status == results.StatusDone {
				done++
				doneTime += st.Summary.Seconds
			}
		}
		reason := st.Reason
		if st.Holder != nil {
			reason = st.Holder.String()
		}
		if st.Status == results.StatusFailed || st.Status == results.StatusInterrupted {
			if cs, ok := checkpoint.Peek(s.RunDir(o.out, st.Run)); ok {
				reason += fmt.Sprintf(" (will resume from step %d)", cs)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, st.Run.ID, label, step, took, reason)
	}
	tw.Flush()
	var parts []string
	for _, label := range []string{"done", "failed", "interrupted", "running", "pending"} {
		if counts[label] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[label], label))
		}
	}
	fmt.Fprintf(stdout, "\n%d runs: %s; %s spent", len(states), strings.Join(parts, ", "), formatSeconds(spent))
	if left := len(states) - done; left > 0 && done > 0 {
		fmt.Fprintf(stdout, ", about %s left at %s a run", formatSeconds(doneTime/float64(done)*float64(left)), formatSeconds(doneTime/float64(done)))
	}
	fmt.Fprintln(stdout)
	return exitOK
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
