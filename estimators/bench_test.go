package estimators

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkBuildAndRunJSDBlocks measures one forward and backward pass of
// the jsd loss graph on Deep InfoMax's local mask for a batch of 64 images
// with 8x8 locations (a 64 x 4096 float32 score matrix). The graph is built
// once, as in training; each iteration runs it and resets the machine.
func BenchmarkBuildAndRunJSDBlocks(b *testing.B) {
	mask := Blocks(64, 64)
	rng := rand.New(rand.NewPCG(1, 1))
	g := G.NewGraph()
	x := newScoresNode(g, randomScores(rng, mask.Rows*mask.Cols, 3), mask, tensor.Float32)
	terms, err := JSD{}.Build(x, mask)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := G.Grad(terms.Loss, x); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
