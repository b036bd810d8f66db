package pair

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
)

// EmbeddingWidth returns the width of the critic's embeddings, and true,
// for a model whose critic runs apart (see apart: a separable critic on
// two or more cores); for any other model it returns 0 and false, and
// Embed and ScoresOf fail. Scoring every pairing of two samples then
// takes an embedding of each row and a product per block of pairings
// (Embed, then ScoresOf), where Scores embeds both blocks of every
// pairing of blocks again.
func (m *Model) EmbeddingWidth() (int, bool) {
	if m.apart == nil {
		return 0, false
	}
	return m.apart.embeds[0].Shape()[1], true
}

// Embed runs the critic's two sides on the batch in X and Y, without the
// scores, the estimator, the backward pass or training, and writes x's
// embeddings into ex and y's into ey, BatchSize × EmbeddingWidth values
// each, row by row: the bits a Step on the batch embeds.
func (m *Model) Embed(ex, ey []float32) error {
	a, err := m.apartFor("Embed")
	if err != nil {
		return err
	}
	defer m.reset()
	if err := a.stopSides(); err != nil {
		return err
	}
	for i, dst := range [2][]float32{ex, ey} {
		src, ok := a.sides[i].handoff.Out.Data().([]float32)
		if !ok || len(src) != len(dst) {
			return fmt.Errorf("embedding %d is %d values, want %d", i, a.sides[i].handoff.Out.Shape().TotalSize(), len(dst))
		}
		copy(dst, src)
	}
	return nil
}

// ScoresOf writes into dst the scores of the embeddings ex of a batch's x
// and ey of its y, as Embed writes them: BatchSize² values, row i holding
// y_i's scores against every x_j, the bits Scores writes for that batch.
func (m *Model) ScoresOf(ex, ey []float32, dst []float64) error {
	a, err := m.apartFor("ScoresOf")
	if err != nil {
		return err
	}
	defer m.reset()
	for i, src := range [2][]float32{ex, ey} {
		if a.given[i] == nil {
			a.given[i] = tensor.New(tensor.Of(architectures.Dtype), tensor.WithShape(a.embeds[i].Shape().Clone()...))
		}
		dst := a.given[i].Data().([]float32)
		if len(src) != len(dst) {
			return fmt.Errorf("embedding %d is %d values, want %d", i, len(src), len(dst))
		}
		copy(dst, src)
		if err := G.Let(a.embeds[i], a.given[i]); err != nil {
			return err
		}
	}
	if err := m.scoringVM().RunAll(); err != nil {
		return err
	}
	return m.readScores(dst)
}

// apartFor returns m's critic apart, or an error naming the method that
// needs one.
func (m *Model) apartFor(method string) (*apart, error) {
	if m.apart == nil {
		return nil, fmt.Errorf("pair.Model.%s: the critic does not run apart (see EmbeddingWidth)", method)
	}
	return m.apart, nil
}
