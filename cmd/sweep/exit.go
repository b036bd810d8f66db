package main

import (
	"errors"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
)

// errorStatus is the exit status of `sweep run` for an error of
// [sweep.Runner.Run]: exitUsage for what the user must fix before anything
// can run (a changed sweep file without --force, an output directory that
// cannot be made, read or written), exitFailed otherwise.
func errorStatus(err error) int {
	var ce *sweep.ChangedError
	var oe *sweep.OutError
	if errors.As(err, &ce) || errors.As(err, &oe) {
		return exitUsage
	}
	return exitFailed
}

// outHint returns the fix for an error of an unusable output directory
// ("; pass --out DIR ..."), to follow its one line, and "" for any other
// error, and for a corrupt sweep.json, a full disk or an --out that is
// the sweep's own folder, whose errors say their fix.
func outHint(err error) string {
	var oe *sweep.OutError
	if errors.As(err, &oe) && !errors.Is(err, sweep.ErrCorruptRecord) && !errors.Is(err, sweep.ErrOwnFolder) && !results.DiskFull(err) {
		return "; pass --out DIR with a directory you can write (it is made if missing)"
	}
	return ""
}

// outcomeStatus is the exit status of a `sweep run` that ran: exitOK only
// when every run of the shard is done and the reports, if made, were made;
// exitFailed when a run of the shard is not done (it failed, was
// interrupted, or another process still held it when this one was
// interrupted) or a report failed.
func outcomeStatus(oc *sweep.Outcome) int {
	if oc.Interrupted || len(oc.Failed) > 0 || len(oc.Stopped) > 0 || len(oc.Busy) > 0 || len(oc.NotDone) > 0 || oc.ReportErr != nil {
		return exitFailed
	}
	return exitOK
}
