package sweep

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestTwoFilesOfOneNameCannotBothStart: sweep.json is checked and written
// under the sweep directory's lock, so a second file of the same name that
// starts while the first is checking waits, then sees the first's record and
// is refused. The test plays the first process: it holds the lock while the
// second file is checked, and writes its record before letting go.
func TestTwoFilesOfOneNameCannotBothStart(t *testing.T) {
	out := t.TempDir()
	first := parseFile(t, runFile)
	second := parseFile(t, strings.Replace(runFile, "steps = 4", "steps = 5", 1))
	if err := os.MkdirAll(first.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := first.lockDir(out)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 1)
	lockContended = func(string) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	defer func() { lockContended = func(string) {} }()
	checked := make(chan error, 1)
	go func() {
		_, err := second.CheckRecord(out, false)
		checked <- err
	}()
	select {
	case <-waiting:
	case err := <-checked:
		unlock()
		t.Fatalf("the second file was checked while the first held the directory (error %v)", err)
	}
	if err := writeRecord(first.Dir(out), first.Record()); err != nil {
		t.Fatal(err)
	}
	unlock()
	var ce *ChangedError
	if err := <-checked; !errors.As(err, &ce) {
		t.Fatalf("the second file was not refused: %v", err)
	}
	if rec, _, err := ReadRecord(first.Dir(out)); err != nil || rec.FileSHA256 != first.FileSHA256 {
		t.Fatalf("sweep.json is not the first file's: %v", err)
	}
}

// TestRunsWhoseFilesCannotBeWrittenFailAndTheSweepGoesOn: a run whose
// directory cannot be made (a file stands in its way, which the reason
// names and says to move; or, when not root, a read-only one) fails with
// the reason, and the other runs run. On a full
// disk the failure names the first write that failed, the checkpoint's,
// before the summary.json that followed.
func TestRunsWhoseFilesCannotBeWrittenFailAndTheSweepGoesOn(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, behaviorFile("", "nospace", "x"))
	if err := os.MkdirAll(s.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	blocked := s.Runs[0]
	if err := os.WriteFile(s.RunDir(out, blocked), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := s.Runs[4]
	if os.Geteuid() != 0 { // root writes anywhere
		if err := os.Mkdir(s.RunDir(out, readOnly), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	oc, log := runSweep(t, s, out)
	failed := map[string]string{}
	for _, f := range oc.Failed {
		failed[f.ID] = f.Reason
	}
	if want := s.RunDir(out, blocked) + " is a file, not a folder: move it away, then rerun"; failed[blocked.ID] != want {
		t.Errorf("the run whose directory is a file: %q\n%s", failed[blocked.ID], log)
	}
	if os.Geteuid() != 0 && !strings.Contains(failed[readOnly.ID], "locking the run: ") {
		t.Errorf("the read-only run: %q\n%s", failed[readOnly.ID], log)
	}
	for _, r := range s.Runs[2:4] { // behavior = nospace
		summary := filepath.Join(s.RunDir(out, r), results.SummaryFile)
		if want := "fake: saving the checkpoint after step 2: write "; !strings.HasPrefix(failed[r.ID], want) ||
			!strings.Contains(failed[r.ID], "no space left on device; then "+summary+" is a folder") {
			t.Errorf("the run on a full disk failed with %q, want the checkpoint's error first", failed[r.ID])
		}
	}
	if len(oc.Ran) != 6-len(oc.Failed) {
		t.Fatalf("ran %v failed %v: the sweep did not go on\n%s", oc.Ran, oc.Failed, log)
	}
}

// TestAZombieHoldsNoLock: a process that has exited but that its parent has
// not yet reaped is dead, so its locks are stale. (The kill of a process
// started by a shell or a test leaves one until the parent waits for it.)
func TestAZombieHoldsNoLock(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to tell a zombie by")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	pid := cmd.Process.Pid
	if !processAlive(pid) {
		t.Fatalf("a running process reads as dead")
	}
	cmd.Process.Kill()
	defer cmd.Wait()
	for { // until the kernel has made it a zombie; a hang is the failure
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(b), ") Z ") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if processAlive(pid) {
		t.Fatalf("a zombie reads as alive")
	}
}
