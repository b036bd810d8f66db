package estimators

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

func TestSMILEReferenceByHand(t *testing.T) {
	// 3x3 scores, diagonal positive, tau = 1: the negatives 3 and -2.5
	// are clipped to 1 and -1 in the partition term, the positive 4 is not.
	s := []float64{
		4, 3, -1,
		0.5, 1, 0,
		-2.5, 0.2, -3,
	}
	est := mustNew(t, "smile", Params{"tau": 1})
	loss, mi := est.Reference(s, Diagonal(3))
	e := math.Exp
	wantMI := (4+1-3)/3.0 - math.Log((e(1)+e(-1)+e(0.5)+e(0)+e(-1)+e(0.2))/6)
	wantLoss, _ := JSD{}.Reference(s, Diagonal(3))
	if !close(mi, wantMI, 1e-12) || !close(loss, wantLoss, 1e-12) {
		t.Errorf("smile: got loss %v, MI %v; want %v, %v", loss, mi, wantLoss, wantMI)
	}
	// A tau above every score means no clipping: the DV value.
	_, unclipped := mustNew(t, "smile", Params{"tau": 1e9}).Reference(s, Diagonal(3))
	_, dv := DV{}.Reference(s, Diagonal(3))
	if !close(unclipped, dv, 1e-12) {
		t.Errorf("smile with tau 1e9 gives %v, DV gives %v", unclipped, dv)
	}
}

func TestSMILETauChecked(t *testing.T) {
	for _, tau := range []float64{0, -1, math.NaN()} {
		if _, err := New("smile", Params{"tau": tau}); err == nil {
			t.Errorf("tau %v accepted", tau)
		}
	}
	est, err := New("smile", nil)
	if err != nil || est.(SMILE).Tau != 5 {
		t.Errorf("default smile: %v, %v; want tau 5", est, err)
	}
}

// TestSMILEClipsOnlyThePartitionTerm runs SMILE's graph with tau = 1 on
// scores whose positives (3) and negatives (2) lie above tau: the
// estimate is mean_pos s - log mean_neg e^clip(s) = 3 - 1 = 2, the
// positives unclipped as in Song & Ermon's smile_lower_bound, in both
// float64 and float32.
func TestSMILEClipsOnlyThePartitionTerm(t *testing.T) {
	mask := Diagonal(3)
	scores := []float64{3, 2, 2, 2, 3, 2, 2, 2, 3}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		run, err := runGraph(SMILE{Tau: 1}, scores, mask, dt)
		if err != nil {
			t.Fatal(err)
		}
		if !close(run.mi, 2, 1e-6) {
			t.Errorf("%v: SMILE(tau 1) = %v, want 3 - log e^1 = 2", dt, run.mi)
		}
	}
}
