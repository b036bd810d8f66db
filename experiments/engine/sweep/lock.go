package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
)

// LockInfo says which process holds a run's lock.
type LockInfo struct {
	PID  int
	Host string
}

func (l LockInfo) String() string { return fmt.Sprintf("pid %d on %s", l.PID, l.Host) }

// lockContended is called when lockFile finds its lock held and is about
// to wait for it. It does nothing; a test sets it to see a process wait.
var lockContended = func(path string) {}

// hostname is this machine's name as locks record it.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}

// readLock reads the lock file at path.
func readLock(path string) (LockInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LockInfo{}, err
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return LockInfo{}, fmt.Errorf("%s: corrupt lock file %q", path, b)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		return LockInfo{}, fmt.Errorf("%s: corrupt lock file %q", path, b)
	}
	return LockInfo{PID: pid, Host: fields[1]}, nil
}

// Live reports whether the lock's process may still be running, judged
// from this host alone: a lock from another host is assumed live; a lock
// from this host is live while its process exists. The runner also ages
// locks from other hosts by their heartbeat (see [LockStaleAfter]).
func (l LockInfo) Live() bool {
	if l.Host != hostname() {
		return true
	}
	return processAlive(l.PID)
}

// The lock heartbeat: a process running a run touches its lock file every
// LockHeartbeat, and a lock from another host not touched for
// LockStaleAfter is stale (its node died or lost the shared file system),
// so that a resubmitted job array reruns the run elsewhere. Clocks of the
// hosts sharing a sweep directory must agree to within a few minutes.
const (
	LockHeartbeat  = 30 * time.Second
	LockStaleAfter = 10 * time.Minute
)

// lockLive reports whether the lock at path, holding info, is live: from
// another host, while its heartbeat is recent; on this host, while its
// process exists, unless the lock has had no heartbeat for LockStaleAfter
// and that process started after the lock's last heartbeat (see
// pidTakenSince).
func lockLive(path string, info LockInfo) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	recent := time.Since(st.ModTime()) < LockStaleAfter
	if info.Host == hostname() {
		return processAlive(info.PID) && (recent || !pidTakenSince(info.PID, st.ModTime()))
	}
	return recent
}

// pidTakenSince reports whether the live process with this pid started
// after touched, the last heartbeat of a lock that names it, and so is
// another process that took the PID of the lock's dead holder (after a
// reboot, or a crash long ago), which would otherwise hold the run for
// ever. The holder itself started before it took the lock, however late
// its next heartbeat comes: a process stopped by Ctrl-Z or a debugger, a
// laptop's suspend (the heartbeat's ticker does not count the time
// asleep), a machine too loaded to schedule it. A start read within a
// second of touched counts as before it: /proc tells it in hundredths of a
// second, and a holder may take its first lock within milliseconds of its
// start. Where the start of a process cannot be read, it reports false.
func pidTakenSince(pid int, touched time.Time) bool {
	if processStopped(pid) {
		return false
	}
	started, ok := processStart(pid)
	return ok && started.After(touched.Add(time.Second))
}

// lockState reads the lock in a run directory: held is false when there is
// no lock or only a stale one.
func lockState(runDir string) (info LockInfo, held bool) {
	path := filepath.Join(runDir, results.LockFile)
	info, err := readLock(path)
	if err != nil {
		return LockInfo{}, false
	}
	return info, lockLive(path, info)
}

// heartbeat touches the lock file in runDir every LockHeartbeat until the
// returned stop is called.
func heartbeat(runDir string) (stop func()) {
	path := filepath.Join(runDir, results.LockFile)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(LockHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				os.Chtimes(path, now, now)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// acquireLock takes the lock of the run in runDir. When another live
// process holds it, it returns that process and a nil release. A stale lock
// (see lockLive: its process is gone from this host, or its PID was taken
// by a process started since its last heartbeat, or it is of another host
// and has had no heartbeat for LockStaleAfter; or the file is corrupt; or
// it names this process, which does not hold it, and its heartbeat has
// stopped: see leftByFormerSelf) is broken.
//
// The lock file is complete from the moment it exists: it is written to a
// temporary file and hard-linked into place, which fails if a lock exists.
func acquireLock(runDir string) (release func(), holder *LockInfo, err error) {
	path := filepath.Join(runDir, results.LockFile)
	me := LockInfo{PID: os.Getpid(), Host: hostname()}
	content := fmt.Sprintf("%d %s\n", me.PID, me.Host)
	tmp, err := os.CreateTemp(runDir, ".run.lock.tmp-*")
	if err != nil {
		return nil, nil, err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return nil, nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, nil, err
	}
	key := heldKey(path)
	release = func() {
		heldHere.Delete(key)
		// Remove the lock only if it is still ours.
		if info, err := readLock(path); err == nil && info == me {
			os.Remove(path)
		}
	}
	taken := func() (func(), *LockInfo, error) {
		heldHere.Store(key, true)
		return release, nil, nil
	}
	for attempt := 0; attempt < 3; attempt++ {
		err := os.Link(tmpName, path)
		if err == nil {
			return taken()
		}
		if !errors.Is(err, os.ErrExist) {
			// No hard links here: fall back to an exclusive create.
			f, cerr := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if cerr == nil {
				_, werr := f.WriteString(content)
				if cerr := f.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					os.Remove(path)
					return nil, nil, werr
				}
				return taken()
			}
			if !errors.Is(cerr, os.ErrExist) {
				return nil, nil, cerr
			}
		}
		info, rerr := readLock(path)
		if errors.Is(rerr, os.ErrNotExist) {
			continue // released meanwhile
		}
		if rerr == nil && lockLive(path, info) && !leftByFormerSelf(path, info, me) {
			return nil, &info, nil
		}
		if err := breakLock(path, rerr == nil, info); err != nil {
			return nil, nil, err
		}
	}
	info, _ := readLock(path)
	return nil, &info, nil
}

// heldHere holds the locks this process holds, by heldKey.
var heldHere sync.Map

// heldKey is heldHere's key for the lock at path: its absolute path.
func heldKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// leftByFormerSelf reports whether the lock at path, holding info, names
// this very process (me) without this process holding it, and its
// heartbeat has stopped (not touched for formerSelfAfter): a former
// process with the same PID on a host of the same name left it. A
// container restarted after a crash (Kubernetes' restartPolicy OnFailure)
// runs sweep again as PID 1 under the same hostname, and would otherwise
// wait for itself for ever. A live process of that PID and hostname in
// another PID namespace (containers sharing the node's hostname, each
// sweep their PID 1) keeps touching its lock, and keeps it.
func leftByFormerSelf(path string, info, me LockInfo) bool {
	if info != me {
		return false
	}
	if _, held := heldHere.Load(heldKey(path)); held {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) >= formerSelfAfter
}

// formerSelfAfter is how long a lock that names this process but that it
// does not hold must have gone untouched to count as a former process's:
// three heartbeats. A restarted container waits that long for its run.
const formerSelfAfter = 3 * LockHeartbeat

// breakLock removes the stale lock at path. It first moves the lock aside
// and checks that what it moved is the stale lock it read, so that a lock
// another process took meanwhile is put back rather than removed.
func breakLock(path string, parsed bool, stale LockInfo) error {
	aside := fmt.Sprintf("%s.stale-%d", path, os.Getpid())
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	moved, err := readLock(aside)
	if parsed && (err != nil || moved != stale) {
		// Not the lock we judged stale: restore it unless a new one exists.
		os.Link(aside, path)
	}
	os.Remove(aside)
	return nil
}

// staleLockTemp is the age from which a lock's temporary file (acquireLock
// writes one and removes it within microseconds) is left over from a
// process that died.
const staleLockTemp = time.Minute

// removeStaleTemps removes the temporary files that a process killed while
// writing (results.ReplaceFile's ".NAME.tmp-*", acquireLock's
// ".run.lock.tmp-*") left in the run directory dir, whose lock the caller
// holds: no live process writes the others, and a lock's temporary file
// counts only once it is staleLockTemp old, as another process may be
// trying the lock now. A file it cannot remove is reported through printf
// and left.
func removeStaleTemps(dir string, printf func(format string, args ...any)) {
	removeTemps(dir, func(name string) time.Duration {
		if strings.HasPrefix(name, ".run.lock.tmp-") {
			return staleLockTemp
		}
		return 0
	}, printf)
}

// staleSharedTemp is the age from which a temporary file in the sweep's
// own folder or its reports folder is left over from a process that died.
// No lock guards those folders, and another process may be writing
// results.csv or a report there now; such a write takes well under a
// second.
const staleSharedTemp = 10 * time.Minute

// removeOldTemps removes the temporary files (results.ReplaceFile's
// ".NAME.tmp-*") at least age old in dir. A file it cannot remove is
// reported through printf and left.
func removeOldTemps(dir string, age time.Duration, printf func(format string, args ...any)) {
	removeTemps(dir, func(string) time.Duration { return age }, printf)
}

// removeTemps removes the temporary files ".*.tmp-*" in dir that are at
// least minAge(their name) old (any age for 0), reporting through printf
// those it cannot remove.
func removeTemps(dir string, minAge func(name string) time.Duration, printf func(format string, args ...any)) {
	names, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		return
	}
	for _, path := range names {
		if age := minAge(filepath.Base(path)); age > 0 {
			if info, err := os.Stat(path); err != nil || info.IsDir() || time.Since(info.ModTime()) < age {
				continue
			}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			printf("could not remove %s, left by an interrupted write: %v", path, err)
		}
	}
}
