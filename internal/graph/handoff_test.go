package graph

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// handoffNet is a two-layer ReLU network on a fixed input, x·W1 → ReLU →
// ·W2, built into a graph of its own.
type handoffNet struct {
	g      *G.ExprGraph
	out    *G.Node
	params G.Nodes
}

// newHandoffNet builds a handoffNet with fixed weights and input.
func newHandoffNet() *handoffNet {
	g := G.NewGraph()
	matrix := func(name string, r, c int, seed float64) *G.Node {
		v := make([]float32, r*c)
		for i := range v {
			v[i] = float32(math.Sin(seed*float64(i+1)) * 1.5)
		}
		return G.NewMatrix(g, tensor.Float32, G.WithShape(r, c), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(r, c), tensor.WithBacking(v))))
	}
	x, w1, w2 := matrix("x", 5, 4, 0.7), matrix("w1", 4, 6, 1.3), matrix("w2", 6, 3, 2.9)
	h := G.Must(Rectify(G.Must(MatMul(x, w1))))
	return &handoffNet{g: g, out: G.Must(MatMul(h, w2)), params: G.Nodes{w1, w2}}
}

// handoffSeed is the gradient the tests hand in: the gradient of
// sum(out ⊙ seed) with respect to out.
var handoffSeed = []float32{0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2, 0.125, 1, 1, -1, 0.3, 0.6, -0.9}

// TestHandoffSplitsARun checks that a machine stopped at a handoff hands
// out its output's value and, resumed with a seed, computes the gradients
// a single machine computes for the cost sum(out ⊙ seed), bit for bit, at
// its first run and again after a Reset.
func TestHandoffSplitsARun(t *testing.T) {
	whole := newHandoffNet()
	seed := G.NewMatrix(whole.g, tensor.Float32, G.WithShape(5, 3), G.WithName("seed"),
		G.WithValue(seedTensor()))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(whole.out, seed))))
	wantGrads, live, err := Grad(cost, whole.params...)
	if err != nil {
		t.Fatal(err)
	}
	vm0 := NewTapeMachine(live)
	defer CloseMachine(vm0)
	if err := vm0.RunAll(); err != nil {
		t.Fatal(err)
	}

	// The forward pass alone, for the value handed out (the machine above
	// may multiply by the seed in out's own memory).
	fwd := newHandoffNet()
	vmFwd := NewTapeMachine(fwd.g)
	defer CloseMachine(vmFwd)
	if err := vmFwd.RunAll(); err != nil {
		t.Fatal(err)
	}

	h, grads, vm := newSplitNet(t)
	defer CloseMachine(vm)
	for run := range 2 {
		if err := h.Stop(vm); err != nil {
			t.Fatalf("run %d: Stop: %v", run, err)
		}
		sameBits(t, "the value handed out", h.Out.Float32s(), fwd.out.Value().Data().([]float32))
		for _, g := range grads {
			if v := g.Value(); v != nil && run == 0 {
				t.Fatalf("gradient %v has a value before the machine resumed", g)
			}
		}
		if err := h.SetIn(seedTensor()); err != nil {
			t.Fatal(err)
		}
		if err := h.Resume(vm); err != nil {
			t.Fatalf("run %d: Resume: %v", run, err)
		}
		for i := range grads {
			sameBits(t, grads[i].Name(), grads[i].Value().Data().([]float32), wantGrads[i].Value().Data().([]float32))
		}
		vm.Reset()
	}
}

// newSplitNet builds a handoff net whose output is a handoff: its
// gradients are backpropagated from the handoff's seed node, and vm
// runs its graph. The caller closes vm.
func newSplitNet(t *testing.T) (*Handoff, G.Nodes, G.VM) {
	t.Helper()
	net := newHandoffNet()
	h, seedNode, err := NewHandoff(net.out)
	if err != nil {
		t.Fatal(err)
	}
	grads, live, err := Backprop(G.Nodes{net.out}, G.Nodes{seedNode}, net.params...)
	if err != nil {
		t.Fatal(err)
	}
	return h, grads, NewTapeMachine(live)
}

// seedTensor returns a fresh copy of handoffSeed, shaped as the net's
// output.
func seedTensor() *tensor.Dense {
	return tensor.New(tensor.WithShape(5, 3), tensor.WithBacking(append([]float32(nil), handoffSeed...)))
}

// sameBits fails the test unless got and want hold the same float32
// values, bit for bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if !equalBits(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// TestHandoffMisuseIsAnError checks the errors, and the absence of a
// panic, when a handoff's machine runs outside Stop and Resume, resumes
// without a stop or after an abandoned one, or ends without reaching the
// handoff, and when SetIn is given a value of the wrong type or size.
func TestHandoffMisuseIsAnError(t *testing.T) {
	h, _, vm := newSplitNet(t)
	defer CloseMachine(vm)
	if err := vm.RunAll(); err == nil || !strings.Contains(err.Error(), "outside Handoff.Stop and Resume") {
		t.Errorf("RunAll over a handoff: error %v, want one about running outside Stop and Resume", err)
	}
	vm.Reset()
	if err := h.Resume(vm); err == nil || !strings.Contains(err.Error(), "Resume without a Stop") {
		t.Errorf("Resume before Stop: error %v, want one about a missing Stop", err)
	}

	// A stop abandoned (the machine Reset, not resumed) cannot be resumed.
	if err := h.Stop(vm); err != nil {
		t.Fatal(err)
	}
	vm.Reset()
	h.Abandon()
	if err := h.Resume(vm); err == nil || !strings.Contains(err.Error(), "Resume without a Stop") {
		t.Errorf("Resume after Abandon: error %v, want one about a missing Stop", err)
	}
	vm.Reset()
	for _, v := range []G.Value{
		tensor.New(tensor.WithShape(3, 5), tensor.WithBacking(make([]float64, 15))),
		tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(make([]float32, 12))),
		G.NewF32(1),
	} {
		if err := h.SetIn(v); err == nil {
			t.Errorf("SetIn(%v): no error", v)
		}
	}

	// A machine over a graph without the handoff's node.
	other := newHandoffNet()
	vm2 := NewTapeMachine(other.g)
	defer CloseMachine(vm2)
	if err := h.Stop(vm2); err == nil || !strings.Contains(err.Error(), "without reaching its handoff") {
		t.Errorf("Stop on a machine without the handoff: error %v, want one about not reaching it", err)
	}
	if _, _, err := NewHandoff(nil); err == nil {
		t.Error("NewHandoff(nil): no error")
	}
	if _, _, err := Backprop(G.Nodes{other.out}, nil, other.params...); err == nil {
		t.Error("Backprop with no seed: no error")
	}
}
