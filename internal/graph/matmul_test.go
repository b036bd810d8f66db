package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// productRun builds loss = Σ w ⊙ (x·y) with mul as the product, where the
// gradient with respect to the product is w, and runs it forward and
// backward three times with the same inputs. It returns the product and
// both gradients of the last run.
func productRun(t *testing.T, mul func(a, b *G.Node) (*G.Node, error), xs, ys, ws []float32) (prod, dx, dy []float32) {
	t.Helper()
	g := G.NewGraph()
	matrix := func(name string, rows, cols int, v []float32) *G.Node {
		return G.NewMatrix(g, tensor.Float32, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(slices.Clone(v)))))
	}
	x, y, w := matrix("x", 5, 7, xs), matrix("y", 7, 3, ys), matrix("w", 5, 3, ws)
	z, err := mul(x, y)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(z, w))))
	if _, err := G.Grad(loss, x, y); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x, y))
	defer CloseMachine(vm)
	for run := range 3 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		if run == 2 {
			break
		}
		// The tape machine adds each run's gradients to the last's.
		for _, n := range []*G.Node{x, y} {
			gv, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			gv.(tensor.Tensor).Zero()
		}
	}
	gx, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	gy, err := y.Grad()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(z.Value().Data().([]float32)), slices.Clone(gx.Data().([]float32)), slices.Clone(gy.Data().([]float32))
}

// TestMatMulIsGorgoniasProduct checks that MatMul's product and its
// gradients are bit for bit those of G.Mul, also after the kept buffers
// were reused.
func TestMatMulIsGorgoniasProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	normals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	xs, ys, ws := normals(35), normals(21), normals(15)
	wantZ, wantDx, wantDy := productRun(t, G.Mul, xs, ys, ws)
	z, dx, dy := productRun(t, MatMul, xs, ys, ws)
	for _, c := range []struct {
		name      string
		got, want []float32
	}{{"x·y", z, wantZ}, {"d/dx", dx, wantDx}, {"d/dy", dy, wantDy}} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: MatMul gives %v, G.Mul %v", c.name, c.got, c.want)
		}
	}
}
