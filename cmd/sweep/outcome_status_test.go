package main

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
)

// TestOutcomeStatus checks `sweep run`'s exit status for each way a run of
// the shard can be left not done: 0 only when none is, 1 for an
// interrupt, a failed, interrupted or busy run, a run not done, or a
// failed report.
func TestOutcomeStatus(t *testing.T) {
	for _, c := range []struct {
		name string
		oc   sweep.Outcome
		want int
	}{
		{"all done", sweep.Outcome{Ran: []string{"a"}, Skipped: []string{"b"}, Resumed: []string{"a"}}, exitOK},
		{"interrupted", sweep.Outcome{Interrupted: true}, exitFailed},
		{"a failed run", sweep.Outcome{Failed: []sweep.FailedRun{{ID: "a", Reason: "boom"}}}, exitFailed},
		{"a stopped run", sweep.Outcome{Stopped: []sweep.FailedRun{{ID: "a", Reason: "interrupted"}}}, exitFailed},
		{"a run another process holds", sweep.Outcome{Busy: []string{"a"}}, exitFailed},
		{"a run not done", sweep.Outcome{NotDone: []string{"a"}}, exitFailed},
		{"a failed report", sweep.Outcome{ReportErr: errors.New("figure: no data")}, exitFailed},
	} {
		oc := c.oc
		if got := outcomeStatus(&oc); got != c.want {
			t.Errorf("%s: exit status %d, want %d", c.name, got, c.want)
		}
	}
}

// TestErrorStatus checks the exit status of an error of the runner: 2 for
// a changed sweep file and an unusable output directory, wrapped or not,
// where nothing ran; 1 for any other error. And that only an unusable
// output directory gets the --out hint, not its corrupt record nor its
// own-folder mistake, which say their own fix.
func TestErrorStatus(t *testing.T) {
	changed := &sweep.ChangedError{File: "a.toml", Dir: "runs/a", Changes: &sweep.Changes{}}
	out := &sweep.OutError{Dir: "runs", Err: syscall.EACCES}
	for _, c := range []struct {
		name string
		err  error
		want int
		hint bool
	}{
		{"changed", changed, exitUsage, false},
		{"changed, wrapped", fmt.Errorf("run: %w", changed), exitUsage, false},
		{"unusable out", out, exitUsage, true},
		{"unusable out, wrapped", fmt.Errorf("run: %w", out), exitUsage, true},
		{"own folder", &sweep.OutError{Dir: "runs/a", Err: sweep.ErrOwnFolder}, exitUsage, false},
		{"corrupt record", &sweep.OutError{Dir: "runs/a", Err: fmt.Errorf("sweep.json: %w", sweep.ErrCorruptRecord)}, exitUsage, false},
		{"other", errors.New("the data set is missing"), exitFailed, false},
	} {
		if got := errorStatus(c.err); got != c.want {
			t.Errorf("%s: exit status %d, want %d", c.name, got, c.want)
		}
		if got := outHint(c.err) != ""; got != c.hint {
			t.Errorf("%s: hint %q, want one: %v", c.name, outHint(c.err), c.hint)
		}
	}
}
