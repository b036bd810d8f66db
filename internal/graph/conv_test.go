package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvMatchesIm2ColMatMul compares Conv with Im2Col then MatMul on
// float32 images in the rows layout: the output, and the gradients of
// Σ r ⊙ out in the images and the weights, bit for bit. Where the BLAS
// computes convolutions from the images (convOp), this compares that op
// with the products of the formed patch matrix; the geometries are the
// encoder's second and third convolutions at batch 5 and a stride-1
// window whose padding reaches past it.
func TestConvMatchesIm2ColMatMul(t *testing.T) {
	for _, geom := range []ImageGeom{
		{N: 5, H: 16, W: 16, C: 32, K: 4, Stride: 2, Pad: 1, OH: 8, OW: 8},
		{N: 5, H: 8, W: 8, C: 64, K: 4, Stride: 2, Pad: 1, OH: 4, OW: 4},
		{N: 3, H: 5, W: 6, C: 16, K: 3, Stride: 1, Pad: 2, OH: 7, OW: 8},
	} {
		_, fused := G.WhichBLAS().(patchesBLAS)
		ours := convAndGradients(t, geom, 24, func(x, w *G.Node) (*G.Node, error) { return Conv(x, w, geom) })
		formed := convAndGradients(t, geom, 24, func(x, w *G.Node) (*G.Node, error) {
			p, err := Im2Col(x, geom)
			if err != nil {
				return nil, err
			}
			return MatMul(p, w)
		})
		for k, name := range []string{"output", "image gradient", "weight gradient"} {
			for i := range formed[k] {
				if math.Float32bits(ours[k][i]) != math.Float32bits(formed[k][i]) {
					t.Fatalf("%+v (convOp: %v): %s[%d] = %v, Im2Col and MatMul give %v", geom, fused, name, i, ours[k][i], formed[k][i])
				}
			}
		}
	}
}

// convAndGradients builds conv on random images and weights of out
// columns, and returns its output and the gradients of Σ r ⊙ out in the
// images and the weights, r random.
func convAndGradients(t *testing.T, geom ImageGeom, out int, conv func(x, w *G.Node) (*G.Node, error)) [3][]float32 {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(geom.C), uint64(geom.N)))
	random := func(shape ...int) *tensor.Dense {
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, tensor.Shape(shape).TotalSize())))
		for i, d := 0, v.Float32s(); i < len(d); i++ {
			d[i] = float32(rng.NormFloat64())
		}
		return v
	}
	g := G.NewGraph()
	in := geom.inShape()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(in...), G.WithName("x"), G.WithValue(random(in...)))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(geom.K*geom.K*geom.C, out), G.WithName("w"), G.WithValue(random(geom.K*geom.K*geom.C, out)))
	y, err := conv(x, w)
	if err != nil {
		t.Fatal(err)
	}
	r := G.NewMatrix(g, tensor.Float32, G.WithShape(y.Shape()...), G.WithName("r"), G.WithValue(random(y.Shape()...)))
	grads, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(y, r)))), x, w)
	if err != nil {
		t.Fatal(err)
	}
	vm := NewTapeMachine(g)
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	values := func(n *G.Node) []float32 { return append([]float32(nil), n.Value().(*tensor.Dense).Float32s()...) }
	return [3][]float32{values(y), values(grads[0]), values(grads[1])}
}

// TestConvRefusesWrongShapes builds Conv on images and weights whose
// shapes do not fit the geometry: each must fail when the graph is built,
// as Im2Col and MatMul do.
func TestConvRefusesWrongShapes(t *testing.T) {
	geom := ImageGeom{N: 2, H: 8, W: 8, C: 16, K: 4, Stride: 2, Pad: 1, OH: 4, OW: 4}
	for _, c := range []struct {
		name string
		x, w tensor.Shape
	}{
		{"images of another batch", tensor.Shape{3 * 64, 16}, tensor.Shape{256, 8}},
		{"images of other channels", tensor.Shape{2 * 64, 8}, tensor.Shape{256, 8}},
		{"weights of other rows", tensor.Shape{2 * 64, 16}, tensor.Shape{257, 8}},
	} {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(c.x...), G.WithName("x"))
		w := G.NewMatrix(g, tensor.Float32, G.WithShape(c.w...), G.WithName("w"))
		if _, err := Conv(x, w, geom); err == nil {
			t.Errorf("%s: Conv built", c.name)
		}
	}
}
