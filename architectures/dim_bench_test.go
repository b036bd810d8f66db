package architectures

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/internal/blas"
	"github.com/infomax/infomax/internal/blas/benchprofile"
	"github.com/infomax/infomax/internal/graph"
)

// benchBatch is the paper's batch size.
const benchBatch = 64

// benchEncoderSpec is the paper's encoder on 32x32x3 with batch norm after
// layers 2-4 only, the layout of shared/bench/dim_torch.py's Encoder, so
// the two can be compared like for like.
func benchEncoderSpec() EncoderSpec {
	sp := PaperEncoder(3)
	sp.FirstBN = false
	return sp
}

// benchRun runs a built graph's forward and backward passes b.N times and
// reports images per second of wall time, and images per second of CPU
// time (user + system, all threads): on a shared machine the second is
// the steadier measure of the work done. The machine is the one every
// model of the project trains with (graph.NewTapeMachine over the graph
// graph.Grad leaves), which leaves each gradient in its node, as
// dim_torch.py computes each step's gradients afresh (it sets them to
// None before the backward pass) and none for its input images.
func benchRun(b *testing.B, g *G.ExprGraph) {
	b.Helper()
	vm := graph.NewTapeMachine(g)
	defer vm.Close()
	// One untimed run allocates the machine's registers.
	if err := vm.RunAll(); err != nil {
		b.Fatal(err)
	}
	vm.Reset()
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	flops := blas.MatmulFlops()
	stopProfile := benchprofile.Start(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
	b.StopTimer()
	stopProfile()
	flops = blas.MatmulFlops() - flops
	b.ReportMetric(float64(flops)/float64(b.N)/1e9, "matmul-GFLOP/op")
	b.ReportMetric(float64(flops)/b.Elapsed().Seconds()/1e9, "matmul-GFLOP/s")
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(benchBatch*b.N)/cpu.Seconds(), "images/cpu-s")
	b.Logf("BLAS: %s", blas.Name())
}

// cpuTime returns the process's user plus system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncoderForwardBackward times the encoder's forward and backward
// passes on a batch of 64 32x32x3 images, loss mean(Y²), as dim_torch.py's
// enc_fb setting.
func BenchmarkEncoderForwardBackward(b *testing.B) {
	_, enc, out := encodeImages(b, benchEncoderSpec(), benchBatch, 2)
	sq, err := G.Square(out.Y)
	if err != nil {
		b.Fatal(err)
	}
	loss, err := G.Mean(sq)
	if err != nil {
		b.Fatal(err)
	}
	_, live, err := graph.Grad(loss, enc.Learnables()...)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, live)
}

// BenchmarkEncoderLocalJSD times the encoder plus the encode-and-dot local
// critic and the jsd loss on all (N-1)·M² negatives, forward and backward,
// no optimizer step. units=512 is dim_torch.py's enc_local_fb_nobn (except
// that here the critic has its batch and layer norms, as the official
// code); units=2048 is the paper's mi_units.
func BenchmarkEncoderLocalJSD(b *testing.B) {
	for _, units := range []int{512, 2048} {
		b.Run(fmt.Sprintf("units=%d", units), func(b *testing.B) { benchEncoderLocalJSD(b, units) })
	}
}

func benchEncoderLocalJSD(b *testing.B, units int) {
	g, enc, out := encodeImages(b, benchEncoderSpec(), benchBatch, 2)
	critic, scores := encodeAndDotScores(b, g, out, LocalCriticSpec{LocalChannels: 128, GlobalDim: 64, Units: units})
	params := append(enc.Learnables(), critic.Learnables()...)
	_, live := jsdTerms(b, scores, estimators.Blocks(benchBatch, 64), params)
	benchRun(b, live)
}
