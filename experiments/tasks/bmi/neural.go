package bmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
	"github.com/infomax/infomax/internal/seed"
)

// trainer trains a critic on the training split and scores it on the test
// split.
type trainer struct {
	c           *Config
	m           *pair.Model
	train, test estimators.Sample
	batch       int
	rng         *rand.Rand
	// order is a permutation of the training rows whose first batch
	// entries are the next batch.
	order []int
	// scores, block and mask are scoreAll's: the test split's N² scores,
	// one block of them, and their mask.
	scores, block []float64
	mask          *estimators.Mask
	// ex and ey are scoreEmbedded's: the embeddings of the test split's
	// x's and y's, padded to whole batches.
	ex, ey []float32
}

// estimateNeural trains the configured critic on a random split of data
// and returns the summary values of [Task.Run] other than the truth's. It
// logs, at every evaluation, the mean training "loss" and "train_mi" since
// the last one, the test estimate "test_mi" and "true_mi", and with the
// last, "seconds" of training (kept out of the summary: it is wall time).
func estimateNeural(ctx context.Context, c *Config, data estimators.Sample, run *tasks.Run, truth float64) (results.Values, error) {
	t, err := newTrainer(c, data, uint64(run.Seed))
	if err != nil {
		return nil, err
	}
	defer t.m.Close()
	if t.batch < c.BatchSize {
		train, test := c.splitSizes()
		run.Log.Info("bmi batch smaller than batch_size: a split has fewer pairs", "batch", t.batch, "batch_size", c.BatchSize,
			"train_pairs", train, "test_pairs", test)
	}
	start := time.Now()
	best, last, bestStep, since := math.Inf(-1), math.NaN(), 0, 0
	var sumLoss, sumMI float64
	var window, step int
	for step = 1; step <= c.MaxSteps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loss, mi, err := t.step()
		if de := tasks.Diverged(step, err); de != nil {
			return nil, de
		}
		if err != nil {
			return nil, fmt.Errorf("bmi: step %d: %w", step, err)
		}
		if reason := pair.NonFinite(loss, mi); reason != "" {
			return nil, &tasks.DivergedError{Step: step, Reason: reason + pair.FirstStepHint(c.Estimator, step)}
		}
		sumLoss, sumMI, window = sumLoss+loss, sumMI+mi, window+1
		run.UpdateProgress(step, c.MaxSteps)
		if step%c.EvalEvery != 0 && step != c.MaxSteps {
			continue
		}
		if last, err = t.evaluate(); err != nil {
			return nil, fmt.Errorf("bmi: scoring at step %d: %w", step, err)
		}
		if reason := tasks.NonFinite("test MI estimate", last); reason != "" {
			return nil, &tasks.DivergedError{Step: step, Reason: reason}
		}
		if last > best {
			best, bestStep, since = last, step, 0
		} else {
			since++
		}
		v := results.Values{"loss": sumLoss / float64(window), "train_mi": sumMI / float64(window), "test_mi": last, "true_mi": truth}
		stop := c.Patience > 0 && since >= c.Patience
		if stop || step == c.MaxSteps {
			v["seconds"] = time.Since(start).Seconds()
		}
		if run.Metrics != nil {
			if err := run.Metrics.Log(step, v); err != nil {
				return nil, fmt.Errorf("bmi: logging step %d: %w", step, err)
			}
		}
		if stop {
			run.UpdateProgress(c.MaxSteps, c.MaxSteps)
			break
		}
		if step != c.MaxSteps {
			sumLoss, sumMI, window = 0, 0, 0
		}
	}
	stopped := 0.0
	if step <= c.MaxSteps {
		stopped = 1
	}
	run.Log.Info("bmi run trained", "steps", min(step, c.MaxSteps), "best_step", bestStep, "mi", best, "true_mi", truth)
	return results.Values{"mi": best, "mi_last": last, "train_mi": sumMI / float64(window),
		"steps": float64(min(step, c.MaxSteps)), "stopped_early": stopped}, nil
}

// newTrainer splits data at random into the training and test splits and
// builds the model, seeding the split, the critic's weights and the batches
// from the run's seed.
func newTrainer(c *Config, data estimators.Sample, runSeed uint64) (*trainer, error) {
	nTrain, _ := c.splitSizes()
	perm := rand.New(rand.NewPCG(seed.Derive(runSeed, splitStream), 0x5b11)).Perm(data.N)
	t := &trainer{c: c, batch: c.batch(),
		train: rows(data, perm[:nTrain]), test: rows(data, perm[nTrain:]),
		rng: rand.New(rand.NewPCG(seed.Derive(runSeed, batchStream), 0xba7c))}
	t.order = make([]int, nTrain)
	for i := range t.order {
		t.order[i] = i
	}
	var err error
	t.m, err = pair.New(pair.Spec{
		Estimator: c.Estimator, EstimatorParams: c.EstimatorParams, Critic: c.Critic,
		CriticSpec: architectures.CriticSpec{DimX: data.DimX, DimY: data.DimY, Hidden: c.Hidden, Layers: c.Layers,
			Embed: c.Embed, Seed: seed.Derive(runSeed, initStream)},
		BatchSize: t.batch, LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Moments: optim.Moments(c.AdamMoments),
	})
	if err != nil {
		return nil, fmt.Errorf("bmi: %w", err)
	}
	return t, nil
}

// rows returns the rows of s at the given indices, in their order.
func rows(s estimators.Sample, idx []int) estimators.Sample {
	out := estimators.Sample{N: len(idx), DimX: s.DimX, DimY: s.DimY}
	for _, i := range idx {
		out.X = append(out.X, s.XRow(i)...)
		out.Y = append(out.Y, s.YRow(i)...)
	}
	return out
}

// step trains on a batch of training rows drawn without replacement (a
// partial Fisher-Yates shuffle of order).
func (t *trainer) step() (loss, mi float64, err error) {
	for j := range t.batch {
		k := j + t.rng.IntN(len(t.order)-j)
		t.order[j], t.order[k] = t.order[k], t.order[j]
		t.load(j, t.train, t.order[j])
	}
	return t.m.Step()
}

// evaluate returns the critic's estimate on the test split, as test_scoring
// says: scoreAll's or scoreBatches'.
func (t *trainer) evaluate() (float64, error) {
	if t.c.TestScoring == ScoreBatches {
		return t.scoreBatches()
	}
	return t.scoreAll()
}

// scoreBatches returns the mean estimate of the critic over the test split
// in consecutive batches; a last partial batch is left out.
func (t *trainer) scoreBatches() (float64, error) {
	batches := t.test.N / t.batch
	var sum float64
	for b := range batches {
		for j := range t.batch {
			t.load(j, t.test, b*t.batch+j)
		}
		_, mi, err := t.m.Eval()
		if err != nil {
			return 0, err
		}
		sum += mi
	}
	return sum / float64(batches), nil
}

// scoreAll returns the critic's estimate over the whole test split, as BMI
// scores it: the estimator's float64 Reference estimate on the N × N
// scores of every test y against every test x, which the model gives a
// block of batch × batch rows at a time (a last partial block padded with
// the first rows, whose scores are dropped): scoreEmbedded's where the
// critic runs apart, scoreBlocks's elsewhere, the same bits.
func (t *trainer) scoreAll() (float64, error) {
	n, b := t.test.N, t.batch
	if t.scores == nil { // kept for the run's later scorings
		t.scores, t.block, t.mask = make([]float64, n*n), make([]float64, b*b), estimators.Diagonal(n)
	}
	var err error
	if width, ok := t.m.EmbeddingWidth(); ok {
		err = t.scoreEmbedded(width)
	} else {
		err = t.scoreBlocks()
	}
	if err != nil {
		return 0, err
	}
	return estimators.ReferenceEstimate(t.m.Estimator, t.scores, t.mask), nil
}

// scoreBlocks fills t.scores block by block, running the critic on the
// test rows of each block of pairings.
func (t *trainer) scoreBlocks() error {
	n, b := t.test.N, t.batch
	for y0 := 0; y0 < n; y0 += b {
		for x0 := 0; x0 < n; x0 += b {
			for j := range b {
				t.loadX(j, t.test, (x0+j)%n)
				t.loadY(j, t.test, (y0+j)%n)
			}
			if err := t.m.Scores(t.block); err != nil {
				return err
			}
			t.storeBlock(y0, x0)
		}
	}
	return nil
}

// scoreEmbedded fills t.scores as scoreBlocks does, for a critic whose
// embeddings are width wide: it embeds each block of test rows once, its
// x's and its y's, then scores every block of pairings from their
// embeddings. Each row is embedded at the place in its batch where
// scoreBlocks embeds it, so the scores are the same bits. On the 2-core
// Zen 3 machine (BenchmarkScoreCritic: the 5×5 sparse problem, batch 128,
// hidden 64, 2,500 × 2,500 pairs; 2026-12-07, three runs) this part of a
// scoring took 17-25 ms against 64-78 ms block by block.
func (t *trainer) scoreEmbedded(width int) error {
	n, b := t.test.N, t.batch
	rows := paddedRows(n, b)
	if t.ex == nil {
		t.ex, t.ey = make([]float32, rows*width), make([]float32, rows*width)
	}
	for x0 := 0; x0 < n; x0 += b {
		for j := range b {
			t.load(j, t.test, (x0+j)%n)
		}
		if err := t.m.Embed(t.ex[x0*width:(x0+b)*width], t.ey[x0*width:(x0+b)*width]); err != nil {
			return err
		}
	}
	for y0 := 0; y0 < n; y0 += b {
		for x0 := 0; x0 < n; x0 += b {
			if err := t.m.ScoresOf(t.ex[x0*width:(x0+b)*width], t.ey[y0*width:(y0+b)*width], t.block); err != nil {
				return err
			}
			t.storeBlock(y0, x0)
		}
	}
	return nil
}

// storeBlock copies the scores in t.block, of test y's from y0 against
// test x's from x0, into t.scores, leaving out a padded block's rows and
// columns past the split's end.
func (t *trainer) storeBlock(y0, x0 int) {
	n, b := t.test.N, t.batch
	for r := 0; r < b && y0+r < n; r++ {
		copy(t.scores[(y0+r)*n+x0:(y0+r)*n+min(x0+b, n)], t.block[r*b:r*b+min(b, n-x0)])
	}
}

// load writes row i of s into row j of the model's batch.
func (t *trainer) load(j int, s estimators.Sample, i int) {
	t.loadX(j, s, i)
	t.loadY(j, s, i)
}

// loadX writes the x of row i of s into row j of the model's batch.
func (t *trainer) loadX(j int, s estimators.Sample, i int) {
	for k, v := range s.XRow(i) {
		t.m.X[j*s.DimX+k] = float32(v)
	}
}

// loadY writes the y of row i of s into row j of the model's batch.
func (t *trainer) loadY(j int, s estimators.Sample, i int) {
	for k, v := range s.YRow(i) {
		t.m.Y[j*s.DimY+k] = float32(v)
	}
}
