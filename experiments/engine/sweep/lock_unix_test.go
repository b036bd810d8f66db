//go:build unix

package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestALockWhosePIDWasReusedGoesStale: a lock of this host whose PID is
// now another live process's (after a reboot, or a crash long ago) is
// stale once it has had no heartbeat for LockStaleAfter: `sweep status`
// no longer shows the run as running, and `sweep run` takes it rather
// than wait for ever. A stopped process (Ctrl-Z), which beats no heart,
// keeps its lock.
func TestALockWhosePIDWasReusedGoesStale(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to tell a stopped process by")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	dir := t.TempDir()
	path := filepath.Join(dir, results.LockFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(cmd.Process.Pid)+" "+hostname()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, held := lockState(dir); !held {
		t.Fatalf("a fresh lock of a live process of this host is not held")
	}
	old := time.Now().Add(-LockStaleAfter - time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for !processStopped(cmd.Process.Pid) { // a hang is the failure
		time.Sleep(time.Millisecond)
	}
	if _, held := lockState(dir); !held {
		t.Errorf("the lock of a stopped process of this host is not held")
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for processStopped(cmd.Process.Pid) {
		time.Sleep(time.Millisecond)
	}
	if _, held := lockState(dir); held {
		t.Fatalf("a lock of this host without a heartbeat for %s, whose PID a live process has, is still held", LockStaleAfter)
	}
	release, holder, err := acquireLock(dir)
	if err != nil || holder != nil {
		t.Fatalf("the stale lock was not broken: holder %v err %v", holder, err)
	}
	release()
}
