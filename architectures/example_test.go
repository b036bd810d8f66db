package architectures_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
)

// Bilinear scores a pair by one bilinear form, T(x, y) = xᵀWy. It lives in
// this example to show how a pair critic is added: one file in
// architectures/, registered in init, named in a sweep file as
// critic = "example-bilinear", and held by go test ./architectures, as
// every registered critic of vectors, to PairCritic's contract.
type Bilinear struct{ W *G.Node }

func init() {
	architectures.RegisterPairCritic(architectures.PairCriticInfo{
		Name:    "example-bilinear",
		Summary: "xᵀWy (the worked example of adding a pair critic)",
		New: func(g *G.ExprGraph, spec architectures.CriticSpec) (architectures.PairCritic, error) {
			if err := spec.Validate(); err != nil {
				return nil, fmt.Errorf("bilinear critic: %w", err)
			}
			bound := 1 / math.Sqrt(float64(spec.DimX))
			return Bilinear{W: architectures.NewInit(spec.Seed).Uniform(g, "bilinear.w", bound, spec.DimX, spec.DimY)}, nil
		},
	})
}

// Scores returns the (n, n) matrix whose entry [i][j] is T(x_j, y_i) =
// y_i · (x_j W): one row per y, one column per x.
func (c Bilinear) Scores(x, y *G.Node) (*G.Node, error) {
	xw, err := G.Mul(x, c.W) // (n, dy)
	if err != nil {
		return nil, err
	}
	return G.Mul(y, G.Must(G.Transpose(xw)))
}

// Learnables returns W.
func (c Bilinear) Learnables() G.Nodes { return G.Nodes{c.W} }

// Example_addingACritic builds the critic above by name, as a run does,
// and scores two x against two y.
func Example_addingACritic() {
	g := G.NewGraph()
	spec := architectures.CriticSpec{DimX: 2, DimY: 2, Hidden: 1, Embed: 1, Seed: 1}
	critic, err := architectures.NewPairCritic(g, "example-bilinear", spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := func(name string, v ...float32) *G.Node {
		return G.NewMatrix(g, architectures.Dtype, G.WithShape(2, 2), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(v))))
	}
	scores, err := critic.Scores(batch("x", 1, 0, 0, 1), batch("y", 1, 0, 0, 1))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := architectures.CheckScores("example-bilinear", scores, 2, 2); err != nil {
		fmt.Println(err)
		return
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	// With x and y the identity, scores[i][j] = W[j][i]: Wᵀ.
	w := critic.Learnables()[0].Value().Data().([]float32)
	s := scores.Value().Data().([]float32)
	fmt.Println(scores.Shape(), s[0] == w[0] && s[1] == w[2] && s[2] == w[1] && s[3] == w[3])
	// Output:
	// (2, 2) true
}
