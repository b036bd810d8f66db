package estimators

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBuildMatchesReference checks that every registered estimator's graph,
// at its defaults and at each of its TestParams (see criticVariants),
// computes the same loss and estimate as its float64 Reference, in float64
// and float32 graphs, on every test mask.
func TestBuildMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range criticVariants() {
		name := v.Name
		for maskName, mask := range testMasks() {
			for trial := 0; trial < 3; trial++ {
				scores := randomScores(rng, mask.Rows*mask.Cols, 3)
				wantLoss, wantMI := v.New(t).Reference(scores, mask)
				for _, c := range []struct {
					dt  tensor.Dtype
					tol float64
				}{{tensor.Float64, 1e-9}, {tensor.Float32, 2e-5}} {
					got, err := runGraph(v.New(t), scores, mask, c.dt)
					if err != nil {
						t.Fatalf("%s on %s (%v): %v", name, maskName, c.dt, err)
					}
					if notFinite(wantLoss, wantMI) {
						t.Fatalf("%s on %s: Reference gives loss %g, MI %g; it must be finite on finite scores", name, maskName, wantLoss, wantMI)
					}
					if !close(got.loss, wantLoss, c.tol) || !close(got.mi, wantMI, c.tol) {
						t.Errorf("%s on %s (%v): graph gives loss %.9g, MI %.9g; reference %.9g, %.9g",
							name, maskName, c.dt, got.loss, got.mi, wantLoss, wantMI)
					}
				}
			}
		}
	}
}

// TestLossGradientMatchesFiniteDifferences checks the gradient of every
// registered estimator's loss, at each of its settings, from a float64 graph, against central finite
// differences of its Reference loss. Entries that are ignored must get
// exactly zero gradient. (mine's loss on its first step is -DV, which is
// what its Reference computes; its later steps are tested separately.)
func TestLossGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range criticVariants() {
		name := v.Name
		for maskName, mask := range testMasks() {
			scores := randomScores(rng, mask.Rows*mask.Cols, 2)
			est := v.New(t)
			got, err := runGraph(est, scores, mask, tensor.Float64)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, maskName, err)
			}
			want := referenceLossGradient(est, scores, mask)
			for i := range want {
				if math.Abs(got.grad[i]-want[i]) > 1e-6 {
					t.Errorf("%s on %s: d loss/d s[%d] = %.9g, finite differences give %.9g", name, maskName, i, got.grad[i], want[i])
				}
				if mask.Roles[i] == Ignored && got.grad[i] != 0 {
					t.Errorf("%s on %s: ignored entry %d has gradient %g", name, maskName, i, got.grad[i])
				}
			}
		}
	}
}

// TestFloat32ExtremeScoresStayFinite checks that large scores, far apart,
// give finite values and gradients in float32 where the estimate itself is
// finite (jsd and nwj report exp of the scores, which may overflow).
func TestFloat32ExtremeScoresStayFinite(t *testing.T) {
	mask := testMasks()["ignored"]
	scores := make([]float64, mask.Rows*mask.Cols)
	for i := range scores {
		switch mask.Roles[i] {
		case Positive:
			scores[i] = 60
		case Negative:
			scores[i] = -200
		case Ignored:
			scores[i] = 500 // would overflow exp in float32 if it leaked in
		}
	}
	for _, v := range criticVariants() {
		name := v.Name
		got, err := runGraph(v.New(t), scores, mask, tensor.Float32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bad := math.IsNaN(got.loss) || math.IsInf(got.loss, 0) || math.IsNaN(got.mi) || math.IsInf(got.mi, 0)
		for _, g := range got.grad {
			bad = bad || math.IsNaN(g) || math.IsInf(g, 0)
		}
		if bad {
			t.Errorf("%s: float32 graph gave loss %g, MI %g, gradient %v on scores of 60 (positives), -200 (negatives) and 500 (ignored): "+
				"a non-finite value here most often comes from exp of the whole score matrix times an indicator (Inf times 0); "+
				"take exponentials of the selected entries only, with MaskedLogMeanExp (README.md, \"Adding an estimator\")",
				name, got.loss, got.mi, got.grad)
		}
	}
}

// termsOf is an Estimator whose Build returns terms as they are, for the
// checks Build makes of a plug-in's terms.
type termsOf struct{ terms func(scores *G.Node) *Terms }

func (e termsOf) Build(scores *G.Node, _ *Mask) (*Terms, error) { return e.terms(scores), nil }

func (termsOf) Reference([]float64, *Mask) (loss, mi float64) { return 0, 0 }

// TestBuildChecksTheTerms checks that Build refuses, with an error saying
// what is wrong, terms that the training loop could not use: none, a
// missing Loss or MI, a Loss or an MI that is not a scalar; and passes
// good ones.
func TestBuildChecksTheTerms(t *testing.T) {
	mask := Diagonal(2)
	for _, c := range []struct {
		name  string
		terms func(scores *G.Node) *Terms
		want  string
	}{
		{"no terms", func(*G.Node) *Terms { return nil }, "Build returned neither Terms nor an error"},
		{"no MI", func(s *G.Node) *Terms { return &Terms{Loss: G.Must(G.Mean(s))} }, "without a Loss or an MI node"},
		{"no loss", func(s *G.Node) *Terms { return &Terms{MI: G.Must(G.Mean(s))} }, "without a Loss or an MI node"},
		{"a matrix loss", func(s *G.Node) *Terms { return &Terms{Loss: s, MI: G.Must(G.Mean(s))} }, "a Loss of shape (2, 2)"},
		{"a matrix MI", func(s *G.Node) *Terms { return &Terms{Loss: G.Must(G.Mean(s)), MI: s} }, "an MI of shape (2, 2)"},
		{"good", func(s *G.Node) *Terms { m := G.Must(G.Mean(s)); return &Terms{Loss: m, MI: m} }, ""},
	} {
		g := G.NewGraph()
		scores := newScoresNode(g, []float64{1, 2, 3, 4}, mask, tensor.Float64)
		_, err := Build(termsOf{c.terms}, scores, mask)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: Build returned %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
