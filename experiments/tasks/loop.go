package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Loop does the checkpoint and progress bookkeeping that every task's
// training loop repeats around its steps, so that the loop shows only the
// task's own work. A task's loop calls Stopped before each step and
// StepDone after it:
//
//	loop := &tasks.Loop{Run: run, Task: "gaussian", Total: total, Save: save}
//	for step := first; step < total; step++ {
//		if err := loop.Stopped(ctx); err != nil {
//			return nil, err
//		}
//		loss, err := m.Step() // the task's step, divergence check, metrics
//		...
//		if err := loop.StepDone(step, step+1); err != nil {
//			return nil, err
//		}
//	}
//
// Steps are numbered as the task numbers them in its checkpoints (from 0
// or from 1); Run.Checkpoint.Due and Save see those numbers.
type Loop struct {
	// Run is the run being trained: its Checkpoint (which may be nil)
	// and its Progress.
	Run *Run
	// Task names the task in errors: "<Task>: saving the checkpoint after
	// step 7: ...".
	Task string
	// Total is the number of steps of the run, for the progress.
	Total int
	// Save writes the checkpoint after step to Run.Checkpoint; the loop
	// calls it only when Run.Checkpoint is set.
	Save func(step int) error

	// last is the step that finished last; pending reports whether it
	// has finished since the last checkpoint (or the resume).
	last    int
	pending bool
}

// Stopped returns nil while ctx is not done. Once it is, Stopped saves a
// checkpoint after the last finished step, unless one was saved after it
// (or the run resumed from it, or no step has finished), and returns
// ctx.Err(), joined with the error of that save if it fails.
func (l *Loop) Stopped(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if l.Pending() && l.Run.Checkpoint != nil {
		if serr := l.save(l.last); serr != nil {
			return errors.Join(err, serr)
		}
	}
	return err
}

// StepDone records that step has finished, saves a checkpoint after it if
// one is due (Run.Checkpoint.Due(step)), and then tells Run.Progress that
// done steps out of Total have finished.
func (l *Loop) StepDone(step, done int) error {
	l.last, l.pending = step, true
	if l.Run.Checkpoint != nil && l.Run.Checkpoint.Due(step) {
		if err := l.save(step); err != nil {
			return err
		}
	}
	l.Run.UpdateProgress(done, l.Total)
	return nil
}

// Pending reports whether a step has finished since the last checkpoint
// (or since the start of the loop, which is at a fresh run's start or at
// the checkpoint a run resumed from).
func (l *Loop) Pending() bool { return l.pending }

// save calls Save and marks the step saved.
func (l *Loop) save(step int) error {
	if err := l.Save(step); err != nil {
		return fmt.Errorf("%s: saving the checkpoint after step %d: %w", l.Task, step, err)
	}
	l.pending = false
	return nil
}

// MaxMagnitude bounds a sane training value (a loss, an MI estimate in
// nats): beyond it, as when a too-large learning rate sends an estimate to
// -1.7e17, the run has diverged even though the value is still finite.
const MaxMagnitude = 1e6

// NonFinite returns why a training value makes a run diverge, "<name> is
// <value>" (such as "loss is NaN"), when v is NaN or infinite, "<name> is
// <value>, beyond ±1e+06" when |v| > [MaxMagnitude], and "" otherwise. It is
// the Reason of a [DivergedError].
func NonFinite(name string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf("%s is %g", name, v)
	case math.Abs(v) > MaxMagnitude:
		return fmt.Sprintf("%s is %g, beyond ±%g", name, v, float64(MaxMagnitude))
	}
	return ""
}
