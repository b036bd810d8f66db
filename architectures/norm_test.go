package architectures

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

func float64Node(g *G.ExprGraph, rng *rand.Rand, name string, scale, offset float64, shape ...int) *G.Node {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = offset + scale*rng.NormFloat64()
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

// TestConvNormGradientsMatchFiniteDifferences checks the backward pass of
// a float64 conv (4x4, stride 2, pad 1, on NCHW images) → batch norm →
// ReLU → conv (2x2, stride 1, pad 1, on the row layout) → layer norm
// network against central finite differences, for the input, both convs'
// weights and both norms' scales and shifts, with batch norm in training
// and in evaluation mode.
func TestConvNormGradientsMatchFiniteDifferences(t *testing.T) {
	for _, training := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(7, 8))
		g := G.NewGraph()
		x := float64Node(g, rng, "x", 1, 0, 2, 2, 6, 6)
		conv := &Conv2D{W: float64Node(g, rng, "w", 0.3, 0, 2*16, 4), In: 2, Out: 4, Kernel: 4, Stride: 2, Pad: 1}
		bn, err := newBatchNorm(g, "bn", 4, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		conv2 := &Conv2D{W: float64Node(g, rng, "w2", 0.3, 0, 2*2*4, 3), In: 4, Out: 3, Kernel: 2, Stride: 1, Pad: 1}
		ln, err := newLayerNorm(g, "ln", 3, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range (G.Nodes{bn.Gamma, bn.Beta, ln.Gamma, ln.Beta}) {
			d := p.Value().Data().([]float64)
			for i := range d {
				d[i] += 0.5 * rng.NormFloat64()
			}
		}
		if !training {
			bn.SetTraining(false)
			if err := bn.SetRunningStats([]float64{0.1, -0.2, 0.3, 0}, []float64{1.5, 0.5, 2, 1}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := conv.Forward(x) // (2*3*3, 4)
		if err != nil {
			t.Fatal(err)
		}
		h, err := bn.Forward(rows)
		if err != nil {
			t.Fatal(err)
		}
		if h, err = graph.ReLU(h); err != nil {
			t.Fatal(err)
		}
		// A second convolution, 2x2 stride 1 pad 1, on the row layout.
		if h, err = conv2.ForwardRows(h, 2, 3, 3); err != nil { // (2*4*4, 3)
			t.Fatal(err)
		}
		if h, err = ln.Forward(h); err != nil {
			t.Fatal(err)
		}
		weights := float64Node(g, rng, "weights", 1, 0, 32, 3)
		prod, err := G.HadamardProd(h, weights)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := G.Sum(prod)
		if err != nil {
			t.Fatal(err)
		}
		params := G.Nodes{x, conv.W, bn.Gamma, bn.Beta, conv2.W, ln.Gamma, ln.Beta}
		if _, err := G.Grad(loss, params...); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(params...))
		eval := func() float64 {
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			defer vm.Reset()
			return loss.Value().Data().(float64)
		}
		eval()
		grads := make([][]float64, len(params))
		for i, p := range params {
			gv, err := p.Grad()
			if err != nil {
				t.Fatal(err)
			}
			grads[i] = append([]float64(nil), gv.Data().([]float64)...)
		}
		const step = 1e-6
		for i, p := range params {
			d := p.Value().Data().([]float64)
			for j := 0; j < len(d); j += 1 + len(d)/12 {
				fd := centralDifference(d, j, step, eval)
				if math.Abs(fd-grads[i][j]) > 1e-5*(1+math.Abs(fd)) {
					t.Errorf("training=%v: d loss / d %s[%d] = %v, finite difference %v", training, p.Name(), j, grads[i][j], fd)
				}
			}
		}
		vm.Close()
	}
}

// TestLayerNormNormalizesRows checks LayerNorm against its definition.
func TestLayerNormNormalizesRows(t *testing.T) {
	g := G.NewGraph()
	ln, err := NewLayerNorm(g, "ln", 3)
	if err != nil {
		t.Fatal(err)
	}
	copy(ln.Gamma.Value().Data().([]float32), []float32{1, 2, 3})
	copy(ln.Beta.Value().Data().([]float32), []float32{0, 1, 0})
	data := []float32{1, 2, 3, -1, 5, 2}
	x := G.NewTensor(g, Dtype, 2, G.WithShape(2, 3), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(data))), G.WithName("x"))
	y, err := ln.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	runGraph(t, g)
	got := y.Value().Data().([]float32)
	for r := 0; r < 2; r++ {
		row := data[r*3 : r*3+3]
		mu := float64(row[0]+row[1]+row[2]) / 3
		var v float64
		for _, e := range row {
			v += (float64(e) - mu) * (float64(e) - mu) / 3
		}
		for c := 0; c < 3; c++ {
			want := []float64{1, 2, 3}[c]*(float64(row[c])-mu)/math.Sqrt(v+1e-5) + []float64{0, 1, 0}[c]
			if math.Abs(float64(got[r*3+c])-want) > 1e-5 {
				t.Errorf("[%d][%d] = %v, want %v", r, c, got[r*3+c], want)
			}
		}
	}
}

// TestNormParallelMatchesSerial checks that large inputs, which the norm
// ops split across goroutines, give the same outputs and gradients as one
// goroutine does.
func TestNormParallelMatchesSerial(t *testing.T) {
	const rows, cols = 301, 128 // above the parallel threshold, uneven chunks
	run := func(procs int) [][]float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rng := rand.New(rand.NewPCG(3, 4))
		g := G.NewGraph()
		x := float64Node(g, rng, "x", 2, 1, rows, cols)
		bn, err := newBatchNorm(g, "bn", cols, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := newLayerNorm(g, "ln", cols, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		h, err := bn.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if h, err = ln.Forward(h); err != nil {
			t.Fatal(err)
		}
		prod, err := G.HadamardProd(h, float64Node(g, rng, "w", 1, 0, rows, cols))
		if err != nil {
			t.Fatal(err)
		}
		loss, err := G.Sum(prod)
		if err != nil {
			t.Fatal(err)
		}
		params := G.Nodes{x, bn.Gamma, ln.Gamma}
		if _, err := G.Grad(loss, params...); err != nil {
			t.Fatal(err)
		}
		runGraph(t, g, G.BindDualValues(params...))
		res := [][]float64{append([]float64(nil), h.Value().Data().([]float64)...)}
		for _, p := range params {
			gv, err := p.Grad()
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, append([]float64(nil), gv.Data().([]float64)...))
		}
		m, v := bn.RunningStats()
		return append(res, m, v)
	}
	serial, parallel := run(1), run(4)
	for k := range serial {
		for i := range serial[k] {
			if math.Abs(serial[k][i]-parallel[k][i]) > 1e-9*(1+math.Abs(serial[k][i])) {
				t.Fatalf("result %d, entry %d: serial %v, parallel %v", k, i, serial[k][i], parallel[k][i])
			}
		}
	}
}
