package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	// pending is the number of runs to run, set by run.
	pending int
	// table is results.csv as the runs end.
	table *resultsTable

	mu sync.Mutex
	// done and doneTime count the runs done so far and the time they took,
	// started counts the runs started, and err is the first error.
	done     int
	doneTime time.Duration
	started  int
	err      error
	// busy holds the indices of the runs of this round that another live
	// process held, and waited those of the runs waited for so far.
	busy   []int
	waited map[int]bool
}

// newBatch returns the batch of a call of Run on the runs of s in these
// states, under out, parallel at a time, recording into oc.
func (r *Runner) newBatch(ctx context.Context, s *Sweep, out string, states []State, oc *Outcome, parallel int) *batch {
	return &batch{r: r, ctx: ctx, s: s, out: out, oc: oc, parallel: parallel, table: s.newResultsTable(out, states), waited: map[int]bool{}}
}

// run runs the runs with the given indices, parallel at a time, and then,
// every [Runner.BusyPoll], those of them that another live process held,
// until each is done, here or there: a run whose process dies is taken over
// and continues from its checkpoint. It stops early when an error stops the
// feed or the context is cancelled; then the runs still held elsewhere are
// left in Outcome.Busy. It returns the first error.
func (b *batch) run(indices []int) error {
	b.pending = len(indices)
	for first := true; len(indices) > 0; first = false {
		busy, unfed := b.round(indices)
		if !first {
			// Runs a later round did not reach were held elsewhere when
			// last looked at, and still are as far as this process knows.
			busy = append(busy, unfed...)
			slices.Sort(busy)
		}
		indices = busy
		if len(indices) == 0 || b.firstErr() != nil || !b.sleep() {
			break
		}
	}
	for _, i := range indices {
		b.oc.Busy = append(b.oc.Busy, b.s.Runs[i].ID)
	}
	return b.err
}

// sleep waits for the next look at the runs held elsewhere; it reports false
// when the context was cancelled first.
func (b *batch) sleep() bool {
	t := time.NewTimer(b.r.busyPoll())
	defer t.Stop()
	select {
	case <-b.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// round feeds the runs with the given indices to parallel workers until
// they are all run, an error stops the feed, or the context is cancelled. It
// returns, in plan order, those that another live process held, and those
// it did not start. A select with both the cancellation and an idle worker
// ready picks either, so a worker handed a run checks the context again and
// leaves the run unstarted when it is cancelled; a cancellation that comes
// after that check stops the run as any interrupt does.
func (b *batch) round(indices []int) (busy, unfed []int) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	var skipped []int // fed but not started, under b.mu
	for range b.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if b.ctx.Err() != nil {
					b.mu.Lock()
					skipped = append(skipped, i)
					b.mu.Unlock()
					continue
				}
				b.runJob(i)
			}
		}()
	}
	fed := 0
feed:
	for _, i := range indices {
		if b.firstErr() != nil {
			break
		}
		select {
		case <-b.ctx.Done():
			break feed
		case jobs <- i:
			fed++
		}
	}
	close(jobs)
	wg.Wait()
	busy, b.busy = b.busy, nil
	slices.Sort(busy)
	unfed = append(skipped, indices[fed:]...)
	slices.Sort(unfed)
	return busy, unfed
}

// runJob runs the run with index i, records how it ended, sets its row of
// results.csv, and writes results.csv when a write is due.
func (b *batch) runJob(i int) {
	run := b.s.Runs[i]
	prog := b.progress(i)
	t0 := time.Now()
	res := b.r.runOne(b.ctx, b.s, run, prog)
	took := time.Since(t0)
	b.record(i, res, took)
	if res.sum != nil {
		b.table.set(i, res.sum)
	}
	if err := b.table.writeIfDue(); err != nil {
		b.fail(err) // it names results.csv
	}
}

// progress starts counting the run with index i and returns its progress
// display, which knows the mean time of the runs finished so far.
func (b *batch) progress(i int) *progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	var avg time.Duration
	if b.done > 0 {
		avg = b.doneTime / time.Duration(b.done)
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
		if b.s.LacksKeptModel(r.out(), run) {
			oc.Unkept = append(oc.Unkept, run.ID)
		}
		if b.waited[i] {
			r.printf("%s: done in another process", at)
		}
	case statusBusy:
		b.busy = append(b.busy, i)
		if !b.waited[i] {
			b.waited[i] = true
			r.printf("%s: running in %s; waiting for it to end (and taking it over if that process dies)", at, res.holder)
		}
	case statusDone:
		oc.Ran = append(oc.Ran, run.ID)
		b.done++
		b.doneTime += took
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
		switch {
		case res.setup:
			r.printf("%s: FAILED before it started: %s", at, res.reason)
		case strings.HasPrefix(res.reason, fmt.Sprintf("diverged at step %d:", res.step)):
			r.printf("%s: FAILED: %s", at, res.reason) // the reason gives the step
		case res.step == 0:
			r.printf("%s: FAILED before any step was logged: %s", at, res.reason)
		default:
			r.printf("%s: FAILED at step %d: %s", at, res.step, res.reason)
		}
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
