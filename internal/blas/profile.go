package blas

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/blas"
)

// ProductTime is the wall time that the matrix products of one kind and
// shape took between StartProductProfile and StopProductProfile: Op is
// "sgemm" followed by op(A)'s and op(B)'s transposes ("sgemm NT"), or one
// of a convolution's products ("conv", "conv input grad", "conv weight
// grad"); M, N and K are the shape of the product as MatmulFlops counts
// it (for a convolution, that of the Sgemm it stands for, as its doc
// gives it).
type ProductTime struct {
	Op      string
	M, N, K int
	Calls   int
	Time    time.Duration
}

// Flops returns the floating-point operations of the products, 2·M·N·K a
// call.
func (t ProductTime) Flops() float64 {
	return 2 * float64(t.M) * float64(t.N) * float64(t.K) * float64(t.Calls)
}

// productKey is a kind and shape of product in the profile.
type productKey struct {
	op      string
	m, n, k int
}

var (
	profiling atomic.Bool
	profileMu sync.Mutex
	profile   = map[productKey]*ProductTime{}
)

// StartProductProfile clears the product profile and starts timing every
// product this package's Implementation computes, each call from its
// start to its return, on the caller's clock: a product split across
// goroutines counts its wall time once. It is meant for benchmarks: each
// profiled product takes a lock, and a new shape allocates. Products
// already running when it is called are not timed. Where a convolution
// forms its patch matrix (no assembly kernel), only its Sgemm is timed,
// not the forming or the scatter of its input gradient. Products that
// do not go through Implementation are not timed: gorgonia's, under the
// openblas or purego build tags or on a CPU without AVX2 and FMA.
func StartProductProfile() {
	profileMu.Lock()
	clear(profile)
	profileMu.Unlock()
	profiling.Store(true)
}

// StopProductProfile stops the product profile and returns its products,
// the longest total time first.
func StopProductProfile() []ProductTime {
	profiling.Store(false)
	profileMu.Lock()
	defer profileMu.Unlock()
	ts := make([]ProductTime, 0, len(profile))
	for _, t := range profile {
		ts = append(ts, *t)
	}
	slices.SortFunc(ts, func(a, b ProductTime) int {
		return cmp.Or(cmp.Compare(b.Time, a.Time), strings.Compare(a.Op, b.Op),
			cmp.Compare(a.M, b.M), cmp.Compare(a.N, b.N), cmp.Compare(a.K, b.K))
	})
	return ts
}

// profileProduct adds a product that started at start to the profile.
func profileProduct(op string, m, n, k int, start time.Time) {
	d := time.Since(start)
	key := productKey{op, m, n, k}
	profileMu.Lock()
	defer profileMu.Unlock()
	t := profile[key]
	if t == nil {
		t = &ProductTime{Op: op, M: m, N: n, K: k}
		profile[key] = t
	}
	t.Calls++
	t.Time += d
}

// sgemmOp names an Sgemm product by op(A)'s and op(B)'s transposes.
func sgemmOp(tA, tB blas.Transpose) string {
	ops := [2][2]string{{"sgemm NN", "sgemm NT"}, {"sgemm TN", "sgemm TT"}}
	ta, tb := 0, 0
	if tA != blas.NoTrans {
		ta = 1
	}
	if tB != blas.NoTrans {
		tb = 1
	}
	return ops[ta][tb]
}

// FormatProductProfile returns ts as a table, one product a line, with
// its calls and milliseconds per step of steps, its share of the
// products' time and its rate in GFLOP/s; a last line gives the total.
func FormatProductProfile(ts []ProductTime, steps int) string {
	var total time.Duration
	for _, t := range ts {
		total += t.Time
	}
	var sb strings.Builder
	perStep := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(max(steps, 1)) }
	fmt.Fprintf(&sb, "%-16s %6s %6s %6s %10s %9s %6s %8s\n", "product", "m", "n", "k", "calls/step", "ms/step", "share", "GFLOP/s")
	for _, t := range ts {
		rate := 0.0
		if t.Time > 0 {
			rate = t.Flops() / t.Time.Seconds() / 1e9
		}
		fmt.Fprintf(&sb, "%-16s %6d %6d %6d %10.4g %9.3f %5.1f%% %8.1f\n", t.Op, t.M, t.N, t.K,
			float64(t.Calls)/float64(max(steps, 1)), perStep(t.Time), 100*t.Time.Seconds()/max(total.Seconds(), 1e-12), rate)
	}
	fmt.Fprintf(&sb, "%-16s %6s %6s %6s %10s %9.3f\n", "all products", "", "", "", "", perStep(total))
	return sb.String()
}
