// Package parallel runs the chunks of a loop split across cores: the
// matrix products', the graph ops' and the optimizer's.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Do calls f(i) once for every i in [0, n), split between the calling
// goroutine and idle helper goroutines, and returns when all calls have
// returned; with n = 1 it is f(0) on the calling goroutine, with n <= 0
// nothing. Chunks may run one after another on one goroutine, so no chunk
// may wait for another. A chunk's panic, on a helper too, is raised by Do
// on the calling goroutine once every running chunk has returned (the
// chunks not yet started then do not run), and leaves the helpers free.
//
// A helper is one of GOMAXPROCS-1 long-lived goroutines. Do hands each
// idle one the whole call, and the caller and the helpers then take the
// chunks in turn from a shared counter. After a call, a helper keeps
// watching for the next for spinWindow, yielding its core now and then,
// and then sleeps until handed one. A training step calls Do tens of times
// a millisecond, so its helper is awake when the next split op comes; and
// when a helper is late (its thread descheduled by the host, or asleep),
// the caller runs the chunks it has not taken rather than wait for it.
//
// Measured on 2 cores (a 64 × 256 × 256 matrix product split in two
// column ranges, and the Gaussian benchmark's step): a goroutine of its
// own per chunk, the earlier design, waits for the runtime to wake a
// parked thread at every call, and made that product no faster on two
// cores than on one (72 against 80 µs; 55 µs now). Helpers each given
// fixed chunks made the product as fast but the step no faster: one post
// in ten waited 8 µs to 8 ms for its helper, and the caller waited too.
func Do(n int, f func(i int)) {
	switch {
	case n <= 0:
		return
	case n == 1:
		f(0)
		return
	}
	j := &job{f: f, n: int32(n)}
	var mine [maxHelpers]*helper
	j.finish(mine[:j.post(&mine, 0)])
}

// Started is a call of [Start] whose chunks may still be running.
type Started struct {
	j      *job    // nil once waited for
	helper *helper // the helper the job was posted to; nil if none was free
}

// Start begins what Do(n, f) does on one idle helper goroutine and returns
// at once, so that the calling goroutine can do other work meanwhile; the
// caller must then call Wait, which runs the chunks the helper has not
// taken, with any other helpers idle by then, and returns when every call
// of f has returned. Without an idle helper every chunk runs in Wait. The
// job holds its helper until Wait returns (a Started never waited for
// holds it for good): a Do called meanwhile, by the same caller or
// another, has the other helpers only (on two cores, none: it runs on its
// caller). Chunks of a few tens of microseconds let Wait pick up the rest
// of the job wherever the caller's other work leaves it. A chunk's panic
// is raised by Wait, as Do raises it.
func Start(n int, f func(i int)) Started {
	s := Started{j: &job{f: f, n: int32(max(n, 0))}}
	if n <= 0 {
		return s
	}
	if h := claimHelper(poolSize()); h != nil {
		h.post(s.j)
		s.helper = h
	}
	return s
}

// Wait runs the chunks of s's job that no helper has taken, on the
// calling goroutine and on the helpers idle now, and returns when all
// have returned, raising a chunk's panic. A second Wait does nothing.
func (s *Started) Wait() {
	j := s.j
	if j == nil {
		return
	}
	var mine [maxHelpers]*helper
	claimed := 0
	if s.helper != nil {
		mine[0], claimed = s.helper, 1
	}
	s.j, s.helper = nil, nil
	j.finish(mine[:j.post(&mine, claimed)])
}

// post posts j to idle helpers, up to GOMAXPROCS-1 in all and one fewer
// than j's chunks, recording them in mine after the claimed ones it
// holds already, and returns how many mine holds.
func (j *job) post(mine *[maxHelpers]*helper, claimed int) int {
	pool := poolSize()
	for claimed < min(pool, int(j.n)-1) {
		h := claimHelper(pool)
		if h == nil {
			break
		}
		h.post(j)
		mine[claimed] = h
		claimed++
	}
	return claimed
}

// finish runs j's chunks not yet taken on the calling goroutine, then
// waits for the helpers hs that j was posted to and frees them. A chunk's
// panic, on a helper too, is raised here once every running chunk has
// returned (the chunks not yet started then do not run).
func (j *job) finish(hs []*helper) {
	returned := false
	defer func() {
		if !returned { // the caller's chunk panicked: hand out no more
			j.next.Store(j.n)
		}
		for _, h := range hs {
			h.finish()
		}
		if p := j.panicked.Load(); p != nil && returned {
			panic(*p) // a helper's chunk panicked: the caller's panic now
		}
	}()
	j.run()
	returned = true
}

// Ranges calls f(chunk, lo, hi) on contiguous ranges of [0, n), as even as
// possible, one per worker of at most workers (and of at most n), through
// Do, and returns how many ranges it made: one, on the calling goroutine,
// when workers is at most 1.
func Ranges(n, workers int, f func(chunk, lo, hi int)) int {
	workers = min(workers, n)
	if workers <= 1 {
		f(0, 0, n)
		return 1
	}
	size := (n + workers - 1) / workers
	chunks := (n + size - 1) / size
	Do(chunks, func(c int) { f(c, c*size, min((c+1)*size, n)) })
	return chunks
}

// job is one call of Do or Start: its chunks f(0) ... f(n-1), taken in
// turn by whoever runs it.
type job struct {
	f        func(int)
	n        int32
	next     atomic.Int32        // the next chunk not yet taken
	panicked atomic.Pointer[any] // what a helper's chunk panicked with
}

// run takes and calls the job's chunks until none is left.
func (j *job) run() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.f(int(i))
	}
}

// maxHelpers bounds the helper goroutines, however large GOMAXPROCS is.
const maxHelpers = 64

// poolSize is how many helpers a call may post its job to: GOMAXPROCS-1,
// at most maxHelpers.
func poolSize() int { return min(runtime.GOMAXPROCS(0)-1, maxHelpers) }

// spinWindow is how long a helper keeps watching for a job after its last
// one before it sleeps.
const spinWindow = 200 * time.Microsecond

// yieldEvery is how many looks at an atomic state a waiting or idle
// goroutine makes between yields of its core and reads of the clock (a
// few microseconds). Each yield takes the scheduler's global lock; at 256
// looks the idle helper took it every few hundred nanoseconds, and the
// full step ran 4% slower (5 interleaved rounds, 327 against 341 images a
// second).
const yieldEvery = 4096

// Helper states. A caller claims a free helper, posts it a job (ready),
// the helper takes it (running) and reports it ran it (done), and the
// caller frees it; a caller whose own share of the job is over takes back
// a job still only posted (ready to free), so the helper never runs it.
const (
	helperFree int32 = iota
	helperClaimed
	helperReady
	helperRunning
	helperDone
)

// helper is a long-lived goroutine that runs the jobs Do and Start post
// to it.
type helper struct {
	state    atomic.Int32
	sleeping atomic.Bool
	wake     chan struct{} // a token for a sleeping helper; buffered 1
	job      *job          // set by the claiming caller before ready
}

var (
	helpersMu sync.Mutex
	helpers   atomic.Pointer[[]*helper]
)

// claimHelper returns a free helper among the first want (GOMAXPROCS-1,
// read once by the poster), now claimed by the caller, or nil when they
// are all busy. It starts helpers the first time they are needed and when
// GOMAXPROCS has grown.
func claimHelper(want int) *helper {
	hs := helpers.Load()
	if hs == nil || len(*hs) < want {
		hs = startHelpers(want)
	}
	for _, h := range (*hs)[:max(0, min(want, len(*hs)))] {
		if h.state.Load() == helperFree && h.state.CompareAndSwap(helperFree, helperClaimed) {
			return h
		}
	}
	return nil
}

// startHelpers makes sure at least want helpers run and returns them all.
func startHelpers(want int) *[]*helper {
	helpersMu.Lock()
	defer helpersMu.Unlock()
	hs := helpers.Load()
	if hs != nil && len(*hs) >= want {
		return hs
	}
	var all []*helper
	if hs != nil {
		all = append(all, *hs...)
	}
	for len(all) < want {
		h := &helper{wake: make(chan struct{}, 1)}
		go h.loop()
		all = append(all, h)
	}
	helpers.Store(&all)
	return &all
}

// post hands the claimed helper job j, waking it if it sleeps.
func (h *helper) post(j *job) {
	h.job = j
	h.state.Store(helperReady)
	if h.sleeping.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// finish returns once the helper no longer runs its job, taking the job
// back if the helper has not started it, and frees the helper. A helper
// that has started runs chunks taken before the caller's share ended, so
// the wait is at most a chunk.
func (h *helper) finish() {
	if h.state.CompareAndSwap(helperReady, helperClaimed) {
		h.job = nil // taken back: let the job's closure go
		h.state.Store(helperFree)
		return
	}
	for spins := 1; h.state.Load() != helperDone; spins++ {
		if spins%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
	h.state.Store(helperFree)
}

// runJob runs the helper's job's chunks until none is left, records a
// chunk's panic in the job for its caller to raise (after which the job
// hands out no more chunks), and reports the job done.
func (h *helper) runJob() {
	j := h.job
	defer func() {
		if r := recover(); r != nil {
			p := r // a heap copy on this path only
			j.panicked.CompareAndSwap(nil, &p)
			j.next.Store(j.n)
		}
		h.job = nil
		h.state.Store(helperDone)
	}()
	j.run()
}

// loop runs the jobs posted to the helper: it watches for one for
// spinWindow after the last, yielding its core every yieldEvery looks,
// then sleeps until post wakes it.
func (h *helper) loop() {
	idleSince := time.Now()
	for spins := 1; ; spins++ {
		if h.state.Load() == helperReady && h.state.CompareAndSwap(helperReady, helperRunning) {
			h.runJob()
			idleSince = time.Now()
			continue
		}
		if spins%yieldEvery != 0 {
			continue
		}
		if time.Since(idleSince) < spinWindow {
			runtime.Gosched()
			continue
		}
		// Sleep. A post that came before sleeping was set is seen by the
		// check after it; one after finds sleeping set and sends a token.
		// A stale token only makes the next sleep end at once.
		h.sleeping.Store(true)
		if h.state.Load() != helperReady {
			<-h.wake
		}
		h.sleeping.Store(false)
		idleSince = time.Now()
	}
}
