package graph

import (
	"reflect"
	"runtime"

	G "gorgonia.org/gorgonia"
)

// CloseMachine closes a gorgonia VM and removes the finalizer that gorgonia
// sets on it, so that the machine, its graph and every value they hold are
// freed as soon as the caller drops them.
//
// gorgonia v0.9.18's NewTapeMachine (vm_tape.go) and NewLispMachine
// (vm_genera.go) register a finalizer on the machine (a no-op in builds
// without CUDA), and Close does not remove it. Go never collects a cycle of
// objects that holds an object with a finalizer, and a machine is easily
// part of a cycle: the machine reaches its graph, and a graph reaches its
// owner whenever an op holds a pointer into it, as G.Read(node, &owner.field)
// does. Such an owner, its machine, graph and values then live until the
// process ends. Removing the finalizer after Close is safe: Close already
// does what the finalizer would (freeing CUDA contexts in CUDA builds).
//
// A nil vm is a no-op.
func CloseMachine(vm G.VM) error {
	if vm == nil {
		return nil
	}
	err := vm.Close()
	if reflect.TypeOf(vm).Kind() == reflect.Pointer {
		runtime.SetFinalizer(vm, nil)
	}
	return err
}
