package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/tasks"
)

// dueEvery is a Checkpointer whose checkpoints are due after every
// positive multiple of its value. A Loop saves through its Save func, so
// Save and Load are never called.
type dueEvery int

func (d dueEvery) Due(step int) bool              { return step > 0 && step%int(d) == 0 }
func (dueEvery) Save(int, []byte) error           { return errors.New("not called") }
func (dueEvery) Load() (int, []byte, bool, error) { return 0, nil, false, nil }

// saver is a Loop's Save that records the steps saved and fails with err.
type saver struct {
	steps []int
	err   error
}

func (s *saver) save(step int) error {
	s.steps = append(s.steps, step)
	return s.err
}

// progress records its updates.
type progress struct{ updates []string }

func (p *progress) Update(done, total int) {
	p.updates = append(p.updates, fmt.Sprintf("%d/%d", done, total))
}

// TestLoopSavesWhenDueAndWhenStopped runs steps 0 to 5 (counted from 0, as
// the gaussian task counts them) with checkpoints due after steps 2 and 4,
// and stops it before each step in turn.
func TestLoopSavesWhenDueAndWhenStopped(t *testing.T) {
	for stop, want := range []string{
		"[]", // before step 0: nothing to save
		"[0]",
		"[1]",
		"[2]", // the last step's checkpoint is there already
		"[2 3]",
		"[2 4]",
		"[2 4]", // not stopped
	} {
		s, p := &saver{}, &progress{}
		loop := &tasks.Loop{Run: &tasks.Run{Checkpoint: dueEvery(2), Progress: p}, Task: "walk", Total: 6, Save: s.save}
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		for step := 0; step < 6; step++ {
			if step == stop {
				cancel()
			}
			if err = loop.Stopped(ctx); err != nil {
				break
			}
			if err := loop.StepDone(step, step+1); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if got := fmt.Sprint(s.steps); got != want {
			t.Errorf("stopped before step %d: saved after steps %s, want %s", stop, got, want)
		}
		if (stop < 6) != errors.Is(err, context.Canceled) {
			t.Errorf("stopped before step %d: error %v", stop, err)
		}
		if len(p.updates) != stop || stop > 0 && p.updates[stop-1] != fmt.Sprintf("%d/6", stop) {
			t.Errorf("stopped before step %d: progress %v", stop, p.updates)
		}
	}
}

func TestLoopSaveErrors(t *testing.T) {
	boom := errors.New("disk full")
	s := &saver{err: boom}
	loop := &tasks.Loop{Run: &tasks.Run{Checkpoint: dueEvery(3)}, Task: "walk", Total: 6, Save: s.save}
	if err := loop.StepDone(1, 1); err != nil || !loop.Pending() {
		t.Fatalf("a step that is not due: %v, pending %v", err, loop.Pending())
	}
	err := loop.StepDone(3, 3)
	if !errors.Is(err, boom) || err.Error() != "walk: saving the checkpoint after step 3: disk full" {
		t.Errorf("a due save that fails: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = loop.Stopped(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, boom) {
		t.Errorf("a save on stopping that fails: %v", err)
	}
	s.err = nil
	if err := loop.Stopped(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, boom) || loop.Pending() {
		t.Errorf("a save on stopping: %v, pending %v", err, loop.Pending())
	}
	if err := loop.Stopped(ctx); fmt.Sprint(s.steps) != "[3 3 3]" || !errors.Is(err, context.Canceled) {
		t.Errorf("stopping again saved after steps %v (error %v), want no new save", s.steps, err)
	}
}

func TestLoopWithoutCheckpointer(t *testing.T) {
	s := &saver{}
	loop := &tasks.Loop{Run: &tasks.Run{}, Task: "walk", Total: 6, Save: s.save}
	if err := loop.StepDone(2, 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := loop.Stopped(ctx); !errors.Is(err, context.Canceled) || len(s.steps) != 0 {
		t.Errorf("Stopped without a checkpointer: %v, saves %v", err, s.steps)
	}
}

func TestNonFinite(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{1, ""}, {-1e6, ""}, {math.NaN(), "loss is NaN"}, {math.Inf(1), "loss is +Inf"}, {math.Inf(-1), "loss is -Inf"},
		// Finite but insane, as infonce and dv estimates at lr = 50.
		{-1.7e17, "loss is -1.7e+17, beyond ±1e+06"}, {1e6 + 1, "loss is 1.000001e+06, beyond ±1e+06"},
	} {
		if got := tasks.NonFinite("loss", c.v); got != c.want {
			t.Errorf("NonFinite(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestDivergedFindsTheEstimatorsReport checks that an estimator's
// *estimators.DivergedError, wrapped as a model wraps it, becomes the
// task's *DivergedError at the step, and that other errors do not.
func TestDivergedFindsTheEstimatorsReport(t *testing.T) {
	err := fmt.Errorf("estimator update: %w", &estimators.DivergedError{Reason: "mine: the partition term is +Inf"})
	de := tasks.Diverged(86, err)
	if de == nil || de.Step != 86 || de.Error() != "diverged at step 86: mine: the partition term is +Inf" {
		t.Errorf("Diverged(86, %v) = %v", err, de)
	}
	for _, other := range []error{nil, errors.New("disk full")} {
		if de := tasks.Diverged(3, other); de != nil {
			t.Errorf("Diverged(3, %v) = %v, want nil", other, de)
		}
	}
}
