package estimators

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// NegativeSampler keeps K negatives in every row of a mask and ignores the
// rest, drawing the K anew at each [NegativeSampler.Sample]: the way to
// give an estimator a set number of negatives per positive whatever the
// batch size. Its Mask is what an estimator is built with; the base mask's
// positives stay positive and its ignored entries stay ignored.
//
// With K equal to a row's number of negatives the row keeps them all, and
// Sample changes nothing: K = "all" is the base mask itself.
type NegativeSampler struct {
	// Mask is the sampled mask; build the estimator on it.
	Mask *Mask
	// K is the number of negatives each row keeps.
	K    int
	base *Mask
	// candidates[r] are the columns of row r that are negative in the
	// base mask, in order; drawn[r] is the scratch copy that Sample
	// shuffles.
	candidates, drawn [][]int
}

// sampledMasks numbers the masks of samplers, so that the constant nodes of
// two samplers never share a name (gorgonia merges constants by name).
var sampledMasks atomic.Uint64

// NewNegativeSampler returns a sampler of k negatives per row of base,
// whose Mask starts with the first k negatives of each row; call Sample
// before each step. Every row of base that holds a positive must hold at
// least k negatives; k must be at least 1.
func NewNegativeSampler(base *Mask, k int) (*NegativeSampler, error) {
	if err := base.Validate(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("estimators: %d negatives per row: want at least 1", k)
	}
	s := &NegativeSampler{K: k, base: base, candidates: make([][]int, base.Rows), drawn: make([][]int, base.Rows)}
	for r := range base.Rows {
		row := base.Roles[r*base.Cols : (r+1)*base.Cols]
		hasPositive := false
		for c, role := range row {
			switch role {
			case Negative:
				s.candidates[r] = append(s.candidates[r], c)
			case Positive:
				hasPositive = true
			}
		}
		if n := len(s.candidates[r]); hasPositive && n < k {
			return nil, fmt.Errorf("estimators: %d negatives per row asked for, but row %d has only %d; use at most %d", k, r, n, n)
		}
		s.drawn[r] = slices.Clone(s.candidates[r])
	}
	s.Mask = &Mask{Rows: base.Rows, Cols: base.Cols, Roles: make([]Role, len(base.Roles)), id: sampledMasks.Add(1)}
	s.fill()
	return s, nil
}

// Sample draws, from rng, k negatives of each row uniformly without
// replacement, writes them into Mask and rewrites the nodes built from it
// (see [Mask.Changed]). The draw depends only on rng's state, not on
// earlier draws, so a training loop that seeds rng from the step number
// draws the same negatives at a step whether or not it was resumed there.
func (s *NegativeSampler) Sample(rng *rand.Rand) error {
	for r, cand := range s.drawn {
		if len(cand) == s.K {
			continue
		}
		copy(cand, s.candidates[r])
		// A partial Fisher-Yates shuffle: the first K are a uniform
		// sample.
		for i := range min(s.K, len(cand)) {
			j := i + rng.IntN(len(cand)-i)
			cand[i], cand[j] = cand[j], cand[i]
		}
	}
	s.fill()
	return s.Mask.Changed()
}

// fill writes the base mask's positives and the first K candidates of each
// row into Mask.
func (s *NegativeSampler) fill() {
	m := s.Mask
	for i, role := range s.base.Roles {
		if role == Negative {
			role = Ignored
		}
		m.Roles[i] = role
	}
	for r, cand := range s.drawn {
		for _, c := range cand[:min(s.K, len(cand))] {
			m.Roles[r*m.Cols+c] = Negative
		}
	}
}
