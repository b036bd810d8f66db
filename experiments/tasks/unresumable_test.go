package tasks

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// nopCheckpointer is a Checkpointer that is never used.
type nopCheckpointer struct{}

func (nopCheckpointer) Due(int) bool                     { return false }
func (nopCheckpointer) Save(int, []byte) error           { return nil }
func (nopCheckpointer) Load() (int, []byte, bool, error) { return 0, nil, false, nil }

// TestUnresumable checks that a run with a reason loses its Checkpoint in
// a copy (the caller's run keeps it) and logs the reason once, and that a
// run without a reason, or without a Checkpoint to lose, is returned as
// it is, with nothing logged.
func TestUnresumable(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	run := &Run{ID: "r1", Checkpoint: nopCheckpointer{}, Log: log}
	got := Unresumable(run, "the estimator's moving average is not saved")
	if got == run || got.Checkpoint != nil || run.Checkpoint == nil || got.ID != "r1" {
		t.Errorf("Unresumable with a reason: %+v (the caller's run %+v)", got, run)
	}
	if s := logged.String(); strings.Count(s, "level=WARN") != 1 || !strings.Contains(s, "moving average is not saved") {
		t.Errorf("logged %q, want one warning with the reason", s)
	}
	logged.Reset()
	if got := Unresumable(run, ""); got != run {
		t.Errorf("Unresumable without a reason returned a copy")
	}
	bare := &Run{ID: "r2", Log: log}
	if got := Unresumable(bare, "unsaved state"); got != bare {
		t.Errorf("Unresumable of a run without a Checkpoint returned a copy")
	}
	if logged.Len() != 0 {
		t.Errorf("logged %q for runs that lose no checkpoints", logged.String())
	}
}

// TestRegisterRefusesANilTask checks that a task registered without its
// Task panics, naming what it lacks, rather than failing at its first run.
func TestRegisterRefusesANilTask(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "needs a Task") {
			t.Errorf("recovered %v, want a panic saying it needs a Task", p)
		}
	}()
	Register(TaskInfo{Name: "nil-task-for-a-test", Summary: "no task at all"})
}
