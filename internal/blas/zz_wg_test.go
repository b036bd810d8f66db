package blas

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZWG(b *testing.B) {
	var impl Implementation
	g := Patches{N: 64, H: 16, W: 16, C: 64, K: 4, Stride: 2, Pad: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	p := withOutputs(g, rng)
	n := 128
	m, k := p.Cols(), p.Rows()
	dy := randomMatrix(rng, k, n)
	dw := make([]float32, m*n)
	for b.Loop() {
		impl.PatchesWeightGrad(p, dy, n, dw)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
