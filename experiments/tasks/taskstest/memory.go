package taskstest

import (
	"runtime"
	"testing"

	"github.com/infomax/infomax/experiments/tasks"
)

// LiveHeap returns the bytes of live heap objects after a full collection.
// Two collections: the first runs any finalizers and empties sync.Pools
// into their victim caches, the second frees what they held.
func LiveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// EstimateCovers checks a config's memory estimate (see
// [tasks.MemoryEstimator]) against used, the live heap a run of it was
// measured to hold: the heap must be within the estimate, and the estimate
// within factor times the heap plus slack (the estimate also covers the
// heap's growth between collections and the process's own memory).
func EstimateCovers(tb testing.TB, cfg tasks.MemoryEstimator, used uint64, factor, slack float64) {
	tb.Helper()
	est, u := cfg.EstimateMemory().Total(), float64(used)
	tb.Logf("live heap %.1f MB, estimate %.1f MB", u/1e6, est/1e6)
	if u > est || est > factor*u+slack {
		tb.Errorf("live heap %.1f MB, estimate %.1f MB: want the heap within the estimate, and the estimate within %g times the heap plus %.0f MB",
			u/1e6, est/1e6, factor, slack/1e6)
	}
}
