package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pairBatch returns n rows of x (dx wide) and y (dy wide) with distinct,
// seeded values.
func pairBatch(seed uint64, n, dx, dy int) (xs, ys []float32) {
	r := rand.New(rand.NewPCG(seed, 3))
	xs = make([]float32, n*dx)
	ys = make([]float32, n*dy)
	for i := range xs {
		xs[i] = float32(r.NormFloat64())
	}
	for i := range ys {
		ys[i] = float32(r.NormFloat64())
	}
	return xs, ys
}

func matrixNode(g *G.ExprGraph, name string, rows, cols int, data []float32) *G.Node {
	return G.NewMatrix(g, Dtype, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float32(nil), data...)))))
}

func values64(n *G.Node) []float64 {
	d := n.Value().Data().([]float32)
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

// linearRef applies a layer, given its (in, out) weights and bias (nil for
// none), to one input row.
func linearRef(w, b []float64, in, out int, x []float64) []float64 {
	y := make([]float64, out)
	for o := 0; o < out; o++ {
		if b != nil {
			y[o] = b[o]
		}
		for k := 0; k < in; k++ {
			y[o] += x[k] * w[k*out+o]
		}
	}
	return y
}

func relu(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Max(x, 0)
	}
	return out
}

// mlpRef evaluates an MLP on one row by hand from its current weights.
func mlpRef(m *MLP, x []float64) []float64 {
	for i, l := range m.Layers {
		s := l.W.Shape()
		x = linearRef(values64(l.W), values64(l.B), s[0], s[1], x)
		if i+1 < len(m.Layers) {
			x = relu(x)
		}
	}
	return x
}

func row(data []float32, i, width int) []float64 {
	out := make([]float64, width)
	for k := range out {
		out[k] = float64(data[i*width+k])
	}
	return out
}

// scorePairs adds to g the n rows of x (xs) and of y (ys), spec.DimX and
// spec.DimY wide, and the scores of critic c on them.
func scorePairs(t *testing.T, g *G.ExprGraph, c PairCritic, spec CriticSpec, n int, xs, ys []float32) *G.Node {
	t.Helper()
	x := matrixNode(g, "x", n, spec.DimX, xs)
	y := matrixNode(g, "y", n, spec.DimY, ys)
	s, err := c.Scores(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// centralDifference returns the central difference of f in w[k] with step
// h, (f at w[k]+h - f at w[k]-h) / 2h, leaving w[k] as it was.
func centralDifference[T float32 | float64](w []T, k int, h float64, f func() float64) float64 {
	orig := w[k]
	w[k] = orig + T(h)
	up := f()
	w[k] = orig - T(h)
	down := f()
	w[k] = orig
	return (up - down) / (2 * h)
}

// runScores builds the named critic, scores x against y and returns the
// critic and the scores in row-major order.
func runScores(t *testing.T, name string, spec CriticSpec, n int, xs, ys []float32) (PairCritic, []float64) {
	t.Helper()
	g := G.NewGraph()
	c, err := NewPairCritic(g, name, spec)
	if err != nil {
		t.Fatal(err)
	}
	s := scorePairs(t, g, c, spec, n, xs, ys)
	if got := s.Shape(); got.Dims() != 2 || got[0] != n || got[1] != n {
		t.Fatalf("critic %q: scores have shape %v, want (%d, %d)", name, got, n, n)
	}
	runGraph(t, g)
	return c, values64(s)
}

// TestSeparableScoresMatchHandEvaluation checks that entry [i][j] is
// h(y_i)·g(x_j), computed by hand from the critic's weights.
func TestSeparableScoresMatchHandEvaluation(t *testing.T) {
	for _, layers := range []int{0, 1, 2} {
		n, spec := 3, CriticSpec{DimX: 2, DimY: 3, Hidden: 4, Layers: layers, Embed: 2, Seed: 5}
		xs, ys := pairBatch(1, n, spec.DimX, spec.DimY)
		c, got := runScores(t, "separable", spec, n, xs, ys)
		sc := c.(*SeparableCritic)
		gm, hm := sc.G.(*MLP), sc.H.(*MLP)
		if len(gm.Layers) != layers+1 || len(hm.Layers) != layers+1 {
			t.Fatalf("layers=%d: g has %d and h %d linear layers, want %d", layers, len(gm.Layers), len(hm.Layers), layers+1)
		}
		for i := 0; i < n; i++ {
			h := mlpRef(hm, row(ys, i, spec.DimY))
			for j := 0; j < n; j++ {
				gx := mlpRef(gm, row(xs, j, spec.DimX))
				want := 0.0
				for k := range h {
					want += h[k] * gx[k]
				}
				if math.Abs(got[i*n+j]-want) > 1e-5 {
					t.Errorf("layers=%d: scores[%d][%d] = %v, want h(y_%d)·g(x_%d) = %v", layers, i, j, got[i*n+j], i, j, want)
				}
			}
		}
	}
}

// concatRef evaluates the concat critic on the explicit pair [x, y] with W₁
// stacked as one (dx+dy, h) matrix, the way an ordinary MLP would.
func concatRef(c *ConcatCritic, x, y []float64) float64 {
	wx, wy := values64(c.FirstX.W), values64(c.FirstY.W)
	w1 := append(append([]float64(nil), wx...), wy...) // rows of x, then rows of y
	h := c.FirstX.W.Shape()[1]
	z := append(append([]float64(nil), x...), y...)
	a := linearRef(w1, values64(c.FirstX.B), len(z), h, z)
	if c.Rest == nil {
		return a[0]
	}
	return mlpRef(c.Rest, relu(a))[0]
}

// TestConcatScoresMatchExplicitPairs checks the broadcast evaluation against
// a direct MLP evaluation of every concatenated pair [x_j, y_i], and that
// entry [i][j] holds the pair of x_j with y_i.
func TestConcatScoresMatchExplicitPairs(t *testing.T) {
	for _, layers := range []int{0, 1, 2, 3} {
		n, spec := 4, CriticSpec{DimX: 2, DimY: 3, Hidden: 5, Layers: layers, Embed: 1, Seed: 9}
		xs, ys := pairBatch(2, n, spec.DimX, spec.DimY)
		c, got := runScores(t, "concat", spec, n, xs, ys)
		cc := c.(*ConcatCritic)
		wantLinear := 0
		if cc.Rest != nil {
			wantLinear = len(cc.Rest.Layers)
		}
		if wantLinear != layers {
			t.Fatalf("layers=%d: %d layers after the first, want %d", layers, wantLinear, layers)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want := concatRef(cc, row(xs, j, spec.DimX), row(ys, i, spec.DimY))
				if math.Abs(got[i*n+j]-want) > 1e-5 {
					t.Errorf("layers=%d: scores[%d][%d] = %v, want T([x_%d, y_%d]) = %v", layers, i, j, got[i*n+j], j, i, want)
				}
			}
		}
	}
}

// TestConcatGradientMatchesFiniteDifferences checks the backward pass
// through the broadcast first layer: the gradient of sum(R ⊙ scores) with
// respect to W₁ᵧ and W₁ₓ against central differences of the explicit-pair
// evaluation.
func TestConcatGradientMatchesFiniteDifferences(t *testing.T) {
	n, spec := 3, CriticSpec{DimX: 2, DimY: 2, Hidden: 4, Layers: 1, Embed: 1, Seed: 4}
	xs, ys := pairBatch(3, n, spec.DimX, spec.DimY)
	weights := make([]float32, n*n)
	r := rand.New(rand.NewPCG(11, 0))
	for i := range weights {
		weights[i] = float32(r.NormFloat64())
	}
	g := G.NewGraph()
	c, err := NewConcatCritic(g, NewInit(spec.Seed), spec)
	if err != nil {
		t.Fatal(err)
	}
	s := scorePairs(t, g, c, spec, n, xs, ys)
	rw := matrixNode(g, "r", n, n, weights)
	obj := G.Must(G.Sum(G.Must(G.HadamardProd(s, rw))))
	if _, err := G.Grad(obj, c.Learnables()...); err != nil {
		t.Fatal(err)
	}
	runGraph(t, g, G.BindDualValues(c.Learnables()...))
	objective := func() float64 {
		total := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				total += float64(weights[i*n+j]) * concatRef(c, row(xs, j, spec.DimX), row(ys, i, spec.DimY))
			}
		}
		return total
	}
	for _, p := range (G.Nodes{c.FirstX.W, c.FirstY.W, c.FirstX.B}) {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad := gv.Data().([]float32)
		w := p.Value().Data().([]float32)
		for k := range w {
			fd := centralDifference(w, k, 1e-2, objective)
			if math.Abs(float64(grad[k])-fd) > 2e-3*(1+math.Abs(fd)) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name(), k, grad[k], fd)
			}
		}
	}
}

// TestCriticsAreRegisteredAndSeeded checks both critics are found by name
// and that the spec's seed decides their initial weights.
func TestCriticsAreRegisteredAndSeeded(t *testing.T) {
	for _, name := range []string{"separable", "concat"} {
		spec := CriticSpec{DimX: 3, DimY: 3, Hidden: 8, Layers: 2, Embed: 4, Seed: 1}
		n := 4
		xs, ys := pairBatch(4, n, 3, 3)
		_, a := runScores(t, name, spec, n, xs, ys)
		_, b := runScores(t, name, spec, n, xs, ys)
		spec.Seed = 2
		_, c := runScores(t, name, spec, n, xs, ys)
		same := true
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("%s: the same seed gave different scores at %d: %v vs %v", name, k, a[k], b[k])
			}
			same = same && a[k] == c[k]
		}
		if same {
			t.Errorf("%s: seeds 1 and 2 gave identical scores", name)
		}
	}
}

// TestCriticsRejectMismatchedBatches checks that x and y of different batch
// sizes, more of either, are an error, not a panic.
func TestCriticsRejectMismatchedBatches(t *testing.T) {
	for _, name := range []string{"separable", "concat"} {
		for _, rows := range [][2]int{{3, 4}, {4, 3}} {
			g := G.NewGraph()
			c, err := NewPairCritic(g, name, CriticSpec{DimX: 2, DimY: 2, Hidden: 3, Layers: 1, Embed: 2})
			if err != nil {
				t.Fatal(err)
			}
			x := matrixNode(g, "x", rows[0], 2, make([]float32, 2*rows[0]))
			y := matrixNode(g, "y", rows[1], 2, make([]float32, 2*rows[1]))
			if _, err := c.Scores(x, y); err == nil {
				t.Errorf("%s: scoring %d x against %d y succeeded, want an error", name, rows[0], rows[1])
			}
		}
	}
}

// TestNewPairCriticApart checks that the separable critic built apart has
// its sides in their own graphs, the weights NewPairCritic draws in the
// order of Learnables (x's side, then y's), and that a critic registered
// without NewApart (concat) is not built, without an error, while a bad
// spec or name is one.
func TestNewPairCriticApart(t *testing.T) {
	spec := CriticSpec{DimX: 3, DimY: 5, Hidden: 8, Layers: 2, Embed: 4, Seed: 9}
	one, err := NewPairCritic(G.NewGraph(), "separable", spec)
	if err != nil {
		t.Fatal(err)
	}
	gx, gy := G.NewGraph(), G.NewGraph()
	e, ok, err := NewPairCriticApart(gx, gy, "separable", spec)
	if err != nil || !ok {
		t.Fatalf("separable apart: ok %v, error %v", ok, err)
	}
	want, got := one.Learnables(), e.Learnables()
	if len(got) != len(want) || len(e.LearnablesX())+len(e.LearnablesY()) != len(got) {
		t.Fatalf("%d learnables apart (%d + %d), %d in one graph", len(got), len(e.LearnablesX()), len(e.LearnablesY()), len(want))
	}
	for i := range got {
		g, w := got[i].Value().Data().([]float32), want[i].Value().Data().([]float32)
		if got[i].Name() != want[i].Name() || len(g) != len(w) {
			t.Fatalf("learnable %d: %s of %d values apart, %s of %d in one graph", i, got[i].Name(), len(g), want[i].Name(), len(w))
		}
		for k := range g {
			if g[k] != w[k] {
				t.Fatalf("%s[%d] = %v apart, %v in one graph", got[i].Name(), k, g[k], w[k])
			}
		}
	}
	for _, p := range e.LearnablesX() {
		if p.Graph() != gx {
			t.Errorf("x's side parameter %s is not in gx", p.Name())
		}
	}
	for _, p := range e.LearnablesY() {
		if p.Graph() != gy {
			t.Errorf("y's side parameter %s is not in gy", p.Name())
		}
	}
	if _, ok, err := NewPairCriticApart(G.NewGraph(), G.NewGraph(), "concat", spec); ok || err != nil {
		t.Errorf("concat apart: ok %v, error %v; want neither", ok, err)
	}
	bad := spec
	bad.Embed = 0
	if _, ok, err := NewPairCriticApart(G.NewGraph(), G.NewGraph(), "separable", bad); ok || err == nil {
		t.Errorf("embed 0 apart: ok %v, error %v; want an error", ok, err)
	}
	if _, _, err := NewPairCriticApart(G.NewGraph(), G.NewGraph(), "no-such-critic", spec); err == nil {
		t.Error("an unknown critic apart: no error")
	}
}
