package estimators

import (
	"math"
	"testing"
)

func TestNWJReferenceByHand(t *testing.T) {
	// 3x3 scores, diagonal positive.
	s := []float64{
		2, 0, -1,
		0.5, 1, 0,
		-2, 1.5, 3,
	}
	loss, mi := mustNew(t, "nwj", nil).Reference(s, Diagonal(3))
	e := math.Exp
	want := 1 + (2+1+3)/3.0 - (e(0)+e(-1)+e(0.5)+e(0)+e(-2)+e(1.5))/6
	if !close(mi, want, 1e-12) || !close(loss, -want, 1e-12) {
		t.Errorf("nwj: got loss %v, MI %v; want %v, %v", loss, mi, -want, want)
	}
}
