package parallel

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
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

// TestRangesCoverTheIndicesOnce checks that Ranges' ranges are contiguous,
// in chunk order, cover [0, n) exactly, number at most workers (one when
// workers is at most 1) and that it returns their number.
func TestRangesCoverTheIndicesOnce(t *testing.T) {
	for _, c := range []struct{ n, workers, want int }{{0, 2, 1}, {1, 4, 1}, {10, 1, 1}, {10, 0, 1}, {10, 3, 3}, {7, 2, 2}, {3, 8, 3}} {
		var mu sync.Mutex
		got := map[int][2]int{}
		k := Ranges(c.n, c.workers, func(chunk, lo, hi int) {
			mu.Lock()
			got[chunk] = [2]int{lo, hi}
			mu.Unlock()
		})
		if k != c.want || len(got) != k {
			t.Errorf("n %d, workers %d: %d ranges (%d calls), want %d", c.n, c.workers, k, len(got), c.want)
			continue
		}
		next := 0
		for chunk := range k {
			r := got[chunk]
			if r[0] != next || r[1] < r[0] {
				t.Errorf("n %d, workers %d: range %d is %v after %d", c.n, c.workers, chunk, r, next)
			}
			next = r[1]
		}
		if next != c.n {
			t.Errorf("n %d, workers %d: ranges end at %d", c.n, c.workers, next)
		}
	}
}
