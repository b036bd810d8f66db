package sweep

import (
	"os"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestADoneRunStaysDoneWhileItsLockIsHeld checks that a run whose summary
// says done is done even while a live process still holds its lock (the
// moment between the summary and the lock's release), whereas a run whose
// summary says running and whose lock is held is running.
func TestADoneRunStaysDoneWhileItsLockIsHeld(t *testing.T) {
	s := parseFile(t, runFile)
	out := t.TempDir()
	for i, status := range []results.Status{results.StatusDone, results.StatusRunning} {
		dir := s.RunDir(out, s.Runs[i])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		release, holder, err := acquireLock(dir)
		if err != nil || holder != nil {
			t.Fatalf("acquireLock: %v %v", holder, err)
		}
		defer release()
		if _, held := lockState(dir); !held {
			t.Fatalf("run %d: the lock this process took does not read as held", i)
		}
		if err := results.WriteSummary(dir, &results.Summary{RunID: s.Runs[i].ID, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	states := s.States(out)
	if states[0].Status != results.StatusDone || states[0].Holder != nil {
		t.Errorf("a done run with its lock held reads %s (holder %v), want done", states[0].Status, states[0].Holder)
	}
	if states[1].Status != results.StatusRunning || states[1].Holder == nil {
		t.Errorf("a running run with its lock held reads %s, want running with its holder", states[1].Status)
	}
}

// TestLoadRunsListsEveryRunNotDoneAsMissing checks that LoadRuns gives
// every run in plan order and lists each that is not done, pending ones
// included, as missing with its state.
func TestLoadRunsListsEveryRunNotDoneAsMissing(t *testing.T) {
	s := parseFile(t, runFile)
	out := t.TempDir()
	dir := s.RunDir(out, s.Runs[1])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteSummary(dir, &results.Summary{RunID: s.Runs[1].ID, Status: results.StatusFailed, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	runs, missing := s.LoadRuns(out)
	if len(runs) != len(s.Runs) || len(missing) != len(s.Runs) {
		t.Fatalf("LoadRuns gave %d runs and %d missing; want %d of each", len(runs), len(missing), len(s.Runs))
	}
	for i, st := range missing {
		want := results.StatusPending
		if i == 1 {
			want = results.StatusFailed
		}
		if st.Run != s.Runs[i] || st.Status != want || runs[i].Summary.Status != want {
			t.Errorf("missing[%d] = %s %s, want %s %s", i, st.Run.ID, st.Status, s.Runs[i].ID, want)
		}
	}
}
