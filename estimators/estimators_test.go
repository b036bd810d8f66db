package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestBuildMatchesReference checks that every registered estimator's graph
// computes the same loss and estimate as its float64 Reference, in float64
// and float32 graphs, on every test mask.
func TestBuildMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range CriticNames() {
		for maskName, mask := range testMasks() {
			for trial := 0; trial < 3; trial++ {
				scores := randomScores(rng, mask.Rows*mask.Cols, 3)
				wantLoss, wantMI := mustNew(t, name, nil).Reference(scores, mask)
				for _, c := range []struct {
					dt  tensor.Dtype
					tol float64
				}{{tensor.Float64, 1e-9}, {tensor.Float32, 2e-5}} {
					got, err := runGraph(mustNew(t, name, nil), scores, mask, c.dt)
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
// registered estimator's loss, from a float64 graph, against central finite
// differences of its Reference loss. Entries that are ignored must get
// exactly zero gradient. (mine's loss on its first step is -DV, which is
// what its Reference computes; its later steps are tested separately.)
func TestLossGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range CriticNames() {
		for maskName, mask := range testMasks() {
			scores := randomScores(rng, mask.Rows*mask.Cols, 2)
			est := mustNew(t, name, nil)
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
	for _, name := range CriticNames() {
		got, err := runGraph(mustNew(t, name, nil), scores, mask, tensor.Float32)
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
