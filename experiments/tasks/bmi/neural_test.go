package bmi

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/infomax/infomax/estimators"
)

// TestEvaluateScoresTheWholeTestSplit checks that evaluate's estimate is
// the estimator's Reference on the scores of every test y against every
// test x, with the separable critic (run apart where GOMAXPROCS is 2 or
// more, in one graph otherwise) and the concat one (one graph): with
// batches of 4 over a test split of 10 (three blocks a side, the last
// padded), it matches the estimate of a model of the same initial weights
// that scores the 10 × 10 pairings at once. The two critics score each
// pair with the same weights, in products of other shapes, so they agree
// to float32 rounding.
func TestEvaluateScoresTheWholeTestSplit(t *testing.T) {
	for _, est := range []string{"infonce", "dv", "jsd", "concat critic"} {
		c := DefaultConfig()
		c.Problem, c.Samples, c.Estimator = "sparse-3x3", 20, est
		if est == "concat critic" {
			c.Estimator, c.Critic = "smile", "concat"
		}
		data := mustParse(t, c.Problem).Draw(c.Samples, DefaultSpiralSpeed, rand.NewPCG(1, 2))
		var got [2]float64
		for k, batch := range []int{4, 10} {
			c.BatchSize = batch
			tr, err := newTrainer(c, data, 7)
			if err != nil {
				t.Fatal(err)
			}
			if got[k], err = tr.evaluate(); err != nil {
				t.Fatal(err)
			}
			if k == 1 { // one block: the Reference of the model's own scores
				scores := make([]float64, 100)
				if err := tr.m.Scores(scores); err != nil {
					t.Fatal(err)
				}
				if _, want := tr.m.Estimator.Reference(scores, estimators.Diagonal(10)); got[k] != want {
					t.Errorf("%s: evaluate %v, the Reference of the 10 x 10 scores %v", est, got[k], want)
				}
			}
			tr.m.Close()
		}
		if math.Abs(got[0]-got[1]) > 1e-5*math.Max(1, math.Abs(got[1])) {
			t.Errorf("%s: evaluate in blocks of 4 gives %v, at once %v", est, got[0], got[1])
		}
	}
}

// TestScoreBatchesIsTheMeanOfItsBatches checks test_scoring = "batches":
// the mean of the model's own estimates of the consecutive batches of the
// test split, a last partial batch left out (10 test pairs, batches of 4:
// rows 0-3 and 4-7).
func TestScoreBatchesIsTheMeanOfItsBatches(t *testing.T) {
	c := DefaultConfig()
	c.Problem, c.Samples, c.BatchSize, c.TestScoring = "sparse-3x3", 20, 4, ScoreBatches
	data := mustParse(t, c.Problem).Draw(c.Samples, DefaultSpiralSpeed, rand.NewPCG(1, 2))
	tr, err := newTrainer(c, data, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.m.Close()
	got, err := tr.evaluate()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for b := range 2 {
		for j := range 4 {
			tr.load(j, tr.test, 4*b+j)
		}
		_, mi, err := tr.m.Eval()
		if err != nil {
			t.Fatal(err)
		}
		sum += mi
	}
	if want := sum / 2; got != want {
		t.Errorf("evaluate %v, the mean of the two batches' estimates %v", got, want)
	}
}

// TestScoreEmbeddedIsScoreBlocks checks that a separable critic run apart
// (two cores) scores the test split from embeddings made once a row
// (scoreEmbedded) to the same bits as scoring every block of pairings
// from the rows (scoreBlocks), after a few training steps, with a test
// split of 10 in batches of 4 (the last block padded); and that a concat
// critic, which cannot run apart, has no embeddings and is scored block by
// block.
func TestScoreEmbeddedIsScoreBlocks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	c := DefaultConfig()
	c.Problem, c.Samples, c.BatchSize, c.Estimator = "sparse-3x3", 20, 4, "infonce"
	data := mustParse(t, c.Problem).Draw(c.Samples, DefaultSpiralSpeed, rand.NewPCG(1, 2))
	tr, err := newTrainer(c, data, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.m.Close()
	for range 3 {
		if _, _, err := tr.step(); err != nil {
			t.Fatal(err)
		}
	}
	width, ok := tr.m.EmbeddingWidth()
	if !ok || width != c.Embed {
		t.Fatalf("EmbeddingWidth = %d, %v; want %d, true for a separable critic on two cores", width, ok, c.Embed)
	}
	if _, err := tr.scoreAll(); err != nil {
		t.Fatal(err)
	}
	embedded := append([]float64(nil), tr.scores...)
	clear(tr.scores)
	if err := tr.scoreBlocks(); err != nil {
		t.Fatal(err)
	}
	for i, want := range tr.scores {
		if math.Float64bits(embedded[i]) != math.Float64bits(want) {
			t.Fatalf("score %d (y %d, x %d): %v from the embeddings, %v block by block", i, i/10, i%10, embedded[i], want)
		}
	}

	c.Critic = "concat"
	cc, err := newTrainer(c, data, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.m.Close()
	if width, ok := cc.m.EmbeddingWidth(); ok {
		t.Errorf("a concat critic: EmbeddingWidth = %d, true; want false", width)
	}
	if err := cc.m.Embed(make([]float32, 4*c.Embed), make([]float32, 4*c.Embed)); err == nil {
		t.Error("Embed on a concat critic: no error")
	}
}
