package estimators

import (
	"math"
	"testing"
)

func TestInfoNCEReferenceByHand(t *testing.T) {
	// scores [[1, 0], [-1, 2]] with the diagonal positive.
	loss, mi := mustNew(t, "infonce", nil).Reference([]float64{1, 0, -1, 2}, Diagonal(2))
	logSoftmax := ((1 - math.Log(math.Exp(1)+math.Exp(0))) + (2 - math.Log(math.Exp(-1)+math.Exp(2)))) / 2
	if !close(loss, -logSoftmax, 1e-12) || !close(mi, logSoftmax+math.Log(2), 1e-12) {
		t.Errorf("infonce: got loss %v, MI %v; want %v, %v", loss, mi, -logSoftmax, logSoftmax+math.Log(2))
	}
}

func TestInfoNCEReferenceByHandBlocks(t *testing.T) {
	// Blocks(2, 2): row 0 has positives s00, s01 and negatives s02, s03;
	// each positive is classified against the negatives only (K = 3).
	s := []float64{
		1, 2, 0, -1,
		0.5, 0, 3, -2,
	}
	loss, mi := mustNew(t, "infonce", nil).Reference(s, Blocks(2, 2))
	e := math.Exp
	terms := []float64{
		1 - math.Log(e(1)+e(0)+e(-1)),
		2 - math.Log(e(2)+e(0)+e(-1)),
		3 - math.Log(e(3)+e(0.5)+e(0)),
		-2 - math.Log(e(-2)+e(0.5)+e(0)),
	}
	want := (terms[0] + terms[1] + terms[2] + terms[3]) / 4
	if !close(loss, -want, 1e-12) || !close(mi, want+math.Log(3), 1e-12) {
		t.Errorf("infonce: got loss %v, MI %v; want %v, %v", loss, mi, -want, want+math.Log(3))
	}
}

func TestInfoNCECeiling(t *testing.T) {
	est := InfoNCE{}
	if got, want := est.Ceiling(Diagonal(64)), math.Log(64); !close(got, want, 1e-12) {
		t.Errorf("Ceiling(Diagonal(64)) = %v, want log 64 = %v", got, want)
	}
	if got, want := est.Ceiling(Blocks(4, 9)), math.Log(1+27); !close(got, want, 1e-12) {
		t.Errorf("Ceiling(Blocks(4, 9)) = %v, want log 28 = %v", got, want)
	}
	// Scores that make every positive win by a mile reach the ceiling.
	mask := testMasks()["ignored"]
	s := make([]float64, len(mask.Roles))
	for i, r := range mask.Roles {
		if r == Positive {
			s[i] = 50
		}
	}
	if _, mi := est.Reference(s, mask); !close(mi, est.Ceiling(mask), 1e-12) {
		t.Errorf("separable scores give %v, want the ceiling %v", mi, est.Ceiling(mask))
	}
}
