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

// TestDoRunsEveryChunkOnce checks that Do calls f once for each index and
// returns only after every call did, for more chunks than helpers too,
// and that a single chunk runs on the calling goroutine.
func TestDoRunsEveryChunkOnce(t *testing.T) {
	caller := goroutineID()
	for _, n := range []int{-1, 0, 1, 2, 7, 100} {
		counts := make([]atomic.Int32, max(n, 0))
		var done atomic.Int32
		var firstOn atomic.Uint64
		Do(n, func(i int) {
			if i == 0 {
				firstOn.Store(goroutineID())
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
		if n == 1 && firstOn.Load() != caller {
			t.Errorf("n = 1: the chunk ran on goroutine %d, not the caller's %d", firstOn.Load(), caller)
		}
	}
}

// TestDoRunsChunksAtOnce checks that, with two or more Ps, Do's chunks run
// at the same time: the first chunk to start waits for another to start,
// which a Do running them one after another would never let happen. It
// checks it many times over, so that the helper is found both awake and
// asleep.
func TestDoRunsChunksAtOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for round := range 50 {
		var started atomic.Int32
		var sawTwo atomic.Bool
		Do(2, func(int) {
			if started.Add(1) > 1 {
				return
			}
			sawTwo.Store(within5s(func() bool { return started.Load() == 2 }))
		})
		if !sawTwo.Load() {
			t.Fatalf("round %d: the first chunk never saw the second start: they do not run at once", round)
		}
		if round%10 == 9 {
			time.Sleep(2 * spinWindow) // let the helper fall asleep
		}
	}
}

// TestDoWithoutHelpersRunsOnTheCaller checks that with one P, so no
// helper, every chunk runs on the calling goroutine.
func TestDoWithoutHelpersRunsOnTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	caller := goroutineID()
	var others atomic.Int32
	Do(5, func(int) {
		if goroutineID() != caller {
			others.Add(1)
		}
	})
	if others.Load() != 0 {
		t.Errorf("%d of 5 chunks ran off the caller's goroutine with GOMAXPROCS 1", others.Load())
	}
}

// TestFinishTakesBackAnUnstartedJob checks the path of a late helper: a job
// posted to a helper that never looks at it is run whole by the caller,
// and finish takes it back and frees the helper without waiting.
func TestFinishTakesBackAnUnstartedJob(t *testing.T) {
	h := &helper{wake: make(chan struct{}, 1)} // no loop runs it
	h.state.Store(helperClaimed)
	counts := make([]int, 6)
	j := &job{f: func(i int) { counts[i]++ }, n: int32(len(counts))}
	h.post(j)
	j.run()
	h.finish()
	for i, c := range counts {
		if c != 1 {
			t.Errorf("f(%d) called %d times", i, c)
		}
	}
	if s := h.state.Load(); s != helperFree {
		t.Errorf("helper left in state %d, want free (%d)", s, helperFree)
	}
}

// TestDoRaisesAChunksPanic checks that a chunk's panic, whether it ran on
// the caller or on a helper, comes out of Do on the calling goroutine, and
// that the helpers are free afterwards: two chunks still run at once.
func TestDoRaisesAChunksPanic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for round := range 40 {
		which := round % 2 // the chunk that panics
		got := func() (p any) {
			defer func() { p = recover() }()
			Do(2, func(i int) {
				if i == which {
					panic(round)
				}
			})
			return nil
		}()
		if got != round {
			t.Fatalf("round %d: Do raised %v, want the chunk's panic %d", round, got, round)
		}
	}
	TestDoRunsChunksAtOnce(t)
}

// TestNestedDoReturns checks that Do called from inside a chunk, where the
// helpers are busy, runs its chunks and returns.
func TestNestedDoReturns(t *testing.T) {
	var inner atomic.Int32
	done := make(chan struct{})
	go func() {
		Do(3, func(int) { Do(4, func(int) { inner.Add(1) }) })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("nested Do did not return in 10 s")
	}
	if inner.Load() != 12 {
		t.Errorf("inner chunks ran %d times, want 12", inner.Load())
	}
}

// within5s reports whether cond holds within 5 seconds, looking again and
// yielding the core between looks.
func within5s(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if !time.Now().Before(deadline) {
			return false
		}
		runtime.Gosched()
	}
	return true
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

// TestStartRunsBesideTheCaller checks that, with two Ps, a started job's
// chunks run while the caller does other work: the caller waits, before
// calling Wait, for a chunk to have run, which a Start that left every
// chunk to Wait would never let happen; that Wait returns after every
// chunk ran once; and that a Do called meanwhile, its helper busy, runs
// on its caller. It checks it many times over, so that the helper is
// found both awake and asleep.
func TestStartRunsBesideTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	caller := goroutineID()
	for round := range 40 {
		counts := make([]atomic.Int32, 8)
		s := Start(len(counts), func(i int) { counts[i].Add(1) })
		if !within5s(func() bool { return counts[0].Load() != 0 }) {
			t.Fatalf("round %d: no chunk ran in 5 s before Wait: the job does not run beside its caller", round)
		}
		var away atomic.Int32
		Do(4, func(int) {
			if goroutineID() != caller {
				away.Add(1)
			}
		})
		s.Wait()
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("round %d: f(%d) called %d times", round, i, c)
			}
		}
		if away.Load() != 0 {
			t.Fatalf("round %d: %d of the Do's 4 chunks ran off its caller while the started job held the helper", round, away.Load())
		}
		if round%10 == 9 {
			time.Sleep(2 * spinWindow) // let the helper fall asleep
		}
	}
}

// TestStartWithoutHelpersRunsInWait checks that with one P, so no helper,
// Start posts to no helper and runs nothing, and Wait runs every chunk
// once on its caller; that a Start of no chunks waits for nothing; and
// that a second Wait returns at once.
func TestStartWithoutHelpersRunsInWait(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	caller := goroutineID()
	var calls, others atomic.Int32
	s := Start(5, func(int) {
		calls.Add(1)
		if goroutineID() != caller {
			others.Add(1)
		}
	})
	if s.helper != nil {
		t.Error("Start posted its job to a helper with GOMAXPROCS 1")
	}
	if calls.Load() != 0 {
		t.Errorf("%d chunks ran before Wait with GOMAXPROCS 1", calls.Load())
	}
	s.Wait()
	if calls.Load() != 5 || others.Load() != 0 {
		t.Errorf("Wait ran %d of 5 chunks, %d off its caller", calls.Load(), others.Load())
	}
	s.Wait()
	if calls.Load() != 5 {
		t.Errorf("a second Wait ran chunks again: %d calls", calls.Load())
	}
	none := Start(0, func(int) { t.Error("a chunk of Start(0) ran") })
	none.Wait()
}

// TestSecondWaitReturns checks, with two Ps, that a second Wait on a job
// a helper ran returns at once and leaves the helper free: Do's two
// chunks still run at once.
func TestSecondWaitReturns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	s := Start(4, func(int) {})
	s.Wait()
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Wait did not return in 5 s")
	}
	TestDoRunsChunksAtOnce(t)
}

// TestWaitSpreadsToIdleHelpers checks that Wait hands the chunks left to
// the helpers idle by then, not only to Start's one: with four Ps, each
// chunk waits for chunks to be running on three goroutines at once, which
// the caller and one helper alone never reach.
func TestWaitSpreadsToIdleHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var mu sync.Mutex
	on := map[uint64]bool{}
	var reached atomic.Bool
	s := Start(6, func(int) {
		mu.Lock()
		on[goroutineID()] = true
		mu.Unlock()
		if within5s(func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(on) >= 3
		}) {
			reached.Store(true)
		}
	})
	s.Wait()
	if !reached.Load() {
		t.Errorf("the chunks ran on %d goroutines at most, want 3: Wait left the idle helpers out", len(on))
	}
}

// TestWaitRaisesAChunksPanic checks that a started chunk's panic comes out
// of Wait, both where it ran on the helper (the caller waits, before
// calling Wait, for the helper to have started) and where it ran on the
// caller (one P, so no helper), and that the helper is free afterwards:
// Do's two chunks still run at once.
func TestWaitRaisesAChunksPanic(t *testing.T) {
	caller := goroutineID()
	for round := range 40 {
		onHelper := round%2 == 0
		procs := 2
		if !onHelper {
			procs = 1
		}
		prev := runtime.GOMAXPROCS(procs)
		var started atomic.Bool
		got := func() (p any) {
			defer func() { p = recover() }()
			s := Start(3, func(int) {
				if onHelper && goroutineID() != caller {
					started.Store(true)
					panic(round)
				}
				if !onHelper {
					panic(round)
				}
			})
			if onHelper {
				within5s(started.Load)
			}
			s.Wait()
			return nil
		}()
		runtime.GOMAXPROCS(prev)
		if got != round {
			t.Fatalf("round %d (on the helper: %v): Wait raised %v, want the chunk's panic %d", round, onHelper, got, round)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	TestDoRunsChunksAtOnce(t)
}
