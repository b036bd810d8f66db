package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradLeavesOutUnusedGradients checks that the graph Grad returns
// leaves out the gradient with respect to a layer's input data, which
// G.Grad builds (a product dY·Wᵀ), keeps a forward output nothing else
// uses and a G.Mean loss, and that a machine over it computes the same
// loss, output and gradients as a machine over the whole graph.
func TestGradLeavesOutUnusedGradients(t *testing.T) {
	build := func() (g *G.ExprGraph, loss, side *G.Node, w G.Nodes) {
		g = G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float32{1, -2, 3, 0.5, 1, -1, 2, 2, -3, 0, 1, 4}))))
		w1 := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("w1"),
			G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{0.5, -1, 2, 0.25, -0.5, 1}))))
		h := G.Must(G.Mul(x, w1))
		side = G.Must(G.Sum(G.Must(G.Exp(h)))) // a forward output read after the run
		// A mean, whose division by the count G.Grad also differentiates
		// with respect to the count: the loss then has a parent, the
		// count's unused gradient.
		loss = G.Must(G.Mean(G.Must(G.Square(h))))
		return g, loss, side, G.Nodes{w1}
	}
	run := func(g *G.ExprGraph) {
		vm := NewTapeMachine(g)
		defer CloseMachine(vm)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	g0, loss0, side0, w0 := build()
	grads0, err := G.Grad(loss0, w0...)
	if err != nil {
		t.Fatal(err)
	}
	run(g0)
	g1, loss1, side1, w1 := build()
	grads1, live, err := Grad(loss1, w1...)
	if err != nil {
		t.Fatal(err)
	}
	if len(live.AllNodes()) >= len(g1.AllNodes()) {
		t.Fatalf("live graph has %d nodes, the whole graph %d: the input's gradient was not left out", len(live.AllNodes()), len(g1.AllNodes()))
	}
	run(live)
	for _, pair := range [][2]*G.Node{{loss0, loss1}, {side0, side1}, {grads0[0], grads1[0]}} {
		if pair[1].Value() == nil {
			t.Fatalf("%v has no value after a run over the live graph", pair[1])
		}
		want, got := pair[0].Value().Data(), pair[1].Value().Data()
		a, b := asFloat32s(want), asFloat32s(got)
		if len(a) != len(b) {
			t.Fatalf("%v: %d values, want %d", pair[1], len(b), len(a))
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Errorf("%v[%d] = %v over the live graph, %v over the whole graph", pair[1], i, b[i], a[i])
			}
		}
	}
}

// asFloat32s returns a value's data as a slice, a scalar as one element.
func asFloat32s(d any) []float32 {
	if v, ok := d.(float32); ok {
		return []float32{v}
	}
	return d.([]float32)
}
