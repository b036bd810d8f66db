package estimators

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

func TestDVReferenceByHand(t *testing.T) {
	// scores [[1, 0], [-1, 2]] with the diagonal positive.
	loss, mi := mustNew(t, "dv", nil).Reference([]float64{1, 0, -1, 2}, Diagonal(2))
	want := (1+2)/2.0 - math.Log((math.Exp(0)+math.Exp(-1))/2)
	if !close(mi, want, 1e-12) || !close(loss, -want, 1e-12) {
		t.Errorf("dv: got loss %v, MI %v; want %v, %v", loss, mi, -want, want)
	}
}

func TestDVIsShiftInvariant(t *testing.T) {
	// DV is tight for the log density ratio plus any constant: adding a
	// constant to every score leaves it unchanged.
	s := []float64{1, 0.3, -2, 0.5, -1, 2.5, 0, 1, 0.2}
	shifted := make([]float64, len(s))
	for i := range s {
		shifted[i] = s[i] + 7
	}
	_, a := DV{}.Reference(s, Diagonal(3))
	_, b := DV{}.Reference(shifted, Diagonal(3))
	if !close(a, b, 1e-12) {
		t.Errorf("dv changed under a shift: %v vs %v", a, b)
	}
}

// TestDVGraphIsShiftInvariantFarBelowZero checks DV's graph on scores
// shifted down by 5,000 against the unshifted ones: DV is unchanged by a
// constant shift, and the graph's stand-in for masked-out entries must lie
// below any score, even such low ones, or it would take the place of the
// negatives' maximum and the partition term would underflow to log 0.
func TestDVGraphIsShiftInvariantFarBelowZero(t *testing.T) {
	mask := Diagonal(3)
	s := []float64{1, 0.3, -2, 0.5, -1, 2.5, 0, 1, 0.2}
	shifted := make([]float64, len(s))
	for i := range s {
		shifted[i] = s[i] - 5000
	}
	a, err := runGraph(DV{}, s, mask, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	b, err := runGraph(DV{}, shifted, mask, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a.mi-b.mi) > 1e-9 { // not close, which holds for any a when b is infinite
		t.Errorf("DV's graph %v at s, %v at s - 5000", a.mi, b.mi)
	}
}
