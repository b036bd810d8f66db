package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/infomax/infomax/internal/parallel"
)

// sgemmCase is one Sgemm call: shapes, transposes, scalars and the
// leading dimensions' slack beyond the tightest legal value.
type sgemmCase struct {
	tA, tB                blas.Transpose
	m, n, k               int
	alpha, beta           float32
	padA, padB, padC      int
	nanC                  bool
	aData, bData, cBefore []float32
	lda, ldb, ldc         int
}

// fill makes random operands for c, with C's slack filled with a
// sentinel (or all of C with NaN when nanC is set).
func (c *sgemmCase) fill(rng *rand.Rand) {
	ra, ca := c.m, c.k
	if c.tA != blas.NoTrans {
		ra, ca = c.k, c.m
	}
	rb, cb := c.k, c.n
	if c.tB != blas.NoTrans {
		rb, cb = c.n, c.k
	}
	c.lda = max(1, ca) + c.padA
	c.ldb = max(1, cb) + c.padB
	c.ldc = max(1, c.n) + c.padC
	c.aData = randomMatrix(rng, ra, c.lda)
	c.bData = randomMatrix(rng, rb, c.ldb)
	c.cBefore = randomMatrix(rng, c.m, c.ldc)
	for i := range c.cBefore {
		if c.nanC {
			c.cBefore[i] = float32(math.NaN())
		} else if i%c.ldc >= c.n {
			c.cBefore[i] = 12345
		}
	}
}

func randomMatrix(rng *rand.Rand, rows, ld int) []float32 {
	v := make([]float32, rows*ld)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func (c *sgemmCase) String() string {
	return fmt.Sprintf("%c%c m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.lda, c.ldb, c.ldc)
}

// run calls impl's Sgemm on a copy of C and returns it.
func (c *sgemmCase) run(impl blas.Float32) []float32 {
	out := append([]float32(nil), c.cBefore...)
	impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.aData, c.lda, c.bData, c.ldb, c.beta, out, c.ldc)
	return out
}

// check compares got with a float64 reference, allowing the rounding
// error of a float32 sum of k products, and checks that C's slack
// beyond column n is untouched.
func (c *sgemmCase) check(t *testing.T, got []float32) {
	t.Helper()
	opA := func(i, l int) float64 {
		if c.tA != blas.NoTrans {
			return float64(c.aData[l*c.lda+i])
		}
		return float64(c.aData[i*c.lda+l])
	}
	opB := func(l, j int) float64 {
		if c.tB != blas.NoTrans {
			return float64(c.bData[j*c.ldb+l])
		}
		return float64(c.bData[l*c.ldb+j])
	}
	for i := 0; i < c.m; i++ {
		for j := 0; j < c.ldc; j++ {
			idx := i*c.ldc + j
			if j >= c.n {
				if math.Float32bits(got[idx]) != math.Float32bits(c.cBefore[idx]) {
					t.Fatalf("%v: C[%d][%d] beyond column n changed from %v to %v", c, i, j, c.cBefore[idx], got[idx])
				}
				continue
			}
			var sum, size float64
			for l := 0; l < c.k; l++ {
				p := opA(i, l) * opB(l, j)
				sum += p
				size += math.Abs(p)
			}
			want := float64(c.alpha) * sum
			size *= math.Abs(float64(c.alpha))
			if c.beta != 0 {
				before := float64(c.cBefore[idx])
				want += float64(c.beta) * before
				size += math.Abs(float64(c.beta) * before)
			}
			tol := 1e-6 * float64(c.k+4) * (size + 1e-30)
			if g := float64(got[idx]); !(math.Abs(g-want) <= tol) {
				t.Fatalf("%v: C[%d][%d] = %v, want %v (tolerance %v)", c, i, j, g, want, tol)
			}
		}
	}
}

var (
	transposes = []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}
	alphas     = []float32{0, 1, -0.7}
	betas      = []float32{0, 1, 0.3}
)

// TestSgemmSmallShapes runs every m, n, k in 0..20 with each pair of
// transposes, cycling through alpha, beta and leading-dimension slack.
func TestSgemmSmallShapes(t *testing.T) {
	if !HasKernel() {
		t.Log("no AVX2+FMA: Implementation.Sgemm is gonum's")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var impl Implementation
	count := 0
	for m := 0; m <= 20; m++ {
		for n := 0; n <= 20; n++ {
			for k := 0; k <= 20; k++ {
				for _, tA := range transposes[:2] {
					for _, tB := range transposes[:2] {
						count++
						c := &sgemmCase{tA: tA, tB: tB, m: m, n: n, k: k,
							alpha: alphas[count%3], beta: betas[(count/3)%3],
							padA: count % 3, padB: (count / 2) % 2, padC: (count / 5) % 3}
						c.fill(rng)
						c.check(t, c.run(impl))
					}
				}
			}
		}
	}
}

// TestSgemmLargerShapes runs shapes that cross the kernel's tile and
// block sizes with every transpose, alpha and beta.
func TestSgemmLargerShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var impl Implementation
	shapes := [][3]int{{37, 129, 65}, {256, 300, 17}, {97, 33, 300}, {7, 2100, 9}, {1, 1, 600}, {200, 1, 40}, {1, 200, 40}}
	for si, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for ai, alpha := range alphas {
					for bi, beta := range betas {
						// The large shapes take every scalar pair with
						// plain operands, and one pair per transpose.
						if (tA != blas.NoTrans || tB != blas.NoTrans) && (ai+bi+si)%3 != 0 {
							continue
						}
						c := &sgemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: alpha, beta: beta,
							padA: si % 3, padB: (si + 1) % 4, padC: (si + 2) % 3}
						c.fill(rng)
						c.check(t, c.run(impl))
					}
				}
			}
		}
	}
}

// TestSgemmBetaZeroOverwritesNaN checks BLAS's rule that beta = 0 sets C
// without reading it, so NaNs in C vanish, including when alpha is 0 or
// k is 0.
func TestSgemmBetaZeroOverwritesNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var impl Implementation
	for _, s := range [][3]int{{5, 7, 3}, {37, 129, 65}, {13, 40, 0}} {
		for _, alpha := range alphas {
			c := &sgemmCase{tA: blas.NoTrans, tB: blas.Trans, m: s[0], n: s[1], k: s[2], alpha: alpha, nanC: true}
			c.fill(rng)
			got := c.run(impl)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.n; j++ {
					if math.IsNaN(float64(got[i*c.ldc+j])) {
						t.Fatalf("%v: C[%d][%d] is NaN", c, i, j)
					}
				}
			}
			c.nanC = false
			c.cBefore = make([]float32, len(c.cBefore))
			c.check(t, got)
		}
	}
}

// TestSgemmSameBitsAnyGOMAXPROCS checks that products large enough to
// run in parallel give bit-identical results on 1, 2 and 3 goroutines,
// splitting rows and columns, for every transpose and beta. With a plain
// A, the shapes with more than two blocks of rows and at least as many
// tiles down as across (256x300, 1000x20 over two slices of k, 800x2100
// over two panels of B) take sharedB's blocks of rows, as do 6x4096 and
// 64x1000 with a transposed B and beta 0, computed transposed; 1000x20
// and the transposed 64x1000, whose packed Bs are small, run each slice
// of k 24 rows at a time (smallB). 64x256 by 256x256ᵀ stays plain
// (plainSmallB). 1x512 by 512x600 with a plain B is a one-row product and
// 4096x100 by 100x1 a matrix-vector one (rowProduct, columnProduct), split
// into column and row chunks. The others split into one range per
// goroutine. A NaN in A and B at one depth of 64x256 by 256x256ᵀ gets the
// same payload on any number of goroutines too.
func TestSgemmSameBitsAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(9, 10))
	var impl Implementation
	var cases []*sgemmCase
	for _, s := range [][3]int{{37, 129, 65}, {256, 300, 17}, {6, 4096, 64}, {1000, 20, 300}, {64, 1000, 600}, {800, 2100, 20}, {64, 256, 256}, {1, 512, 600}, {4096, 1, 100}} {
		for _, tr := range [][2]blas.Transpose{{blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}} {
			for _, beta := range []float32{0.3, 0, 1} {
				padC := 2
				if s[1] == 1 {
					padC = 0 // a contiguous column, as columnProduct takes
				}
				cases = append(cases, &sgemmCase{tA: tr[0], tB: tr[1], m: s[0], n: s[1], k: s[2], alpha: -0.7, beta: beta, padA: 1, padC: padC})
			}
		}
	}
	nans := &sgemmCase{tA: blas.NoTrans, tB: blas.Trans, m: 64, n: 256, k: 256, alpha: 1}
	nans.fill(rng)
	for r := range nans.m {
		nans.aData[nans.index(nans.tA, r, 100, nans.lda)] = math.Float32frombits(0x7fc00000 | uint32(r))
	}
	for col := range nans.n {
		nans.bData[nans.index(nans.tB, 100, col, nans.ldb)] = math.Float32frombits(0xffe00000 | uint32(col))
	}
	for _, c := range append(cases, nans) {
		if c != nans {
			c.fill(rng)
		}
		if c.m*c.n*c.k < parallelVolume {
			t.Fatalf("%v is too small to run in parallel", c)
		}
		runtime.GOMAXPROCS(1)
		want := c.run(impl)
		for _, procs := range []int{2, 3} {
			runtime.GOMAXPROCS(procs)
			got := c.run(impl)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v: element %d is %v on %d goroutines, %v on 1", c, i, got[i], procs, want[i])
				}
			}
		}
		if c != nans {
			c.check(t, want)
		}
	}
}

// TestSgemmColumnSameBitsAsPadded checks that a matrix-vector product
// (n = 1 with a contiguous C: with a transposed A computed as the row
// Cᵀ = op(B)ᵀ op(A)ᵀ by rowProduct, with a plain A by columnProduct)
// gives the same bits as the general path, which a padded C takes, for
// every transpose, alpha and beta (and a C of NaNs under beta 0), on
// shapes that run in parallel and that do not, with and without a tail of
// rows short of sixteen (columnTail).
func TestSgemmColumnSameBitsAsPadded(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var impl Implementation
	count := 0
	for _, s := range [][2]int{{2, 3}, {7, 300}, {97, 33}, {512, 700}, {4096, 130}, {37, 260}} {
		for _, tA := range transposes[:2] {
			for _, tB := range transposes[:2] {
				count++
				column := &sgemmCase{tA: tA, tB: tB, m: s[0], n: 1, k: s[1],
					alpha: alphas[1+count%2], beta: betas[count%3], padA: count % 2, padB: count % 3}
				if count%3 == 1 { // C of NaNs, which beta 0 must not read
					column.beta, column.nanC = 0, true
				}
				column.fill(rng)
				if column.ldc != 1 {
					t.Fatalf("%v: C is not contiguous", column)
				}
				padded := *column
				padded.ldc = 2
				padded.cBefore = make([]float32, 2*column.m)
				for i := range column.m {
					padded.cBefore[2*i] = column.cBefore[i]
				}
				want, got := padded.run(impl), column.run(impl)
				for i := range column.m {
					if math.Float32bits(got[i]) != math.Float32bits(want[2*i]) {
						t.Fatalf("%v: C[%d] = %v, %v through the general path", column, i, got[i], want[2*i])
					}
				}
				column.check(t, got)
			}
		}
	}
}

// TestSgemmRowSameBitsAsTwoRows checks that one-row products with a plain
// B (rowProduct: row64 and row16 on the columns in multiples of 16, the
// general path on the rest) give the bits that the same row gets in a
// two-row product, which the general path computes, for a plain and a
// transposed A, every beta (and a C of NaNs under beta 0), several
// depth blocks, and column counts that leave 64-column chunks, 16-column
// groups and a remainder.
func TestSgemmRowSameBitsAsTwoRows(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2+FMA kernel: Implementation.Sgemm is gonum's")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	var impl Implementation
	count := 0
	for _, s := range [][2]int{{16, 1}, {16, 5}, {17, 300}, {64, 256}, {100, 257}, {256, 4096}, {1000, 600}, {33, 40}, {200, 1}} {
		for _, tA := range transposes[:2] {
			for _, nanC := range []bool{false, true} {
				count++
				two := &sgemmCase{tA: tA, tB: blas.NoTrans, m: 2, n: s[0], k: s[1], alpha: alphas[1+count%2],
					beta: betas[count%3], padA: count % 3, padB: count % 2, padC: 1, nanC: nanC}
				if nanC {
					two.beta = 0
				}
				two.fill(rng)
				one := *two
				one.m, one.cBefore = 1, two.cBefore[:two.ldc]
				want, got := two.run(impl), one.run(impl)
				sameBits(t, &one, got, want[:one.ldc], "the general path's, in a two-row product")
				one.check(t, got)
			}
		}
	}
}

// TestSgemmOuterSameBitsAsGeneral checks that products of depth 1
// (outerProduct: outer16 on the columns in multiples of 16, the general
// path on the rest) give the general path's bits, for both transposes of
// A, a plain B and a transposed one with ldb 1 (a transposed B with more
// slack takes the general path), every alpha and beta, a C of NaNs under
// beta 0, shapes that split between goroutines and that do not, every
// kernel path this CPU runs (the AVX2 one too), and operands holding
// signed zeros, infinities and NaNs, whose products' signs and NaN
// payloads the fused multiply-add into zero decides.
func TestSgemmOuterSameBitsAsGeneral(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2+FMA kernel: Implementation.Sgemm is gonum's")
	}
	defer func(on bool) { useOuter = on }(useOuter)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer currentMode().set()
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002)}
	rng := rand.New(rand.NewPCG(31, 32))
	var impl Implementation
	count := 0
	for _, s := range [][2]int{{2, 16}, {3, 17}, {40, 100}, {300, 64}, {4096, 256}, {1000, 200}, {513, 33}} {
		for _, tA := range transposes[:2] {
			for _, tB := range transposes[:2] {
				count++
				c := &sgemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: 1, alpha: alphas[1+count%2],
					beta: betas[count%3], padA: count % 2, padC: count % 3, nanC: count%4 == 1}
				if c.nanC {
					c.beta = 0
				}
				c.fill(rng)
				for i, v := range specials {
					c.aData[(i*7)%len(c.aData)] = v
					c.bData[(i*5)%len(c.bData)] = v
				}
				for _, mode := range kernelModes() {
					mode.set()
					useOuter = false
					want := c.run(impl)
					useOuter = true
					got := c.run(impl)
					sameBits(t, c, got, want, "the general path's ("+mode.String()+")")
				}
			}
		}
	}
}

// TestNextPair checks the pair of slivers of B that columnPair has the
// kernel prefetch, in panels at the first columns and further right: the
// pair to the right of the one read, within the panel's slivers read in
// place, then the first pair of the panel's next depths; b itself where B
// is packed or no depths follow.
func TestNextPair(t *testing.T) {
	const k, ldb = 600, 2200
	b := make([]float32, k*ldb)
	p := &product{b: b, ldb: ldb, k: k}
	at := func(f *float32) int { return int(uintptr(unsafe.Pointer(f))-uintptr(unsafe.Pointer(&b[0]))) / 4 }
	for _, cols := range []struct{ jc, nc int }{{0, 100}, {blockCols, ldb - blockCols}} {
		for _, pc := range []int{0, 256, 512} {
			pan := panel{jc: cols.jc, nc: cols.nc, pc: pc, kc: min(depthBlock, k-pc), bPackedFrom: cols.nc / kernelCols * kernelCols}
			r := rowTiles{p: p, pan: pan}
			for jr := 0; jr+2*kernelCols <= pan.bPackedFrom; jr += 2 * kernelCols {
				want := pc*ldb + cols.jc + jr + 2*kernelCols
				switch {
				case jr+4*kernelCols > pan.bPackedFrom && pc+pan.kc < k:
					want = (pc+pan.kc)*ldb + cols.jc
				case jr+4*kernelCols > pan.bPackedFrom:
					want = pc*ldb + cols.jc + jr
				}
				if got := at(r.nextPair(jr, r.sliverB(jr))); got != want {
					t.Errorf("columns from %d, depths from %d, pair at %d: next pair at element %d, want %d", cols.jc, pc, jr, got, want)
				}
			}
		}
	}
	packed := make([]float32, 16*kernelCols)
	r := rowTiles{p: p, pan: panel{nc: 100, kc: 16}, packedB: packed}
	if got := r.nextPair(0, r.sliverB(0)); got != &packed[0] {
		t.Errorf("packed B: next pair is not the sliver itself")
	}
}

// TestSgemmInPlaceSameBitsAsPacked checks that products whose plain
// operands the kernel reads in place (B under one or two blocks of rows, A
// whenever B is packed) give the same bits as the same products with
// that operand stored transposed, which is always packed. The last B
// shape, 64x256 by 256x256 with A plain, is one that farB's depth rule
// packs although it is small.
func TestSgemmInPlaceSameBitsAsPacked(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2+FMA kernel: Implementation.Sgemm is gonum's, whose order of sums depends on the transposes")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	var impl Implementation
	for _, c := range []struct {
		operand string
		shapes  [][3]int
	}{
		{"B", [][3]int{{1, 16, 5}, {6, 40, 300}, {64, 1000, 600}, {96, 2100, 33}, {97, 50, 20}, {120, 30, 20}, {150, 1000, 40}, {193, 33, 40}, {64, 256, 256}}},
		{"A", [][3]int{{200, 50, 300}, {97, 33, 20}, {6, 40, 300}, {1000, 17, 600}, {301, 129, 65}}},
	} {
		for i, s := range c.shapes {
			plain := &sgemmCase{tA: transposes[i%2], tB: transposes[(i+1)%2], m: s[0], n: s[1], k: s[2],
				alpha: alphas[1+i%2], beta: betas[i%3], padA: i % 3, padB: i % 2, padC: 1}
			if c.operand == "B" {
				plain.tB = blas.NoTrans
			} else {
				plain.tA = blas.NoTrans
			}
			plain.fill(rng)
			packed := *plain
			if c.operand == "B" {
				packed.tB, packed.ldb = blas.Trans, plain.k+1
				packed.bData = transposeMatrix(plain.bData, plain.k, plain.n, plain.ldb, packed.ldb)
			} else {
				packed.tA, packed.lda = blas.Trans, plain.m+2
				packed.aData = transposeMatrix(plain.aData, plain.m, plain.k, plain.lda, packed.lda)
			}
			want, got := packed.run(impl), plain.run(impl)
			sameBits(t, plain, got, want, c.operand+" packed")
			plain.check(t, got)
		}
	}
}

// TestSgemmTransposedProductSameBits checks that the products Sgemm
// computes as Cᵀ = op(B)ᵀ op(A)ᵀ through a scratch matrix (Aᵀ·B with few
// columns, A·Bᵀ with few rows, beta 0) give the same bits as the same
// products with the transposed operand stored plain.
func TestSgemmTransposedProductSameBits(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2+FMA kernel: Implementation.Sgemm is gonum's, whose order of sums depends on the transposes")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	var impl Implementation
	// C of 8000 elements is copied on one goroutine, the larger ones on
	// all (transposeSplit); most shapes leave a tail of fewer than eight rows.
	// The last shape takes the transposed path only as Aᵀ·B: more than
	// blockRows columns, at least four times as many rows. Every B of
	// A·Bᵀ is larger than plainSmallB.
	for i, s := range [][3]int{{300, 40, 500}, {97, 96, 800}, {1000, 20, 300}, {512, 64, 700}, {400, 20, 200}, {600, 120, 500}} {
		for _, aTrans := range []bool{true, false} {
			if !aTrans && s[1] > blockRows {
				continue
			}
			c := &sgemmCase{tA: blas.Trans, tB: blas.NoTrans, m: s[0], n: s[1], k: s[2],
				alpha: alphas[1+i%2], padA: i % 2, padB: i % 3, padC: i % 2}
			if !aTrans { // A·Bᵀ with few rows: the shape's rows and columns swapped
				c.tA, c.tB, c.m, c.n = blas.NoTrans, blas.Trans, s[1], s[0]
			}
			c.fill(rng)
			if !transposeWins(aTrans, !aTrans, c.m, c.n, c.k) || c.m*c.n*c.k < parallelVolume {
				t.Fatalf("%v does not take the transposed path", c)
			}
			plain := *c
			if aTrans {
				plain.tA, plain.lda = blas.NoTrans, c.k+1
				plain.aData = transposeMatrix(c.aData, c.k, c.m, c.lda, plain.lda)
			} else {
				plain.tB, plain.ldb = blas.NoTrans, c.n+1
				plain.bData = transposeMatrix(c.bData, c.n, c.k, c.ldb, plain.ldb)
			}
			want, got := plain.run(impl), c.run(impl)
			sameBits(t, c, got, want, "the operand stored plain")
			c.check(t, got)
		}
	}
}

// TestTransposeIntoMatchesTheDefinition checks transposeInto, 8x8 blocks
// and tails, on one goroutine and split, against C[i][j] = t[j*m+i], and
// that it leaves the padding of C's rows alone.
func TestTransposeIntoMatchesTheDefinition(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2 kernel: transposeInto is only called by the kernel's products")
	}
	rng := rand.New(rand.NewPCG(29, 30))
	shapes := [][2]int{{1, 1}, {8, 8}, {7, 9}, {9, 7}, {16, 3}, {3, 16}, {24, 40}, {64, 256}, {256, 64}, {100, 90}, {13, 1000}}
	for _, s := range shapes {
		m, n := s[0], s[1]
		for _, pad := range []int{0, 5} {
			ldc := n + pad
			src := randomMatrix(rng, n, m)
			c := make([]float32, m*ldc)
			for e := range c {
				c[e] = -1
			}
			transposeInto(c, ldc, src, m, n)
			for i := range m {
				for j := range ldc {
					want := float32(-1)
					if j < n {
						want = src[j*m+i]
					}
					if got := c[i*ldc+j]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("m=%d n=%d ldc=%d: C[%d][%d] = %v, want %v", m, n, ldc, i, j, got, want)
					}
				}
			}
		}
	}
}

// transposeTilePaths lists the values of transposeTile's blocks8 that
// this CPU can run: the Go copies alone, and the AVX2 blocks where it has
// the kernel.
func transposeTilePaths() []bool {
	if hasKernel {
		return []bool{false, true}
	}
	return []bool{false}
}

// TestTransposeTileMatchesTheDefinition checks TransposeTile, with the
// AVX2 blocks where the CPU has them and with Go copies alone, on tiles
// with and without full eights of rows and columns, inside padded
// matrices: C[i][j] = t[j*ldt+i] inside the tile, bit for bit (a NaN's
// payload too), and C untouched outside it.
func TestTransposeTileMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	kernels := transposeTilePaths()
	tiles := [][4]int{{0, 8, 0, 8}, {0, 37, 0, 45}, {8, 24, 16, 40}, {3, 29, 5, 6}, {16, 17, 0, 300}, {40, 48, 250, 300}, {5, 5, 0, 9}}
	for _, kernel := range kernels {
		for _, tl := range tiles {
			i0, i1, j0, j1 := tl[0], tl[1], tl[2], tl[3]
			rows, cols := 50, 310 // of C; t is cols × rows
			ldc, ldt := cols+3, rows+5
			src := randomMatrix(rng, cols, ldt)
			src[(j0)*ldt+i0] = math.Float32frombits(0x7fc01234)
			c := make([]float32, rows*ldc)
			for e := range c {
				c[e] = -1
			}
			transposeTile(c, ldc, src, ldt, i0, i1, j0, j1, kernel)
			for i := range rows {
				for j := range ldc {
					want := float32(-1)
					if i >= i0 && i < i1 && j >= j0 && j < j1 {
						want = src[j*ldt+i]
					}
					if got := c[i*ldc+j]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("kernel %v, tile %v: C[%d][%d] = %#x, want %#x", kernel, tl, i, j, math.Float32bits(got), math.Float32bits(want))
					}
				}
			}
		}
	}
}

// TestTransposeTileChecksItsOperands runs TransposeTile's two paths on a
// C and a t exactly long enough for the tile (the last element of each
// is the last the tile touches), then on one element less of either, and
// with a negative leading dimension: those panic before C changes.
func TestTransposeTileChecksItsOperands(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	kernels := transposeTilePaths()
	const i0, i1, j0, j1, ldc, ldt = 3, 27, 5, 42, 50, 31
	for _, kernel := range kernels {
		src := randomMatrix(rng, 1, (j1-1)*ldt+i1)
		c := make([]float32, (i1-1)*ldc+j1)
		transposeTile(c, ldc, src, ldt, i0, i1, j0, j1, kernel)
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				if math.Float32bits(c[i*ldc+j]) != math.Float32bits(src[j*ldt+i]) {
					t.Fatalf("kernel %v: C[%d][%d] = %v, want %v", kernel, i, j, c[i*ldc+j], src[j*ldt+i])
				}
			}
		}
		for _, bad := range []struct {
			name     string
			c, src   []float32
			ldc, ldt int
		}{
			{"C one short", c[:len(c)-1], src, ldc, ldt},
			{"t one short", c, src[:len(src)-1], ldc, ldt},
			{"negative ldt", c, src, ldc, -1},
		} {
			clear(c)
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("kernel %v, %s: no panic", kernel, bad.name)
					}
				}()
				transposeTile(bad.c, bad.ldc, bad.src, bad.ldt, i0, i1, j0, j1, kernel)
			}()
			for e, v := range c {
				if v != 0 {
					t.Fatalf("kernel %v, %s: C[%d] written before the panic", kernel, bad.name, e)
				}
			}
		}
	}
}

// transposeMatrix returns the transpose of the rows x cols matrix x
// (leading dimension ld) with leading dimension ldt.
func transposeMatrix(x []float32, rows, cols, ld, ldt int) []float32 {
	out := make([]float32, cols*ldt)
	for r := range rows {
		for c := range cols {
			out[c*ldt+r] = x[r*ld+c]
		}
	}
	return out
}

// sameBits fails the test at the first element of got whose bits differ
// from want's, which c computed through the path that what names.
func sameBits(t *testing.T, c *sgemmCase, got, want []float32, what string) {
	t.Helper()
	for e := range got {
		if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
			t.Fatalf("%v: element %d is %v, %v with %s", c, e, got[e], want[e], what)
		}
	}
}

// TestSgemmPanicsLikeGonum checks that bad arguments panic with gonum's
// messages.
func TestSgemmPanicsLikeGonum(t *testing.T) {
	a := make([]float32, 12)
	b := make([]float32, 12)
	c := make([]float32, 12)
	type call struct {
		tA, tB        blas.Transpose
		m, n, k       int
		lda, ldb, ldc int
		a, b, c       []float32
	}
	calls := []call{
		{tA: 'X', tB: blas.NoTrans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: 'X', m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: -1, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: -1, k: 2, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: -1, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 3, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.Trans, tB: blas.NoTrans, m: 3, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 3, k: 2, lda: 2, ldb: 2, ldc: 3},
		{tA: blas.NoTrans, tB: blas.Trans, m: 2, n: 2, k: 3, lda: 3, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 3, k: 2, lda: 2, ldb: 3, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, a: a[:3]},
		{tA: blas.Trans, tB: blas.NoTrans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, a: a[:3]},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, b: b[:3]},
		{tA: blas.NoTrans, tB: blas.Trans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, b: b[:3]},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, c: c[:3]},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 0, lda: 0, ldb: 2, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 0, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, a: a[:0], c: c[:0]},
	}
	panicOf := func(impl blas.Float32, cl call) (msg any) {
		defer func() { msg = recover() }()
		impl.Sgemm(cl.tA, cl.tB, cl.m, cl.n, cl.k, 1, cl.a, cl.lda, cl.b, cl.ldb, 0, cl.c, cl.ldc)
		return nil
	}
	for i, cl := range calls {
		if cl.a == nil {
			cl.a = a
		}
		if cl.b == nil {
			cl.b = b
		}
		if cl.c == nil {
			cl.c = c
		}
		want := panicOf(gonum.Implementation{}, cl)
		got := panicOf(Implementation{}, cl)
		if got != want {
			t.Errorf("call %d (%+v): panic %v, gonum's %v", i, cl, got, want)
		}
		if want == nil && i < len(calls)-1 {
			t.Errorf("call %d (%+v): gonum does not panic; the test expects it to", i, cl)
		}
	}
}

// BenchmarkSgemm times gonum's Sgemm and Implementation's on the
// products a DIM training step at batch 64 spends most of its time in
// (BenchmarkDIMStepTorchReference, traced shape by shape): im2col
// convolutions forward (rows are batch times locations) and backward
// (Aᵀ·dY for the weights, with k the batch times locations), the fc
// layer's products at 64 rows, the local critic's 1x1 layers on 4,096
// locations, its scores of 64 global codes against 4,096 local features,
// and a matrix-vector product. The "go" side runs the kernels this CPU
// takes, which Name reports (go-avx512 or go-avx2); built with the
// openblas tag it is gonum's, and an "openblas" side runs OpenBLAS
// (extraBenchImpls), so that two builds compare ours with OpenBLAS shape
// by shape.
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"conv1_m16384_k48_n64", blas.NoTrans, blas.NoTrans, 16384, 64, 48},
		{"conv_m4096_k1024_n128", blas.NoTrans, blas.NoTrans, 4096, 128, 1024},
		{"conv_m1024_k2048_n256", blas.NoTrans, blas.NoTrans, 1024, 256, 2048},
		{"convgrad_At_m1024_k4096_n128", blas.Trans, blas.NoTrans, 1024, 128, 4096},
		{"critic_At_m512_k4096_n512", blas.Trans, blas.NoTrans, 512, 512, 4096},
		{"critic_At_m512_k4096_n64", blas.Trans, blas.NoTrans, 512, 64, 4096},
		{"critic_At_m128_k4096_n512", blas.Trans, blas.NoTrans, 128, 512, 4096},
		{"critic_Bt_m4096_k512_n128", blas.NoTrans, blas.Trans, 4096, 128, 512},
		{"convgrad_At_m2048_k1024_n256", blas.Trans, blas.NoTrans, 2048, 256, 1024},
		{"critic_m4096_k512_n512", blas.NoTrans, blas.NoTrans, 4096, 512, 512},
		{"fc_m64_k4096_n1024", blas.NoTrans, blas.NoTrans, 64, 1024, 4096},
		{"scores_m64_k2048_n4096_Bt", blas.NoTrans, blas.Trans, 64, 4096, 2048},
		{"gemv_At_m512_k4096_n1", blas.Trans, blas.NoTrans, 512, 1, 4096},
		{"gemv_m4096_k512_n1", blas.NoTrans, blas.NoTrans, 4096, 1, 512},
		{"fcgrad_At_m4096_k64_n1024", blas.Trans, blas.NoTrans, 4096, 1024, 64},
		{"fcgrad_Bt_m64_k1024_n4096", blas.NoTrans, blas.Trans, 64, 4096, 1024},
		{"gauss_m64_k256_n256", blas.NoTrans, blas.NoTrans, 64, 256, 256},
		{"gauss_At_m256_k64_n256", blas.Trans, blas.NoTrans, 256, 256, 64},
		{"gauss_Bt_m64_k256_n256", blas.NoTrans, blas.Trans, 64, 256, 256},
		{"concat_m4096_k256_n256", blas.NoTrans, blas.NoTrans, 4096, 256, 256},
		{"concat_Bt_m4096_k256_n256", blas.NoTrans, blas.Trans, 4096, 256, 256},
		{"concat_At_m256_k4096_n256", blas.Trans, blas.NoTrans, 256, 256, 4096},
		{"concat_outer_Bt_m4096_k1_n256", blas.NoTrans, blas.Trans, 4096, 256, 1},
		{"concat_gemv_m4096_k256_n1", blas.NoTrans, blas.NoTrans, 4096, 1, 256},
	}
	impls := append([]benchImpl{{"gonum", gonum.Implementation{}}, {"go", Implementation{}}}, extraBenchImpls...)
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		a := randomMatrix(rng, s.m, s.k)
		bm := randomMatrix(rng, s.k, s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA != blas.NoTrans {
			lda = s.m
		}
		if s.tB != blas.NoTrans {
			ldb = s.k
		}
		for _, im := range impls {
			b.Run(s.name+"/"+im.name, func(b *testing.B) {
				for b.Loop() {
					im.impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// benchImpl is one side of BenchmarkSgemm: a name and a BLAS.
type benchImpl struct {
	name string
	impl blas.Float32
}

// extraBenchImpls are sides of BenchmarkSgemm that a build tag adds.
var extraBenchImpls []benchImpl

// TestMatmulFlopsCountsEveryProduct checks that MatmulFlops grows by
// 2·m·n·k for a product, whichever path computes it, and not for one that
// does nothing.
func TestMatmulFlopsCountsEveryProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var impl Implementation
	for _, s := range [][3]int{{37, 129, 65}, {512, 1, 300}, {0, 5, 7}, {5, 0, 7}, {3, 4, 0}} {
		c := &sgemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 1}
		c.fill(rng)
		before := MatmulFlops()
		c.run(impl)
		want := uint64(2 * s[0] * s[1] * s[2])
		if got := MatmulFlops() - before; got != want {
			t.Errorf("%v: MatmulFlops grew by %d, want %d", c, got, want)
		}
	}
}

// TestSgemmAVX512SameBitsAsAVX2 checks that pairs of tiles computed by
// the AVX-512 kernel kernel12x16z, and 12x32 blocks computed by
// kernel12x32z, give the same bits as the AVX2 kernels alone, on products
// that reach every kernel variant (A and B packed, B in place, A in
// place, a large far-strided B under few rows packed and in place, a
// transposed A of more than superRows rows), every store mode, odd
// numbers of full tiles, edge tiles and odd depths; and that all are the
// product. It runs the AVX2 path on machines that would otherwise take
// the AVX-512 ones, and every AVX-512 path on any AVX-512F machine.
func TestSgemmAVX512SameBitsAsAVX2(t *testing.T) {
	if !HasKernel() || !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512F: Sgemm runs the AVX2 kernels alone, which the other tests check")
	}
	defer currentMode().set()
	rng := rand.New(rand.NewPCG(17, 18))
	var impl Implementation
	shapes := [][3]int{{12, 16, 1}, {24, 32, 7}, {18, 16, 300}, {97, 50, 20}, {64, 1000, 600},
		{200, 50, 300}, {301, 129, 65}, {193, 33, 40}, {1000, 17, 600}, {36, 4096, 64}, {120, 30, 257},
		{400, 80, 70}, {390, 64, 513}, {1601, 40, 30}}
	modes := kernelModes()
	for i, s := range shapes {
		for j, tr := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}} {
			c := &sgemmCase{tA: tr[0], tB: tr[1], m: s[0], n: s[1], k: s[2],
				alpha: alphas[1+(i+j)%2], beta: betas[(i+j)%3], padA: j % 3, padB: i % 2, padC: 1}
			c.fill(rng)
			modes[0].set()
			want := c.run(impl)
			for _, mode := range modes[1:] {
				mode.set()
				got := c.run(impl)
				sameBits(t, c, got, want, "the AVX2 kernels' ("+mode.String()+")")
				c.check(t, got)
			}
		}
	}
}

// kernelMode is a choice of Sgemm's AVX-512 paths: the settings of
// useWide, useBlocks, inPlacePairs and packLargeB.
type kernelMode struct{ wide, blocks, inPlace, packLarge bool }

// currentMode returns the paths Sgemm takes now.
func currentMode() kernelMode { return kernelMode{useWide, useBlocks, inPlacePairs, packLargeB} }

// set makes Sgemm take m's paths.
func (m kernelMode) set() {
	useWide, useBlocks, inPlacePairs, packLargeB = m.wide, m.blocks, m.inPlace, m.packLarge
}

// String names m's paths for test failures.
func (m kernelMode) String() string {
	return fmt.Sprintf("AVX-512 pairs %v, 12x32 blocks %v, A in place %v, large B packed %v", m.wide, m.blocks, m.inPlace, m.packLarge)
}

// kernelModes returns the choices of paths this CPU can run, the AVX2
// kernels alone first: on a CPU with AVX-512F, the 12x16 pairs with and
// without pairs of A read in place, and with the 12x32 blocks every
// combination of those pairs and of a large B packed or read in place
// (packLargeB, which only the blocks consult), whichever the CPU takes
// by default, so that each path is tested on every such machine.
func kernelModes() []kernelMode {
	modes := []kernelMode{{}}
	if hasKernel && cpu.X86.HasAVX512F {
		modes = append(modes, kernelMode{true, false, false, false}, kernelMode{true, false, true, false},
			kernelMode{true, true, false, false}, kernelMode{true, true, false, true},
			kernelMode{true, true, true, false}, kernelMode{true, true, true, true})
	}
	return modes
}

// TestSgemmAVX512KeepsANaNFirst checks that every kernel takes A's value
// as the multiply's first operand: where a product's first NaN term has
// a NaN in both A and B, x86 returns the first operand's payload, so C
// gets A's NaN whether the AVX2 kernels, the 12x16 pairs or the 12x32
// blocks computed it. Row i of op(A) and column j of op(B) each carry
// their own payload at one depth, so a tile computed from the wrong
// sliver would show too.
func TestSgemmAVX512KeepsANaNFirst(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2 and FMA: Sgemm is gonum's")
	}
	defer currentMode().set()
	rng := rand.New(rand.NewPCG(19, 20))
	var impl Implementation
	modes := kernelModes()
	for i, s := range [][3]int{{24, 32, 7}, {97, 50, 20}, {301, 129, 65}, {400, 80, 70}, {390, 64, 513}, {64, 1000, 600}} {
		for j, tr := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}} {
			c := &sgemmCase{tA: tr[0], tB: tr[1], m: s[0], n: s[1], k: s[2],
				alpha: alphas[1+(i+j)%2], beta: betas[(i+j)%3], padA: j % 3, padB: i % 2, padC: 1}
			c.fill(rng)
			p := c.k / 2
			for r := 0; r < c.m; r++ {
				c.aData[c.index(c.tA, r, p, c.lda)] = math.Float32frombits(0x7fc00000 | uint32(r))
			}
			for col := 0; col < c.n; col++ {
				c.bData[c.index(c.tB, p, col, c.ldb)] = math.Float32frombits(0xffe00000 | uint32(col))
			}
			for _, mode := range modes {
				mode.set()
				got := c.run(impl)
				for r := 0; r < c.m; r++ {
					for col := 0; col < c.n; col++ {
						if g := math.Float32bits(got[r*c.ldc+col]); g != 0x7fc00000|uint32(r) {
							t.Fatalf("%v, %v: C[%d][%d] is %#x, want A's NaN %#x", c, mode, r, col, g, 0x7fc00000|uint32(r))
						}
					}
				}
			}
		}
	}
}

// TestSgemmTransposedFormTakesBsNaN pins the exceptions to A's NaN
// first: products computed as Cᵀ = op(B)ᵀ op(A)ᵀ (transposeWins, beta 0)
// and matrix-vector products (Aᵀx as the row xᵀA, rowProduct; plain A
// times x, columnProduct) multiply with B's value first, so where A and B
// hold NaNs at one depth C gets B's payload, under each of transposeWins's
// rules and on both vector paths.
func TestSgemmTransposedFormTakesBsNaN(t *testing.T) {
	if !HasKernel() {
		t.Skip("no AVX2 and FMA: Sgemm is gonum's")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	var impl Implementation
	for _, s := range []struct {
		tA, tB  blas.Transpose
		m, n, k int
	}{{blas.Trans, blas.NoTrans, 300, 40, 500}, {blas.Trans, blas.NoTrans, 600, 120, 500}, {blas.NoTrans, blas.Trans, 40, 300, 500},
		{blas.NoTrans, blas.NoTrans, 100, 1, 300}, {blas.Trans, blas.NoTrans, 100, 1, 300}} {
		c := &sgemmCase{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k, alpha: alphas[1]}
		c.fill(rng)
		if c.n > 1 && !transposeWins(s.tA == blas.Trans, s.tB == blas.Trans, c.m, c.n, c.k) {
			t.Fatalf("%v does not take the transposed path", c)
		}
		p := c.k / 2
		for r := 0; r < c.m; r++ {
			c.aData[c.index(c.tA, r, p, c.lda)] = math.Float32frombits(0x7fc00000 | uint32(r))
		}
		for col := 0; col < c.n; col++ {
			c.bData[c.index(c.tB, p, col, c.ldb)] = math.Float32frombits(0xffe00000 | uint32(col))
		}
		got := c.run(impl)
		for r := 0; r < c.m; r++ {
			for col := 0; col < c.n; col++ {
				if g := math.Float32bits(got[r*c.ldc+col]); g != 0xffe00000|uint32(col) {
					t.Fatalf("%v: C[%d][%d] is %#x, want B's NaN %#x", c, r, col, g, 0xffe00000|uint32(col))
				}
			}
		}
	}
}

// index is where element (r, col) of op(X) lies in X, with rows ld apart.
func (c *sgemmCase) index(tr blas.Transpose, r, col, ld int) int {
	if tr != blas.NoTrans {
		return col*ld + r
	}
	return r*ld + col
}

// runAligned is run with C's first element 64-byte aligned, as a product
// that streams needs (streams).
func (c *sgemmCase) runAligned(impl blas.Float32) []float32 {
	out := alignedFloats(len(c.cBefore))
	copy(out, c.cBefore)
	impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.aData, c.lda, c.bData, c.ldb, c.beta, out, c.ldc)
	return out
}

// alignedFloats returns n float32s whose first is 64-byte aligned.
func alignedFloats(n int) []float32 {
	buf := make([]float32, n+16)
	off := 0
	for uintptr(unsafe.Pointer(&buf[off]))%64 != 0 {
		off++
	}
	return buf[off : off+n]
}

// TestSgemmStreamsSameBits checks that products that store C with
// non-temporal stores (streams, here from any size of C) give the bits of
// the same products stored as usual, and the product, with C's slack
// untouched: plain and transposed operands, 12x32 and 6x32 blocks, with
// and without pairs of slivers of A read in place (inPlacePairs), edge
// tiles, C small enough for one goroutine and large enough for two (with
// GOMAXPROCS 2), and depths up to one depth block.
func TestSgemmStreamsSameBits(t *testing.T) {
	if !useBlocks {
		t.Skip("no AVX-512F: Sgemm runs no AVX-512 blocks, and streams none")
	}
	defer func(n int) { streamMin = n }(streamMin)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // C split between two goroutines
	defer currentMode().set()
	// With the 12x32 blocks, with and without pairs of A in place. No
	// shape here has a B large enough for packLargeB to matter, so only
	// the CPU's own setting of it runs.
	var modes []kernelMode
	for _, m := range kernelModes() {
		if m.blocks && m.packLarge == packLargeB {
			modes = append(modes, m)
		}
	}
	rng := rand.New(rand.NewPCG(21, 22))
	var impl Implementation
	shapes := [][3]int{{12, 32, 1}, {64, 64, 16}, {97, 50, 20}, {400, 96, 64}, {1000, 256, 256}, {30, 1024, 33}, {4096, 48, 7}}
	for i, s := range shapes {
		for j, tr := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}} {
			c := &sgemmCase{tA: tr[0], tB: tr[1], m: s[0], n: s[1], k: s[2],
				alpha: alphas[1+(i+j)%2], padA: j % 3, padB: i % 2}
			c.padC = (16 - s[1]%16) % 16
			if i%2 == 1 {
				c.padC += 16
			}
			c.fill(rng)
			for _, mode := range modes {
				mode.set()
				streamMin = 1 << 62
				want := c.runAligned(impl)
				streamMin = 0
				got := c.runAligned(impl)
				sameBits(t, c, got, want, "the same product stored as usual ("+mode.String()+")")
				c.check(t, got)
			}
		}
	}
	if streamMin = 0; !streams(64, 64, 16, 0, alignedFloats(64*64), 64) {
		t.Error("a 64-byte aligned C with beta 0 and k 16 does not stream")
	}
}

// BenchmarkSgemmFromMemory times products whose large operand comes from
// memory, as the encoder's fc layer and the global critic's first layer
// do in a training step (their weights are last touched by Adam, a step
// before): the weights are cycled among 12 copies, about 200 MB. GB/s is
// the weights' bytes read a second.
func BenchmarkSgemmFromMemory(b *testing.B) {
	shapes := []struct {
		name    string
		tB      blas.Transpose
		m, n, k int
	}{
		{"fc_dX_m16_Bt_k1024_n4096", blas.Trans, 16, 4096, 1024},
		{"global_dX_m16_Bt_k512_n4096", blas.Trans, 16, 4096, 512},
		{"fc_dX_m64_Bt_k1024_n4096", blas.Trans, 64, 4096, 1024},
		{"fc_m16_k4096_n1024", blas.NoTrans, 16, 1024, 4096},
		{"global_m16_k4096_n512", blas.NoTrans, 16, 512, 4096},
		{"fc_m64_k4096_n1024", blas.NoTrans, 64, 1024, 4096},
	}
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		a := randomMatrix(rng, s.m, s.k)
		weights := make([][]float32, 12)
		for i := range weights {
			weights[i] = randomMatrix(rng, s.k, s.n)
		}
		c := make([]float32, s.m*s.n)
		ldb := s.n
		if s.tB != blas.NoTrans {
			ldb = s.k
		}
		b.Run(s.name, func(b *testing.B) {
			var impl Implementation
			i := 0
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, s.tB, s.m, s.n, s.k, 1, a, s.k, weights[i%len(weights)], ldb, 0, c, s.n)
				i++
			}
			b.ReportMetric(float64(4*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkSgemmCold times products whose operands are not in the
// caches, as the prior discriminator's are in a training step at batch
// 16: before each product it writes to every cache line of 256 MB, half
// of it on each of two goroutines (parallel.Ranges), so that the helper
// that computes part of a product has its cache swept too.
func BenchmarkSgemmCold(b *testing.B) {
	shapes := []struct {
		name    string
		tA      blas.Transpose
		m, n, k int
	}{
		{"prior_m16_k1000_n200", blas.NoTrans, 16, 200, 1000},
		{"prior_m16_k64_n1000", blas.NoTrans, 16, 1000, 64},
		{"priorgrad_At_m200_k16_n1000", blas.Trans, 200, 1000, 16},
		{"priorgrad_At_m64_k16_n1000", blas.Trans, 64, 1000, 16},
	}
	sweep := make([]float32, 64<<20)
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		a := randomMatrix(rng, s.m, s.k)
		bm := randomMatrix(rng, s.k, s.n)
		c := make([]float32, s.m*s.n)
		lda := s.k
		if s.tA != blas.NoTrans {
			lda = s.m
		}
		b.Run(s.name, func(b *testing.B) {
			var impl Implementation
			for b.Loop() {
				b.StopTimer()
				parallel.Ranges(len(sweep), 2, func(_, lo, hi int) {
					for i := lo; i < hi; i += 16 {
						sweep[i]++
					}
				})
				b.StartTimer()
				impl.Sgemm(s.tA, blas.NoTrans, s.m, s.n, s.k, 1, a, lda, bm, s.n, 0, c, s.n)
			}
		})
	}
}

// TestTransposeWinsLeavesSmallBsPlain pins plainSmallB's rule: A·Bᵀ with
// few rows stays plain when B has at most 64K elements, whatever
// GOMAXPROCS is, and takes the transposed form above that.
func TestTransposeWinsLeavesSmallBsPlain(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, s := range []struct {
			m, n, k    int
			transposed bool
		}{{64, 256, 256, false}, {16, 64, 1024, false}, {64, 512, 512, true}, {16, 4096, 1024, true}, {64, 257, 256, true}} {
			if got := transposeWins(false, true, s.m, s.n, s.k); got != s.transposed {
				t.Errorf("GOMAXPROCS %d: %dx%d times (%dx%d)ᵀ: transposed form %v, want %v", procs, s.m, s.k, s.n, s.k, got, s.transposed)
			}
		}
	}
}

// TestFarBRule checks which plain B under few rows of A farB packs, in
// each setting of the 12x32 blocks (useBlocks) and of packLargeB: B's
// depths at least 1 KB apart (ldb 256) and more than farElements
// elements are packed where packLargeB is set or the blocks are off (the
// AVX2 kernels alone, as on a CPU without AVX-512); a smaller one under a
// plain A at least depthBlock deep is packed in every setting; a near B
// (ldb 128), a shallow one or one under a transposed A that is not large
// is read in place.
func TestFarBRule(t *testing.T) {
	defer currentMode().set()
	cases := []struct {
		name   string
		p      product
		nc     int
		packed func(blocks, packLarge bool) bool
	}{
		{"large", product{k: 4096, ldb: 1024}, 1024, func(blocks, packLarge bool) bool { return packLarge || !blocks }},
		{"large under a transposed A", product{aTrans: true, k: 4096, ldb: 1024}, 1024, func(blocks, packLarge bool) bool { return packLarge || !blocks }},
		{"deep, in cache", product{k: 256, ldb: 256}, 256, func(bool, bool) bool { return true }},
		{"deep, in cache, under a transposed A", product{aTrans: true, k: 256, ldb: 256}, 256, func(bool, bool) bool { return false }},
		{"shallow, in cache", product{k: 64, ldb: 256}, 256, func(bool, bool) bool { return false }},
		{"near", product{k: 4096, ldb: 128}, 128, func(bool, bool) bool { return false }},
	}
	for _, blocks := range []bool{false, true} {
		for _, packLarge := range []bool{false, true} {
			kernelMode{wide: blocks, blocks: blocks, packLarge: packLarge}.set()
			for _, c := range cases {
				if got, want := c.p.farB(c.nc), c.packed(blocks, packLarge); got != want {
					t.Errorf("%s, blocks %v, packLargeB %v: farB = %v, want %v", c.name, blocks, packLarge, got, want)
				}
			}
		}
	}
}
