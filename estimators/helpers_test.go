package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// testMasks returns the masks every estimator is checked on: the square
// batch mask, DIM's block mask with several positives per row, and a mask
// with ignored entries, a row of negatives only and a row ignored entirely.
func testMasks() map[string]*Mask {
	ignored := &Mask{Rows: 4, Cols: 5, Roles: []Role{
		Positive, Negative, Ignored, Negative, Ignored,
		Ignored, Positive, Positive, Negative, Negative,
		Negative, Ignored, Negative, Ignored, Negative,
		Ignored, Ignored, Ignored, Ignored, Ignored,
	}}
	return map[string]*Mask{
		"diagonal": Diagonal(5),
		"blocks":   Blocks(3, 4),
		"ignored":  ignored,
	}
}

// randomScores returns n scores drawn uniformly from [-scale, scale].
func randomScores(rng *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * (2*rng.Float64() - 1)
	}
	return s
}

// graphRun is one evaluation of an estimator's graph.
type graphRun struct {
	loss, mi float64
	grad     []float64 // d loss / d scores, row-major
}

// newScoresNode returns an input matrix node holding scores in dtype dt.
func newScoresNode(g *G.ExprGraph, scores []float64, mask *Mask, dt tensor.Dtype) *G.Node {
	var backing any = append([]float64(nil), scores...)
	if dt == tensor.Float32 {
		v := make([]float32, len(scores))
		for i, s := range scores {
			v[i] = float32(s)
		}
		backing = v
	}
	t := tensor.New(tensor.WithShape(mask.Rows, mask.Cols), tensor.WithBacking(backing))
	return G.NewMatrix(g, dt, G.WithShape(mask.Rows, mask.Cols), G.WithName("scores"), G.WithValue(t))
}

// runGraph builds est on scores in a graph of dtype dt, differentiates the
// loss with respect to the scores and runs the graph once.
func runGraph(est Estimator, scores []float64, mask *Mask, dt tensor.Dtype) (graphRun, error) {
	g := G.NewGraph()
	x := newScoresNode(g, scores, mask, dt)
	terms, err := build(est, x, mask)
	if err != nil {
		return graphRun{}, err
	}
	grads, err := G.Grad(terms.Loss, x)
	if err != nil {
		return graphRun{}, fmt.Errorf("grad: %w", err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return graphRun{}, fmt.Errorf("run: %w", err)
	}
	return graphRun{
		loss: scalarValue(terms.Loss.Value()),
		mi:   scalarValue(terms.MI.Value()),
		grad: floats(grads[0].Value()),
	}, nil
}

func scalarValue(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a float scalar: %T", v.Data()))
}

func floats(v G.Value) []float64 {
	switch x := v.Data().(type) {
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return append([]float64(nil), x...)
	}
	panic(fmt.Sprintf("not a float tensor: %T", v.Data()))
}

// referenceLossGradient returns the central finite differences of the
// Reference loss with respect to each score.
func referenceLossGradient(est Estimator, scores []float64, mask *Mask) []float64 {
	const h = 1e-5
	grad := make([]float64, len(scores))
	s := append([]float64(nil), scores...)
	for i := range s {
		s[i] = scores[i] + h
		up, _ := est.Reference(s, mask)
		s[i] = scores[i] - h
		down, _ := est.Reference(s, mask)
		s[i] = scores[i]
		grad[i] = (up - down) / (2 * h)
	}
	return grad
}

// close reports whether a is within tol of b, relative to 1 + |b|, and
// equal to b where b is infinite.
func close(a, b, tol float64) bool {
	if math.IsInf(b, 0) {
		return a == b // the tolerance below is infinite too, and would pass any a
	}
	return math.Abs(a-b) <= tol*(1+math.Abs(b))
}

// variant is a registered critic-based estimator at one setting the
// shared tests hold it to: its defaults, or one of its Info.TestParams.
type variant struct {
	// Name is the estimator's name, followed by the setting where it is
	// not the defaults, for messages.
	Name   string
	name   string
	params Params
}

// New builds the estimator at the variant's setting.
func (v variant) New(t testing.TB) Estimator { return mustNew(t, v.name, v.params) }

// criticVariants returns every registered critic-based estimator at its
// defaults and at each of its Info.TestParams.
func criticVariants() []variant {
	var out []variant
	for _, name := range CriticNames() {
		out = append(out, variant{Name: name, name: name})
		info, _ := Lookup(name)
		for _, p := range info.TestParams {
			out = append(out, variant{Name: fmt.Sprintf("%s %v", name, p), name: name, params: p})
		}
	}
	return out
}

func mustNew(t testing.TB, name string, p Params) Estimator {
	t.Helper()
	est, err := New(name, p)
	if err != nil {
		t.Fatal(err)
	}
	return est
}

func sp(x float64) float64 { return math.Log(1 + math.Exp(x)) }

// runGraphOnShape builds est on zero scores of shape rows x cols with mask.
func runGraphOnShape(est Estimator, mask *Mask, rows, cols int) (*Terms, error) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName("scores"), G.WithInit(G.Zeroes()))
	return build(est, x, mask)
}

// build is Build (est's terms checked) with a panic turned into an error, so that one
// registered estimator that panics (a G.Must on scores and a mask that
// disagree, say) fails the tests that build it, naming the fix, rather
// than stopping the whole test binary.
func build(est Estimator, scores *G.Node, mask *Mask) (terms *Terms, err error) {
	defer func() {
		if p := recover(); p != nil {
			terms, err = nil, &buildPanic{value: p}
		}
	}()
	return Build(est, scores, mask)
}

// buildPanic is the error of a Build that panicked.
type buildPanic struct{ value any }

func (b *buildPanic) Error() string {
	return fmt.Sprintf("Build panicked: %v (return an error instead, e.g. the one MaskedMean gives for scores and a mask that disagree)", b.value)
}

// notFinite reports whether any of xs is NaN or infinite.
func notFinite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return true
		}
	}
	return false
}
