package estimators

import (
	"math"
	"testing"
)

func TestJSDReferenceByHand(t *testing.T) {
	// scores [[1, 0], [-1, 2]] with the diagonal positive.
	loss, mi := mustNew(t, "jsd", nil).Reference([]float64{1, 0, -1, 2}, Diagonal(2))
	wantLoss := (sp(0)+sp(-1))/2 + (sp(-1)+sp(-2))/2
	wantMI := 1 + (1+2)/2.0 - (math.Exp(0)+math.Exp(-1))/2
	if !close(loss, wantLoss, 1e-12) || !close(mi, wantMI, 1e-12) {
		t.Errorf("jsd: got loss %v, MI %v; want %v, %v", loss, mi, wantLoss, wantMI)
	}
}

func TestJSDReferenceByHandWithIgnored(t *testing.T) {
	// One positive (3), two negatives (0.5, -2); the ignored 100 takes no part.
	mask := &Mask{Rows: 2, Cols: 2, Roles: []Role{Positive, Negative, Negative, Ignored}}
	loss, mi := mustNew(t, "jsd", nil).Reference([]float64{3, 0.5, -2, 100}, mask)
	wantLoss := (sp(0.5)+sp(-2))/2 + sp(-3)
	wantMI := 1 + 3 - (math.Exp(0.5)+math.Exp(-2))/2
	if !close(loss, wantLoss, 1e-12) || !close(mi, wantMI, 1e-12) {
		t.Errorf("jsd: got loss %v, MI %v; want %v, %v", loss, mi, wantLoss, wantMI)
	}
}

// TestJSDDivergenceIsTightAtTheOptimalCritic checks the Jensen-Shannon read-out
// against the closed form: with positives drawn from P = (3/4, 1/4) and
// negatives from Q = (1/4, 3/4) over two outcomes, in exact proportions, and
// the optimal critic s = log p/q, the bound log 2 - loss/2 equals JS(P, Q).
func TestJSDDivergenceIsTightAtTheOptimalCritic(t *testing.T) {
	est := mustNew(t, "jsd", nil)
	div, ok := est.(Divergence)
	if !ok {
		t.Fatal("jsd does not report a divergence")
	}
	if div.DivergenceName() != "js" {
		t.Errorf("jsd's divergence is %q, want js", div.DivergenceName())
	}
	l3 := math.Log(3)
	// Row i: a positive pair and a negative pair.
	mask := &Mask{Rows: 4, Cols: 2, Roles: []Role{
		Positive, Negative, Positive, Negative, Positive, Negative, Positive, Negative}}
	loss, _ := est.Reference([]float64{l3, l3, l3, -l3, l3, -l3, -l3, -l3}, mask)
	kl := func(p, q []float64) float64 {
		var s float64
		for i := range p {
			s += p[i] * math.Log(p[i]/q[i])
		}
		return s
	}
	p, q, m := []float64{0.75, 0.25}, []float64{0.25, 0.75}, []float64{0.5, 0.5}
	want := (kl(p, m) + kl(q, m)) / 2
	if got := div.Divergence(loss); !close(got, want, 1e-12) {
		t.Errorf("JS read-out at the optimal critic = %v, want JS(P, Q) = %v", got, want)
	}
	// A constant critic tells nothing apart: the bound is 0; a critic that
	// separates the pairs perfectly reaches log 2.
	if loss, _ := est.Reference(make([]float64, 8), mask); !close(div.Divergence(loss), 0, 1e-12) {
		t.Errorf("JS read-out of a constant critic = %v, want 0", div.Divergence(loss))
	}
	loss, _ = est.Reference([]float64{40, -40, 40, -40, 40, -40, 40, -40}, mask)
	if got := div.Divergence(loss); !close(got, math.Ln2, 1e-12) {
		t.Errorf("JS read-out of a separating critic = %v, want log 2 = %v", got, math.Ln2)
	}
}
