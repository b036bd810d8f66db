package blas

import (
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestProductProfileNamesEachTranspose checks the op the profile files
// each Sgemm call under, for every pair of transposes, ConjTrans (the
// real matrices' Trans) included: "sgemm " and N or T for A and for B,
// each pair with its own shape, so that two names swapped would show.
func TestProductProfileNamesEachTranspose(t *testing.T) {
	var impl Implementation
	trs := []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}
	letter := func(tr blas.Transpose) string {
		if tr == blas.NoTrans {
			return "N"
		}
		return "T"
	}
	t.Cleanup(func() { StopProductProfile() })
	StartProductProfile()
	want := map[int]string{}
	for i, tA := range trs {
		for j, tB := range trs {
			m, n, k := 2+3*i+j, 3, 4
			x := make([]float32, 64)
			lda, ldb := k, n
			if tA != blas.NoTrans {
				lda = m
			}
			if tB != blas.NoTrans {
				ldb = k
			}
			impl.Sgemm(tA, tB, m, n, k, 1, x, lda, x, ldb, 0, make([]float32, m*n), n)
			want[m] = "sgemm " + letter(tA) + letter(tB)
		}
	}
	got := StopProductProfile()
	if len(got) != len(want) {
		t.Fatalf("profile has %d products, want %d: %+v", len(got), len(want), got)
	}
	for _, pt := range got {
		if pt.Op != want[pt.M] || pt.Calls != 1 {
			t.Errorf("%s %dx%dx%d, %d calls: want %s, 1 call", pt.Op, pt.M, pt.N, pt.K, pt.Calls, want[pt.M])
		}
	}
}
