package blas

import "testing"

// TestFMALoopsRunEveryIteration checks that the peak loops do n
// iterations of x*x added into each of their twelve accumulators: with x
// = 1 the returned sum counts them exactly.
func TestFMALoopsRunEveryIteration(t *testing.T) {
	if !hasPeakLoops {
		t.Skip("no AVX2 and FMA: the peak loops do not run here")
	}
	loops := map[string]func(int, float32) float32{"avx2": fmaLoop256}
	if hasPeakLoop512 {
		loops["avx512"] = fmaLoop512
	}
	for name, loop := range loops {
		for _, n := range []int{0, 1, 7, 1000} {
			if got := loop(n, 1); got != float32(12*n) {
				t.Errorf("%s: %d iterations of 1*1 into twelve accumulators gave %g, want %d", name, n, got, 12*n)
			}
		}
		if got := loop(3, 0.5); got != 9 {
			t.Errorf("%s: 3 iterations of 0.5*0.5 into twelve accumulators gave %g, want 9", name, got)
		}
	}
}

// peakIterations is how many iterations one call of a peak loop runs:
// about 30 µs with AVX2 on a Zen 4 core, long enough to make the call's
// cost nothing.
const peakIterations = 1 << 14

// BenchmarkPeakFMA measures the machine's peak float32 arithmetic:
// b.RunParallel's GOMAXPROCS goroutines call an FMA loop with nothing
// else to wait for (fmaLoop256 for avx2, fmaLoop512 for avx512), b.N
// calls among them, at once. GFLOP/s is the total over all of them. No
// product can run faster on these cores, so it is the ceiling that
// cmd/speedratio compares the steps' arithmetic with.
func BenchmarkPeakFMA(b *testing.B) {
	if !hasPeakLoops {
		b.Skip("no AVX2 and FMA: the peak loops do not run here")
	}
	type peakLoop struct {
		name  string
		loop  func(int, float32) float32
		flops float64 // per iteration
	}
	loops := []peakLoop{{"avx2", fmaLoop256, 192}}
	if hasPeakLoop512 {
		loops = append(loops, peakLoop{"avx512", fmaLoop512, 384})
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.loop(peakIterations, 1)
				}
			})
			flops := l.flops * peakIterations * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
