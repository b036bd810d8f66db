package bmi

import (
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/tasks"
)

// The constants of the memory estimate, measured as peak resident memory
// (/usr/bin/time -v) of single runs on the development machine:
// cca on dense-5x5 took 176 MB at 10⁶ samples and 332 MB at 2·10⁶ (157
// bytes a sample, 10 coordinates); ksg on dense-2x2 took 157 MB at 3·10⁵
// samples and 286 MB at 6·10⁵ (440 bytes a sample, 4 coordinates: its
// trees and neighbour counts). The estimate rounds both up.
const (
	// baseBytes is the process before the run: runtime, code and buffers.
	baseBytes = 32e6
	// bytesPerSample and bytesPerCoordinate bound the draws, their
	// transformed and standardized copies, the split and the classic
	// estimators' search structures: 256 + 64·(dim_x + dim_y) bytes a sample.
	bytesPerSample     = 256
	bytesPerCoordinate = 64
	// scoreBytes is what each entry of a neural estimator's batch_size²
	// score matrix takes with its gradient and the estimator's
	// temporaries, as measured for the gaussian task, whose critic model
	// (experiments/train/pair) this task shares: 36 float32 copies.
	scoreBytes = 36 * 4
	// testScoreBytes is what each entry of the N_test² scores of
	// test_scoring = "all" takes: its float64 score and its role in the
	// mask, kept for the run's scorings (the estimators' References
	// allocate nothing of the matrix's size), and the collector's slack.
	// On sparse-3x3 at N = 10,000 (25 million test pairs), batch 128, one
	// run each (2026-12-06): jsd peaked at 322 MB, smile 323, dv 410 and
	// infonce 422, 15 bytes a pair over the rest of the estimate; rounded
	// up. (Before the References summed in place, jsd took 2,439 MB.)
	testScoreBytes = 24
	// testEmbedBytes is what each test draw's embeddings take, per unit
	// of embed, under test_scoring = "all": its x's and its y's, float32,
	// the split padded to whole batches,
	// where a separable critic scores from them (scoreEmbedded); counted
	// for every neural estimator's critic.
	testEmbedBytes = 2 * 4
)

// EstimateMemory estimates the peak memory of a run from its settings: the
// draws and what is computed from them (samples × (dim_x + dim_y)), and for
// a neural estimator the batch's score matrix (batch_size²). Each part names
// the setting that makes it large. A problem that does not parse is left to
// Validate's own error: the draws' part then counts one coordinate a side.
func (c *Config) EstimateMemory() tasks.Memory {
	dims := 2
	if p, err := ParseProblem(c.Problem); err == nil {
		dims = p.DimX + p.DimY
	}
	n := float64(c.Samples)
	parts := tasks.Memory{
		{What: "the process itself", Bytes: baseBytes},
		{What: "the samples and what is computed from them", Setting: tasks.Blame(c, DefaultConfig(), "samples"),
			Bytes: n * (bytesPerSample + bytesPerCoordinate*float64(dims))},
	}
	if info, err := estimators.Lookup(c.Estimator); err == nil && !info.Classic() {
		b := float64(c.batch())
		parts = append(parts, tasks.MemoryPart{What: "the batch's scores (batch_size² pairs)",
			Setting: tasks.Blame(c, DefaultConfig(), "batch_size"), Bytes: scoreBytes * b * b})
		if c.TestScoring != ScoreBatches {
			_, test := c.splitSizes()
			parts = append(parts, tasks.MemoryPart{What: "the test split's scores (N_test² pairs; test_scoring = \"batches\" scores a batch at a time)",
				Setting: tasks.Blame(c, DefaultConfig(), "samples", "train_fraction"), Bytes: testScoreBytes*float64(test)*float64(test) + testEmbedBytes*float64(paddedRows(test, c.batch()))*float64(c.Embed)})
		}
	}
	return parts
}

// paddedRows returns n rounded up to a whole number of batches of b, as
// scoreEmbedded keeps its embeddings.
func paddedRows(n, b int) int {
	b = max(b, 1) // a batch size that Validate refuses later
	return (n + b - 1) / b * b
}
