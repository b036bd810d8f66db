package taskstest

import (
	"math"
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

// MomentsShrinkOnly checks memory estimates of one config under
// adam_moments "" (the default), "float64" and "float32", given as def,
// f64 and f32: the first two must be equal, and float32 moments must
// shrink the part named weights to ratio of its default bytes, leaving
// every other part as it is.
func MomentsShrinkOnly(tb testing.TB, def, f64, f32 tasks.Memory, weights string, ratio float64) {
	tb.Helper()
	if len(def) != len(f32) || len(f64) != len(f32) {
		tb.Fatalf("estimates have %d, %d and %d parts", len(def), len(f64), len(f32))
	}
	found := false
	for i := range f32 {
		if def[i] != f64[i] {
			tb.Errorf("part %q: %v with adam_moments unset, %v with \"float64\"", def[i].What, def[i].Bytes, f64[i].Bytes)
		}
		if f32[i].What != weights {
			if f32[i] != def[i] {
				tb.Errorf("part %q changed with float32 moments: %v, want %v", f32[i].What, f32[i].Bytes, def[i].Bytes)
			}
			continue
		}
		found = true
		if got := f32[i].Bytes / def[i].Bytes; math.Abs(got-ratio) > 1e-12 {
			tb.Errorf("part %q with float32 moments is %.4f of the default's, want %.4f", weights, got, ratio)
		}
	}
	if !found {
		tb.Fatalf("no part named %q", weights)
	}
}
