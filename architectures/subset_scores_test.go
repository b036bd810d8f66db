package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/internal/graph"
)

// subsetScored is what TestScoresAtMatchesScores needs of a critic.
type subsetScored interface {
	PairSubsetScorer
	Scores(x, y *G.Node) (*G.Node, error)
	Learnables() G.Nodes
}

// TestScoresAtMatchesScores builds the same critic (same seed) twice, scores
// every pair in one graph and only listed pairs in the other, and checks
// that ScoresAt gives Scores' values at the listed entries and exact zeros
// elsewhere, and that loss = Σ V ⊙ scores, with V zero off the listed
// entries, has the same gradient in every parameter and in both inputs:
// what an estimator whose mask ignores the other entries sees. Rows of
// the pairs repeat (two negatives and a positive per code), so the
// gradients of the gathered rows must add up.
func TestScoresAtMatchesScores(t *testing.T) {
	const n, l, c, d = 4, 3, 5, 6
	critics := []struct {
		name  string
		rows  int
		build func(g *G.ExprGraph) subsetScored
	}{
		{"concat-and-convolve", n * l, func(g *G.ExprGraph) subsetScored {
			cr, err := NewConcatAndConvolve(g, NewInit(7), LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: 8})
			if err != nil {
				t.Fatal(err)
			}
			return cr
		}},
		{"concat global", n, func(g *G.ExprGraph) subsetScored {
			cr, err := NewConcatGlobal(g, NewInit(8), GlobalCriticSpec{FeatureDim: c, GlobalDim: d, Units: 8})
			if err != nil {
				t.Fatal(err)
			}
			return cr
		}},
	}
	for _, cc := range critics {
		rng := rand.New(rand.NewPCG(21, 22))
		xs, ys := randomMatrix(rng, cc.rows, c).Float32s(), randomMatrix(rng, n, d).Float32s()
		at := &graph.Pairs{N: n, R: cc.rows}
		weights := make([]float32, n*cc.rows)
		for i := range n {
			for _, col := range []int{i * cc.rows / n, (i*cc.rows/n + 1) % cc.rows, (i*cc.rows/n + cc.rows - 1) % cc.rows} {
				at.Rows, at.Cols = append(at.Rows, i), append(at.Cols, col)
				weights[i*cc.rows+col] = float32(rng.NormFloat64())
			}
		}
		dense, denseGrads := scoresAndGradients(t, cc.build, xs, ys, weights, n, cc.rows, c, d, nil)
		sparse, sparseGrads := scoresAndGradients(t, cc.build, xs, ys, weights, n, cc.rows, c, d, at)
		listed := make([]bool, len(weights))
		for k := range at.Rows {
			listed[at.Rows[k]*cc.rows+at.Cols[k]] = true
		}
		for i, v := range sparse {
			if (listed[i] && !close32(v, dense[i])) || (!listed[i] && v != 0) {
				t.Fatalf("%s: entry %d: ScoresAt %v, Scores %v (listed: %v)", cc.name, i, v, dense[i], listed[i])
			}
		}
		for p := range denseGrads {
			for i, v := range sparseGrads[p] {
				if !close32(v, denseGrads[p][i]) {
					t.Fatalf("%s: gradient %d, element %d: %v with ScoresAt, %v with Scores", cc.name, p, i, v, denseGrads[p][i])
				}
			}
		}
	}
}

func close32(a, b float64) bool { return math.Abs(a-b) <= 1e-5*(1+math.Abs(b)) }

// scoresAndGradients builds a critic into a fresh graph, scores x (rows, c)
// against y (n, d), every pair (at nil) or the listed ones, and returns the
// scores and the gradients of Σ weights ⊙ scores in the critic's
// parameters, then x, then y.
func scoresAndGradients(t *testing.T, build func(*G.ExprGraph) subsetScored, xs, ys, weights []float32, n, rows, c, d int, at *graph.Pairs) ([]float64, [][]float64) {
	t.Helper()
	g := G.NewGraph()
	cr := build(g)
	x, y := matrixNode(g, "x", rows, c, xs), matrixNode(g, "y", n, d, ys)
	w := matrixNode(g, "w", n, rows, weights)
	var s *G.Node
	var err error
	if at == nil {
		s, err = cr.Scores(x, y)
	} else {
		s, err = cr.ScoresAt(x, y, at)
	}
	if err != nil {
		t.Fatal(err)
	}
	wrt := append(cr.Learnables(), x, y)
	if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(s, w)))), wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	grads := make([][]float64, len(wrt))
	for i, p := range wrt {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range gv.Data().([]float32) {
			grads[i] = append(grads[i], float64(v))
		}
	}
	return values64(s), grads
}
