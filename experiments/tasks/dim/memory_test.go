package dim

import (
	"runtime"
	"testing"
)

// liveHeap returns the bytes of live heap objects after a full collection.
// Two collections: the first runs any finalizers and empties sync.Pools
// into their victim caches, the second frees what they held.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestRunsReleaseTheirMemory runs the task several times in one process, as
// a sweep does, and checks that a finished run leaves nothing behind: the
// live heap after the later runs stays within a small bound of the live heap
// after the warm-up runs. Before the probes dropped their tape machines'
// finalizers, every run kept its probes' graphs and values alive (about
// 3 MB a run at this size, 100 MB and more at a sweep's).
func TestRunsReleaseTheirMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("several tiny runs")
	}
	c := tinyConfig()
	c.Epochs = 1
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0.1 // every graph the task builds
	const warmUp, runs = 2, 4
	for i := 0; i < warmUp; i++ {
		runTiny(t, c, int64(i))
	}
	before := liveHeap()
	for i := 0; i < runs; i++ {
		runTiny(t, c, int64(warmUp+i))
	}
	after := liveHeap()
	// The bound leaves room for gorgonia's and tensor's bounded pools of
	// small headers; a leak of one run's graphs is several times larger.
	const bound = 1 << 20
	if after > before+bound {
		t.Errorf("live heap grew from %.2f MB to %.2f MB over %d runs (%.2f MB a run); a finished run keeps memory alive",
			float64(before)/1e6, float64(after)/1e6, runs, float64(after-before)/1e6/runs)
	}
	t.Logf("live heap %.2f MB after %d warm-up runs, %.2f MB after %d more", float64(before)/1e6, warmUp, float64(after)/1e6, runs)
}
