package parallel

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestDoRunsEveryChunkOnceAtOnce checks that Do calls f once for each
// index and returns only after every call did; that the chunks run at
// once (chunk 0 waits for every other chunk to start, which a Do that ran
// them one after another would never see); and that a single chunk runs on
// the calling goroutine.
func TestDoRunsEveryChunkOnceAtOnce(t *testing.T) {
	caller := goroutineID()
	for _, n := range []int{-1, 0, 1, 2, 7} {
		counts := make([]atomic.Int32, max(n, 0))
		var started, done atomic.Int32
		var sawAll atomic.Bool
		var firstOn atomic.Uint64
		Do(n, func(i int) {
			started.Add(1)
			if i == 0 {
				firstOn.Store(goroutineID())
				deadline := time.Now().Add(5 * time.Second)
				for started.Load() < int32(n) && time.Now().Before(deadline) {
					runtime.Gosched()
				}
				sawAll.Store(started.Load() == int32(n))
			}
			counts[i].Add(1)
			done.Add(1)
		})
		if int(done.Load()) != max(n, 0) {
			t.Errorf("n = %d: %d calls had returned when Do did", n, done.Load())
		}
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Errorf("n = %d: f(%d) called %d times", n, i, c)
			}
		}
		if n > 0 && !sawAll.Load() {
			t.Errorf("n = %d: chunk 0 never saw the other chunks start: they do not run at once", n)
		}
		if n == 1 && firstOn.Load() != caller {
			t.Errorf("n = 1: the chunk ran on goroutine %d, not the caller's %d", firstOn.Load(), caller)
		}
	}
}

// goroutineID returns the calling goroutine's number, from the first line
// of its stack trace ("goroutine 7 [running]:").
func goroutineID() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	return id
}
