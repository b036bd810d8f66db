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
