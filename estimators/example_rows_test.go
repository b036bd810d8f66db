package estimators_test

import (
	"fmt"
	"math"

	"github.com/infomax/infomax/estimators"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RowDV is the Donsker-Varadhan bound taken row by row, each row's
// positives against that row's own negatives, and averaged over the rows:
//
//	MI   = mean_r [ mean_{pos in r} s - log mean_{neg in r} e^s ]
//	loss = -MI
//
// over the rows r that hold a positive.
//
// Where DV's partition term pools every negative of the batch, this one
// conditions it on the row's y, as InfoNCE's softmax does. It lives in
// this example to show the row helpers: per-row terms with no score-sized
// buffer allocated at any step.
type RowDV struct{}

func init() {
	estimators.Register(estimators.Info{
		Name:    "example-rowdv",
		Summary: "DV bound per row, averaged over rows (the worked example of the row helpers)",
		New:     func(estimators.Params) (estimators.Estimator, error) { return RowDV{}, nil },
	})
}

// Build adds the loss and the estimate to the graph that holds scores.
func (RowDV) Build(scores *G.Node, mask *estimators.Mask) (*estimators.Terms, error) {
	meanPos, err := estimators.MaskedRowMean(scores, mask, estimators.Positive)
	if err != nil {
		return nil, err
	}
	logPartition, err := estimators.MaskedRowLogMeanExp(scores, mask, estimators.Negative)
	if err != nil {
		return nil, err
	}
	// Both are vectors of one value a row, so the difference cannot fail,
	// and costs nothing next to the helpers.
	mi, err := estimators.MeanOverRows(G.Must(G.Sub(meanPos, logPartition)), mask, estimators.Positive)
	if err != nil {
		return nil, err
	}
	return &estimators.Terms{Loss: G.Must(G.Neg(mi)), MI: mi}, nil
}

// Reference is the float64 specification the graph is tested against.
func (RowDV) Reference(scores []float64, mask *estimators.Mask) (loss, mi float64) {
	var rows int
	for r := range mask.Rows {
		var sumPos, sumExpNeg float64
		var nPos, nNeg int
		for c := range mask.Cols {
			switch s := scores[r*mask.Cols+c]; mask.Roles[r*mask.Cols+c] {
			case estimators.Positive:
				sumPos += s
				nPos++
			case estimators.Negative:
				sumExpNeg += math.Exp(s)
				nNeg++
			}
		}
		if nPos > 0 { // a row with positives has negatives (Mask.Validate)
			mi += sumPos/float64(nPos) - math.Log(sumExpNeg/float64(nNeg))
			rows++
		}
	}
	mi /= float64(rows)
	return -mi, mi
}

// Example_rowHelpers evaluates the RowDV estimator defined above on a
// batch of two pairs, and shows the error a mask without negatives gives.
func Example_rowHelpers() {
	est, err := estimators.New("example-rowdv", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// scores[i][j] = T(x_j, y_i); the diagonal holds the two positive pairs.
	scores := []float64{
		2, 0,
		1, 1,
	}
	_, mi := est.Reference(scores, estimators.Diagonal(2))
	fmt.Printf("MI %.4f nats = ((2 - 0) + (1 - 1)) / 2\n", mi)

	g := G.NewGraph()
	s := G.NewMatrix(g, G.Float64, G.WithShape(2, 2), G.WithName("s"))
	mask, _ := estimators.NewMask(2, 2) // every entry Ignored
	_, err = est.Build(s, mask)
	fmt.Println(err)
	// Output:
	// MI 1.0000 nats = ((2 - 0) + (1 - 1)) / 2
	// MaskedRowMean: estimators: mask needs at least one positive and one negative entry
}

// ExampleSoftplus evaluates the Softplus helper where a naive log(1 + e^x)
// overflows float32 (e^100) or rounds to 0 (x = -100, where it is e^-100
// = 3.72e-44, here a float32 subnormal).
func ExampleSoftplus() {
	g := G.NewGraph()
	x := G.NewVector(g, G.Float32, G.WithShape(4), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithBacking([]float32{-100, 0, 1, 100}))))
	sp, err := estimators.Softplus(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4g\n", sp.Value().Data())
	// Output:
	// [3.784e-44 0.6931 1.313 100]
}
