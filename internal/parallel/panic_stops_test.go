package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestCallersPanicStopsTheHelpers checks Do's promise that after a
// chunk's panic the chunks not yet started do not run, where the panic is
// on the calling goroutine: a helper that has started taking chunks stops
// at its next one rather than run the rest of the job.
func TestCallersPanicStopsTheHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const n = 20000 // a false failure would need the caller held off its core for 10,000 of the helper's chunks (about 0.8 s)
	caller := goroutineID()
	var helperRuns atomic.Int32
	got := func() (p any) {
		defer func() { p = recover() }()
		Do(n, func(int) {
			if goroutineID() == caller {
				if !within5s(func() bool { return helperRuns.Load() > 0 }) {
					panic("no helper")
				}
				panic("caller")
			}
			helperRuns.Add(1)
			time.Sleep(50 * time.Microsecond)
		})
		return nil
	}()
	if got == "no helper" {
		t.Skip("no helper took a chunk within 5 s")
	}
	if got != "caller" {
		t.Fatalf("Do raised %v, want the caller's chunk's panic", got)
	}
	if r := helperRuns.Load(); r >= n/2 {
		t.Errorf("the helper ran %d of %d chunks after the caller's chunk panicked, want it to stop", r, n)
	}
}

// TestHelpersPanicStopsTheCaller checks the same where the panic is on a
// helper: the caller, which goes on taking chunks until the job runs out,
// stops at its next one.
func TestHelpersPanicStopsTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const n = 2000 // a false failure would need the helper held off its core for 1,000 of the caller's chunks (about 1 s)
	caller := goroutineID()
	var callerRuns atomic.Int32
	var helperPanicked atomic.Bool
	got := func() (p any) {
		defer func() { p = recover() }()
		Do(n, func(int) {
			if goroutineID() != caller {
				helperPanicked.Store(true)
				panic("helper")
			}
			if callerRuns.Add(1) == 1 && !within5s(helperPanicked.Load) {
				return
			}
			time.Sleep(50 * time.Microsecond) // time for the helper to record its panic, chunk after chunk
		})
		return nil
	}()
	if !helperPanicked.Load() {
		t.Skip("no helper took a chunk within 5 s")
	}
	if got != "helper" {
		t.Fatalf("Do raised %v, want the helper's chunk's panic", got)
	}
	if r := callerRuns.Load(); r >= n/2 {
		t.Errorf("the caller ran %d of %d chunks after a helper's chunk panicked, want it to stop", r, n)
	}
}
