package architectures

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMLPForwardMatchesHandComputation checks a 2-3-1 MLP against the same
// arithmetic done by hand on its weights.
func TestMLPForwardMatchesHandComputation(t *testing.T) {
	g := G.NewGraph()
	m, err := NewMLP(g, NewInit(1), "f", 2, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float32{0.5, -1, 2, 0.25}
	x := G.NewMatrix(g, Dtype, G.WithShape(2, 2), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(xs))))
	y, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	runGraph(t, g)
	w0 := m.Layers[0].W.Value().Data().([]float32)
	b0 := m.Layers[0].B.Value().Data().([]float32)
	w1 := m.Layers[1].W.Value().Data().([]float32)
	b1 := m.Layers[1].B.Value().Data().([]float32)
	got := y.Value().Data().([]float32)
	for r := 0; r < 2; r++ {
		want := float64(b1[0])
		for h := 0; h < 3; h++ {
			a := float64(b0[h]) + float64(xs[2*r])*float64(w0[h]) + float64(xs[2*r+1])*float64(w0[3+h])
			want += math.Max(a, 0) * float64(w1[h])
		}
		if math.Abs(float64(got[r])-want) > 1e-5 {
			t.Errorf("row %d: got %v, want %v", r, got[r], want)
		}
	}
}

// TestInitIsDeterministic checks that the same seed gives the same weights.
func TestInitIsDeterministic(t *testing.T) {
	a := NewInit(7).Uniform(G.NewGraph(), "w", 1, 4, 4).Value().Data().([]float32)
	b := NewInit(7).Uniform(G.NewGraph(), "w", 1, 4, 4).Value().Data().([]float32)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entry %d differs: %v vs %v", i, a[i], b[i])
		}
	}
}

// spansBound checks that every entry of the float32 node n lies in
// [-bound, bound] and that the entries reach past 0.8·bound on both sides,
// so that a bound computed from the wrong fan-in fails either way.
func spansBound(t *testing.T, n *G.Node, bound float64) {
	t.Helper()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range n.Value().Data().([]float32) {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo < -bound*(1+1e-6) || hi > bound*(1+1e-6) || lo > -0.8*bound || hi < 0.8*bound {
		t.Errorf("%s spans [%v, %v], want PyTorch's U(-%v, %v)", n.Name(), lo, hi, bound, bound)
	}
}

// TestInitBoundsArePyTorchDefaults checks the initial weight and bias
// ranges against PyTorch's nn.Linear and nn.Conv2d: U(±1/sqrt(fan-in)),
// the fan-in of a convolution being in·k·k, and of the concat critics'
// first layer, split into a part for the features and one for Y, the
// width of the concatenation dx+dy (the concat pair critic's too).
func TestInitBoundsArePyTorchDefaults(t *testing.T) {
	g := G.NewGraph()
	init := NewInit(3)
	l, err := NewLinear(g, init, "fc", 4, 400, true)
	if err != nil {
		t.Fatal(err)
	}
	spansBound(t, l.W, 0.5)
	spansBound(t, l.B, 0.5)
	c, err := NewConv2D(g, init, "conv", 2, 200, 4, 2, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	spansBound(t, c.W, 1/math.Sqrt(32))
	spansBound(t, c.B, 1/math.Sqrt(32))
	cc, err := NewConcatAndConvolve(g, init, LocalCriticSpec{LocalChannels: 4, GlobalDim: 60, Units: 50})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := NewConcatCritic(g, init, CriticSpec{DimX: 4, DimY: 60, Hidden: 50, Layers: 1, Embed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*G.Node{cc.FirstLocal.W, cc.FirstLocal.B, cc.FirstGlobal.W, pc.FirstX.W, pc.FirstX.B, pc.FirstY.W} {
		spansBound(t, n, 1/math.Sqrt(64))
	}
}
