package estimators

import (
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestStepsDoNotAllocateScoreMatrices builds every estimator's loss and
// estimate over DIM's local scores (64 images' codes against 64 × 16
// locations), differentiates the loss and runs the graph three times. A
// run of jsd's, Deep InfoMax's estimator, allocates less than one score
// matrix in all: its temporaries of the scores' size compute into buffers
// kept from run to run (2.4 MB a run before, nine of them). The
// others still allocate a few, in gradients that gorgonia builds of
// negations and of maxima (logged, not checked).
func TestStepsDoNotAllocateScoreMatrices(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	mask := Blocks(64, 16)
	scores := randomScores(rng, mask.Rows*mask.Cols, 3)
	const matrixBytes = 64 * 64 * 16 * 4
	for _, name := range CriticNames() {
		est := mustNew(t, name, Params{})
		g := G.NewGraph()
		x := newScoresNode(g, scores, mask, tensor.Float32)
		terms, err := est.Build(x, mask)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := G.Grad(terms.Loss, x); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		var before, after runtime.MemStats
		for run := range 3 {
			if run == 2 {
				runtime.ReadMemStats(&before)
			}
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Reset()
		}
		runtime.ReadMemStats(&after)
		vm.Close()
		bytes := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes a run", name, bytes)
		if name == "jsd" && bytes >= matrixBytes {
			t.Errorf("%s: a run allocates %d bytes, more than a %d-byte score matrix", name, bytes, matrixBytes)
		}
	}
}
