package blas

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// edgeGuard is the value of the floats around C that Sgemm must not
// touch: guardRows rows of ldc before C and after its last row.
const (
	edgeGuard = -4242
	guardRows = 3
)

// runGuarded calls impl's Sgemm on a copy of C set between guard bands
// of guardRows rows, fails the test where a guard changed, and returns
// the copy of C.
func (c *sgemmCase) runGuarded(t *testing.T, impl blas.Float32, what string) []float32 {
	t.Helper()
	g := guardRows*c.ldc + kernelCols
	buf := make([]float32, g+len(c.cBefore)+g)
	for i := range buf {
		buf[i] = edgeGuard
	}
	out := buf[g : g+len(c.cBefore) : g+len(c.cBefore)]
	copy(out, c.cBefore)
	impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.aData, c.lda, c.bData, c.ldb, c.beta, out, c.ldc)
	for i, v := range buf {
		if (i < g || i >= g+len(c.cBefore)) && v != edgeGuard {
			at := i - g
			if i < g {
				t.Fatalf("%v, %s: %d floats before C written: %v", c, what, g-i, v)
			}
			t.Fatalf("%v, %s: float %d past C's end (row %d past its last) written: %v", c, what, at-len(c.cBefore), (at-len(c.cBefore))/c.ldc, v)
		}
	}
	return out
}

// TestSgemmEdgeShapesMatchNaiveProduct checks Sgemm against check's
// float64 triple loop on shapes at the edges of the kernel's tiles and
// of its special paths: 1x1x1, k = 0 and 1, m one short of a pair of
// slivers (11, 23, 107 rows), n short of and past multiples of sixteen,
// a row (m = 1, n short of and past the row kernels' 64 columns) and a column (n = 1, C's rows apart or not), depth 1
// with a padded transposed B (the outer-product path), depths past one
// depth block, and a shared-B split whose last block is a single row.
// Each shape runs with every pair of transposes, with scalars and
// leading-dimension slack cycling (beta 0 always over a C of NaNs), under
// every kernel mode this CPU has: the AVX2 kernels alone, checked against
// the triple loop, then the AVX-512 ones, which must give the same bits;
// the shapes large enough to split between goroutines at GOMAXPROCS 1
// and 2. Nothing around C may be written.
func TestSgemmEdgeShapesMatchNaiveProduct(t *testing.T) {
	if !HasKernel() {
		t.Log("no AVX2+FMA: Implementation.Sgemm is gonum's")
	}
	defer currentMode().set()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(71, 72))
	var impl Implementation
	shapes := [][3]int{{1, 1, 1}, {1, 1, 0}, {3, 5, 0}, {13, 7, 33}, {7, 13, 33}, {6, 16, 1}, {5, 15, 2},
		{11, 16, 3}, {11, 32, 5}, {23, 48, 9}, {12, 32, 8}, {13, 33, 17}, {2, 17, 1}, {3, 40, 1}, {40, 3, 1},
		{1, 17, 5}, {1, 33, 300}, {1, 50, 7}, {1, 112, 3}, {17, 1, 5}, {33, 1, 300}, {107, 20, 30}, {97, 50, 257}, {241, 32, 40}}
	variants := []struct {
		alpha, beta float32
		nanC        bool
	}{{-0.7, 0, true}, {1, 0.3, false}, {1.5, 1, false}, {0, 0.3, false}, {0, 0, true}}
	trs := [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}}
	for si, s := range shapes {
		procs := []int{1}
		if s[0]*s[1]*s[2] >= parallelVolume {
			procs = append(procs, 2) // the splits between goroutines
		}
		for ti, tr := range trs {
			for vi, v := range variants {
				c := &sgemmCase{tA: tr[0], tB: tr[1], m: s[0], n: s[1], k: s[2], alpha: v.alpha, beta: v.beta, nanC: v.nanC,
					padA: (vi + ti) % 2 * 2, padB: (vi + si) % 2 * 3, padC: (vi + ti + si) % 3}
				c.fill(rng)
				var want []float32
				for _, p := range procs {
					runtime.GOMAXPROCS(p)
					for _, mode := range kernelModes() {
						mode.set()
						what := fmt.Sprintf("GOMAXPROCS %d, %v", p, mode)
						got := c.runGuarded(t, impl, what)
						if want == nil {
							c.check(t, got)
							want = got
							continue
						}
						sameBits(t, c, got, want, what)
					}
				}
			}
		}
	}
}

// TestSgemmZeroSizesPanicLikeGonum checks the argument checks that
// TestSgemmPanicsLikeGonum leaves out, on empty products: a leading
// dimension of 0 is bad even where its matrix has no rows or columns
// (BLAS's max(1, ...)), and an empty product with good ones returns.
func TestSgemmZeroSizesPanicLikeGonum(t *testing.T) {
	type call struct {
		tA, tB        blas.Transpose
		m, n, k       int
		lda, ldb, ldc int
	}
	calls := []call{
		{blas.NoTrans, blas.NoTrans, 3, 0, 2, 2, 0, 0},
		{blas.NoTrans, blas.NoTrans, 3, 0, 2, 2, 1, 0},
		{blas.NoTrans, blas.NoTrans, 3, 0, 2, 2, 1, 1},
		{blas.Trans, blas.NoTrans, 0, 2, 2, 0, 2, 2},
		{blas.Trans, blas.NoTrans, 0, 2, 2, 1, 2, 2},
		{blas.NoTrans, blas.NoTrans, 2, 2, 0, 0, 2, 2},
		{blas.NoTrans, blas.Trans, 2, 2, 0, 1, 0, 2},
		{blas.NoTrans, blas.Trans, 2, 2, 0, 1, 1, 2},
	}
	panicOf := func(impl blas.Float32, cl call) (msg any) {
		defer func() { msg = recover() }()
		x := make([]float32, 16)
		impl.Sgemm(cl.tA, cl.tB, cl.m, cl.n, cl.k, 1, x, cl.lda, x, cl.ldb, 0, x, cl.ldc)
		return nil
	}
	for i, cl := range calls {
		want := panicOf(gonum.Implementation{}, cl)
		if got := panicOf(Implementation{}, cl); got != want {
			t.Errorf("call %d (%+v): panic %v, gonum's %v", i, cl, got, want)
		}
	}
}

// TestTransposeTileRefusesNegativeLeadingDimensions checks the promised
// panic on a negative ldc or ldt where the tile is one row or column, so
// that no index computed from it goes negative to panic on its own.
func TestTransposeTileRefusesNegativeLeadingDimensions(t *testing.T) {
	for _, kernel := range transposeTilePaths() {
		for _, bad := range []struct {
			name             string
			ldc, ldt, i1, j1 int
		}{{"negative ldt, one column", 4, -1, 4, 1}, {"negative ldc, one row", -1, 4, 1, 4}} {
			c, src := make([]float32, 16), make([]float32, 16)
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("kernel %v, %s: no panic", kernel, bad.name)
					}
				}()
				transposeTile(c, bad.ldc, src, bad.ldt, 0, bad.i1, 0, bad.j1, kernel)
			}()
		}
	}
}

// TestStreamsRule pins the conditions under which streams has a product
// store C with non-temporal stores, each of which the stores or the
// store modes need: the 12x32 blocks (useBlocks), beta 0, one depth
// block (so that C is stored once, never read back), C large enough
// (streamMin), and C's first element and every row 64-byte aligned, as
// the aligned stores need.
func TestStreamsRule(t *testing.T) {
	defer currentMode().set()
	defer func(n int) { streamMin = n }(streamMin)
	streamMin = 64 * 64
	aligned := alignedFloats(64*80 + 1)
	for _, c := range []struct {
		name         string
		blocks       bool
		m, n, k, ldc int
		beta         float32
		c            []float32
		want         bool
	}{
		{"streams", true, 64, 64, 16, 64, 0, aligned, true},
		{"k of one depth block", true, 64, 64, depthBlock, 64, 0, aligned, true},
		{"without the 12x32 blocks", false, 64, 64, 16, 64, 0, aligned, false},
		{"beta 1", true, 64, 64, 16, 64, 1, aligned, false},
		{"beta 0.5", true, 64, 64, 16, 64, 0.5, aligned, false},
		{"deeper than a depth block", true, 64, 64, depthBlock + 1, 64, 0, aligned, false},
		{"C under streamMin", true, 64, 63, 16, 64, 0, aligned, false},
		{"rows not 64-byte aligned", true, 64, 64, 16, 65, 0, aligned, false},
		{"rows 32-byte aligned", true, 64, 64, 16, 72, 0, aligned, false},
		{"C not 64-byte aligned", true, 64, 64, 16, 64, 0, aligned[1:], false},
	} {
		kernelMode{wide: c.blocks, blocks: c.blocks}.set()
		if got := streams(c.m, c.n, c.k, c.beta, c.c, c.ldc); got != c.want {
			t.Errorf("%s: streams = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestTransposeTileOfNothing checks that a tile of no rows or no columns
// writes nothing and reads nothing, so that it neither panics on empty
// or short slices nor checks them, on both paths.
func TestTransposeTileOfNothing(t *testing.T) {
	for _, kernel := range transposeTilePaths() {
		for _, r := range [][4]int{{0, 3, 0, 0}, {0, 3, 5, 5}, {0, 0, 0, 4}, {7, 7, 0, 4}, {3, 1, 0, 4}, {0, 4, 6, 2}} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("kernel %v, rows [%d, %d), columns [%d, %d): panic %v", kernel, r[0], r[1], r[2], r[3], p)
					}
				}()
				transposeTile(nil, 8, nil, 8, r[0], r[1], r[2], r[3], kernel)
			}()
		}
	}
}
