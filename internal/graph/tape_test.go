package graph

import (
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"weak"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mlpGraph builds a two-layer network's loss and gradients on random
// inputs, and returns the graph and the nodes whose values a run sets.
func mlpGraph(t *testing.T) (*G.ExprGraph, G.Nodes) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	g := G.NewGraph()
	input := func(name string, shape ...int) *G.Node {
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return G.NewMatrix(g, tensor.Float32, G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	x, w1, w2 := input("x", 16, 20), input("w1", 20, 32), input("w2", 32, 4)
	h, err := ReLU(G.Must(MatMul(x, w1)))
	if err != nil {
		t.Fatal(err)
	}
	z := G.Must(MatMul(h, w2))
	loss := G.Must(G.Sum(G.Must(G.Square(z))))
	grads, err := G.Grad(loss, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	return g, append(G.Nodes{h, z, loss}, grads...)
}

// runTwice runs vm twice, resetting it after each run, and returns the
// values of nodes after the second.
func runTwice(t *testing.T, vm G.VM, nodes G.Nodes) [][]float32 {
	t.Helper()
	for range 2 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	var out [][]float32
	for _, n := range nodes {
		switch d := n.Value().Data().(type) {
		case float32: // the loss
			out = append(out, []float32{d})
		case []float32:
			out = append(out, slices.Clone(d))
		}
	}
	return out
}

func TestNewTapeMachineRunsOnTheCaller(t *testing.T) {
	g, nodes := mlpGraph(t)
	vm := NewTapeMachine(g)
	defer CloseMachine(vm)
	if _, ok := vm.(*syncTape); !ok {
		t.Fatalf("NewTapeMachine(g) is a %T, want a *syncTape", vm)
	}
	got := runTwice(t, vm, nodes)

	g2, nodes2 := mlpGraph(t)
	ref := G.NewTapeMachine(g2, G.WithEngine(Engine))
	defer CloseMachine(ref)
	want := runTwice(t, ref, nodes2)
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("node %s[%d] = %g, gorgonia's RunAll gives %g", nodes[i].Name(), j, got[i][j], want[i][j])
			}
		}
	}
}

func TestNewTapeMachineWithOptionsIsGorgonias(t *testing.T) {
	g, nodes := mlpGraph(t)
	vm := NewTapeMachine(g, G.BindDualValues(nodes[len(nodes)-2:]...))
	defer CloseMachine(vm)
	if _, ok := vm.(*syncTape); ok {
		t.Errorf("NewTapeMachine with an option is a *syncTape, which would skip the option's work after the run")
	}
	if isTapeMachine(nil) {
		t.Error("isTapeMachine(nil) = true")
	}
}

// failOp is an op whose run fails: with an error, or a panic if panics.
type failOp struct{ panics bool }

func (failOp) Arity() int    { return 1 }
func (failOp) Type() hm.Type { return hm.NewFnType(hm.TypeVariable('a'), hm.TypeVariable('a')) }
func (failOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	return ns[0].(tensor.Shape).Clone(), nil
}
func (failOp) ReturnsPtr() bool         { return false }
func (failOp) CallsExtern() bool        { return false }
func (failOp) OverwritesInput() int     { return -1 }
func (op failOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op) }
func (op failOp) Hashcode() uint32      { return hashcode(op) }
func (op failOp) String() string        { return fmt.Sprintf("fail(%t)", op.panics) }
func (op failOp) Do(...G.Value) (G.Value, error) {
	if op.panics {
		panic("failOp panicked")
	}
	return nil, errors.New("failOp failed")
}

// failingMachine returns a machine from NewTapeMachine whose program runs
// op on a small matrix.
func failingMachine(t *testing.T, op failOp) G.VM {
	t.Helper()
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float32, 6)))))
	if _, err := G.ApplyOp(op, x); err != nil {
		t.Fatal(err)
	}
	return NewTapeMachine(g)
}

func TestSyncTapeReturnsAnOpsError(t *testing.T) {
	vm := failingMachine(t, failOp{})
	defer CloseMachine(vm)
	for range 2 { // the channels are reused: a second failure is reported too
		err := vm.RunAll()
		if err == nil || !strings.Contains(err.Error(), "failOp failed") {
			t.Fatalf("RunAll = %v, want the op's error", err)
		}
		vm.Reset()
	}
}

func TestSyncTapeLetsTheCallerRecoverAnOpsPanic(t *testing.T) {
	vm := failingMachine(t, failOp{panics: true})
	defer CloseMachine(vm)
	recovered := func() (r any) {
		defer func() { r = recover() }()
		_ = vm.RunAll()
		return nil
	}()
	if recovered != "failOp panicked" {
		t.Errorf("recovered %v, want the op's panic on the caller's goroutine", recovered)
	}
}

func TestCloseSyncTapeLetsACycleBeCollected(t *testing.T) {
	o := newMachineOwnerOf(t, NewTapeMachine)
	if _, ok := o.vm.(*syncTape); !ok {
		t.Fatalf("NewTapeMachine(g) is a %T, want a *syncTape", o.vm)
	}
	if err := o.vm.Close(); err != nil {
		t.Fatal(err)
	}
	p := weak.Make(o)
	o = nil
	if !collected(p) {
		t.Error("an owner whose graph points back at it stayed alive after closing its *syncTape and dropping it")
	}
}

// TestTapeRunAllLinksToGorgoniaV0918 checks, in go.mod, the version of
// gorgonia that tapeRunAll reaches into: its go:linkname names an
// unexported method, so another version could still build and then
// misbehave. After a gorgonia upgrade, check that vm_tape.go's runall has
// the same signature and still does all of RunAll's work but the locking
// and waiting, then update this test. (A test binary carries no
// dependency versions for debug.ReadBuildInfo.)
func TestTapeRunAllLinksToGorgoniaV0918(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && slices.Contains(f, "gorgonia.org/gorgonia") {
			versions = append(versions, strings.TrimSpace(line))
		}
	}
	if len(versions) != 1 || !strings.HasSuffix(versions[0], "gorgonia.org/gorgonia v0.9.18") {
		t.Errorf("go.mod's gorgonia lines are %q, want one requiring v0.9.18 and no replace: tapeRunAll was written against v0.9.18's (*tapeMachine).runall; check it, then update this test", versions)
	}
}
