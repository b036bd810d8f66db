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
// and Broadcast gives, bit for bit, the output and gradients of one built
// with G.Mul and G.BroadcastAdd, also after the kept buffers were reused.
func TestKeptOpsAreGorgoniasOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	normals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	xs, ys, cs, ws := normals(35), normals(21), normals(3), normals(15)
	want := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) {
		return G.BroadcastAdd(G.Must(G.Mul(x, y)), c, nil, []byte{0})
	}, xs, ys, cs, ws)
	got := layerRun(t, func(x, y, c *G.Node) (*G.Node, error) {
		z, err := MatMul(x, y)
		if err != nil {
			return nil, err
		}
		z2, c2, err := Broadcast(z, c, nil, []byte{0})
		if err != nil {
			return nil, err
		}
		return G.Add(z2, c2)
	}, xs, ys, cs, ws)
	for i, name := range []string{"x·y + c", "d/dx", "d/dy", "d/dc"} {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("%s: kept ops give %v, gorgonia's %v", name, got[i], want[i])
		}
	}
}
