package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerRun builds loss = Σ w ⊙ layer(x, y, c), for a linear layer x·y + c
// with the bias c added to every row, and runs it forward and backward
// three times with the same inputs. It returns the layer's output and the
// gradients with respect to x, y and c of the last run.
func layerRun(t *testing.T, layer func(x, y, c *G.Node) (*G.Node, error), xs, ys, cs, ws []float32) [][]float32 {
	t.Helper()
	g := G.NewGraph()
	input := func(name string, v []float32, shape ...int) *G.Node {
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(v)))))
	}
	x, y, c, w := input("x", xs, 5, 7), input("y", ys, 7, 3), input("c", cs, 3), input("w", ws, 5, 3)
	z, err := layer(x, y, c)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(z, w))))
	params := G.Nodes{x, y, c}
	if _, err := G.Grad(loss, params...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer CloseMachine(vm)
	for run := range 3 {
		if run > 0 {
			// The tape machine adds each run's gradients to the last's.
			for _, n := range params {
				gv, err := n.Grad()
				if err != nil {
					t.Fatal(err)
				}
				gv.(tensor.Tensor).Zero()
			}
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	out := [][]float32{slices.Clone(z.Value().Data().([]float32))}
	for _, n := range params {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, slices.Clone(gv.Data().([]float32)))
	}
	return out
}

// TestKeptOpsAreGorgoniasOps checks that a linear layer built with MatMul
// and a Kept G.BroadcastAdd gives, bit for bit, the output and gradients of
// one built with G.Mul and G.BroadcastAdd, also after the kept buffers were
// reused.
func TestKeptOpsAreGorgoniasOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs, ys, cs, ws := normals32(rng, 35), normals32(rng, 21), normals32(rng, 3), normals32(rng, 15)
	want := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) {
		return G.BroadcastAdd(G.Must(G.Mul(x, y)), c, nil, []byte{0})
	}, xs, ys, cs, ws)
	got := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) {
		z, err := MatMul(x, y)
		if err != nil {
			return nil, err
		}
		return Kept(func(in ...*G.Node) (*G.Node, error) {
			return G.BroadcastAdd(in[0], in[1], nil, []byte{0})
		}, z, c)
	}, xs, ys, cs, ws)
	for i, name := range []string{"x·y + c", "d/dx", "d/dy", "d/dc"} {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("%s: kept ops give %v, gorgonia's %v", name, got[i], want[i])
		}
	}
}

// TestKeptElementwiseOpsAreGorgonias checks that an expression of
// gorgonia's elementwise functions built with Kept gives, bit for bit, the
// output and gradients of the same expression built directly, also after
// its buffers were reused, and that its ops, and those of its gradient,
// compute into kept buffers.
func TestKeptElementwiseOpsAreGorgonias(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	xs, ys, cs, ws := normals32(rng, 35), normals32(rng, 21), normals32(rng, 3), normals32(rng, 15)
	// (z ⊙ z) - (-z) / e^z, with z = x·y + c: products, quotients, unary
	// ops and a scalar operand, each with a gradient.
	expr := func(z *G.Node) (*G.Node, error) {
		sq, err := G.HadamardProd(z, z)
		if err != nil {
			return nil, err
		}
		q, err := G.HadamardDiv(G.Must(G.Neg(z)), G.Must(G.Exp(z)))
		if err != nil {
			return nil, err
		}
		return G.Sub(G.Must(G.Sub(sq, q)), G.NewConstant(float32(0.5)))
	}
	kept := keptMatchesGorgonia(t, expr, xs, ys, cs, ws)
	if _, ok := kept.Op().(*keptOp); !ok {
		t.Errorf("Kept's output runs %T, not a keptOp", kept.Op())
	}
	checkKeptBuffers(t, kept.Graph(), 8)
}

// keptMatchesGorgonia checks that expr of z = x·y + c, built with Kept,
// gives the value and gradients of expr built directly with gorgonia's
// functions, bit for bit, after the buffers were reused (see layerRun),
// and returns the kept expression's node.
func keptMatchesGorgonia(t *testing.T, expr func(z *G.Node) (*G.Node, error), xs, ys, cs, ws []float32) *G.Node {
	t.Helper()
	layer := func(x, y, c *G.Node) (*G.Node, error) {
		return G.BroadcastAdd(G.Must(G.Mul(x, y)), c, nil, []byte{0})
	}
	want := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) { return expr(G.Must(layer(x, y, c))) }, xs, ys, cs, ws)
	var kept *G.Node
	got := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) {
		var err error
		kept, err = Kept(func(in ...*G.Node) (*G.Node, error) { return expr(in[0]) }, G.Must(layer(x, y, c)))
		return kept, err
	}, xs, ys, cs, ws)
	for i, name := range []string{"expression", "d/dx", "d/dy", "d/dc"} {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("%s: kept ops give %v, gorgonia's %v", name, got[i], want[i])
		}
	}
	return kept
}

// checkKeptBuffers checks that every keptOp of g around one of gorgonia's
// elementwise ops with a tensor output holds its value in its kept buffer,
// and that there are at least min of them.
func checkKeptBuffers(t *testing.T, g *G.ExprGraph, min int) {
	t.Helper()
	kept := 0
	for _, n := range g.AllNodes() {
		k, ok := n.Op().(*keptOp)
		if !ok || n.IsScalar() || (gorgoniaOpName(k.inner) != "elemBinOp" && gorgoniaOpName(k.inner) != "elemUnaryOp") {
			continue
		}
		if k.out.t == nil || n.Value() == nil {
			t.Errorf("%v (%s) computes outside a kept buffer", n, k)
			continue
		}
		if d, ok := n.Value().Data().([]float32); ok && &d[0] != &k.out.t.Float32s()[0] {
			t.Errorf("%v holds a value outside its kept buffer", n)
		}
		kept++
	}
	if kept < min {
		t.Errorf("%d elementwise ops compute into kept buffers; want at least %d", kept, min)
	}
}

// TestKeptMaximaAndComparisons checks that Kept wraps gorgonia's maxima
// (a *maxOp), whole and along rows, with gradients that give gorgonia's
// bits, and runs a comparison whose output is bool (retSame false).
func TestKeptMaximaAndComparisons(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	xs, ys, cs, ws := normals32(rng, 35), normals32(rng, 21), normals32(rng, 3), normals32(rng, 15)
	// u − max(u) for u = z − rowmax(z), z = x·y + c: no node's gradient
	// gathers more than two contributions (see Kept).
	expr := func(z *G.Node) (*G.Node, error) {
		u := G.Must(G.BroadcastSub(z, G.Must(G.Max(z, 1)), nil, []byte{1}))
		return G.Sub(u, G.Must(G.Max(u)))
	}
	kept := keptMatchesGorgonia(t, expr, xs, ys, cs, ws)
	maxima := 0
	for _, n := range kept.Graph().AllNodes() {
		if k, ok := n.Op().(*keptOp); ok && gorgoniaOpName(k.inner) == "maxOp" {
			maxima++
		}
	}
	if maxima != 2 {
		t.Errorf("%d maxima wrapped, want 2", maxima)
	}

	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(normals32(rng, 12)))))
	gt, err := Kept(func(in ...*G.Node) (*G.Node, error) { return G.Gt(in[0], G.NewConstant(float32(0)), false) }, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Value().Data().([]float32) {
		if b := gt.Value().Data().([]bool)[i]; b != (v > 0) {
			t.Fatalf("x > 0 at %d: %v for x = %v", i, b, v)
		}
	}
}

// normals32 returns n standard normal float32s drawn from rng.
func normals32(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}
