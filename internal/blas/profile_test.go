package blas

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
)

// TestProductProfileTimesEachShape checks that the product profile counts
// each kind and shape of product between its start and its stop, and
// nothing outside them: calls, FLOPs and times, the longest first, and a
// convolution once, as a convolution where the kernel gathers its
// patches and as the Sgemm it runs otherwise.
func TestProductProfileTimesEachShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	var impl Implementation
	product := func(tA, tB blas.Transpose, m, n, k int) {
		a, b, c := randomMatrix(rng, m, k), randomMatrix(rng, k, n), make([]float32, m*n)
		lda, ldb := k, n
		if tA != blas.NoTrans {
			lda = m
		}
		if tB != blas.NoTrans {
			ldb = k
		}
		impl.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
	}
	product(blas.NoTrans, blas.NoTrans, 8, 8, 8) // before the start: not counted
	t.Cleanup(func() { StopProductProfile() })
	StartProductProfile()
	product(blas.NoTrans, blas.NoTrans, 200, 300, 400)
	product(blas.NoTrans, blas.NoTrans, 200, 300, 400)
	product(blas.Trans, blas.NoTrans, 20, 30, 40)
	product(blas.NoTrans, blas.Trans, 20, 30, 40)
	p := withOutputs(Patches{N: 2, H: 8, W: 8, C: 16, K: 4, Stride: 2, Pad: 1}, rng)
	w, dy := randomMatrix(rng, p.Cols(), 32), randomMatrix(rng, p.Rows(), 32)
	if err := impl.PatchesProduct(p, w, 32, make([]float32, p.Rows()*32)); err != nil {
		t.Fatal(err)
	}
	if err := impl.PatchesWeightGrad(p, dy, 32, make([]float32, p.Cols()*32)); err != nil {
		t.Fatal(err)
	}
	if err := impl.PatchesInputGrad(p, dy, w, 32, make([]float32, len(p.X))); err != nil {
		t.Fatal(err)
	}
	got := StopProductProfile()
	product(blas.NoTrans, blas.NoTrans, 8, 8, 8) // after the stop: not counted

	conv, weightGrad, inputGrad := "conv", "conv weight grad", "conv input grad"
	if !hasKernel { // the patch matrix is formed and multiplied
		conv, weightGrad, inputGrad = "sgemm NN", "sgemm TN", "sgemm NT"
	}
	want := map[ProductTime]bool{
		{Op: "sgemm NN", M: 200, N: 300, K: 400, Calls: 2}:          true,
		{Op: "sgemm TN", M: 20, N: 30, K: 40, Calls: 1}:             true,
		{Op: "sgemm NT", M: 20, N: 30, K: 40, Calls: 1}:             true,
		{Op: conv, M: p.Rows(), N: 32, K: p.Cols(), Calls: 1}:       true,
		{Op: weightGrad, M: p.Cols(), N: 32, K: p.Rows(), Calls: 1}: true,
		{Op: inputGrad, M: p.Rows(), N: p.Cols(), K: 32, Calls: 1}:  true,
	}
	if len(got) != len(want) {
		t.Fatalf("profile has %d products, want %d: %+v", len(got), len(want), got)
	}
	for i, pt := range got {
		if pt.Time <= 0 {
			t.Errorf("%s %dx%dx%d: time %v, want > 0", pt.Op, pt.M, pt.N, pt.K, pt.Time)
		}
		if i > 0 && pt.Time > got[i-1].Time {
			t.Errorf("product %d took %v, longer than the one before it (%v)", i, pt.Time, got[i-1].Time)
		}
		untimed := pt
		untimed.Time = 0
		if !want[untimed] {
			t.Errorf("unexpected product %+v", pt)
		}
		delete(want, untimed)
	}
	if f := (ProductTime{M: 200, N: 300, K: 400, Calls: 2}).Flops(); f != 2*2*200*300*400 {
		t.Errorf("Flops of two 200x300x400 products: %v, want %v", f, 2*2*200*300*400)
	}
	StartProductProfile()
	if again := StopProductProfile(); len(again) != 0 {
		t.Errorf("a new profile starts with %d products, want none", len(again))
	}
}

// TestProductProfileTimesTheCalls checks that a product's time in the
// profile is the wall time of its calls: no more than the caller saw,
// and at least half of it. The lower bound is tried three times, since a
// goroutine descheduled between the caller's clock and Sgemm's could
// miss it once on a busy machine.
func TestProductProfileTimesTheCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	const m, n, k = 256, 256, 512
	a, b, c := randomMatrix(rng, m, k), randomMatrix(rng, k, n), make([]float32, m*n)
	var impl Implementation
	t.Cleanup(func() { StopProductProfile() })
	for try := 1; ; try++ {
		StartProductProfile()
		start := time.Now()
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		wall := time.Since(start)
		ts := StopProductProfile()
		if len(ts) != 1 || ts[0].Calls != 2 {
			t.Fatalf("profile %+v, want one product of 2 calls", ts)
		}
		if ts[0].Time > wall {
			t.Fatalf("profiled time %v, more than the %v the caller saw", ts[0].Time, wall)
		}
		if ts[0].Time >= wall/2 {
			return
		}
		if try == 3 {
			t.Fatalf("profiled time %v, less than half the %v the caller saw, three times", ts[0].Time, wall)
		}
	}
}

// TestFormatProductProfile checks the table's lines: one a product, with
// its calls and milliseconds per step, share and rate, and the total.
func TestFormatProductProfile(t *testing.T) {
	ts := []ProductTime{
		{Op: "sgemm NN", M: 100, N: 100, K: 100, Calls: 4, Time: 3e6}, // 3 ms: 8 MFLOP at 2.67 GFLOP/s
		{Op: "conv", M: 10, N: 10, K: 10, Calls: 2, Time: 1e6},
	}
	got := FormatProductProfile(ts, 2)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want a header, 2 products and a total:\n%s", len(lines), got)
	}
	for i, want := range [][]string{
		{"product", "m", "n", "k", "calls/step", "ms/step", "share", "GFLOP/s"},
		{"sgemm", "NN", "100", "100", "100", "2", "1.500", "75.0%", "2.7"},
		{"conv", "10", "10", "10", "1", "0.500", "25.0%", "0.0"},
		{"all", "products", "2.000"},
	} {
		if f := strings.Fields(lines[i]); strings.Join(f, " ") != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want fields %q", i, lines[i], want)
		}
	}
}
