package architectures

import (
	"github.com/infomax/infomax/internal/graph"

	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

func init() {
	RegisterPairCritic(PairCriticInfo{
		Name:    "concat",
		Summary: "T([x, y]): one MLP on the concatenated pair, evaluated on all n² pairings",
		New:     newConcatCritic,
	})
}

// ConcatCritic scores a pair with one MLP on the concatenation [x, y], with
// spec.Layers hidden layers of spec.Hidden ReLU units and a single output.
//
// Scoring a batch of n samples evaluates the MLP on all n² pairings. The
// pairs are never materialised: the first layer is linear, so
// W₁[x; y] + b = (x W₁ₓ + b) + y W₁ᵧ, and the n² first-layer
// pre-activations are the broadcast sum of the n rows of x W₁ₓ + b with the
// n rows of y W₁ᵧ. Only the layers after the first run on n² rows. Its cost
// is still n times that of [SeparableCritic] at the same width.
type ConcatCritic struct {
	// FirstX and FirstY are the first layer's weights on x (with the bias)
	// and on y (without): together they are W₁ = [W₁ₓ; W₁ᵧ].
	FirstX, FirstY *Linear
	// Rest holds the layers after the first, preceded by a Rectify (a ReLU
	// that keeps gorgonia's bits); it is nil when the critic has no hidden
	// layer and is linear in [x, y].
	Rest *MLP
}

// NewConcatCritic builds a concat critic into g with weights drawn from
// init. The first layer is initialised as one Linear layer on dx+dy inputs
// would be, uniform in ±1/sqrt(dx+dy).
func NewConcatCritic(g *G.ExprGraph, init *Init, spec CriticSpec) (*ConcatCritic, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("concat critic: %w", err)
	}
	first := 1
	if spec.Layers > 0 {
		first = spec.Hidden
	}
	in := spec.DimX + spec.DimY
	bound := 1 / math.Sqrt(float64(in))
	c := &ConcatCritic{
		FirstX: &Linear{
			W: init.Uniform(g, "concat.0.wx", bound, spec.DimX, first),
			B: init.Uniform(g, "concat.0.b", bound, first),
		},
		FirstY: &Linear{W: init.Uniform(g, "concat.0.wy", bound, spec.DimY, first)},
	}
	if spec.Layers > 0 {
		sizes := mlpSizes(spec.Hidden, spec.Hidden, spec.Layers-1, 1)
		rest := &MLP{}
		for i := 0; i+1 < len(sizes); i++ {
			l, err := NewLinear(g, init, fmt.Sprintf("concat.%d", i+1), sizes[i], sizes[i+1], true)
			if err != nil {
				return nil, err
			}
			rest.Layers = append(rest.Layers, l)
		}
		c.Rest = rest
	}
	return c, nil
}

func newConcatCritic(g *G.ExprGraph, spec CriticSpec) (PairCritic, error) {
	return NewConcatCritic(g, spec.initializer(), spec)
}

// Scores returns the (n, n) matrix whose entry [i][j] is T([x_j, y_i]).
func (c *ConcatCritic) Scores(x, y *G.Node) (*G.Node, error) {
	if err := checkPairBatch(x, y); err != nil {
		return nil, fmt.Errorf("concat critic: %w", err)
	}
	n := x.Shape()[0]
	a, err := c.FirstX.Forward(x) // (n, h): row j is x_j W₁ₓ + b
	if err != nil {
		return nil, err
	}
	b, err := c.FirstY.Forward(y) // (n, h): row i is y_i W₁ᵧ
	if err != nil {
		return nil, err
	}
	// Row i·n + j of the (n·n, h) sums is b_i + a_j; with hidden layers,
	// rectified as they are made (Rectify's bits, one pass fewer).
	if c.Rest == nil {
		out, err := graph.AllPairSums(b, a)
		if err != nil {
			return nil, err
		}
		return G.Reshape(out, []int{n, n})
	}
	out, err := graph.AllPairSumsRectify(b, a)
	if err != nil {
		return nil, err
	}
	if out, err = c.Rest.Forward(out); err != nil {
		return nil, err
	}
	return G.Reshape(out, []int{n, n})
}

// Learnables returns the first layer's parameters, then the others'.
func (c *ConcatCritic) Learnables() G.Nodes {
	ns := G.Nodes{c.FirstX.W, c.FirstX.B, c.FirstY.W}
	if c.Rest != nil {
		ns = append(ns, c.Rest.Learnables()...)
	}
	return ns
}
