package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/internal/graph"
)

// GlobalCritic scores every pairing of the global code of one image with
// the (flattened) feature map of another.
type GlobalCritic interface {
	// Scores returns the (N, N) matrix whose entry [i][j] is T(M_j, Y_i),
	// for features of shape (N, F) (the flattened conv map,
	// [EncoderOutput.ConvFlat]) and codes y of shape (N, D): the diagonal
	// holds the positive pairs, as estimators.Diagonal(N) expects.
	Scores(features, y *G.Node) (*G.Node, error)
	// Learnables returns the trainable parameters.
	Learnables() G.Nodes
}

// GlobalCriticSpec gives the sizes of a global critic.
type GlobalCriticSpec struct {
	// FeatureDim is the size F of a flattened feature map (4096 for the
	// paper's 256x4x4 conv map); GlobalDim is the size of Y (64).
	FeatureDim, GlobalDim int
	// Units is the hidden width of the concat critic (512) and the
	// embedding width of the encode-and-dot critic.
	Units int
	// IdentityY leaves Y unembedded in the encode-and-dot critic where
	// GlobalDim equals Units, as the official code's NopNet does (see
	// [LocalCriticSpec]).
	IdentityY bool
}

// Validate reports whether the sizes are possible.
func (s GlobalCriticSpec) Validate() error {
	if s.FeatureDim <= 0 || s.GlobalDim <= 0 || s.Units <= 0 {
		return fmt.Errorf("global critic: feature size %d, code size %d and units %d must be positive", s.FeatureDim, s.GlobalDim, s.Units)
	}
	return nil
}

func init() {
	RegisterGlobalCritic(GlobalCriticInfo{
		Name:    "concat",
		Summary: "T([M, Y]): an MLP on the flattened feature map and Y (the paper's)",
		New: func(g *G.ExprGraph, init *Init, spec GlobalCriticSpec) (GlobalCritic, error) {
			return NewConcatGlobal(g, init, spec)
		},
	})
	RegisterGlobalCritic(GlobalCriticInfo{
		Name:    "encode-and-dot",
		Summary: "φ(M)ᵀψ(Y): embeddings of the flattened feature map and of Y, scored by a dot product",
		New: func(g *G.ExprGraph, init *Init, spec GlobalCriticSpec) (GlobalCritic, error) {
			return NewEncodeAndDotGlobal(g, init, spec)
		},
	})
}

// ConcatGlobal is the paper's global critic: an MLP on [M flattened, Y]
// with hidden layers Units–Units (ReLU) and one output. The N² pairs are
// scored without building the concatenations: the first layer is split
// into its M part (with the bias) and its Y part, whose outputs are added
// by broadcasting, so only the two later layers run on N² rows.
type ConcatGlobal struct {
	FirstFeatures, FirstGlobal *Linear
	// Rest is ReLU → Units→Units → ReLU → Units→1.
	Rest *MLP
}

// NewConcatGlobal builds a concat global critic into g.
func NewConcatGlobal(g *G.ExprGraph, init *Init, spec GlobalCriticSpec) (*ConcatGlobal, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	fx, fy, rest, err := newSplitMLP(g, init, "global.cc", spec.FeatureDim, spec.GlobalDim, spec.Units)
	if err != nil {
		return nil, err
	}
	return &ConcatGlobal{FirstFeatures: fx, FirstGlobal: fy, Rest: rest}, nil
}

// Scores returns the (N, N) matrix of T([M_j, Y_i]).
func (c *ConcatGlobal) Scores(features, y *G.Node) (*G.Node, error) {
	if err := globalBatch(features, y); err != nil {
		return nil, fmt.Errorf("concat global critic: %w", err)
	}
	return splitScores(c.FirstFeatures, c.FirstGlobal, c.Rest, features, y)
}

// ScoresAt returns the scores of Scores at the entries at lists, zero
// elsewhere (see [PairSubsetScorer]): with one negative per positive, the
// two later layers run on 2N rows instead of N².
func (c *ConcatGlobal) ScoresAt(features, y *G.Node, at *graph.Pairs) (*G.Node, error) {
	if err := globalBatch(features, y); err != nil {
		return nil, fmt.Errorf("concat global critic: %w", err)
	}
	return splitScoresAt(c.FirstFeatures, c.FirstGlobal, c.Rest, features, y, at)
}

// Learnables returns the first layer's parameters, then the others'.
func (c *ConcatGlobal) Learnables() G.Nodes {
	return splitLearnables(c.FirstFeatures, c.FirstGlobal, c.Rest)
}

// EncodeAndDotGlobal embeds the flattened feature map and Y to Units
// channels with [EmbedNet]s and scores a pair by the dot product, as the
// official code's GlobalDIM does (it embeds the map through copies of the
// encoder's later layers; here one EmbedNet stands in for them). Y is
// embedded even when its size equals Units, unless the spec's IdentityY
// asks for the official code's NopNet (see [EncodeAndDot]).
type EncodeAndDotGlobal struct {
	// Features embeds the feature map; Global embeds Y, and is nil where Y
	// goes unembedded.
	Features, Global *EmbedNet
}

// NewEncodeAndDotGlobal builds an encode-and-dot global critic into g.
func NewEncodeAndDotGlobal(g *G.ExprGraph, init *Init, spec GlobalCriticSpec) (*EncodeAndDotGlobal, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	features, global, err := newEmbedPair(g, init, "global.m", "global.g", spec.FeatureDim, spec.GlobalDim, spec.Units, spec.IdentityY)
	if err != nil {
		return nil, err
	}
	return &EncodeAndDotGlobal{Features: features, Global: global}, nil
}

// Scores returns the (N, N) matrix of ⟨φ(Y_i), ψ(M_j)⟩.
func (c *EncodeAndDotGlobal) Scores(features, y *G.Node) (*G.Node, error) {
	if err := globalBatch(features, y); err != nil {
		return nil, fmt.Errorf("encode-and-dot global critic: %w", err)
	}
	return embedDotScores(c.Features, c.Global, features, y)
}

// SetTraining puts the embedding nets' batch norms in training (true) or
// evaluation (false) mode.
func (c *EncodeAndDotGlobal) SetTraining(training bool) {
	setEmbedTraining(c.Features, c.Global, training)
}

// Learnables returns every parameter.
func (c *EncodeAndDotGlobal) Learnables() G.Nodes { return embedLearnables(c.Features, c.Global) }

func globalBatch(features, y *G.Node) error {
	fs, ys := features.Shape(), y.Shape()
	if fs.Dims() != 2 || ys.Dims() != 2 || fs[0] != ys[0] {
		return fmt.Errorf("features %v and codes %v must be matrices with the same number of rows", fs, ys)
	}
	return nil
}
