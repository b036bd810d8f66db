package architectures

import (
	"fmt"

	"github.com/infomax/infomax/internal/graph"
	G "gorgonia.org/gorgonia"
)

func init() {
	RegisterPairCritic(PairCriticInfo{
		Name:    "separable",
		Summary: "g(x)ᵀh(y): two MLP embeddings scored by a dot product (Poole et al. 2019)",
		New:     newSeparableCritic,
		NewApart: func(gx, gy *G.ExprGraph, spec CriticSpec) (Embedder, error) {
			return NewSeparableCriticApart(gx, gy, spec.initializer(), spec)
		},
	})
}

// SeparableCritic scores a pair by the dot product of two embeddings,
// f(x, y) = g(x)ᵀh(y). [NewSeparableCritic] makes g and h MLPs with
// spec.Layers hidden layers of spec.Hidden ReLU units and spec.Embed
// outputs; [NewSeparableConvCritic] puts convolutions before them. Scoring
// every pairing of a batch costs a pass of each network over its n inputs
// and one (n, embed) x (embed, n) product, so it is much cheaper than
// [ConcatCritic] at the same width.
type SeparableCritic struct {
	// G embeds x and H embeds y: MLPs, or ConvEmbeddings for
	// [NewSeparableConvCritic].
	G, H SideNetwork
}

// SideNetwork is the network of one side of a [SeparableCritic]: it maps
// a batch of inputs, (n, d), to their embeddings, (n, embed).
type SideNetwork interface {
	Forward(x *G.Node) (*G.Node, error)
	Learnables() G.Nodes
}

// NewSeparableCritic builds a separable critic into g with weights drawn
// from init.
func NewSeparableCritic(g *G.ExprGraph, init *Init, spec CriticSpec) (*SeparableCritic, error) {
	return NewSeparableCriticApart(g, g, init, spec)
}

// NewSeparableCriticApart builds a separable critic with g, the
// embedding of x, into graph gx and h, the embedding of y, into gy, with
// the weights NewSeparableCritic draws from init: an [Embedder] whose two
// sides a trainer can run apart.
func NewSeparableCriticApart(gx, gy *G.ExprGraph, init *Init, spec CriticSpec) (*SeparableCritic, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("separable critic: %w", err)
	}
	g, err := NewMLP(gx, init, "separable.g", mlpSizes(spec.DimX, spec.Hidden, spec.Layers, spec.Embed)...)
	if err != nil {
		return nil, err
	}
	h, err := NewMLP(gy, init, "separable.h", mlpSizes(spec.DimY, spec.Hidden, spec.Layers, spec.Embed)...)
	if err != nil {
		return nil, err
	}
	return &SeparableCritic{G: g, H: h}, nil
}

func newSeparableCritic(g *G.ExprGraph, spec CriticSpec) (PairCritic, error) {
	return NewSeparableCritic(g, spec.initializer(), spec)
}

// Scores returns the (n, n) matrix H Gᵀ, whose entry [i][j] is
// h(y_i)·g(x_j) = f(x_j, y_i).
func (c *SeparableCritic) Scores(x, y *G.Node) (*G.Node, error) {
	if err := checkPairBatch(x, y); err != nil {
		return nil, fmt.Errorf("separable critic: %w", err)
	}
	gx, err := c.G.Forward(x)
	if err != nil {
		return nil, err
	}
	hy, err := c.H.Forward(y)
	if err != nil {
		return nil, err
	}
	return c.ScoresOf(gx, hy)
}

// EmbedX returns g(x).
func (c *SeparableCritic) EmbedX(x *G.Node) (*G.Node, error) { return c.G.Forward(x) }

// EmbedY returns h(y).
func (c *SeparableCritic) EmbedY(y *G.Node) (*G.Node, error) { return c.H.Forward(y) }

// ScoresOf returns H Gᵀ for the embeddings gx = g(x) and hy = h(y).
func (c *SeparableCritic) ScoresOf(gx, hy *G.Node) (*G.Node, error) { return graph.MatMulT(hy, gx) }

// LearnablesX returns g's parameters.
func (c *SeparableCritic) LearnablesX() G.Nodes { return c.G.Learnables() }

// LearnablesY returns h's parameters.
func (c *SeparableCritic) LearnablesY() G.Nodes { return c.H.Learnables() }

// Learnables returns the parameters of g, then those of h.
func (c *SeparableCritic) Learnables() G.Nodes {
	return append(c.LearnablesX(), c.LearnablesY()...)
}

// mlpSizes lists the layer sizes of an MLP from in to out with the given
// number of hidden layers of width hidden.
func mlpSizes(in, hidden, layers, out int) []int {
	sizes := []int{in}
	for i := 0; i < layers; i++ {
		sizes = append(sizes, hidden)
	}
	return append(sizes, out)
}

// checkPairBatch reports whether x and y are matrices holding the same
// number of samples.
func checkPairBatch(x, y *G.Node) error {
	xs, ys := x.Shape(), y.Shape()
	if xs.Dims() != 2 || ys.Dims() != 2 {
		return fmt.Errorf("x and y must be matrices (batch, features), got shapes %v and %v", xs, ys)
	}
	if xs[0] != ys[0] {
		return fmt.Errorf("x and y hold %d and %d samples; a pair batch needs the same number", xs[0], ys[0])
	}
	return nil
}
