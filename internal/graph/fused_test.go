package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestFusedOpsMatchTheirTwoOps checks that NormReLU (batch and layer
// norms) and AddBiasReLU give the bits of the op followed by ReLU, and
// AddBiasAdd those of AddBias followed by gorgonia's Add (on the tape
// machine's engine): the output and the gradients of Σ w ⊙ out in every
// input, in float32 and float64, on a matrix split across cores and on a
// small one. The bias cases meet exact zeros (y = -b), negative zeros and
// a NaN, where the fused ReLU's gradient mask, taken from the output, must
// be the one ReLU takes from its input. AddBiasAdd's addend is a function
// of y (Rectify), so that y's gradient sums two contributions.
func TestFusedOpsMatchTheirTwoOps(t *testing.T) {
	for _, shape := range [][2]int{{7, 3}, {300, 130}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, kind := range []NormKind{NormBatch, NormLayer} {
				norm := func(relu bool) func(in ...*G.Node) (*G.Node, error) {
					st := &NormState{Name: "n", Kind: kind, Channels: shape[1], Eps: 1e-5, Momentum: 0.1, Training: true,
						RunningMean: make([]float64, shape[1]), RunningVar: make([]float64, shape[1])}
					return func(in ...*G.Node) (*G.Node, error) {
						if relu {
							return NormReLU(st, in[0], in[1], in[2])
						}
						return ReLU(G.Must(Norm(st, in[0], in[1], in[2])))
					}
				}
				sameOpsAndGradients(t, dt, shape, false, norm(true), norm(false), "NormReLU")
			}
			sameOpsAndGradients(t, dt, shape, true, func(in ...*G.Node) (*G.Node, error) {
				return AddBiasReLU(in[0], in[1])
			}, func(in ...*G.Node) (*G.Node, error) {
				return ReLU(G.Must(AddBias(in[0], in[1])))
			}, "AddBiasReLU")
			sameOpsAndGradients(t, dt, shape, true, func(in ...*G.Node) (*G.Node, error) {
				return AddBiasAdd(in[0], in[1], G.Must(Rectify(in[0])))
			}, func(in ...*G.Node) (*G.Node, error) {
				return G.Add(G.Must(AddBias(in[0], in[1])), G.Must(Rectify(in[0])))
			}, "AddBiasAdd")
		}
	}
}

// sameOpsAndGradients runs fused and separate on the same random matrix x
// (shape) and vectors (γ and β, or a bias b alone when bias is set) and
// fails unless their outputs and the gradients of Σ w ⊙ out in every
// input have the same bits.
func sameOpsAndGradients(t *testing.T, dt tensor.Dtype, shape [2]int, bias bool, fused, separate func(in ...*G.Node) (*G.Node, error), name string) {
	t.Helper()
	rows, cols := shape[0], shape[1]
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(cols)))
	x, w := make([]float64, rows*cols), make([]float64, rows*cols)
	vecs := [][]float64{make([]float64, cols), make([]float64, cols)}
	for i := range x {
		x[i], w[i] = rng.NormFloat64(), rng.NormFloat64()*1e3
	}
	for _, v := range vecs {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
	}
	if bias {
		vecs = vecs[:1]
		b := vecs[0]
		b[0], b[1] = math.Copysign(0, -1), 0.5
		x[0], x[1], x[cols] = math.Copysign(0, -1), -0.5, math.NaN() // -0 + -0, -0.5 + 0.5, NaN
		x[cols+1] = -b[1]
	}
	run := func(build func(in ...*G.Node) (*G.Node, error)) [][]float64 {
		g := G.NewGraph()
		in := []*G.Node{G.NewMatrix(g, dt, G.WithShape(rows, cols), G.WithName("x"), G.WithValue(denseOf(dt, x, rows, cols)))}
		for i, v := range vecs {
			in = append(in, G.NewVector(g, dt, G.WithShape(cols), G.WithName(string(rune('a'+i))), G.WithValue(denseOf(dt, v, cols))))
		}
		wn := G.NewMatrix(g, dt, G.WithShape(rows, cols), G.WithName("w"), G.WithValue(denseOf(dt, w, rows, cols)))
		out, err := build(in...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, wn)))), in...); err != nil {
			t.Fatal(err)
		}
		vm := NewTapeMachine(g, G.BindDualValues(in...))
		defer CloseMachine(vm)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		got := [][]float64{asFloat64s(out.Value())}
		for _, n := range in {
			got = append(got, asFloat64s(gradOf(t, n)))
		}
		return got
	}
	want, got := run(separate), run(fused)
	for k := range want {
		for i := range want[k] {
			if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
				t.Fatalf("%s %v %v: value %d (0 the output, then the gradients) element %d = %v, the two ops give %v",
					name, dt, shape, k, i, got[k][i], want[k][i])
			}
		}
	}
}

// TestFusedOpsAreDistinctNodes checks that a fused op and its plain form
// on the same inputs stay two nodes of one graph (gorgonia merges nodes
// whose ops hash alike), and that nil operands are errors, not panics.
func TestFusedOpsAreDistinctNodes(t *testing.T) {
	g := G.NewGraph()
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("y"), G.WithInit(G.Gaussian(0, 1)))
	b := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("b"), G.WithInit(G.Gaussian(0, 1)))
	st := &NormState{Name: "n", Kind: NormBatch, Channels: 3, Eps: 1e-5, Momentum: 0.1, Training: true,
		RunningMean: make([]float64, 3), RunningVar: make([]float64, 3)}
	nodes := []*G.Node{G.Must(AddBias(y, b)), G.Must(AddBiasReLU(y, b)), G.Must(AddBiasAdd(y, b, y)),
		G.Must(Norm(st, y, b, b)), G.Must(NormReLU(st, y, b, b))}
	for i := range nodes {
		for j := range i {
			if nodes[i] == nodes[j] {
				t.Fatalf("%v and %v of the same inputs are one node", nodes[j].Op(), nodes[i].Op())
			}
		}
	}
	for name, build := range map[string]func() (*G.Node, error){
		"AddBiasAdd nil addend": func() (*G.Node, error) { return AddBiasAdd(y, b, nil) },
		"AddBiasAdd nil bias":   func() (*G.Node, error) { return AddBiasAdd(y, nil, y) },
		"AddBiasReLU nil bias":  func() (*G.Node, error) { return AddBiasReLU(y, nil) },
	} {
		if _, err := build(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
