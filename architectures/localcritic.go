package architectures

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

// LocalCritic scores the global code of every image of a batch against
// every location of every image's local feature map.
type LocalCritic interface {
	// Scores returns the (N, N*L) matrix whose entry [i][j*L + l] is
	// T(L_{j,l}, Y_i), for the local map in row layout localRows of shape
	// (N*L, C) (row j*L + l is location l of image j, as
	// [EncoderOutput.LocalRows]) and the codes y of shape (N, D). The
	// columns are laid out as estimators.Blocks(N, L) expects.
	Scores(localRows, y *G.Node) (*G.Node, error)
	// Learnables returns the trainable parameters.
	Learnables() G.Nodes
}

// LocalCriticSpec gives the sizes of a local critic.
type LocalCriticSpec struct {
	// LocalChannels is the depth C of the local map (128 in the paper);
	// GlobalDim is the size of Y (64).
	LocalChannels, GlobalDim int
	// Units is the embedding width of encode-and-dot critics (mi_units:
	// 2048 in the paper) and the hidden width of concat-and-convolve
	// critics (512).
	Units int
	// IdentityY leaves Y unembedded in an encode-and-dot critic where
	// GlobalDim equals Units, as the official code's NopNet does; Y is
	// embedded otherwise, and always when it is false (the default).
	IdentityY bool
}

// Validate reports whether the sizes are possible.
func (s LocalCriticSpec) Validate() error {
	if s.LocalChannels <= 0 || s.GlobalDim <= 0 || s.Units <= 0 {
		return fmt.Errorf("local critic: channels %d, code size %d and units %d must be positive", s.LocalChannels, s.GlobalDim, s.Units)
	}
	return nil
}

func init() {
	RegisterLocalCritic(LocalCriticInfo{
		Name:    "encode-and-dot",
		Summary: "φ(L)ᵀψ(Y): 1x1-conv embeddings of each location and of Y, scored by a dot product (the paper's default)",
		New: func(g *G.ExprGraph, init *Init, spec LocalCriticSpec) (LocalCritic, error) {
			return NewEncodeAndDot(g, init, spec)
		},
	})
	RegisterLocalCritic(LocalCriticInfo{
		Name:    "concat-and-convolve",
		Summary: "T([L, Y]): Y tiled onto every location, concatenated, then 1x1 convolutions (in dim, 512 wide unless mi_units is set)",
		New: func(g *G.ExprGraph, init *Init, spec LocalCriticSpec) (LocalCritic, error) {
			return NewConcatAndConvolve(g, init, spec)
		},
	})
}

// EmbedNet is the official DIM's MI1x1ConvNet on row-layout inputs (a 1x1
// convolution is a matrix product on rows): a linear layer to Units
// without bias → batch norm → ReLU → linear Units→Units with bias, plus a
// linear shortcut without bias, then layer norm over the Units channels.
// As in the official code, the shortcut starts as a noisy identity (ones
// on the diagonal, uniform ±0.01 elsewhere) only when Units >= in; a
// narrowing shortcut (Units < in) has no identity to start from and keeps
// PyTorch's default initialisation of a 1x1 convolution, uniform in
// ±1/sqrt(in) (see [NewShortcut]).
type EmbedNet struct {
	First  *Linear
	BN     *BatchNorm
	Second *Linear
	// Shortcut is the linear shortcut, (in, units).
	Shortcut *Linear
	LN       *LayerNorm
}

// NewEmbedNet builds an EmbedNet from in to units channels into g.
func NewEmbedNet(g *G.ExprGraph, init *Init, name string, in, units int) (*EmbedNet, error) {
	if in <= 0 || units <= 0 {
		return nil, fmt.Errorf("embedding net %s: sizes %d -> %d must be positive", name, in, units)
	}
	e := &EmbedNet{}
	var err error
	if e.First, err = NewLinear(g, init, name+".0", in, units, false); err != nil {
		return nil, err
	}
	if e.BN, err = NewBatchNorm(g, name+".bn", units); err != nil {
		return nil, err
	}
	if e.Second, err = NewLinear(g, init, name+".1", units, units, true); err != nil {
		return nil, err
	}
	e.Shortcut = NewShortcut(g, init, name+".shortcut", in, units)
	if e.LN, err = NewLayerNorm(g, name+".ln", units); err != nil {
		return nil, err
	}
	return e, nil
}

// NewShortcut builds the linear shortcut of an [EmbedNet], weights (in,
// units) without bias, initialised as the official MI1x1ConvNet does: when
// units >= in, a noisy identity (entry [i][i] is 1 for every input channel
// i, the others uniform in ±0.01); when units < in, PyTorch's default for
// the 1x1 convolution, uniform in ±1/sqrt(in) with no identity.
func NewShortcut(g *G.ExprGraph, init *Init, name string, in, units int) *Linear {
	if units < in {
		return &Linear{W: init.Uniform(g, name, 1/math.Sqrt(float64(in)), in, units)}
	}
	sc := init.Uniform(g, name, 0.01, in, units)
	w := sc.Value().Data().([]float32)
	for i := 0; i < in; i++ {
		w[i*units+i] = 1
	}
	return &Linear{W: sc}
}

// Forward embeds the rows of x, (R, in) → (R, units). A nil EmbedNet is
// the identity, the official code's NopNet, and returns x.
func (e *EmbedNet) Forward(x *G.Node) (*G.Node, error) {
	if e == nil {
		return x, nil
	}
	h, err := e.First.Forward(x)
	if err != nil {
		return nil, err
	}
	if h, err = e.BN.ForwardReLU(h); err != nil {
		return nil, err
	}
	if h, err = graph.MatMul(h, e.Second.W); err != nil {
		return nil, err
	}
	s, err := e.Shortcut.Forward(x)
	if err != nil {
		return nil, err
	}
	if e.Second.B == nil {
		h, err = G.Add(h, s)
	} else {
		h, err = graph.AddBiasAdd(h, e.Second.B, s) // (h W₂ + b₂) + s
	}
	if err != nil {
		return nil, err
	}
	return e.LN.Forward(h)
}

// SetTraining puts the net's batch norm in training (true) or evaluation
// (false) mode; a nil EmbedNet has none.
func (e *EmbedNet) SetTraining(training bool) {
	if e != nil {
		e.BN.SetTraining(training)
	}
}

// Learnables returns every parameter: none for a nil EmbedNet.
func (e *EmbedNet) Learnables() G.Nodes {
	if e == nil {
		return nil
	}
	ns := e.First.Learnables()
	ns = append(ns, e.BN.Learnables()...)
	ns = append(ns, e.Second.Learnables()...)
	ns = append(ns, e.Shortcut.Learnables()...)
	return append(ns, e.LN.Learnables()...)
}

// EncodeAndDot is the official DIM's local critic: the local map and Y are
// each embedded to Units channels by an [EmbedNet], and a pair is scored by
// the dot product of the embeddings. Y is embedded even when its size
// equals Units, where the official code uses Y as it is (a NopNet), unless
// the spec's IdentityY asks for the official code's choice.
type EncodeAndDot struct {
	// Local embeds the local map; Global embeds Y, and is nil where Y goes
	// unembedded.
	Local, Global *EmbedNet
}

// NewEncodeAndDot builds an encode-and-dot critic into g.
func NewEncodeAndDot(g *G.ExprGraph, init *Init, spec LocalCriticSpec) (*EncodeAndDot, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	local, global, err := newEmbedPair(g, init, "local.l", "local.g", spec.LocalChannels, spec.GlobalDim, spec.Units, spec.IdentityY)
	if err != nil {
		return nil, err
	}
	return &EncodeAndDot{Local: local, Global: global}, nil
}

// Scores returns the (N, N*L) matrix of ⟨φ(Y_i), ψ(L_{j,l})⟩.
func (c *EncodeAndDot) Scores(localRows, y *G.Node) (*G.Node, error) {
	if _, err := localBatch(localRows, y); err != nil {
		return nil, fmt.Errorf("encode-and-dot critic: %w", err)
	}
	return embedDotScores(c.Local, c.Global, localRows, y)
}

// EmbedsY reports whether an encode-and-dot critic units wide embeds codes
// of codeDim: always, unless identityY asks for the official code's NopNet
// and the codes are already that wide.
func EmbedsY(identityY bool, codeDim, units int) bool {
	return !identityY || codeDim != units
}

// newEmbedPair builds the embedding nets of an encode-and-dot critic into
// g: one from mapDim to units channels named mapName, then one from codeDim
// named codeName, which is nil (Y goes unembedded, the official code's
// NopNet) where identityY is set and codeDim equals units.
func newEmbedPair(g *G.ExprGraph, init *Init, mapName, codeName string, mapDim, codeDim, units int, identityY bool) (m, y *EmbedNet, err error) {
	if m, err = NewEmbedNet(g, init, mapName, mapDim, units); err != nil {
		return nil, nil, err
	}
	if !EmbedsY(identityY, codeDim, units) {
		return m, nil, nil
	}
	if y, err = NewEmbedNet(g, init, codeName, codeDim, units); err != nil {
		return nil, nil, err
	}
	return m, y, nil
}

// embedDotScores returns the (N, R) matrix of ⟨φ(Y_i), ψ(M_r)⟩ of an
// encode-and-dot critic: the rows of features (R, C) embedded by m, the
// codes (N, D) embedded by codes.
func embedDotScores(m, codes *EmbedNet, features, y *G.Node) (*G.Node, error) {
	psi, err := m.Forward(features) // (R, U)
	if err != nil {
		return nil, err
	}
	phi, err := codes.Forward(y) // (N, U)
	if err != nil {
		return nil, err
	}
	return dotScores(phi, psi)
}

// setEmbedTraining puts the batch norms of an encode-and-dot critic's nets
// m and codes in training (true) or evaluation (false) mode.
func setEmbedTraining(m, codes *EmbedNet, training bool) {
	m.SetTraining(training)
	codes.SetTraining(training)
}

// embedLearnables returns the parameters of an encode-and-dot critic's nets:
// those of m, then those of codes.
func embedLearnables(m, codes *EmbedNet) G.Nodes {
	return append(m.Learnables(), codes.Learnables()...)
}

// dotScores returns a bᵀ-style score matrix phi psiᵀ of shape (rows of
// phi, rows of psi). Where graph.MatMulT reads psi transposed in place it
// is that one product. Elsewhere it multiplies psi by the small transpose
// of phi and transposes the small result, never the large psi, as it
// always did: those BLASes sum a transposed operand in another order, and
// this keeps their bits.
func dotScores(phi, psi *G.Node) (*G.Node, error) {
	if graph.MatMulTInPlace(phi, psi) {
		return graph.MatMulT(phi, psi)
	}
	pt, err := graph.Transpose(phi)
	if err != nil {
		return nil, err
	}
	st, err := graph.MatMul(psi, pt)
	if err != nil {
		return nil, err
	}
	return graph.Transpose(st)
}

// SetTraining puts the embedding nets' batch norms in training (true) or
// evaluation (false) mode.
func (c *EncodeAndDot) SetTraining(training bool) {
	setEmbedTraining(c.Local, c.Global, training)
}

// Learnables returns every parameter.
func (c *EncodeAndDot) Learnables() G.Nodes { return embedLearnables(c.Local, c.Global) }

// ConcatAndConvolve is DIM-v0's local critic: Y is broadcast to every
// location and concatenated with the local map, and a 1x1-convolution net
// Units–Units–1 with ReLUs (no batch norm, no final nonlinearity) scores
// each location.
//
// Scoring every (Y_i, L_{j,l}) pair never materialises the concatenation:
// the first layer is linear, W[l; y] + b = (W_l l + b) + W_y y, so its
// pre-activations are the broadcast sum of the N*L rows of the local term
// with the N rows of the code term. The layers after the first run on all
// N*N*L pairs, so this critic costs N times as much as encode-and-dot at
// the same width: at the paper's sizes (N=64, L=64, 512 units) the second
// layer alone is 69 GFLOP per forward pass. Use small batches or widths.
type ConcatAndConvolve struct {
	// FirstLocal (with the bias) and FirstGlobal (without) are the first
	// layer's weights on the local features and on Y.
	FirstLocal, FirstGlobal *Linear
	// Rest is ReLU → Units→Units → ReLU → Units→1.
	Rest *MLP
}

// NewConcatAndConvolve builds a concat-and-convolve critic into g. The
// first layer is initialised as one layer on C+D inputs would be.
func NewConcatAndConvolve(g *G.ExprGraph, init *Init, spec LocalCriticSpec) (*ConcatAndConvolve, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	first, y, rest, err := newSplitMLP(g, init, "local.cc", spec.LocalChannels, spec.GlobalDim, spec.Units)
	if err != nil {
		return nil, err
	}
	return &ConcatAndConvolve{FirstLocal: first, FirstGlobal: y, Rest: rest}, nil
}

// newSplitMLP builds an MLP (dx+dy)→hidden→hidden→1 whose first layer is
// split into its x part (with the bias) and its y part.
func newSplitMLP(g *G.ExprGraph, init *Init, name string, dx, dy, hidden int) (*Linear, *Linear, *MLP, error) {
	bound := 1 / math.Sqrt(float64(dx+dy))
	fx := &Linear{W: init.Uniform(g, name+".0.wx", bound, dx, hidden), B: init.Uniform(g, name+".0.b", bound, hidden)}
	fy := &Linear{W: init.Uniform(g, name+".0.wy", bound, dy, hidden)}
	rest := &MLP{}
	for i, sizes := range [][2]int{{hidden, hidden}, {hidden, 1}} {
		l, err := NewLinear(g, init, fmt.Sprintf("%s.%d", name, i+1), sizes[0], sizes[1], true)
		if err != nil {
			return nil, nil, nil, err
		}
		rest.Layers = append(rest.Layers, l)
	}
	return fx, fy, rest, nil
}

// splitFirst returns the two parts of a split MLP's first layer: a = x
// W₁ₓ + b of shape (R, H) and b = y W₁ᵧ of shape (N, H).
func splitFirst(fx, fy *Linear, x, y *G.Node) (a, b *G.Node, err error) {
	if a, err = fx.Forward(x); err != nil {
		return nil, nil, err
	}
	if b, err = fy.Forward(y); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// splitScores evaluates a split MLP on every pairing of the rows of x
// (R, dx) with the rows of y (N, dy), giving (N, R) with [i][r] = T(x_r, y_i).
func splitScores(fx, fy *Linear, rest *MLP, x, y *G.Node) (*G.Node, error) {
	a, b, err := splitFirst(fx, fy, x, y)
	if err != nil {
		return nil, err
	}
	r, n := a.Shape()[0], b.Shape()[0]
	out, err := graph.AllPairSums(b, a) // row i·r + j: b_i + a_j
	if err != nil {
		return nil, err
	}
	if out, err = graph.ReLU(out); err != nil {
		return nil, err
	}
	if out, err = rest.Forward(out); err != nil {
		return nil, err
	}
	return G.Reshape(out, tensor.Shape{n, r})
}

// Scores returns the (N, N*L) matrix of T([L_{j,l}, Y_i]).
func (c *ConcatAndConvolve) Scores(localRows, y *G.Node) (*G.Node, error) {
	if _, err := localBatch(localRows, y); err != nil {
		return nil, fmt.Errorf("concat-and-convolve critic: %w", err)
	}
	return splitScores(c.FirstLocal, c.FirstGlobal, c.Rest, localRows, y)
}

// ScoresAt returns the scores of Scores at the entries at lists, zero
// elsewhere (see [PairSubsetScorer]).
func (c *ConcatAndConvolve) ScoresAt(localRows, y *G.Node, at *graph.Pairs) (*G.Node, error) {
	if _, err := localBatch(localRows, y); err != nil {
		return nil, fmt.Errorf("concat-and-convolve critic: %w", err)
	}
	return splitScoresAt(c.FirstLocal, c.FirstGlobal, c.Rest, localRows, y, at)
}

// splitScoresAt evaluates a split MLP as splitScores does, but only at the
// entries at lists: their first-layer pre-activations are gathered as
// sums of a row of each part, the later layers run on those rows only,
// and the scores are scattered into an (N, R) matrix, zero elsewhere.
func splitScoresAt(fx, fy *Linear, rest *MLP, x, y *G.Node, at *graph.Pairs) (*G.Node, error) {
	if n, r := y.Shape()[0], x.Shape()[0]; at.N != n || at.R != r {
		return nil, fmt.Errorf("pairs of a %dx%d score matrix for %d codes and %d feature rows", at.N, at.R, n, r)
	}
	a, b, err := splitFirst(fx, fy, x, y)
	if err != nil {
		return nil, err
	}
	out, err := graph.GatherPairSums(b, a, at) // (P, H)
	if err != nil {
		return nil, err
	}
	if out, err = graph.ReLU(out); err != nil {
		return nil, err
	}
	if out, err = rest.Forward(out); err != nil { // (P, 1)
		return nil, err
	}
	return graph.ScatterPairs(out, at)
}

// Learnables returns the first layer's parameters, then the others'.
func (c *ConcatAndConvolve) Learnables() G.Nodes {
	return splitLearnables(c.FirstLocal, c.FirstGlobal, c.Rest)
}

// splitLearnables returns the parameters of a split MLP (see newSplitMLP):
// the first layer's x weights, its bias and its y weights, then the other
// layers'.
func splitLearnables(fx, fy *Linear, rest *MLP) G.Nodes {
	return append(G.Nodes{fx.W, fx.B, fy.W}, rest.Learnables()...)
}

// localBatch checks the shapes of a local map in row layout and a batch of
// codes, and returns the number of locations per image.
func localBatch(localRows, y *G.Node) (int, error) {
	ls, ys := localRows.Shape(), y.Shape()
	if ls.Dims() != 2 || ys.Dims() != 2 {
		return 0, fmt.Errorf("local rows %v and codes %v must be matrices", ls, ys)
	}
	if ys[0] == 0 || ls[0]%ys[0] != 0 {
		return 0, fmt.Errorf("%d local rows are not a whole number of locations for each of %d codes", ls[0], ys[0])
	}
	return ls[0] / ys[0], nil
}
