//go:build !unix

package sweep

import (
	"sync"
	"time"
)

// processAlive reports whether a process with this pid exists. Without a
// way to check, every lock is taken as live.
func processAlive(pid int) bool { return pid > 0 }

// processStopped reports whether the process with this pid is stopped;
// without a way to check, it reports false.
func processStopped(pid int) bool { return false }

// processStart returns when the process with this pid started; without a
// way to check, ok is false, and a lock of a live process is held.
var processStart = func(pid int) (started time.Time, ok bool) { return time.Time{}, false }

// writable reports whether this process may create files in the
// directory dir; without a way to ask, it assumes so, and the first write
// says otherwise.
func writable(dir string) bool { return true }

// fileLocks serializes lockFile within this process; without flock,
// processes sharing a sweep directory are not serialized.
var fileLocks sync.Mutex

// lockFile serializes writers of results.csv within this process.
func lockFile(path string) (unlock func(), err error) {
	fileLocks.Lock()
	return fileLocks.Unlock, nil
}
