package bmi

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkStep measures one training step (batch draw, forward, backward,
// Adam) of a neural run on the 5×5 sparse problem, for the critics and
// batch sizes the sweeps use. One op is one step.
func BenchmarkStep(b *testing.B) {
	for _, tc := range []struct {
		critic, estimator string
		hidden, batch     int
	}{
		{"separable", "jsd", 64, 256}, {"separable", "infonce", 64, 256}, {"separable", "smile", 64, 256},
		{"separable", "jsd", 64, 128}, {"concat", "jsd", 16, 256}, {"concat", "jsd", 16, 128},
	} {
		b.Run(fmt.Sprintf("%s/%s/hidden=%d/batch=%d", tc.critic, tc.estimator, tc.hidden, tc.batch), func(b *testing.B) {
			tr := benchTrainer(b, tc.critic, tc.estimator, tc.hidden, tc.batch)
			for b.Loop() {
				if _, _, err := tr.step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScoreAll measures one scoring of the whole test split (2,500 ×
// 2,500 pairs at the default 5,000 draws) on the 5×5 sparse problem, for
// the critics the sweeps use. One op is one scoring.
func BenchmarkScoreAll(b *testing.B) {
	for _, tc := range []struct {
		critic, estimator string
		hidden, batch     int
	}{
		{"separable", "jsd", 64, 128}, {"separable", "infonce", 64, 128}, {"separable", "smile", 64, 128},
		{"concat", "jsd", 16, 128},
	} {
		b.Run(fmt.Sprintf("%s/%s/hidden=%d/batch=%d", tc.critic, tc.estimator, tc.hidden, tc.batch), func(b *testing.B) {
			tr := benchTrainer(b, tc.critic, tc.estimator, tc.hidden, tc.batch)
			for b.Loop() {
				if _, err := tr.scoreAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScoreCritic measures the critic's part of one scoring of the
// whole test split, without the estimator's Reference, for the separable
// critic of the sweeps (batch 128, hidden 64) run apart: from each block
// of rows, the way of every other critic (blocks), and from embeddings made
// once a row (embedded). One op fills the 2,500 × 2,500 scores once.
func BenchmarkScoreCritic(b *testing.B) {
	tr := benchTrainer(b, "separable", "jsd", 64, 128)
	width, ok := tr.m.EmbeddingWidth()
	if !ok {
		b.Skip("the critic does not run apart here (one core)")
	}
	if _, err := tr.scoreAll(); err != nil { // makes the buffers
		b.Fatal(err)
	}
	for _, way := range []struct {
		name  string
		score func() error
	}{
		{"blocks", tr.scoreBlocks},
		{"embedded", func() error { return tr.scoreEmbedded(width) }},
	} {
		b.Run(way.name, func(b *testing.B) {
			for b.Loop() {
				if err := way.score(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchTrainer builds the trainer of a neural run on 5,000 draws of the
// 5×5 sparse problem, closed when the benchmark ends.
func benchTrainer(b *testing.B, critic, estimator string, hidden, batch int) *trainer {
	c := DefaultConfig()
	c.Problem, c.Estimator, c.Critic, c.Hidden, c.BatchSize = "sparse-5x5", estimator, critic, hidden, batch
	p, err := ParseProblem(c.Problem)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := newTrainer(c, p.Draw(c.Samples, 0, rand.NewPCG(1, 2)), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.m.Close() })
	return tr
}
