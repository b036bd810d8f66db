package pair

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
)

// columnCritic is a plug-in critic with a bug: its Scores returns one
// score per pair, a column, where every pairing's (n, n) matrix is due.
type columnCritic struct{ w *G.Node }

func (c columnCritic) Scores(x, y *G.Node) (*G.Node, error) {
	xw, err := G.Mul(x, c.w)
	if err != nil {
		return nil, err
	}
	return G.Sum(G.Must(G.HadamardProd(xw, y)), 1)
}

func (c columnCritic) Learnables() G.Nodes { return G.Nodes{c.w} }

func init() {
	architectures.RegisterPairCritic(architectures.PairCriticInfo{
		Name: "test-column-scores", Summary: "a critic whose scores have the wrong shape, for a test",
		New: func(g *G.ExprGraph, spec architectures.CriticSpec) (architectures.PairCritic, error) {
			return columnCritic{architectures.NewInit(spec.Seed).Uniform(g, "column.w", 0.1, spec.DimX, spec.DimY)}, nil
		},
	})
}

// TestWrongScoreShapeNamesTheCritic checks that a critic returning scores
// of the wrong shape is named in the error, with the shape it must
// return, rather than reported by the estimator that reads them.
func TestWrongScoreShapeNamesTheCritic(t *testing.T) {
	_, err := New(Spec{Estimator: "infonce", Critic: "test-column-scores",
		CriticSpec: architectures.CriticSpec{DimX: 3, DimY: 3, Hidden: 2, Embed: 2}, BatchSize: 4, LR: 1e-3, Beta1: 0.9, Beta2: 0.999})
	want := `critic "test-column-scores": its scores have shape (4), want (4, 4)`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("New with a critic of column scores: %v\nwant one line containing %q", err, want)
	}
}

func init() {
	architectures.RegisterPairCritic(architectures.PairCriticInfo{
		Name: "test-nil-critic", Summary: "a critic whose factory returns neither a critic nor an error, for a test",
		New: func(*G.ExprGraph, architectures.CriticSpec) (architectures.PairCritic, error) { return nil, nil },
	})
}

// TestNilCriticNamesTheCritic checks that a critic factory returning
// neither a critic nor an error is an error naming the critic, not a
// nil-pointer panic while the model is built.
func TestNilCriticNamesTheCritic(t *testing.T) {
	_, err := New(Spec{Estimator: "infonce", Critic: "test-nil-critic",
		CriticSpec: architectures.CriticSpec{DimX: 3, DimY: 3, Hidden: 2, Embed: 2}, BatchSize: 4, LR: 1e-3, Beta1: 0.9, Beta2: 0.999})
	want := `critic "test-nil-critic": its New returned no critic and no error`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("New with a nil critic: %v\nwant an error containing %q", err, want)
	}
}
