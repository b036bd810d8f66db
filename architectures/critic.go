// Package architectures holds the networks infomax trains: the critics that
// score (x, y) pairs, and, for Deep InfoMax, the encoders and discriminators.
//
// Every network is built into a gorgonia graph by a constructor that
// validates its sizes. Critics for vector data register themselves by name,
// like estimators, so a sweep file can name them.
package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/internal/graph"
)

// PairCritic scores every pairing of a batch of x with a batch of y.
type PairCritic interface {
	// Scores returns the (n, n) matrix whose entry [i][j] is T(x_j, y_i),
	// for x of shape (n, dx) and y of shape (n, dy).
	Scores(x, y *G.Node) (*G.Node, error)
	// Learnables returns the trainable parameters.
	Learnables() G.Nodes
}

// Embedder is the optional ability of a pair critic whose scores combine
// an embedding of x with an embedding of y, each computed without the
// other (the separable critic): a trainer can compute the two at once,
// each on a core of its own. Built by [NewPairCriticApart], its x side is
// in one graph and its y side in another; the trainer embeds x and y in
// their graphs and combines the embeddings, as input nodes, in a third.
type Embedder interface {
	PairCritic
	// EmbedX and EmbedY embed x, of shape (n, dx), and y, (n, dy), each
	// in the graph of its side.
	EmbedX(x *G.Node) (*G.Node, error)
	EmbedY(y *G.Node) (*G.Node, error)
	// ScoresOf returns the (n, n) scores of embeddings ex and ey, in
	// their graph: what Scores returns for the x and y they embed.
	ScoresOf(ex, ey *G.Node) (*G.Node, error)
	// LearnablesX and LearnablesY are the parameters of each side:
	// Learnables is LearnablesX, then LearnablesY.
	LearnablesX() G.Nodes
	LearnablesY() G.Nodes
}

// PairSubsetScorer is the optional ability of a critic (local, global or
// pair) to score only some entries of its score matrix: those an
// estimator's mask does not ignore, such as one negative per positive. It
// is checked by type assertion, like http.Flusher; a caller without it
// scores every entry with Scores.
type PairSubsetScorer interface {
	// ScoresAt returns the matrix Scores(x, y) would, at the entries that
	// at lists, and zero everywhere else. It reads at's entries at every
	// run of the graph, so they may be rewritten in place between runs.
	ScoresAt(x, y *G.Node, at *graph.Pairs) (*G.Node, error)
}

// CheckScores returns nil when scores, what the critic registered as
// name returned from Scores (or ScoresOf, ScoresAt), has the shape (rows,
// cols) its estimator's mask has, else a one-line error that names the
// critic, both shapes and the contract: a plug-in critic that returns
// another shape is its author's mistake, and the estimator that reads the
// scores could not say whose.
func CheckScores(name string, scores *G.Node, rows, cols int) error {
	if s := scores.Shape(); s.Dims() != 2 || s[0] != rows || s[1] != cols {
		return fmt.Errorf("critic %q: its scores have shape %v, want (%d, %d): Scores returns one row per y and one column per x (see architectures.PairCritic, LocalCritic and GlobalCritic)",
			name, s, rows, cols)
	}
	return nil
}

// CriticSpec gives the sizes of a pair critic.
type CriticSpec struct {
	// DimX and DimY are the sizes of x and y.
	DimX, DimY int
	// Hidden is the width of each hidden layer; Layers is their number.
	Hidden, Layers int
	// Embed is the embedding size of separable critics.
	Embed int
	// ImageSide is, for a critic of images (one registered with Images),
	// the side of the square images x and y hold, flattened in NCHW
	// order: DimX and DimY are each a number of channels times
	// ImageSide². Critics of vectors leave it 0.
	ImageSide int
	// Channels are the output channels of an image critic's
	// convolutions, in order (the critic's default where empty).
	Channels []int
	// Seed seeds the critic's initial weights (through [NewInit]): the
	// same spec always builds the same network.
	Seed uint64
}

// Validate reports whether the sizes are possible.
func (s CriticSpec) Validate() error {
	switch {
	case s.DimX <= 0 || s.DimY <= 0:
		return fmt.Errorf("critic input sizes %d and %d must be positive", s.DimX, s.DimY)
	case s.Hidden <= 0:
		return fmt.Errorf("critic hidden width %d must be positive", s.Hidden)
	case s.Layers < 0:
		return fmt.Errorf("critic layer count %d must not be negative", s.Layers)
	case s.Embed <= 0:
		return fmt.Errorf("critic embedding size %d must be positive", s.Embed)
	}
	return nil
}

// ValidateImages reports whether the sizes are possible for a critic of
// images: Validate's checks, x and y whole images of ImageSide² pixels a
// channel, and every convolution of Channels at least one channel wide
// and reading a map larger than 1x1 (each halves the side, rounding up:
// a 32x32 image takes at most 5).
func (s CriticSpec) ValidateImages() error {
	if err := s.Validate(); err != nil {
		return err
	}
	switch side := s.ImageSide; {
	case side <= 0:
		return fmt.Errorf("image side %d must be positive: this critic reads images", side)
	case side > s.DimX/side || side > s.DimY/side || s.DimX%(side*side) != 0 || s.DimY%(side*side) != 0:
		return fmt.Errorf("input sizes %d and %d are not whole images of %dx%d pixels a channel", s.DimX, s.DimY, side, side)
	}
	side := s.ImageSide
	for i, c := range s.Channels {
		switch {
		case c <= 0:
			return fmt.Errorf("convolution %d has %d channels; each must have at least 1", i+1, c)
		case side == 1:
			return fmt.Errorf("convolution %d would read a 1x1 map: each halves a %dx%d image's side; use at most %d", i+1, s.ImageSide, s.ImageSide, i)
		}
		side = ConvOutSide(side)
	}
	return nil
}

// initializer returns the initializer that draws the critic's weights.
func (s CriticSpec) initializer() *Init { return NewInit(s.Seed) }
