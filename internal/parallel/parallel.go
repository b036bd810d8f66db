// Package parallel runs the chunks of a loop split across cores: the
// matrix products', the graph ops' and the optimizer's.
package parallel

import "sync"

// Do calls f(i) for every i in [0, n) concurrently, each on a goroutine of
// its own, and returns when all have returned; with n = 1 it is f(0) on the
// calling goroutine, with n <= 0 nothing.
//
// The caller waits rather than running a chunk itself. Running the last
// chunk on the caller made a split 64 × 256 × 256 matrix product 50%
// slower (80 -> 120 µs, 4 interleaved rounds of 2 cores): the goroutine
// started just before lands in the caller's run-next slot, which the other
// core's scheduler is slow to steal from, so the chunks often ran one after
// the other. A caller that parks at once hands its core to one goroutine
// while the other core takes the second from the run queue. Helper
// goroutines that wait for work spinning (as OpenMP's threads do) made
// that product 35% faster on its own but the Gaussian benchmark's step
// about 10% slower (400 against 460 steps a second, 6 interleaved
// rounds): a spinning helper takes the second core from the work between
// the split ops.
func Do(n int, f func(i int)) {
	switch {
	case n <= 0:
		return
	case n == 1:
		f(0)
		return
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
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
