package estimators

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/infomax/infomax/internal/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestStepsDoNotAllocateScoreMatrices builds every estimator's loss and
// estimate over DIM's local scores (64 images' codes against 64 × 16
// locations), differentiates the loss and runs the graph three times: a
// run allocates less than one score matrix in all (about 5 to 12 KB). The
// estimators' temporaries of the scores' size compute into buffers kept
// from run to run; before, a run of jsd's graph allocated 2.4 MB, nine
// matrices, and dv's or infonce's 4.2 MB.
func TestStepsDoNotAllocateScoreMatrices(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	mask := Blocks(64, 16)
	scores := randomScores(rng, mask.Rows*mask.Cols, 3)
	const matrixBytes = 64 * 64 * 16 * 4
	for _, v := range criticVariants() {
		name := v.Name
		est := v.New(t)
		g := G.NewGraph()
		x := newScoresNode(g, scores, mask, tensor.Float32)
		terms, err := build(est, x, mask)
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
		graph.CloseMachine(vm)
		bytes := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes a run", name, bytes)
		if bytes >= matrixBytes {
			t.Errorf("%s: a run allocates %d bytes, more than a %d-byte score matrix: some op on the whole matrix allocates its result "+
				"at every run; build gorgonia's elementwise ops and reductions over it with graph.Kept (README, Adding an estimator)", name, bytes, matrixBytes)
		}
	}
}
