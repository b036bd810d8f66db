package estimators

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRowHelpersByHand evaluates MaskedRowMean and MaskedRowLogMeanExp of
// the negatives on a 3x3 mask small enough to do by hand, whose last row
// takes no part: row 0 is (pos 1, neg 2, neg 0), row 1 (neg -1, pos 3,
// ignored 5), row 2 all ignored. The means are 1, -1 and 0 (a row with no
// negative gets 0, as documented); the log-mean-exps are
// log((e^2 + e^0)/2), -1 and 0.
func TestRowHelpersByHand(t *testing.T) {
	I, P, N := Ignored, Positive, Negative
	mask := &Mask{Rows: 3, Cols: 3, Roles: []Role{P, N, N, N, P, I, I, I, I}}
	scores := []float64{1, 2, 0, -1, 3, 5, 7, 8, 9}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := G.NewGraph()
		x := newScoresNode(g, scores, mask, dt)
		mean, err := MaskedRowMean(x, mask, Negative)
		if err != nil {
			t.Fatal(err)
		}
		lme, err := MaskedRowLogMeanExp(x, mask, Negative)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Close()
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-6
		}
		for what, c := range map[string]struct{ got, want []float64 }{
			"MaskedRowMean":       {floats(mean.Value()), []float64{1, -1, 0}},
			"MaskedRowLogMeanExp": {floats(lme.Value()), []float64{math.Log((math.Exp(2) + 1) / 2), -1, 0}},
		} {
			for r := range c.want {
				if !close(c.got[r], c.want[r], tol) {
					t.Errorf("%v %s: row %d is %g, want %g", dt, what, r, c.got[r], c.want[r])
				}
			}
		}
	}
}

// TestMaskedLogMeanExpOfNoMass checks the float64 log-mean-exp where every
// selected value is -Inf: the mean of e^-Inf is 0 and its log -Inf, not
// the NaN that subtracting the maximum (-Inf - -Inf) would give.
func TestMaskedLogMeanExpOfNoMass(t *testing.T) {
	mask := Diagonal(2)
	inf := math.Inf(-1)
	if got := maskedLogMeanExp([]float64{0, inf, inf, 0}, mask, Negative, identity); !math.IsInf(got, -1) {
		t.Errorf("log mean exp of -Inf scores is %g, want -Inf", got)
	}
}
