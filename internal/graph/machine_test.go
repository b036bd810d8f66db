package graph

import (
	"runtime"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// machineOwner owns a tape machine whose graph points back at it, as a
// G.Read into one of the owner's fields does.
type machineOwner struct {
	vm  G.VM
	out G.Value
}

func newMachineOwner(t *testing.T) *machineOwner {
	t.Helper()
	return newMachineOwnerOf(t, func(g *G.ExprGraph, opts ...G.VMOpt) G.VM { return G.NewTapeMachine(g, opts...) })
}

// newMachineOwnerOf is newMachineOwner with the machine made by newVM.
func newMachineOwnerOf(t *testing.T, newVM func(*G.ExprGraph, ...G.VMOpt) G.VM) *machineOwner {
	t.Helper()
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(64, 64), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(64, 64), tensor.WithBacking(make([]float32, 64*64)))))
	sq, err := G.Square(x)
	if err != nil {
		t.Fatal(err)
	}
	o := &machineOwner{}
	G.Read(sq, &o.out)
	o.vm = newVM(g)
	if err := o.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	o.vm.Reset()
	return o
}

// collected reports whether the object behind p is freed by a full
// collection; the first collection runs finalizers, the second frees what
// they kept.
func collected[T any](p weak.Pointer[T]) bool {
	runtime.GC()
	runtime.GC()
	return p.Value() == nil
}

func TestCloseMachineLetsACycleBeCollected(t *testing.T) {
	o := newMachineOwner(t)
	if err := CloseMachine(o.vm); err != nil {
		t.Fatal(err)
	}
	p := weak.Make(o)
	o = nil
	if !collected(p) {
		t.Error("an owner whose graph points back at it stayed alive after CloseMachine and dropping it")
	}
	if err := CloseMachine(nil); err != nil {
		t.Errorf("CloseMachine(nil) = %v, want nil", err)
	}
}

// TestPlainCloseKeepsACycle documents the gorgonia behaviour CloseMachine
// works around: after the machine's own Close the cycle is never freed. If
// a gorgonia upgrade stops registering the finalizer, this test fails and
// CloseMachine's removal of it is no longer needed.
func TestPlainCloseKeepsACycle(t *testing.T) {
	o := newMachineOwner(t)
	o.vm.Close()
	p := weak.Make(o)
	o = nil
	if collected(p) {
		t.Error("gorgonia's tape machine no longer keeps a cycle alive after Close; CloseMachine's finalizer removal may be dropped")
	}
}
