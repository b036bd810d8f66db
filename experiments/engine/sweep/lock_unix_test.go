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
	cmd := startSleeper(t)
	dir, path := lockedBy(t, cmd.Process.Pid)
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

// TestALateHeartbeatKeepsALiveHoldersLock: the lock of a live process of
// this host that has held it since before its last heartbeat stays held
// however late the next heartbeat is: after a laptop's suspend of an hour
// (the heartbeat's ticker does not count the time asleep, so the lock
// stays untouched for up to LockHeartbeat after the wake-up), or on a
// machine so loaded that the heartbeat is not scheduled. Taking it would
// have two processes write one run. Only a process that started after the
// lock was last touched has taken a dead holder's PID. Where the start of
// a process cannot be read, a lock of a live process is held, as before.
func TestALateHeartbeatKeepsALiveHoldersLock(t *testing.T) {
	cmd := startSleeper(t)
	dir, path := lockedBy(t, cmd.Process.Pid)
	touched := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, touched, touched); err != nil {
		t.Fatal(err)
	}
	defer func(f func(int) (time.Time, bool)) { processStart = f }(processStart)
	for _, c := range []struct {
		name    string
		started time.Time
		known   bool
		held    bool
	}{
		{"started before its last heartbeat", touched.Add(-time.Minute), true, true},
		{"started unknown", time.Time{}, false, true},
		{"started as it took the lock", touched.Add(100 * time.Millisecond), true, true},
		{"started after the last heartbeat", touched.Add(time.Minute), true, false},
	} {
		processStart = func(int) (time.Time, bool) { return c.started, c.known }
		if _, held := lockState(dir); held != c.held {
			t.Errorf("%s: the lock of a live process untouched for an hour is held %v, want %v", c.name, held, c.held)
		}
	}
}

// TestProcessStartIsWhenTheProcessStarted: processStart reads, from
// /proc, when a process started, to within a second.
func TestProcessStartIsWhenTheProcessStarted(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to read a process's start from")
	}
	before := time.Now()
	cmd := startSleeper(t)
	after := time.Now()
	started, ok := processStart(cmd.Process.Pid)
	if !ok || started.Before(before.Add(-time.Second)) || started.After(after.Add(time.Second)) {
		t.Errorf("processStart of a process started between %s and %s = %s, %v", before.Format(time.StampMilli), after.Format(time.StampMilli), started.Format(time.StampMilli), ok)
	}
	if _, ok := processStart(1 << 30); ok {
		t.Errorf("processStart of no process knows its start")
	}
}

// startSleeper starts a child process that sleeps for a minute, killed and
// reaped when the test ends, or skips the test where there is no sleep
// command.
func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// lockedBy makes a run folder whose lock names the process pid of this
// host, and returns the folder and the lock's path.
func lockedBy(t *testing.T, pid int) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, results.LockFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+" "+hostname()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// TestProcessStartTrustsProcOnlyWhereItAgrees: processStart reads no start
// from /proc where what /proc says of this process is not when it started
// (a container whose /proc/uptime counts from its own start, a wall clock
// set since), so that a live holder's lock is not taken on a wrong start.
func TestProcessStartTrustsProcOnlyWhereItAgrees(t *testing.T) {
	started, ok := procStart(os.Getpid())
	if !ok {
		t.Skip("no /proc to read a process's start from")
	}
	if !procStartAgrees() {
		t.Fatalf("/proc's start of this process %v is not near its start %v", started, startedAt)
	}
	defer func(was time.Time) { startedAt = was }(startedAt)
	startedAt = startedAt.Add(time.Hour)
	if _, ok := processStart(os.Getpid()); ok {
		t.Errorf("processStart trusts /proc an hour off this process's start")
	}
}
