package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

// TestFusedLayersMatchTheirSeparateOps checks that the layers built on
// the fused ops (Conv2D.ForwardReLU with and without a bias,
// BatchNorm.ForwardReLU, EmbedNet.Forward with its bias and shortcut in
// one op) give the bits of the same layers built from the separate ops:
// the output and the gradients of Σ w ⊙ out in the input and in every
// parameter. It fails when a fused layer drops its bias, its ReLU or its
// shortcut, or adds one twice.
func TestFusedLayersMatchTheirSeparateOps(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, bias := range []bool{true, false} {
		sameLayerBits(t, "Conv2D.ForwardReLU", tensor.Shape{3, 2, 8, 8}, func(g *G.ExprGraph, x *G.Node, fused bool) (*G.Node, G.Nodes) {
			c, err := NewConv2D(g, NewInit(1), "c", 2, 5, 4, 2, 1, bias)
			must(err)
			if fused {
				y, err := c.ForwardReLU(x)
				must(err)
				return y, c.Learnables()
			}
			y, err := c.Forward(x)
			must(err)
			y, err = graph.ReLU(y)
			must(err)
			return y, c.Learnables()
		})
	}
	sameLayerBits(t, "BatchNorm.ForwardReLU", tensor.Shape{40, 6}, func(g *G.ExprGraph, x *G.Node, fused bool) (*G.Node, G.Nodes) {
		bn, err := NewBatchNorm(g, "bn", 6)
		must(err)
		if fused {
			y, err := bn.ForwardReLU(x)
			must(err)
			return y, bn.Learnables()
		}
		y, err := bn.Forward(x)
		must(err)
		y, err = graph.ReLU(y)
		must(err)
		return y, bn.Learnables()
	})
	sameLayerBits(t, "EmbedNet.Forward", tensor.Shape{40, 6}, func(g *G.ExprGraph, x *G.Node, fused bool) (*G.Node, G.Nodes) {
		e, err := NewEmbedNet(g, NewInit(1), "e", 6, 8)
		must(err)
		if fused {
			y, err := e.Forward(x)
			must(err)
			return y, e.Learnables()
		}
		h, err := e.First.Forward(x)
		must(err)
		h, err = e.BN.Forward(h)
		must(err)
		h, err = graph.ReLU(h)
		must(err)
		h, err = e.Second.Forward(h)
		must(err)
		s, err := e.Shortcut.Forward(x)
		must(err)
		h, err = G.Add(h, s)
		must(err)
		y, err := e.LN.Forward(h)
		must(err)
		return y, e.Learnables()
	})
}

// sameLayerBits builds build(g, x, true) and build(g, x, false) in fresh
// graphs on the same input and fails unless their outputs and the
// gradients of Σ w ⊙ out in x and in every parameter returned have the
// same bits.
func sameLayerBits(t *testing.T, name string, inShape tensor.Shape, build func(g *G.ExprGraph, x *G.Node, fused bool) (*G.Node, G.Nodes)) {
	t.Helper()
	run := func(fused bool) [][]float32 {
		g := G.NewGraph()
		x := G.NewTensor(g, Dtype, inShape.Dims(), G.WithShape(inShape...), G.WithName("x"), G.WithValue(normalTensor(inShape, 1)))
		out, params := build(g, x, fused)
		w := G.NewTensor(g, Dtype, out.Shape().Dims(), G.WithShape(out.Shape()...), G.WithName("w"), G.WithValue(normalTensor(out.Shape(), 2)))
		wrt := append(G.Nodes{x}, params...)
		if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, w)))), wrt...); err != nil {
			t.Fatal(err)
		}
		vm := graph.NewTapeMachine(g, G.BindDualValues(wrt...))
		defer graph.CloseMachine(vm)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		res := [][]float32{append([]float32(nil), out.Value().Data().([]float32)...)}
		for _, n := range wrt {
			d, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, append([]float32(nil), d.Data().([]float32)...))
		}
		return res
	}
	want, got := run(false), run(true)
	for k := range want {
		for i := range want[k] {
			if math.Float32bits(want[k][i]) != math.Float32bits(got[k][i]) {
				t.Fatalf("%s: value %d (0 the output, then the gradients) element %d: fused %v, separate %v", name, k, i, got[k][i], want[k][i])
			}
		}
	}
}

// normalTensor returns a float32 tensor of the shape filled with standard
// normal values from the seed.
func normalTensor(shape tensor.Shape, seed uint64) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, seed))
	v := make([]float32, shape.TotalSize())
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}
