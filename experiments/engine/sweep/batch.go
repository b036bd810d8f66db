package sweep

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// batch runs the pending runs of one call of Run, parallel at a time. Its
// workers share it under mu.
type batch struct {
	r        *Runner
	ctx      context.Context
	s        *Sweep
	out      string
	oc       *Outcome
	parallel int
	// pending is the number of runs to run.
	pending int

	mu sync.Mutex
	// finished holds the times of the runs done so far, started counts the
	// runs started, and err is the first error.
	finished []time.Duration
	started  int
	err      error
}

// run feeds the runs with the given indices to parallel workers until they
// are all run, an error stops the feed, or the context is cancelled; it
// returns the first error.
func (b *batch) run(indices []int) error {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range b.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b.runJob(i)
			}
		}()
	}
feed:
	for _, i := range indices {
		if b.firstErr() != nil {
			break
		}
		select {
		case <-b.ctx.Done():
			break feed
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	return b.err
}

// runJob runs the run with index i, records how it ended and rewrites
// results.csv.
func (b *batch) runJob(i int) {
	run := b.s.Runs[i]
	prog := b.progress(i)
	t0 := time.Now()
	res, err := b.r.runOne(b.ctx, b.s, run, prog)
	took := time.Since(t0)
	if err != nil {
		b.fail(err)
		return
	}
	b.record(i, res, took)
	if err := b.s.WriteResults(b.out); err != nil {
		b.fail(fmt.Errorf("writing results.csv: %w", err))
	}
}

// progress starts counting the run with index i and returns its progress
// display, which knows the mean time of the runs finished so far.
func (b *batch) progress(i int) *progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	var avg time.Duration
	for _, d := range b.finished {
		avg += d / time.Duration(len(b.finished))
	}
	b.started++
	remaining := (b.pending - b.started) / b.parallel
	return &progress{r: b.r, k: i + 1, n: len(b.s.Runs), id: b.s.Runs[i].ID, avgRun: avg, remaining: remaining}
}

// record adds the run with index i to the outcome, by how it ended, and
// prints its line.
func (b *batch) record(i int, res runResult, took time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	run, oc, r := b.s.Runs[i], b.oc, b.r
	at := fmt.Sprintf("[%d/%d] %s", i+1, len(b.s.Runs), run.ID)
	if res.resumedFrom > 0 {
		oc.Resumed = append(oc.Resumed, run.ID)
	}
	switch res.status {
	case statusSkipped:
		oc.Skipped = append(oc.Skipped, run.ID)
	case statusBusy:
		oc.Busy = append(oc.Busy, run.ID)
		r.printf("%s: running in %s; skipped here", at, res.holder)
	case statusDone:
		oc.Ran = append(oc.Ran, run.ID)
		b.finished = append(b.finished, took)
		from := ""
		if res.resumedFrom > 0 {
			from = fmt.Sprintf(" (resumed from the checkpoint at step %d)", res.resumedFrom)
		}
		r.printf("%s: done in %s%s", at, roundDuration(took), from)
	case statusInterrupted:
		oc.Stopped = append(oc.Stopped, res.ended(run.ID))
		oc.Interrupted = true
		r.printf("%s: interrupted at step %d; %s", at, res.step, res.next())
	case statusFailed:
		oc.Failed = append(oc.Failed, res.ended(run.ID))
		r.printf("%s: FAILED at step %d: %s", at, res.step, res.reason)
	}
}

// firstErr returns the first error of the batch's runs, nil when none.
func (b *batch) firstErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// fail records err unless an error came first.
func (b *batch) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}
