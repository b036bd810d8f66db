package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/infomax/infomax/experiments/results"
)

// LockInfo says which process holds a run's lock.
type LockInfo struct {
	PID  int
	Host string
}

func (l LockInfo) String() string { return fmt.Sprintf("pid %d on %s", l.PID, l.Host) }

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

// Live reports whether the lock's process may still be running: a lock
// from another host is assumed live, since it cannot be checked from here; a
// lock from this host is live while its process exists.
func (l LockInfo) Live() bool {
	if l.Host != hostname() {
		return true
	}
	return processAlive(l.PID)
}

// lockState reads the lock in a run directory: held is false when there is
// no lock or only a stale one.
func lockState(runDir string) (info LockInfo, held bool) {
	info, err := readLock(filepath.Join(runDir, results.LockFile))
	if err != nil {
		return LockInfo{}, false
	}
	return info, info.Live()
}

// acquireLock takes the lock of the run in runDir. When another live
// process holds it, it returns that process and a nil release. A stale lock
// (its process is gone from this host, or the file is corrupt) is broken.
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
	release = func() {
		// Remove the lock only if it is still ours.
		if info, err := readLock(path); err == nil && info == me {
			os.Remove(path)
		}
	}
	for attempt := 0; attempt < 3; attempt++ {
		err := os.Link(tmpName, path)
		if err == nil {
			return release, nil, nil
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
				return release, nil, nil
			}
			if !errors.Is(cerr, os.ErrExist) {
				return nil, nil, cerr
			}
		}
		info, rerr := readLock(path)
		if errors.Is(rerr, os.ErrNotExist) {
			continue // released meanwhile
		}
		if rerr == nil && info.Live() {
			return nil, &info, nil
		}
		if err := breakLock(path, rerr == nil, info); err != nil {
			return nil, nil, err
		}
	}
	info, _ := readLock(path)
	return nil, &info, nil
}

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
