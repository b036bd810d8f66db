package main

import (
	"errors"

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
