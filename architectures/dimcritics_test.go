package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/estimators"
)

func randomMatrix(rng *rand.Rand, rows, cols int) *tensor.Dense {
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))
}

// pairScorer builds the same critic (same seed) into a fresh graph on one
// pair, and returns a function evaluating T(x, y) for a single x row and y
// row.
func pairScorer(t *testing.T, build func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)), dx, dy int) func(x, y []float32) float64 {
	t.Helper()
	g := G.NewGraph()
	scores, setTraining := build(g)
	if setTraining != nil {
		setTraining(false)
	}
	xt := tensor.New(tensor.Of(Dtype), tensor.WithShape(1, dx))
	yt := tensor.New(tensor.Of(Dtype), tensor.WithShape(1, dy))
	x := G.NewTensor(g, Dtype, 2, G.WithShape(1, dx), G.WithValue(xt), G.WithName("x1"))
	y := G.NewTensor(g, Dtype, 2, G.WithShape(1, dy), G.WithValue(yt), G.WithName("y1"))
	s, err := scores(x, y)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	t.Cleanup(func() { vm.Close() })
	return func(xr, yr []float32) float64 {
		copy(xt.Float32s(), xr)
		copy(yt.Float32s(), yr)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer vm.Reset()
		return float64(s.Value().Data().([]float32)[0])
	}
}

// checkLayout evaluates a critic on a batch of n codes and r = n*l feature
// rows, and compares entry [i][c] with the critic evaluated on the single
// pair (row c, code i).
func checkLayout(t *testing.T, name string, build func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)), n, l, dx, dy int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	xv, yv := randomMatrix(rng, n*l, dx), randomMatrix(rng, n, dy)
	g := G.NewGraph()
	scores, setTraining := build(g)
	if setTraining != nil {
		setTraining(false)
	}
	x := G.NewTensor(g, Dtype, 2, G.WithShape(n*l, dx), G.WithValue(xv), G.WithName("x"))
	y := G.NewTensor(g, Dtype, 2, G.WithShape(n, dy), G.WithValue(yv), G.WithName("y"))
	s, err := scores(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Shape().Eq(tensor.Shape{n, n * l}) {
		t.Fatalf("%s: scores of shape %v, want (%d, %d)", name, s.Shape(), n, n*l)
	}
	runGraph(t, g)
	got := s.Value().Data().([]float32)
	one := pairScorer(t, build, dx, dy)
	xs, ys := xv.Float32s(), yv.Float32s()
	var spread float64
	for i := 0; i < n; i++ {
		for c := 0; c < n*l; c++ {
			want := one(xs[c*dx:(c+1)*dx], ys[i*dy:(i+1)*dy])
			spread += math.Abs(want)
			if math.Abs(float64(got[i*n*l+c])-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("%s: score [%d][%d] = %v, single-pair evaluation %v", name, i, c, got[i*n*l+c], want)
			}
		}
	}
	if spread == 0 {
		t.Fatalf("%s: every score is zero", name)
	}
}

func TestLocalCriticLayouts(t *testing.T) {
	const n, l, c, d = 3, 4, 5, 6
	for _, units := range []int{7, d} { // d: Y is still embedded
		spec := LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: units}
		checkLayout(t, "encode-and-dot", func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)) {
			cr, err := NewEncodeAndDot(g, NewInit(3), spec)
			if err != nil {
				t.Fatal(err)
			}
			if cr.Global == nil {
				t.Errorf("units %d: Y was not embedded", units)
			}
			return cr.Scores, cr.SetTraining
		}, n, l, c, d)
	}
	spec := LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: 8}
	checkLayout(t, "concat-and-convolve", func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)) {
		cr, err := NewConcatAndConvolve(g, NewInit(3), spec)
		if err != nil {
			t.Fatal(err)
		}
		return cr.Scores, nil
	}, n, l, c, d)
}

func TestGlobalCriticLayouts(t *testing.T) {
	const n, f, d = 4, 9, 5
	spec := GlobalCriticSpec{FeatureDim: f, GlobalDim: d, Units: 8}
	checkLayout(t, "concat global", func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)) {
		cr, err := NewConcatGlobal(g, NewInit(4), spec)
		if err != nil {
			t.Fatal(err)
		}
		return cr.Scores, nil
	}, n, 1, f, d)
	checkLayout(t, "encode-and-dot global", func(g *G.ExprGraph) (func(x, y *G.Node) (*G.Node, error), func(bool)) {
		cr, err := NewEncodeAndDotGlobal(g, NewInit(4), spec)
		if err != nil {
			t.Fatal(err)
		}
		return cr.Scores, cr.SetTraining
	}, n, 1, f, d)
}

// TestIdentityYIsTheOfficialNopNet checks IdentityY on both encode-and-dot
// critics: where Y's size equals Units, Y goes unembedded (no net, no
// parameters) and a score is ⟨Y_i, ψ(M_r)⟩ exactly; where it does not, Y
// is embedded as without IdentityY.
func TestIdentityYIsTheOfficialNopNet(t *testing.T) {
	const n, c, d = 3, 5, 6
	rng := rand.New(rand.NewPCG(21, 22))
	for _, global := range []bool{false, true} {
		l := 4 // locations an image; one feature row an image for the global critic
		if global {
			l = 1
		}
		build := func(g *G.ExprGraph, units int, identityY bool) (*EmbedNet, *EmbedNet, func(x, y *G.Node) (*G.Node, error), G.Nodes) {
			if global {
				cr, err := NewEncodeAndDotGlobal(g, NewInit(5), GlobalCriticSpec{FeatureDim: c, GlobalDim: d, Units: units, IdentityY: identityY})
				if err != nil {
					t.Fatal(err)
				}
				cr.SetTraining(false)
				return cr.Features, cr.Global, cr.Scores, cr.Learnables()
			}
			cr, err := NewEncodeAndDot(g, NewInit(5), LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: units, IdentityY: identityY})
			if err != nil {
				t.Fatal(err)
			}
			cr.SetTraining(false)
			return cr.Local, cr.Global, cr.Scores, cr.Learnables()
		}
		g := G.NewGraph()
		m, y, scores, params := build(g, d, true)
		if y != nil || len(params) != len(m.Learnables()) {
			t.Fatalf("global %v: Y of size %d = units was embedded (%d parameters, the map's net has %d)", global, d, len(params), len(m.Learnables()))
		}
		xv, yv := randomMatrix(rng, n*l, c), randomMatrix(rng, n, d)
		x := G.NewTensor(g, Dtype, 2, G.WithShape(n*l, c), G.WithValue(xv), G.WithName("x"))
		yn := G.NewTensor(g, Dtype, 2, G.WithShape(n, d), G.WithValue(yv), G.WithName("y"))
		s, err := scores(x, yn)
		if err != nil {
			t.Fatal(err)
		}
		psi, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		runGraph(t, g)
		got, emb, ys := s.Value().Data().([]float32), psi.Value().Data().([]float32), yv.Float32s()
		for i := 0; i < n; i++ {
			for r := 0; r < n*l; r++ {
				var want float64
				for u := 0; u < d; u++ {
					want += float64(ys[i*d+u]) * float64(emb[r*d+u])
				}
				if math.Abs(float64(got[i*n*l+r])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("global %v: score [%d][%d] = %v, ⟨Y_i, ψ(M_r)⟩ = %v", global, i, r, got[i*n*l+r], want)
				}
			}
		}
		if _, y, _, _ := build(G.NewGraph(), d+1, true); y == nil {
			t.Errorf("global %v: Y of size %d was left unembedded against %d units", global, d, d+1)
		}
	}
}

// TestEmbedNetShortcutIsNoisyIdentity checks the official initialisation of
// a widening linear shortcut (units >= in): ones on the diagonal, small
// noise elsewhere.
func TestEmbedNetShortcutIsNoisyIdentity(t *testing.T) {
	for _, units := range []int{3, 5} {
		e, err := NewEmbedNet(G.NewGraph(), NewInit(1), "e", 3, units)
		if err != nil {
			t.Fatal(err)
		}
		w := e.Shortcut.W.Value().Data().([]float32)
		for i := 0; i < 3; i++ {
			for j := 0; j < units; j++ {
				v := w[i*units+j]
				if i == j && v != 1 || i != j && (v == 0 || math.Abs(float64(v)) > 0.01) {
					t.Errorf("units %d: shortcut[%d][%d] = %v", units, i, j, v)
				}
			}
		}
	}
}

// TestEmbedNetNarrowingShortcutHasNoIdentity checks that a shortcut to
// fewer channels than its input (units < in) has no identity, as in the
// official code, and is drawn as PyTorch's default: uniform in
// ±1/sqrt(in), the same draws as a Linear layer without bias.
func TestEmbedNetNarrowingShortcutHasNoIdentity(t *testing.T) {
	const in, units = 50, 4
	e, err := NewEmbedNet(G.NewGraph(), NewInit(1), "e", in, units)
	if err != nil {
		t.Fatal(err)
	}
	w := e.Shortcut.W.Value().Data().([]float32)
	bound := 1 / math.Sqrt(in)
	ones, big := 0, 0
	for i, v := range w {
		if v == 1 {
			ones++
		}
		if math.Abs(float64(v)) > bound {
			t.Fatalf("shortcut entry %d = %v outside ±%v", i, v, bound)
		}
		if math.Abs(float64(v)) > 0.01 {
			big++
		}
	}
	if ones != 0 {
		t.Errorf("%d entries are exactly 1: an identity was set", ones)
	}
	if big < len(w)/2 {
		t.Errorf("only %d of %d entries exceed 0.01: not the ±1/sqrt(in) draw", big, len(w))
	}
}

func TestPriorDiscriminator(t *testing.T) {
	g := G.NewGraph()
	d, err := NewPriorDiscriminator(g, NewInit(2), 64, 1000, 200)
	if err != nil {
		t.Fatal(err)
	}
	y := G.NewTensor(g, Dtype, 2, G.WithShape(5, 64), G.WithValue(randomMatrix(rand.New(rand.NewPCG(1, 2)), 5, 64)), G.WithName("y"))
	z, err := Squash(y)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := d.Forward(z)
	if err != nil {
		t.Fatal(err)
	}
	if s := logits.Shape(); s.Dims() != 1 || s[0] != 5 { // shapeIs takes (5, 1) for (5)
		t.Errorf("logits of shape %v, want (5)", s)
	}
	if len(d.Learnables()) != 6 {
		t.Errorf("%d learnables, want 6", len(d.Learnables()))
	}
	runGraph(t, g)
	for _, v := range z.Value().Data().([]float32) {
		if v <= 0 || v >= 1 {
			t.Fatalf("squashed code %v outside (0, 1)", v)
		}
	}
	wrong := G.NewTensor(g, Dtype, 2, G.WithShape(5, 3), G.WithName("wrong"))
	if _, err := d.Forward(wrong); err == nil {
		t.Error("codes of the wrong size were accepted")
	}
	if _, err := NewPriorDiscriminator(g, NewInit(2), 64, 0, 200); err == nil {
		t.Error("a zero hidden width was accepted")
	}
}

// encodeAndDotScores builds an encode-and-dot critic of spec into g, its
// weights drawn from NewInit(2), and scores out's local map against its
// codes.
func encodeAndDotScores(tb testing.TB, g *G.ExprGraph, out *EncoderOutput, spec LocalCriticSpec) (*EncodeAndDot, *G.Node) {
	tb.Helper()
	critic, err := NewEncodeAndDot(g, NewInit(2), spec)
	if err != nil {
		tb.Fatal(err)
	}
	scores, err := critic.Scores(out.LocalRows, out.Y)
	if err != nil {
		tb.Fatal(err)
	}
	return critic, scores
}

// TestEncoderLocalJSDTrainsOneStep wires encoder, encode-and-dot critic and
// the jsd estimator on the Blocks mask, checks every output shape, and
// checks that gradients reach the encoder's first layer.
func TestEncoderLocalJSDTrainsOneStep(t *testing.T) {
	sp := smallEncoder(true)
	const n = 4
	g, enc, out := encodeImages(t, sp, n, 3)
	critic, err := NewLocalCritic(g, NewInit(2), "encode-and-dot", LocalCriticSpec{LocalChannels: sp.Conv2, GlobalDim: sp.Out, Units: 8})
	if err != nil {
		t.Fatal(err)
	}
	scores, err := critic.Scores(out.LocalRows, out.Y)
	if err != nil {
		t.Fatal(err)
	}
	m := sp.LocalSize()
	shapeIs(t, "scores", scores, n, n*m*m)
	params := append(enc.Learnables(), critic.Learnables()...)
	_, _ = jsdTerms(t, scores, estimators.Blocks(n, m*m), params)
	runGraph(t, g, G.BindDualValues(params...))
	gw, err := enc.Conv1.W.Grad()
	if err != nil {
		t.Fatal(err)
	}
	var norm float64
	for _, v := range gw.Data().([]float32) {
		norm += float64(v) * float64(v)
	}
	if norm == 0 || math.IsNaN(norm) {
		t.Errorf("gradient of the first conv's weights has squared norm %v", norm)
	}
	if _, err := NewLocalCritic(g, NewInit(2), "encode-and-dott", LocalCriticSpec{LocalChannels: 1, GlobalDim: 1, Units: 1}); err == nil {
		t.Error("an unknown local critic name was accepted")
	}
}

// TestConcatCriticsAreTheReferenceMLP checks the concat-and-convolve local
// critic and the concat global critic against the reference design
// (shared/reference/dim-notes.md §2.2): on [features, Y], Linear U - ReLU -
// Linear U - ReLU - Linear 1, the first layer split into a part for the
// features with the bias and a part for Y, and that Learnables returns
// every one of its parameters.
func TestConcatCriticsAreTheReferenceMLP(t *testing.T) {
	const dx, dy, u = 5, 3, 7
	g := G.NewGraph()
	local, err := NewConcatAndConvolve(g, NewInit(1), LocalCriticSpec{LocalChannels: dx, GlobalDim: dy, Units: u})
	if err != nil {
		t.Fatal(err)
	}
	global, err := NewConcatGlobal(g, NewInit(1), GlobalCriticSpec{FeatureDim: dx, GlobalDim: dy, Units: u})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		fx, fy *Linear
		rest   *MLP
		params G.Nodes
	}{
		"concat-and-convolve": {local.FirstLocal, local.FirstGlobal, local.Rest, local.Learnables()},
		"concat global":       {global.FirstFeatures, global.FirstGlobal, global.Rest, global.Learnables()},
	} {
		shapeIs(t, name+" first layer (features)", c.fx.W, dx, u)
		shapeIs(t, name+" first layer (Y)", c.fy.W, dy, u)
		if c.fx.B == nil || c.fy.B != nil {
			t.Errorf("%s: the first layer must have one bias, on the features' part", name)
		}
		if len(c.rest.Layers) != 2 {
			t.Fatalf("%s: %d layers after the first, want 2 (U→U, U→1)", name, len(c.rest.Layers))
		}
		shapeIs(t, name+" second layer", c.rest.Layers[0].W, u, u)
		shapeIs(t, name+" last layer", c.rest.Layers[1].W, u, 1)
		total := 0
		for _, p := range c.params {
			total += p.Shape().TotalSize()
		}
		if want := dx*u + u + dy*u + u*u + u + u + 1; total != want {
			t.Errorf("%s: learnables hold %d numbers, want %d", name, total, want)
		}
	}
}

// TestDIMCriticsRejectMismatchedBatches checks that the local critics refuse
// local rows that are not a whole number of locations per code (7 rows for
// 2 codes) and the global critics features and codes of different batch
// sizes, in both directions, rather than scoring them.
func TestDIMCriticsRejectMismatchedBatches(t *testing.T) {
	const c, d, u = 3, 2, 4
	g := G.NewGraph()
	init := NewInit(1)
	node := func(rows, cols int) *G.Node {
		return G.NewMatrix(g, Dtype, G.WithShape(rows, cols), G.WithInit(G.Zeroes()))
	}
	ls := LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: u}
	ed, err := NewEncodeAndDot(g, init, ls)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := NewConcatAndConvolve(g, init, ls)
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]LocalCritic{"encode-and-dot": ed, "concat-and-convolve": cc} {
		if _, err := l.Scores(node(7, c), node(2, d)); err == nil {
			t.Errorf("%s scored 7 local rows for 2 codes", name)
		}
	}
	gs := GlobalCriticSpec{FeatureDim: c, GlobalDim: d, Units: u}
	edg, err := NewEncodeAndDotGlobal(g, init, gs)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := NewConcatGlobal(g, init, gs)
	if err != nil {
		t.Fatal(err)
	}
	for name, gc := range map[string]GlobalCritic{"encode-and-dot global": edg, "concat global": cg} {
		for _, rows := range [][2]int{{3, 2}, {2, 3}} {
			if _, err := gc.Scores(node(rows[0], c), node(rows[1], d)); err == nil {
				t.Errorf("%s scored %d feature rows against %d codes", name, rows[0], rows[1])
			}
		}
	}
}
