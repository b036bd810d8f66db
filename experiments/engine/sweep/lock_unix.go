//go:build unix

package sweep

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processAlive reports whether a process with this pid exists and has not
// exited: a zombie, dead but not yet reaped by its parent, holds nothing.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && !zombie(pid)
}

// zombie reports whether the process with this pid has exited and waits to
// be reaped, as Linux's /proc/<pid>/stat tells (state Z, or X when dead);
// where there is no /proc, it reports false.
func zombie(pid int) bool {
	state := procState(pid)
	return state == 'Z' || state == 'X'
}

// processStopped reports whether the process with this pid is stopped, by
// a signal such as Ctrl-Z's (state T) or by a debugger (t), as Linux's
// /proc/<pid>/stat tells; where there is no /proc, it reports false.
func processStopped(pid int) bool {
	state := procState(pid)
	return state == 'T' || state == 't'
}

// procState is the state letter of the process with this pid in Linux's
// /proc/<pid>/stat, 0 where there is none.
func procState(pid int) byte {
	fields := procStat(pid)
	if len(fields) == 0 || len(fields[0]) != 1 {
		return 0
	}
	return fields[0][0]
}

// procStat returns the fields of Linux's /proc/<pid>/stat that follow the
// command name, from the state (field 3) on; none where there is no such
// file.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	// The command name is in parentheses and may itself hold spaces and
	// parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// userHZ is the unit of the times in /proc/<pid>/stat: clock ticks of
// 1/100 s, which Linux exports on every architecture Go supports.
const userHZ = 100

// processStart returns when the process with this pid started, from its
// start in Linux's /proc/<pid>/stat and the time since boot in
// /proc/uptime, both counting the time asleep; ok is false where there is
// no /proc, or where what /proc says of this very process is not when it
// started (see procStartAgrees). A variable, so that a test can give a
// process any start.
var processStart = func(pid int) (started time.Time, ok bool) {
	if !procStartAgrees() {
		return time.Time{}, false
	}
	return procStart(pid)
}

// startedAt is when this process started, to within its Go runtime's
// start-up.
var startedAt = time.Now()

// procStartAgrees reports whether procStart of this very process is
// within a few seconds of startedAt. Where it is not, no start read from
// /proc can be trusted: /proc/uptime counts from a container's start (as
// lxcfs makes it) while /proc/<pid>/stat counts from the host's boot, or
// the wall clock has been set since this process started.
func procStartAgrees() bool {
	started, ok := procStart(os.Getpid())
	d := started.Sub(startedAt)
	return ok && d > -5*time.Second && d < 5*time.Second
}

// procStart is processStart without the check that /proc can be trusted.
func procStart(pid int) (started time.Time, ok bool) {
	fields := procStat(pid)
	if len(fields) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64) // field 22, starttime
	if err != nil {
		return time.Time{}, false
	}
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, false
	}
	up, _, _ := strings.Cut(string(b), " ")
	uptime, err := strconv.ParseFloat(up, 64)
	if err != nil {
		return time.Time{}, false
	}
	age := time.Duration((uptime - float64(ticks)/userHZ) * float64(time.Second))
	return time.Now().Add(-age), true
}

// writable reports whether this process may create files in the
// directory dir.
func writable(dir string) bool {
	return syscall.Access(dir, 0x2|0x1) == nil // W_OK | X_OK
}

// lockFile takes an exclusive advisory lock (flock) on the file at path,
// creating it, and waits for it. The kernel releases the lock when the
// process dies, so a crash never leaves it held. Two calls in one process
// exclude each other too: each opens the file anew.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		lockContended(path)
		err = flock(f, syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// flock calls flock(2) on f, again when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
