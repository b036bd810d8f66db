package graph

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// tapeRunAll is gorgonia v0.9.18's (*tapeMachine).runall (vm_tape.go): it
// executes the machine's program from its program counter to the end and
// then sends on done, or sends the first error on errc and stops. Its first
// argument is the *tapeMachine.
//
//go:linkname tapeRunAll gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeRunAll(m unsafe.Pointer, errc chan error, done chan struct{})

// isTapeMachine reports whether vm is a *tapeMachine of gorgonia's, the
// only type tapeRunAll may be given.
func isTapeMachine(vm G.VM) bool {
	t := reflect.TypeOf(vm)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "gorgonia.org/gorgonia" && t.Elem().Name() == "tapeMachine"
}

// syncTape is a gorgonia tape machine whose RunAll runs the program on the
// calling goroutine.
//
// gorgonia's RunAll locks the calling goroutine to its OS thread, starts a
// goroutine that runs the program, and waits for it. While it waits, the
// Go scheduler hands the caller's core to another thread and, when the
// program is done, hands it back: two thread wake-ups a run. The
// Gaussian benchmark's separable step runs its graph 1,000 times a second,
// and these hand-offs took 11-15% of it (2 cores, 2,000 steps, 1,000 →
// 1,130 steps/s with the lock left out). Running the program directly
// does the same instructions in the same order, so the results are the
// same bits.
//
// syncTape is used only where gorgonia's RunAll would do nothing else: a
// machine made without options (so it binds no dual values and queues no
// closures to run after the program) and without batched BLAS calls to
// flush (whose requests would come back to the waiting caller).
type syncTape struct {
	G.VM
	m    unsafe.Pointer // the *tapeMachine inside VM
	errc chan error
	done chan struct{}
}

// newSyncTape returns vm run by [syncTape], or vm itself where syncTape
// cannot run it.
func newSyncTape(vm G.VM) G.VM {
	batched, ok := vm.(interface{ WorkAvailable() <-chan bool })
	if !isTapeMachine(vm) || !ok || batched.WorkAvailable() != nil {
		return vm
	}
	return &syncTape{VM: vm, m: reflect.ValueOf(vm).UnsafePointer(),
		errc: make(chan error, 1), done: make(chan struct{}, 1)}
}

// RunAll runs the program from where the machine stands to its end, on
// the calling goroutine, and returns the first error. Like gorgonia's
// RunAll it leaves the machine at the end of its program: Reset it before
// the next run.
func (t *syncTape) RunAll() error {
	tapeRunAll(t.m, t.errc, t.done)
	select {
	case err := <-t.errc:
		return err
	case <-t.done:
		return nil
	}
}

// Close closes the machine and removes gorgonia's finalizer from it, as
// [CloseMachine] does.
func (t *syncTape) Close() error { return CloseMachine(t.VM) }
