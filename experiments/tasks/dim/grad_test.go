package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
)

// twinModel is a float64 copy of the encoder graph of a float32 [Model]
// with the local term alone: the same encoder, local critic, mask and
// estimator built from the same exported pieces, with the same weights
// converted to float64. [NewModel] builds float32 graphs only (its Input
// and its initializer are float32), so the backward pass is checked on
// this twin, whose loss the test first compares with the float32 model's.
type twinModel struct {
	g      *G.ExprGraph
	vm     G.VM
	x      *G.Node
	xValue *tensor.Dense
	loss   *G.Node
	// params are the twin's parameters, in the order (and with the names)
	// of the float32 model's m.Adam.Params().
	params G.Nodes
}

// twinNode returns a float64 node of g with n's name, shape and values.
func twinNode(g *G.ExprGraph, n *G.Node) *G.Node {
	if n == nil {
		return nil
	}
	src := n.Value().Data().([]float32)
	data := make([]float64, len(src))
	for i, v := range src {
		data[i] = float64(v)
	}
	shape := n.Shape().Clone()
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, tensor.Float64, shape.Dims(), G.WithShape(shape...), G.WithName(n.Name()), G.WithValue(t))
}

func twinLinear(g *G.ExprGraph, l *architectures.Linear) *architectures.Linear {
	return &architectures.Linear{W: twinNode(g, l.W), B: twinNode(g, l.B)}
}

func twinConv(g *G.ExprGraph, c *architectures.Conv2D) *architectures.Conv2D {
	d := *c
	d.W, d.B = twinNode(g, c.W), twinNode(g, c.B)
	return &d
}

// copyInto copies the float32 values of src into the float64 node dst.
func copyInto(dst, src *G.Node) {
	d := dst.Value().Data().([]float64)
	for i, v := range src.Value().Data().([]float32) {
		d[i] = float64(v)
	}
}

// twinBatchNorm builds a batch norm with b's γ and β; architectures.Dtype
// must be float64.
func twinBatchNorm(t *testing.T, g *G.ExprGraph, b *architectures.BatchNorm) *architectures.BatchNorm {
	if b == nil {
		return nil
	}
	n, err := architectures.NewBatchNorm(g, strings.TrimSuffix(b.Gamma.Name(), ".gamma"), b.Gamma.Shape()[0])
	if err != nil {
		t.Fatal(err)
	}
	copyInto(n.Gamma, b.Gamma)
	copyInto(n.Beta, b.Beta)
	return n
}

func twinEmbed(t *testing.T, g *G.ExprGraph, e *architectures.EmbedNet) *architectures.EmbedNet {
	if e == nil {
		return nil
	}
	ln, err := architectures.NewLayerNorm(g, strings.TrimSuffix(e.LN.Gamma.Name(), ".gamma"), e.LN.Gamma.Shape()[0])
	if err != nil {
		t.Fatal(err)
	}
	copyInto(ln.Gamma, e.LN.Gamma)
	copyInto(ln.Beta, e.LN.Beta)
	return &architectures.EmbedNet{First: twinLinear(g, e.First), BN: twinBatchNorm(t, g, e.BN),
		Second: twinLinear(g, e.Second), Shortcut: twinLinear(g, e.Shortcut), LN: ln}
}

// newTwin builds the float64 twin of m, a DIM(L) model (alpha = gamma = 0)
// built from c.
func newTwin(t *testing.T, c *Config, m *Model) *twinModel {
	t.Helper()
	if o := c.Objective(); o.Alpha != 0 || o.Gamma != 0 || o.Beta <= 0 {
		t.Fatalf("the twin covers the local term alone, not alpha/beta/gamma %g/%g/%g", o.Alpha, o.Beta, o.Gamma)
	}
	saved := architectures.Dtype
	architectures.Dtype = tensor.Float64
	t.Cleanup(func() { architectures.Dtype = saved })
	defer func() { architectures.Dtype = saved }()

	tw := &twinModel{g: G.NewGraph()}
	g := tw.g
	src := m.Encoder
	enc := &architectures.Encoder{Spec: src.Spec,
		Conv1: twinConv(g, src.Conv1), BN1: twinBatchNorm(t, g, src.BN1),
		Conv2: twinConv(g, src.Conv2), BN2: twinBatchNorm(t, g, src.BN2),
		Conv3: twinConv(g, src.Conv3), BN3: twinBatchNorm(t, g, src.BN3),
		FC: twinLinear(g, src.FC), BN4: twinBatchNorm(t, g, src.BN4), Out: twinLinear(g, src.Out)}
	var critic architectures.LocalCritic
	switch lc := m.LocalCritic.(type) {
	case *architectures.EncodeAndDot:
		critic = &architectures.EncodeAndDot{Local: twinEmbed(t, g, lc.Local), Global: twinEmbed(t, g, lc.Global)}
	case *architectures.ConcatAndConvolve:
		rest := &architectures.MLP{}
		for _, l := range lc.Rest.Layers {
			rest.Layers = append(rest.Layers, twinLinear(g, l))
		}
		critic = &architectures.ConcatAndConvolve{FirstLocal: twinLinear(g, lc.FirstLocal), FirstGlobal: twinLinear(g, lc.FirstGlobal), Rest: rest}
	default:
		t.Fatalf("no float64 twin for local critic %T", m.LocalCritic)
	}

	shape := m.xValue.Shape().Clone()
	data := make([]float64, len(m.Input))
	for i, v := range m.Input {
		data[i] = float64(v)
	}
	tw.xValue = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	tw.x = G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("images"), G.WithValue(tw.xValue))
	out, err := enc.Forward(tw.x)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := critic.Scores(out.LocalRows, out.Y)
	if err != nil {
		t.Fatal(err)
	}
	est, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams))
	if err != nil {
		t.Fatal(err)
	}
	terms, err := est.Build(scores, m.LocalMask)
	if err != nil {
		t.Fatal(err)
	}
	if tw.loss, err = G.Mul(terms.Loss, G.NewConstant(c.Objective().Beta)); err != nil {
		t.Fatal(err)
	}
	tw.params = append(enc.Learnables(), critic.Learnables()...)
	want := m.Adam.Params()
	if len(tw.params) != len(want) {
		t.Fatalf("the twin has %d parameters, the model %d", len(tw.params), len(want))
	}
	for i, p := range tw.params {
		if p.Name() != want[i].Name() || !p.Shape().Eq(want[i].Shape()) {
			t.Fatalf("twin parameter %d is %s %v, the model's %s %v", i, p.Name(), p.Shape(), want[i].Name(), want[i].Shape())
		}
	}
	if _, err := G.Grad(tw.loss, tw.params...); err != nil {
		t.Fatal(err)
	}
	tw.vm = G.NewTapeMachine(g, G.BindDualValues(tw.params...))
	t.Cleanup(func() { tw.vm.Close() })
	return tw
}

// lossAndGrads runs the twin forward and backward once and returns the
// loss; the parameters' gradients hold this run's values afterwards (the
// tape machine accumulates them, so they are zeroed first).
func (tw *twinModel) lossAndGrads(t *testing.T) float64 {
	t.Helper()
	for _, p := range tw.params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := gv.(tensor.Tensor); ok {
			g.Zero()
		}
	}
	return runLoss(t, tw.vm, tw.x, tw.xValue, tw.loss)
}

// float32Loss runs the float32 model forward and backward once and
// returns its loss.
func float32Loss(t *testing.T, m *Model) float64 {
	t.Helper()
	return runLoss(t, m.vm, m.x, m.xValue, m.loss)
}

// runLoss runs vm once, forward and backward, on the images xValue in x,
// and returns the value of loss.
func runLoss(t *testing.T, vm G.VM, x *G.Node, xValue *tensor.Dense, loss *G.Node) float64 {
	t.Helper()
	defer vm.Reset()
	if err := G.Let(x, xValue); err != nil {
		t.Fatal(err)
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	l, err := architectures.Scalar(loss)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// slopeCheck is the analytic and finite-difference slope of the loss
// along one unit direction in one parameter tensor.
type slopeCheck struct {
	param, direction string
	analytic         float64
	// numeric[k] is the central difference with step steps[k].
	numeric []float64
}

// relErr returns |numeric - analytic| relative to the larger of |analytic|
// and floor.
func relErr(numeric, analytic, floor float64) float64 {
	return math.Abs(numeric-analytic) / math.Max(math.Abs(analytic), floor)
}

// twinSlopes compares, for every parameter tensor of tw, the slope of the
// loss along two unit directions — the gradient's own direction g/|g| and
// a random one d — with central differences at each of the steps.
func twinSlopes(t *testing.T, tw *twinModel, steps []float64, seed uint64) []slopeCheck {
	t.Helper()
	tw.lossAndGrads(t)
	grads := make([][]float64, len(tw.params))
	for i, p := range tw.params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = append([]float64(nil), gv.Data().([]float64)...)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	var checks []slopeCheck
	for i, p := range tw.params {
		w := p.Value().Data().([]float64)
		g := grads[i]
		random := make([]float64, len(g))
		for j := range random {
			random[j] = rng.NormFloat64()
		}
		for _, dir := range []struct {
			name string
			d    []float64
		}{{"g/|g|", append([]float64(nil), g...)}, {"random", random}} {
			norm := 0.0
			for _, v := range dir.d {
				norm += v * v
			}
			norm = math.Sqrt(norm)
			if norm == 0 {
				continue
			}
			analytic := 0.0
			for j := range dir.d {
				dir.d[j] /= norm
				analytic += g[j] * dir.d[j]
			}
			ck := slopeCheck{param: p.Name(), direction: dir.name, analytic: analytic}
			old := append([]float64(nil), w...)
			for _, h := range steps {
				for j := range w {
					w[j] = old[j] + h*dir.d[j]
				}
				up := tw.lossAndGrads(t)
				for j := range w {
					w[j] = old[j] - h*dir.d[j]
				}
				down := tw.lossAndGrads(t)
				copy(w, old)
				ck.numeric = append(ck.numeric, (up-down)/(2*h))
			}
			checks = append(checks, ck)
		}
	}
	return checks
}

// gradModel builds the DIM(L) model of tinyConfig with the given
// estimator and local critic at batch 4 on a fixed random batch.
func gradModel(t *testing.T, estimator, critic string) (*Config, *Model) {
	t.Helper()
	c := tinyConfig()
	c.Estimator = estimator
	c.LocalCritic = critic
	if critic == "concat-and-convolve" {
		c.MIUnits = 16
	}
	c.Alpha, c.Beta, c.Gamma = 0, 1, 0
	c.BatchSize = 4
	return c, newNoisyModel(t, c, 1, 5, rand.New(rand.NewPCG(1, 2)))
}

// TestDIMGradientsMatchFiniteDifferences checks the backward pass of the
// whole DIM(L) objective — encoder (convolutions, batch norms, ReLUs, fc),
// local critic, masked estimator — against central differences of the
// loss in float64, for every parameter tensor, along the gradient's own
// direction and along a random one. Training-mode batch norm normalizes
// with the batch's own statistics, so the loss is a deterministic function
// of the weights. The graph is a float64 twin of the model [NewModel]
// builds (see [twinModel]); the test first checks that both compute the
// same loss and that the float32 model's own gradients equal the twin's up
// to float32 rounding.
//
// A central difference cannot check this model in float32. The loss is
// only piecewise smooth (ReLUs): along the gradient of enc.fc.w, say, the
// float64 difference is 5% off at steps of 3e-4 and 1e-4 and 2% at 1e-5
// instead of shrinking as the step squared, the mark of a ReLU kink within
// that distance, and float32 rounding of the loss rules out smaller steps.
// In float64 with steps of 1e-5 and 1e-6 a correct backward pass agrees to
// 2e-7 here (5e-7 for the concat-and-convolve critic, whose slopes are near
// 1e-3); the tolerance is 1e-5, so a gradient off by 1% in any op fails by
// a wide margin. A step that crosses a kink disagrees at that step alone,
// so the check accepts a direction when either step agrees.
func TestDIMGradientsMatchFiniteDifferences(t *testing.T) {
	const tol = 1e-5
	steps := []float64{1e-5, 1e-6}
	for _, tc := range []struct{ estimator, critic string }{
		{"infonce", "encode-and-dot"},
		{"jsd", "encode-and-dot"},
		{"infonce", "concat-and-convolve"},
	} {
		t.Run(tc.estimator+"/"+tc.critic, func(t *testing.T) {
			c, m := gradModel(t, tc.estimator, tc.critic)
			tw := newTwin(t, c, m)
			l32, l64 := float32Loss(t, m), tw.lossAndGrads(t)
			if relErr(l32, l64, 1) > 1e-4 {
				t.Fatalf("the float64 twin's loss %.8g differs from the float32 model's %.8g", l64, l32)
			}
			// The float32 model's own backward pass must give the twin's
			// gradients up to float32 rounding.
			for i, p := range m.Adam.Params() {
				g32 := m.Adam.Grads()[i].Value()
				g64, err := tw.params[i].Grad()
				if err != nil {
					t.Fatal(err)
				}
				var diff, norm float64
				for j, v := range g64.Data().([]float64) {
					d := float64(g32.Data().([]float32)[j]) - v
					diff += d * d
					norm += v * v
				}
				e := math.Sqrt(diff) / math.Max(math.Sqrt(norm), 1e-2)
				t.Logf("%-22s float32 gradient: relative distance %.3g to float64's (|g| = %.4g)", p.Name(), e, math.Sqrt(norm))
				if e > 1e-3 {
					t.Errorf("%s: the float32 model's gradient is %.3g away from the float64 twin's (relative)", p.Name(), e)
				}
			}
			checks := twinSlopes(t, tw, steps, 3)
			nonzero, worst := 0, 0.0
			for _, ck := range checks {
				best := math.Inf(1)
				var errs []string
				for k, fd := range ck.numeric {
					e := relErr(fd, ck.analytic, 1e-3)
					best = math.Min(best, e)
					errs = append(errs, fmt.Sprintf("h=%g: %.3g", steps[k], e))
				}
				if math.Abs(ck.analytic) > 1e-3 {
					nonzero++
				}
				t.Logf("%-22s %-7s slope %+.6e  relative error %s", ck.param, ck.direction, ck.analytic, strings.Join(errs, ", "))
				worst = math.Max(worst, best)
				if best > tol {
					t.Errorf("%s along %s: backward gives a slope of %.8g, central differences %v", ck.param, ck.direction, ck.analytic, ck.numeric)
				}
			}
			t.Logf("largest relative error, at the better step: %.3g", worst)
			if nonzero < len(checks)/2 {
				t.Errorf("only %d of %d slopes are above 1e-3: the check would not see a wrong gradient", nonzero, len(checks))
			}
		})
	}
}
