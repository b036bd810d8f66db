package estimators

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// papersLosses returns, by estimator, the loss and the MI estimate of an
// n x n score matrix f (f[i][j] scores y_i against x_j, positives on the
// diagonal) as Poole et al.'s and Song & Ermon's reference code writes
// them (ermongroup/smile-mi-estimator, estimators.py), independently of
// this package's Reference: js_fgan_lower_bound for the JS bound that jsd
// and smile train on, smile_lower_bound with clip tau, dv_upper_lower_bound,
// infonce_lower_bound (log n plus the log-softmax over all n of a row),
// and tuba_lower_bound(f), which is their nwj_lower_bound of f + 1, for
// nwj and for jsd's read-out.
func papersLosses(f [][]float64, tau float64) map[string][2]float64 {
	n := float64(len(f))
	var pos, negExp, negExpClip, spPos, spNeg, logSoftmax float64
	for i, row := range f {
		pos += row[i]
		spPos += math.Log1p(math.Exp(-row[i]))
		var rowExp float64
		for j, s := range row {
			rowExp += math.Exp(s)
			if i != j {
				negExp += math.Exp(s)
				negExpClip += math.Exp(math.Max(-tau, math.Min(tau, s)))
				spNeg += math.Log1p(math.Exp(s))
			}
		}
		logSoftmax += row[i] - math.Log(rowExp)
	}
	meanPos, nNeg := pos/n, n*(n-1)
	js := -spPos/n - spNeg/nNeg
	dv := meanPos - math.Log(negExp/nNeg)
	tuba := 1 + meanPos - negExp/nNeg
	smile := meanPos - math.Log(negExpClip/nNeg)
	infonce := logSoftmax/n + math.Log(n)
	return map[string][2]float64{
		"dv": {-dv, dv}, "mine": {-dv, dv}, "nwj": {-tuba, tuba},
		"jsd": {-js, tuba}, "smile": {-js, smile}, "infonce": {-logSoftmax / n, infonce},
	}
}

// TestGraphsMatchThePapersCode checks every critic estimator's float64
// graph on a 4 x 4 score matrix with scores beyond smile's tau = 5 on
// both sides: its loss and estimate against papersLosses, and the loss's
// gradient against central finite differences of papersLosses' loss.
func TestGraphsMatchThePapersCode(t *testing.T) {
	f := [][]float64{{2.5, -0.3, 0.7, 6.2}, {0.1, 1.9, -1.2, 0.4}, {-7, 0.9, 3.1, 0.2}, {0.3, 5.8, -0.5, 2.2}}
	var flat []float64
	for _, row := range f {
		flat = append(flat, row...)
	}
	for name, want := range papersLosses(f, 5) {
		got, err := runGraph(mustNew(t, name, nil), flat, Diagonal(4), tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		if !close(got.loss, want[0], 1e-12) || !close(got.mi, want[1], 1e-12) {
			t.Errorf("%s: graph gives loss %.12g, MI %.12g; the papers' code %.12g, %.12g", name, got.loss, got.mi, want[0], want[1])
		}
		const h = 1e-6
		for k := range flat {
			i, j := k/4, k%4
			f[i][j] += h
			up := papersLosses(f, 5)[name][0]
			f[i][j] -= 2 * h
			down := papersLosses(f, 5)[name][0]
			f[i][j] += h
			if fd := (up - down) / (2 * h); math.Abs(fd-got.grad[k]) > 1e-6 {
				t.Errorf("%s: d loss/d s[%d] = %.9g, finite differences of the papers' loss give %.9g", name, k, got.grad[k], fd)
			}
		}
	}
}
