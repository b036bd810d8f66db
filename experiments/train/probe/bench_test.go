package probe

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchFeatures returns 10000 x 1024 features in 10 Gaussian blobs, the
// size of an fc layer on a CPU-preset training subset.
func benchFeatures() (*Features, *Features) {
	rng := rand.New(rand.NewPCG(1, 2))
	return blobs(rng, 10000, 1024, 10), blobs(rng, 1000, 1024, 10)
}

// BenchmarkMLPProbeEpoch measures one epoch of the MLP probe (156 steps of
// 64 rows) plus scoring 10000 training and 1000 test rows.
func BenchmarkMLPProbeEpoch(b *testing.B) {
	benchmarkEpoch(b, TrainMLP)
}

// BenchmarkLinearProbeEpoch is BenchmarkMLPProbeEpoch for the linear probe.
func BenchmarkLinearProbeEpoch(b *testing.B) {
	benchmarkEpoch(b, TrainLinear)
}

func benchmarkEpoch(b *testing.B, probe probeFunc) {
	train, test := benchFeatures()
	cfg := DefaultConfig()
	cfg.Epochs = 1
	b.ResetTimer()
	for b.Loop() {
		if _, err := probe(context.Background(), train, test, 10, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(train.N)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
