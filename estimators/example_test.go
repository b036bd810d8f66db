package estimators_test

import (
	"fmt"
	"math"

	"github.com/infomax/infomax/estimators"
	G "gorgonia.org/gorgonia"
)

// TUBA is the tractable unnormalized bound of Poole et al. 2019 with a
// constant baseline a, given as log a:
//
//	MI   = 1 + mean_pos s - log a - mean_neg e^s / a
//	loss = -MI
//
// With log a = 0 it is NWJ. It lives in this example to show how an
// estimator is added: one file, registered in init.
type TUBA struct {
	LogBaseline float64
}

func init() {
	estimators.Register(estimators.Info{
		Name:    "example-tuba",
		Summary: "TUBA with a constant baseline (the worked example of adding an estimator)",
		Params:  estimators.Params{"log_baseline": 0},
		New: func(p estimators.Params) (estimators.Estimator, error) {
			return TUBA{LogBaseline: p["log_baseline"]}, nil
		},
		// go test ./estimators checks it here too, beside the defaults.
		TestParams: []estimators.Params{{"log_baseline": 2}},
	})
}

// Build adds the loss and the estimate to the graph that holds scores.
func (e TUBA) Build(scores *G.Node, mask *estimators.Mask) (*estimators.Terms, error) {
	meanPos, err := estimators.MaskedMean(scores, mask, estimators.Positive)
	if err != nil {
		return nil, err
	}
	logMeanExpNeg, err := estimators.MaskedLogMeanExp(scores, mask, estimators.Negative)
	if err != nil {
		return nil, err
	}
	// The inputs are scalars now, so the arithmetic below cannot fail.
	// mean_neg e^s / a = exp(log mean_neg e^s - log a)
	partition := G.Must(G.Exp(G.Must(G.Sub(logMeanExpNeg, estimators.Constant(scores, e.LogBaseline)))))
	mi := G.Must(G.Sub(G.Must(G.Add(meanPos, estimators.Constant(scores, 1-e.LogBaseline))), partition))
	return &estimators.Terms{Loss: G.Must(G.Neg(mi)), MI: mi}, nil
}

// Reference is the float64 specification the graph is tested against.
func (e TUBA) Reference(scores []float64, mask *estimators.Mask) (loss, mi float64) {
	var sumPos, sumExpNeg float64
	var nPos, nNeg int
	for i, role := range mask.Roles {
		switch role {
		case estimators.Positive:
			sumPos += scores[i]
			nPos++
		case estimators.Negative:
			sumExpNeg += math.Exp(scores[i])
			nNeg++
		}
	}
	a := math.Exp(e.LogBaseline)
	mi = 1 + sumPos/float64(nPos) - e.LogBaseline - sumExpNeg/float64(nNeg)/a
	return -mi, mi
}

// Example_addingAnEstimator builds the TUBA estimator defined above by name,
// as a sweep file would, and evaluates it on a batch of two pairs.
func Example_addingAnEstimator() {
	est, err := estimators.New("example-tuba", estimators.Params{"log_baseline": 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	// scores[i][j] = T(x_j, y_i); the diagonal holds the two positive pairs.
	scores := []float64{
		1, 0,
		0, 1,
	}
	loss, mi := est.Reference(scores, estimators.Diagonal(2))
	fmt.Printf("MI %.4f nats (1 - 1/e), loss %.4f\n", mi, loss)

	_, err = estimators.New("example-tuba", estimators.Params{"baseline": 1})
	fmt.Println(err)
	// Output:
	// MI 0.6321 nats (1 - 1/e), loss -0.6321
	// estimator "example-tuba" has no parameter "baseline" (it takes log_baseline)
}
