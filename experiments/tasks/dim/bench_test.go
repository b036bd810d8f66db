package dim

import (
	"math/rand/v2"
	"testing"

	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/blas"
	"github.com/infomax/infomax/internal/blas/benchprofile"
)

// cpuPreset sets the reduced widths the CPU sweep files use (conv 32-64-
// 128, fc 256, code 64, local critic 256 units, discriminator 256-64): the
// paper's architecture at a fraction of its cost.
func cpuPreset(c *Config) {
	c.Conv1, c.Conv2, c.Conv3, c.FC, c.Code = 32, 64, 128, 256, 64
	c.MIUnits, c.GlobalUnits = 256, 256
	c.PriorHidden = []int{256, 64}
}

// benchStep measures one full training step (encoder step and
// discriminator step) on random 32x32 images in images per second, in a
// run's steady state: after two untimed steps, and with Adam's step count
// past 1000.
func benchStep(b *testing.B, c *Config, channels int) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := newNoisyModel(b, c, channels, 1, rng)
	steps := 0
	step := func() {
		// As training does: negatives drawn anew for a term that keeps K.
		if err := m.SampleNegatives(1, steps); err != nil {
			b.Fatal(err)
		}
		steps++
		if _, _, err := m.Step(rng); err != nil {
			b.Fatal(err)
		}
	}
	// Two untimed steps allocate the machines' registers and the kept
	// buffers and fault in their pages: the timed steps are the steady state.
	step()
	step()
	// So is Adam's: a run spends all but its first 53 steps where the bias
	// correction c1 = 1 - beta1^t (beta1 = 0.5) has rounded to 1 and the
	// kernel leaves out m/c1. Time steps from there. (With c2 = 1 -
	// beta2^t at step 1000 against moments of a few steps, the first
	// timed updates are about ten times lr, 1e-4: no change to the work a
	// step does.)
	m.Adam.Step = 1000
	if m.PriorAdam != nil { // nil without the prior term
		m.PriorAdam.Step = 1000
	}
	b.ReportAllocs()
	flops := blas.MatmulFlops()
	stopProfile := benchprofile.Start(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.StopTimer()
	stopProfile()
	b.ReportMetric(float64(c.BatchSize*b.N)/b.Elapsed().Seconds(), "images/s")
	reportMatmulFlops(b, blas.MatmulFlops()-flops)
	b.Logf("BLAS: %s", blas.Name())
}

// reportMatmulFlops reports the floating-point operations of the matrix
// products of the timed steps, per step and per second of wall time, as
// dim_torch.py counts and reports its own (GFLOP): two steps doing
// different work (such as a critic scoring more pairs) compare fairly by
// the rate.
func reportMatmulFlops(b *testing.B, flops uint64) {
	b.ReportMetric(float64(flops)/float64(b.N)/1e9, "matmul-GFLOP/op")
	b.ReportMetric(float64(flops)/b.Elapsed().Seconds()/1e9, "matmul-GFLOP/s")
}

// BenchmarkDIMLStep is one DIM(L) step as the issue specifies: jsd,
// encode-and-dot, prior on, batch 64, 32x32x3 input, the paper's widths.
func BenchmarkDIMLStep(b *testing.B) {
	c := DefaultConfig()
	benchStep(b, c, 3)
}

// BenchmarkDIMLStepCPU is the same step at the CPU preset's widths on
// 32x32x1 (MNIST) input, as the CPU sweep files run it.
func BenchmarkDIMLStepCPU(b *testing.B) {
	c := DefaultConfig()
	cpuPreset(c)
	benchStep(b, c, 1)
}

// BenchmarkDIMLStepCPUBatch16 is the CPU preset at batch 16, the cost per
// image at small batches.
func BenchmarkDIMLStepCPUBatch16(b *testing.B) {
	c := DefaultConfig()
	cpuPreset(c)
	c.BatchSize = 16
	benchStep(b, c, 1)
}

// BenchmarkDIMStepTorchReference is the step that ../shared/bench/dim_torch.py
// times as dim_full, so that the two can be run in one sitting and compared:
// loss = 0.5 global + 1 local + 0.1 prior with jsd, 512-unit encode-and-dot
// local critic, 512-unit concat global critic scoring one negative per
// positive, no batch norm after the first conv, batch 64 of 32x32x3. The
// reference's global negative is the batch rolled by one; ours is drawn at
// random (num_global_negatives = 1), the same work: the critic scores 2N
// pairs, not N². Our local critic also has the official code's batch norm
// and layer norm, which the reference's lacks, so it does slightly more
// work.
func BenchmarkDIMStepTorchReference(b *testing.B) {
	benchStep(b, torchReferenceConfig(64), 3)
}

// BenchmarkDIMStepTorchReferenceBatch16 is the same step at batch 16, as
// dim_torch.py --batches 16 times it: the regime where a framework's
// per-op overhead, not the arithmetic, sets the speed.
func BenchmarkDIMStepTorchReferenceBatch16(b *testing.B) {
	benchStep(b, torchReferenceConfig(16), 3)
}

// BenchmarkDIMStepFloat32Moments is BenchmarkDIMStepTorchReference with
// Adam's moments in float32 (adam_moments = "float32"), as the
// reference's torch.optim.Adam keeps them: the same arithmetic on both
// sides.
func BenchmarkDIMStepFloat32Moments(b *testing.B) {
	c := torchReferenceConfig(64)
	c.AdamMoments = string(optim.Float32Moments)
	benchStep(b, c, 3)
}

// BenchmarkDIMStepFloat32MomentsBatch16 is BenchmarkDIMStepFloat32Moments
// at batch 16.
func BenchmarkDIMStepFloat32MomentsBatch16(b *testing.B) {
	c := torchReferenceConfig(16)
	c.AdamMoments = string(optim.Float32Moments)
	benchStep(b, c, 3)
}

// BenchmarkDIMStepAllGlobalPairs is BenchmarkDIMStepTorchReference with the
// paper's global negatives, every other image of the batch: the concat
// global critic scores all 64 × 64 pairs, 27% more arithmetic than the
// reference's step.
func BenchmarkDIMStepAllGlobalPairs(b *testing.B) {
	c := torchReferenceConfig(64)
	c.NumGlobalNegatives = 0
	benchStep(b, c, 3)
}

// torchReferenceConfig is dim_torch.py's dim_full at the given batch size.
func torchReferenceConfig(batch int) *Config {
	c := DefaultConfig()
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0.1
	c.MIUnits, c.GlobalUnits = 512, 512
	c.FirstBN = false
	c.BatchSize = batch
	c.NumGlobalNegatives = 1
	return c
}
