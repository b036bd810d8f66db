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
