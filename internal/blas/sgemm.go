package blas

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/infomax/infomax/internal/parallel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with a faster float32 matrix
// product: Sgemm runs an AVX2+FMA micro-kernel, written in Go assembly, on
// 6x16 tiles of C, packing panels of A and B into contiguous buffers where
// that pays and reading them in place where it does not (a plain A whenever
// B is packed, a plain B under one or two blocks of rows unless its depths
// are far apart and it is large or deep: farB), and computing
// Cᵀ = op(B)ᵀ op(A)ᵀ where that turns a strided operand into a plain one.
// Every element of C is the same sum of the same products in the same order
// on every path. Where the CPU also has AVX-512F, pairs of full tiles with
// a packed A run through a 12x16 AVX-512 kernel instead (tilePair), and
// 12x32 blocks of four tiles through a wider one (blockPair, useBlocks);
// where its 512-bit FMAs are also native, pairs with A read in place too
// (inPlacePairs). All take A's value as the multiply's first operand, so C
// gets the same bits from every kernel, NaN payloads included. (The
// products computed as Cᵀ, transposeWins, Aᵀ times a vector, computed as
// the row xᵀA, and a plain A times a vector, columnProduct, take B's value
// first: where A and B hold NaNs at one depth, C gets B's payload there.
// Which path a product takes depends on its shape and transposes only,
// never on GOMAXPROCS. Finite results are the same bits on every path.) On
// CPUs without AVX2 and FMA, and on other architectures, Sgemm is gonum's.
// Every other routine is gonum's.
//
// Large products run on up to GOMAXPROCS goroutines, each computing its
// own rows or columns of C (blocks of rows taken in turn, or one range
// each); k is never split, so every element of C is summed in the same
// order whatever the goroutine count, and the results are bit-identical
// for any GOMAXPROCS.
type Implementation struct {
	gonum.Implementation
}

// matmulFlops is the running total of MatmulFlops.
var matmulFlops atomic.Uint64

// MatmulFlops returns 2·m·n·k summed over every Implementation.Sgemm call
// so far (the products gorgonia runs through this package's BLAS; zero
// under the openblas build), the count of floating-point operations in
// matrix products that the PyTorch references report as GFLOP. A
// benchmark reads it before and after its timed steps.
func MatmulFlops() uint64 { return matmulFlops.Load() }

// HasKernel reports whether this CPU runs Implementation's assembly
// kernel; when it does not, Implementation.Sgemm is gonum's Sgemm.
func HasKernel() bool { return hasKernel }

// NativeAVX512 reports whether the build has the assembly kernels (not
// the openblas or purego build) and the CPU's 512-bit FMAs are native,
// not two 256-bit halves (an Intel core with AVX-512, or AMD's from Zen 5
// on; see native512FMA). Other packages' AVX-512 kernels, measured on
// such a CPU only, run where it is true.
func NativeAVX512() bool { return native512 }

// NativeAVX512AMD reports whether NativeAVX512 holds on an AMD core (Zen 5
// on), for other packages' choices measured to differ between AMD's
// AVX-512 cores and Intel's.
func NativeAVX512AMD() bool { return native512AMD }

// Panic messages, as gonum's BLAS spells them: callers rely on the
// BLAS argument checks panicking with these.
const (
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badTranspose = "blas: illegal transpose"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Tile and block sizes. The micro-kernel computes a kernelRows x
// kernelCols tile of C in registers. A kc-deep slice of k is packed at a
// time; blockRows rows of A (in L2) meet blockCols columns of B.
// blockRows must be a multiple of kernelRows and blockCols of kernelCols.
const (
	kernelRows = 6
	kernelCols = 16
	depthBlock = 256
	blockRows  = 96
	blockCols  = 2048
)

// parallelVolume is the product volume m*n*k below which Sgemm stays on one
// goroutine: starting goroutines costs more than it saves.
const parallelVolume = 1 << 18

// Sgemm performs one of the matrix-matrix operations
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or Xᵀ as tA and tB say, op(A) is m×k, op(B) is k×n and
// C is m×n. Its argument checks and their panics are gonum's.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if profiling.Load() {
		defer profileProduct(sgemmOp(tA, tB), m, n, k, time.Now())
	}
	if m > 0 && n > 0 && k > 0 {
		matmulFlops.Add(2 * uint64(m) * uint64(n) * uint64(k))
	}
	if !hasKernel {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	aTrans, bTrans := checkShapes(tA, tB, m, n, k, lda, ldb, ldc)
	if m == 0 || n == 0 {
		return
	}
	checkLengths(aTrans, bTrans, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if (alpha == 0 || k == 0) && beta == 1 {
		return
	}
	if n == 1 && m > 1 && ldc == 1 && aTrans {
		// Aᵀ times a vector: C is a column, which the kernel would pad
		// to sixteen columns, and Aᵀ would be packed. Computed as the row
		// Cᵀ = op(B)ᵀ A, which rowProduct computes reading A in place
		// row by row; every element is the same sum of the same products
		// in the same order, so the bits are the same but for NaN
		// payloads: x's value is each product's first operand. (A plain
		// A times a vector is columnProduct's.)
		m, n = 1, m
		a, lda, aTrans, b, ldb, bTrans = b, ldb, !bTrans, a, lda, !aTrans
	}
	if beta == 0 && m*n*k >= parallelVolume && transposeWins(aTrans, bTrans, m, n, k) {
		transposedProduct(aTrans, bTrans, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	p := product{aTrans: aTrans, bTrans: bTrans, k: k, alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	if m == 1 && !bTrans && n >= kernelCols && alpha != 0 && k > 0 {
		p.rowProduct(n)
		return
	}
	if n == 1 && ldc == 1 && !aTrans && m >= kernelCols && alpha != 0 && k > 0 {
		p.columnProduct(m)
		return
	}
	if k == 1 && m > 1 && n >= kernelCols && alpha != 0 && (!bTrans || ldb == 1) && useOuter {
		p.outerProduct(m, n)
		return
	}
	p.stream = streams(m, n, k, beta, c, ldc)
	p.parallel(m, n)
}

// checkShapes panics, with gonum's messages, on a bad transpose, a
// negative size or a leading dimension too small for its matrix, and
// returns whether op(A) and op(B) are transposes.
func checkShapes(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc int) (aTrans, bTrans bool) {
	for _, t := range []blas.Transpose{tA, tB} {
		if t != blas.NoTrans && t != blas.Trans && t != blas.ConjTrans {
			panic(badTranspose)
		}
	}
	switch {
	case m < 0:
		panic(mLT0)
	case n < 0:
		panic(nLT0)
	case k < 0:
		panic(kLT0)
	}
	aTrans, bTrans = tA != blas.NoTrans, tB != blas.NoTrans
	if (aTrans && lda < max(1, m)) || (!aTrans && lda < max(1, k)) {
		panic(badLdA)
	}
	if (bTrans && ldb < max(1, k)) || (!bTrans && ldb < max(1, n)) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	return aTrans, bTrans
}

// checkLengths panics, with gonum's messages, when a slice is too short
// for its matrix; m and n are positive.
func checkLengths(aTrans, bTrans bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if (aTrans && la < (k-1)*lda+m) || (!aTrans && la < (m-1)*lda+k) {
		panic(shortA)
	}
	if (bTrans && lb < (n-1)*ldb+k) || (!bTrans && lb < (k-1)*ldb+n) {
		panic(shortB)
	}
	if lc < (m-1)*ldc+n {
		panic(shortC)
	}
}

// transposeWins reports whether C = op(A) op(B) runs faster as
// Cᵀ = op(B)ᵀ op(A)ᵀ. The transposed form saves packing the transposed
// operand, whose cost grows with its depth k, and adds a copy of C, whose
// cost does not; so it wins where k is large against C's short side.
//
//   - Aᵀ·B with at most blockRows columns and more rows (a weight gradient
//     Xᵀ·dY into few outputs): the transposed form packs the small dYᵀ
//     and reads X as a plain B instead of packing Xᵀ. It wins from
//     k >= 8n, up to m = 1024. So does Aᵀ·B with up to 128 columns and at
//     least four times as many rows, up to m = 2048, from k >= 4n: X is
//     then packed as a B from memory (farB), and measured with X out of
//     cache (four operands in turn) the transposed form ran 6-13% faster
//     for n = 128 and m = 512 to 2048 (the encoder's conv2 weight
//     gradient, 1024 × 128 × 4096: 4.2 against 4.5 ms), 11-39% for n = 32
//     to 112, and 0.90-0.94 as fast for m = 2n. (The first rule's bound
//     m <= 1024 is from before farB, when X wider than 1024 floats was
//     read in place.)
//   - A·Bᵀ with at most blockRows rows and more columns (an input
//     gradient dY·Wᵀ at a small batch): the transposed form reads W in
//     place as a plain A instead of gathering Bᵀ sixteen rows at a time.
//     It wins from k >= 4m.
//
// Measured on 2 cores, and on 1, for m, n and k of 16 to 4096 (2026-12-02,
// an Intel Xeon with AVX-512). Below these depths the plain form ran up
// to 2.5 times as fast on 2 cores: the Gaussian benchmark's critic
// (64 × 256 × 32) and the prior discriminator's first layer at batch 16
// (Xᵀ·dY, 1000 × 64 × 16).
func transposeWins(aTrans, bTrans bool, m, n, k int) bool {
	switch {
	case aTrans && !bTrans:
		return n <= blockRows && m > n && m <= 1024 && k >= 8*n ||
			n <= 128 && m >= 4*n && m <= 2048 && k >= 4*n
	case !aTrans && bTrans:
		return m <= blockRows && n > m && k >= 4*m && n*k > plainSmallB
	}
	return false
}

// transposedProduct computes C = alpha op(A) op(B) (beta 0) as
// Cᵀ = alpha op(B)ᵀ op(A)ᵀ into a scratch matrix, then writes its
// transpose to C. Every element is the same sums of the same products in
// the same order, depth block by depth block, and alpha is applied as the
// kernel applies it, so C gets the same bits, but for NaN payloads: each
// product has B's value first, so where both hold a NaN, B's wins.
func transposedProduct(aTrans, bTrans bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	p := product{aTrans: !bTrans, bTrans: !aTrans, k: k, alpha: alpha, a: b, lda: ldb, b: a, ldb: lda}
	p.intoTransposed(c, ldc, m, n)
}

// intoTransposed computes p, an n×m product (beta 0, its c unset), into
// a scratch matrix and writes its transpose to the m×n matrix C, rows
// ldc apart.
func (p product) intoTransposed(c []float32, ldc, m, n int) {
	buf := scratchPool.Get().(*[]float32)
	defer scratchPool.Put(buf)
	*buf = grow(*buf, n*m)
	p.c, p.ldc = *buf, m
	p.parallel(n, m)
	transposeInto(c, ldc, p.c, m, n)
}

// transposeInto writes the transpose of the n×m matrix t (rows m apart)
// to the m×n matrix C (rows ldc apart): C[i][j] = t[j*m+i], with
// TransposeTile: eight rows of C at a time in 8x8 blocks (transposeBlocks8)
// and then column by column for the last n%8 columns, so that each row of
// C is written in order; the last m%8 rows are copied one by one. Products
// of at least transposeSplit elements split the rows between goroutines.
//
// The Go loop that did it all, eight floats at a time down a column of
// t, took 2.4% of the separable Gaussian step's CPU time; for 64×256 it
// took 6.9-7.0 µs on one core and 5.3-5.8 µs split in two, the blocks
// take 2.6 and 1.4 µs (2-core Intel Xeon).
func transposeInto(c []float32, ldc int, t []float32, m, n int) {
	workers := 1
	if m*n >= transposeSplit {
		workers = runtime.GOMAXPROCS(0)
	}
	parallel.Ranges((m+7)/8, workers, func(_, lo, hi int) {
		TransposeTile(c, ldc, t, m, lo*8, min(hi*8, m), 0, n)
	})
}

// TransposeTile writes rows [i0, i1) and columns [j0, j1) of C, rows ldc
// apart, from t, rows ldt apart: C[i][j] = t[j*ldt+i]. Where HasKernel
// reports the AVX2 kernel, eight rows of C at a time are written in 8x8
// blocks (transposeBlocks8) and then column by column for the last
// columns short of eight, so that each row of C is written in order; the
// rows past the last full eight, and every row without the kernel, are
// copied one element at a time. The values are copied bit for bit, NaN
// payloads included. It panics, before it writes anything, where ldc or
// ldt is negative or t or C is too short.
func TransposeTile(c []float32, ldc int, t []float32, ldt, i0, i1, j0, j1 int) {
	transposeTile(c, ldc, t, ldt, i0, i1, j0, j1, hasKernel)
}

// transposeTile is TransposeTile, with the 8x8 AVX2 blocks where blocks8
// is set (the kernel must be there) and Go copies alone otherwise.
func transposeTile(c []float32, ldc int, t []float32, ldt, i0, i1, j0, j1 int, blocks8 bool) {
	if i0 >= i1 || j0 >= j1 {
		return
	}
	if ldc < 0 || ldt < 0 {
		panic("blas: TransposeTile: negative leading dimension")
	}
	_ = c[(i1-1)*ldc+j1-1]
	_ = t[(j1-1)*ldt+i1-1]
	blocks := (j1 - j0) / 8
	i := i0
	for ; blocks8 && i+8 <= i1; i += 8 {
		if blocks > 0 {
			transposeBlocks8(&c[i*ldc+j0], ldc, &t[j0*ldt+i], ldt, blocks)
		}
		for j := j0 + blocks*8; j < j1; j++ {
			src := (*[8]float32)(t[j*ldt+i:])
			for r, v := range src {
				c[(i+r)*ldc+j] = v
			}
		}
	}
	for ; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		for j := range row {
			row[j] = t[(j0+j)*ldt+i]
		}
	}
}

// plainSmallB is the most elements of a transposed B (A·Bᵀ) that
// transposeWins leaves in the plain form: B packed, 64 KB of it a
// goroutine at most, costs less than the transposed form's scratch, its
// transpose into C and a split of few rows. On the 2-core Intel Xeon,
// the separable Gaussian critic's input gradients (64×256 times
// 256×256ᵀ) took 32.7-33.1 µs so against 47.6-48.3 µs, and 96×512 times
// 128×512ᵀ 49.7-51.3 against 54.5-58.9; the plain form of larger Bs
// gained little or lost (64×512 times 512×512ᵀ 1.04 times as fast,
// 16×512 times 512×512ᵀ 0.91, 64×1000 times 200×1000ᵀ 0.82). On one core
// the plain form of 64×256 times 256×256ᵀ runs 0.86 times as fast; the
// rule holds there all the same, so that which form a product takes, and
// so which NaN payload C gets where A and B hold NaNs at one depth, never
// depends on GOMAXPROCS.
const plainSmallB = 1 << 16

// transposeSplit is the fewest elements of a transposed product's result
// whose copy into C is split between goroutines.
const transposeSplit = 1 << 13

// scratchPool holds the scratch matrices of transposedProduct.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// product is one Sgemm call's operands; block computes a block of C.
type product struct {
	aTrans, bTrans bool
	k              int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	stream         bool // the AVX-512 blocks store C around the caches (streams)
	// gatherA, gatherB and scatterC, when set, make A, B or C a patch
	// matrix of images (patches.go): a plain A or B gathered from its
	// images as it is read (sharedB's blocks) or packed (packGathered),
	// instead of read from a or b; a C computed block by block (sharedB)
	// and added into images, which scatterAdd first sets to zero,
	// instead of stored in c.
	gatherA, gatherB, scatterC *Patches
	images                     []float32
}

// streams reports whether the 12x32 and 6x32 blocks of a product store
// its m×n C with non-temporal stores: where useBlocks is set, beta is 0
// and k fits one depth block, so that each element of C is stored once
// and never read; C has at least streamMin elements, more than the L2
// caches hold; and C's rows are 64-byte aligned, as the stores need (a
// tile's columns start at multiples of sixteen floats). Products computed
// in the transposed form (transposedProduct) never stream: their C is a
// scratch matrix that is read at once. An ordinary store to C would
// first read each cache line from memory, to overwrite it whole. On the
// 2-core Intel Xeon, with C not in cache, as in a training step, the
// encoder's fc weight gradient (4096×1024 from depth 64) took 3.3 ms so
// against 1.7 ms with C in cache.
func streams(m, n, k int, beta float32, c []float32, ldc int) bool {
	return useBlocks && beta == 0 && k <= depthBlock && m*n >= streamMin &&
		uintptr(unsafe.Pointer(&c[0]))%64 == 0 && ldc%16 == 0
}

// streamMin is the fewest elements of C that streams stores around the
// caches: 8 MB, four times a core's L2 cache on the Intel Xeon. From 4 MB
// on, the concat Gaussian step, whose 4096×256 layers the next op reads
// at once, ran 3-4% slower (3 interleaved rounds), and the encoder no
// faster than from 8 MB.
var streamMin = 1 << 21

// useOuter is whether products of depth 1 take outerProduct; tests turn
// it off to compare with the general path.
var useOuter = true

// parallel splits C's rows (or, when it has few rows, its columns)
// between goroutines at multiples of the kernel's tile, so that every
// element lies in the same tile whatever the split: in blocks of rows
// taken in turn (sharedB) when A is read in place, has more than two
// blocks of rows and at least as many tiles down as across, and B is at
// most sharedMax elements, otherwise in contiguous ranges, one per
// goroutine. (A transposed A, packed block by block as it then was, ran
// 20-26% slower in sharedB's blocks on Zen 4: BenchmarkSgemm's convgrad
// and critic_At shapes, 4 interleaved rounds.)
func (p *product) parallel(m, n int) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || m*n*p.k < parallelVolume {
		p.block(0, m, 0, n)
		return
	}
	rowTiles := (m + kernelRows - 1) / kernelRows
	colTiles := (n + kernelCols - 1) / kernelCols
	if !p.aTrans && rowTiles >= colTiles && m > 2*blockRows && p.alpha != 0 && p.k != 0 && p.k*n <= sharedMax {
		p.sharedB(m, n)
		return
	}
	tiles, step, size := rowTiles, kernelRows, m
	if colTiles > rowTiles {
		tiles, step, size = colTiles, kernelCols, n
	}
	workers = min(workers, tiles)
	if workers < 2 {
		p.block(0, m, 0, n)
		return
	}
	parallel.Do(workers, func(w int) {
		lo := min(size, tiles*w/workers*step)
		hi := min(size, tiles*(w+1)/workers*step)
		switch {
		case lo >= hi:
		case step == kernelRows:
			p.block(lo, hi, 0, n)
		default:
			p.block(0, m, lo, hi)
		}
	})
}

// sharedB computes C in blocks of rows that the caller and the helpers
// take in turn from parallel.Do's counter, against all of B packed
// once, by all of them, beforehand; A, plain, is read in place. A core
// that runs slower than the other (on a shared machine, another guest's
// thread on its hyper-thread) then takes fewer blocks, where a split
// into one range per goroutine waits for its range: on the 2-core
// development machine an FMA loop on both cores measured anywhere from
// 105 to 220 GFLOP/s, minutes apart. A block runs every panel and slice
// of k in block's order, with the same kernel calls for every tile, so
// C gets the same bits.
func (p *product) sharedB(m, n int) {
	shared := sharedPool.Get().(*packBuffers)
	defer sharedPool.Put(shared)
	var size int
	shared.pans, size = p.appendPanels(shared.pans[:0], n)
	pans := shared.pans
	shared.b = grow(shared.b, size)
	// Packing is split into runs of at most packRun columns of a panel.
	runs := (min(n, blockCols) + packRun - 1) / packRun
	parallel.Do(len(pans)*runs, func(i int) {
		pan, j0 := pans[i/runs], i%runs*packRun
		if j0 < pan.nc {
			p.packB(shared.b[pan.at+j0*pan.kc:], pan.pc, pan.kc, pan.jc+j0, min(packRun, pan.nc-j0))
		}
	})
	rows := p.sharedRows(m)
	parallel.Do((m+rows-1)/rows, func(i int) {
		bufs := packPool.Get().(*packBuffers)
		own := bufs.b
		ic := i * rows
		p.sharedBlock(bufs, shared.b, pans, ic, min(rows, m-ic))
		bufs.b = own
		packPool.Put(bufs)
	})
}

// sharedBlock computes rows [ic, ic+mc) of C, blockRows at a time,
// against every panel of B, packed in packed. Where A is a patch matrix
// (gatherA), the rows are gathered from its images into bufs.ga first and
// read there in place; where C's rows go back into images (scatterC),
// they are computed into bufs.gc and then added into the images.
func (p *product) sharedBlock(bufs *packBuffers, packed []float32, pans []sharedPanel, ic, mc int) {
	q, qic := p, ic
	if p.gatherA != nil || p.scatterC != nil {
		v := *p
		q, qic = &v, 0
		if p.gatherA != nil {
			bufs.ga = grow(bufs.ga, mc*p.k)
			p.gatherA.Gather(bufs.ga, p.k, ic, mc, 0, p.k)
			v.a, v.lda = bufs.ga, p.k
		} else {
			v.a = p.a[ic*p.lda:]
		}
		if p.scatterC != nil {
			bufs.gc = grow(bufs.gc, mc*p.ldc)
			v.c = bufs.gc
		} else {
			v.c = p.c[ic*p.ldc:]
		}
	}
	step := blockRows
	if len(pans) > 1 && pans[len(pans)-1].at < smallB {
		step = 4 * kernelRows
	}
	for r := 0; r < mc; r += step {
		for _, pan := range pans {
			bufs.b = packed[pan.at:]
			q.rowBlock(bufs, pan.panel, qic+r, min(step, mc-r), true)
		}
	}
	if p.scatterC != nil {
		p.scatterC.scatterAdd(p.images, bufs.gc, p.ldc, ic, mc)
	}
}

// sharedRows is the number of rows of sharedB's blocks: blockRows, or
// half of it when there would be fewer than 16 blocks, so that the last
// blocks leave no core idle for long. A block whose rows go back into
// images (scatterC) holds whole images: as many as fit in two blocks of
// rows, and at most an eighth of them, but at least one (at batch 16,
// blocks of twelve of conv3's 4x4 images made one block of twelve and
// one of four for two cores). A block of rows gathered from images
// (gatherA) takes two blocks of rows where there are at least 16 such and
// the product is less than 4 depth blocks deep, so that each gather feeds
// 16 pairs of slivers down; deeper, one block of rows. (On the 2-core Zen
// 4, 2026-12-06, the encoder's conv2 at batch 64, 4096 rows of depth
// 1024, ran 1.6% faster in blocks of 96 rows than of 192, in each of 12
// paired runs of two builds; likely because a gathered block of 96 rows,
// 384 KB, leaves room in L2 for B's 512 KB and the two cores' last
// blocks end closer together, neither measured apart. The encoder's conv1
// at batch 64, depth 48, ran 16% slower in blocks of 96 rows, medians of
// 10 runs, so shallow products keep 192.)
func (p *product) sharedRows(m int) int {
	if s := p.scatterC; s != nil {
		locs := s.OH * s.OW
		return max(1, min(2*blockRows/locs, s.N/8)) * locs
	}
	if p.gatherA != nil && m >= 16*blockRows && p.k < 4*depthBlock {
		return 2 * blockRows
	}
	if m < 16*blockRows {
		return blockRows / 2
	}
	return blockRows
}

// sharedPanel is a panel of B in the order block runs them, and where its
// packed slivers start in sharedB's buffer.
type sharedPanel struct {
	panel
	at int
}

// packRun is the most columns of B that one of sharedB's packing chunks
// packs, a multiple of kernelCols.
const packRun = 32 * kernelCols

// sharedMax is the most elements of B that sharedB packs at once (64 MB,
// and up to 15 columns of padding a panel); a larger B is split into one
// range of rows per goroutine.
const sharedMax = 1 << 24

// smallB is the most elements of B packed, short of its last panel,
// under which sharedBlock runs every panel over 4*kernelRows rows
// before it moves on to the next rows, rather than over blockRows rows:
// each row of A is then read whole at once, not in depthBlock-long
// pieces a panel apart. A B of few columns against a deep A from
// memory, as in the fc layer's input gradient at batch 16 (16×1024
// times (4096×1024)ᵀ, computed as W times dYᵀ), otherwise meets 96 rows
// of A 4 KB apart, a page each, at every panel, and the prefetchers
// lose track of them. On the 2-core Intel Xeon, W cycled among 12
// copies (BenchmarkSgemmFromMemory), that product took 0.74-0.76 ms
// against 1.06-1.07, and at batch 64 1.74-1.87 ms against 1.95-2.11;
// the global critic's 16×512 times (4096×512)ᵀ stayed the same
// (0.50-0.56 ms). Of 6, 12, 24 and 48 rows, 12 and 24 were best for the
// fc layer, 24 and 48 for the global critic. The panels meet each
// element in the same order, so C gets the same bits.
const smallB = 1 << 17

// appendPanels appends to pans B's panels for n columns, columns
// blockCols at a time and k depthBlock at a time within them, each with
// its store mode, in the order block runs them, and returns them with
// the number of elements they take packed.
func (p *product) appendPanels(pans []sharedPanel, n int) ([]sharedPanel, int) {
	at := 0
	for jc := 0; jc < n; jc += blockCols {
		nc := min(blockCols, n-jc)
		for pc := 0; pc < p.k; pc += depthBlock {
			pan := panel{jc: jc, nc: nc, pc: pc, kc: min(depthBlock, p.k-pc), mode: p.depthMode(pc)}
			pans = append(pans, sharedPanel{panel: pan, at: at})
			at += (nc + kernelCols - 1) / kernelCols * kernelCols * pan.kc
		}
	}
	return pans, at
}

// packBuffers holds one goroutine's packed panels of A and B, and
// sharedB's list of panels.
type packBuffers struct {
	a, b []float32
	// ga, gc and g hold a goroutine's rows of a gathered A, of a C that
	// goes back into images, and columns of a gathered B before packing.
	ga, gc, g []float32
	pans      []sharedPanel
}

var packPool = sync.Pool{New: func() any { return new(packBuffers) }}

// sharedPool holds sharedB's buffers of all of B, apart from packPool's
// per-goroutine panels so that those stay the size of one panel.
var sharedPool = sync.Pool{New: func() any { return new(packBuffers) }}

// grow returns s resized to n elements, reallocating only when s is too
// short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Kernel store modes: how kernel6x16 combines its tile with C.
const (
	modeAdd   = 0 // C + alpha*acc
	modeSet   = 1 // alpha*acc
	modeScale = 2 // beta*C + alpha*acc
	// modeStream is modeSet with non-temporal stores, for the AVX-512
	// blocks of a product that streams (see streams): kernel12x32z and
	// kernel6x32z only, through rowTiles.blockMode. The other kernels
	// would take it for modeScale.
	modeStream = 3
)

// block computes rows [r0, r1) and columns [c0, c1) of C tile by tile.
// The first kc-deep slice of k applies beta as it stores its tiles (beta
// = 0 never reads C); later slices add to C.
func (p *product) block(r0, r1, c0, c1 int) {
	if p.alpha == 0 || p.k == 0 {
		p.scale(r0, r1, c0, c1)
		return
	}
	bufs := packPool.Get().(*packBuffers)
	defer packPool.Put(bufs)
	// With one or two blocks of rows every sliver of B meets at most
	// 2*blockRows/kernelRows slivers of A, too few to repay packing it: a
	// plain B is then read in place, all but its last, partial sliver.
	// (Two blocks: the local critic's weight gradients, 128 rows, ran
	// 22% faster so; medians of 5 runs of BenchmarkSgemm, where no shape
	// with more rows changed.) A B whose depths are 1 KB or more apart
	// (ldb at least 256) is packed all the same where farB says so: a
	// large one where packLargeB is set or the 12x32 blocks do not run,
	// and, under a plain A, one at least depthBlock deep and no larger.
	inPlace := !p.bTrans && r1-r0 <= 2*blockRows && !p.farB(c1-c0) && p.gatherB == nil
	for jc := c0; jc < c1; jc += blockCols {
		nc := min(blockCols, c1-jc)
		ncPadded := (nc + kernelCols - 1) / kernelCols * kernelCols
		pan := panel{jc: jc, nc: nc}
		if inPlace {
			pan.bPackedFrom = nc / kernelCols * kernelCols
		}
		for pc := 0; pc < p.k; pc += depthBlock {
			pan.pc, pan.kc, pan.mode = pc, min(depthBlock, p.k-pc), p.depthMode(pc)
			switch {
			case p.gatherB != nil:
				bufs.b = grow(bufs.b, ncPadded*pan.kc)
				p.packGathered(bufs, bufs.b, pc, pan.kc, jc, nc)
			case pan.bPackedFrom < nc:
				bufs.b = grow(bufs.b, (ncPadded-pan.bPackedFrom)*pan.kc)
				p.packB(bufs.b, pc, pan.kc, jc+pan.bPackedFrom, nc-pan.bPackedFrom)
			}
			if p.aTrans {
				p.transposedRows(bufs, pan, r0, r1)
				continue
			}
			for ic := r0; ic < r1; ic += blockRows {
				// A plain A's full slivers are read in place, six rows
				// lda apart, when B is packed: packing them would copy
				// every element once more.
				p.rowBlock(bufs, pan, ic, min(blockRows, r1-ic), !inPlace)
			}
		}
	}
}

// farB reports whether a plain B of nc columns should be packed even
// under few rows of A: its depths are at least 1 KB apart, and either,
// where packLargeB is set or useBlocks is not, it has more than
// farElements elements, so that it comes from memory rather than cache,
// or A is plain, the product at least depthBlock deep and B no larger. Read
// in place, each 12x32 block reads two cache lines of each depth's row, a
// row at a time, prefetching the rows 32 depths ahead; packing
// (packPlainB) reads each row in order and prefetches the rows ahead. A
// packed B also lets block read a plain A's full slivers in place, where
// under a B read in place each goroutine packs all of A.
//
// On the 2-core Intel Xeon, with B from memory: the global critic's
// first layer at batch 16 (16x4096 times 4096x512, depths 2 KB apart)
// took 0.81-0.82 ms packed against 1.29 ms in place, at 64 rows 1.34-1.42
// against 1.97-2.26 ms, and 32x512 times 512x512 0.094 against 0.17 ms;
// the DIM step at batch 16 ran 4% faster (medians of 5 interleaved
// rounds), the full step, the encoder and the Gaussian steps the same.
// (Before packPlainB, packing was slower: from depths 4 KB apart only,
// the fc layer's 64x4096 times 4096x1024 took 3.7-3.8 ms packed against
// 4.5-4.6 ms in place, and packing every B of few rows made the concat
// Gaussian step 5-7% slower.) The depth rule is for the separable
// Gaussian critic's 64x256 times 256x256, B in cache: 30.5-32.4 µs
// packed against 34.6-34.7 µs in place, and its step 2.8% faster
// (medians of 4 interleaved rounds, 1414 against 1375 steps/s). Packing
// every B of at least 8,192 elements lost up to 9% on shallower products
// (64x128 times 128x1024 and times 128x128: 0.91 and 0.94 as fast),
// while the deep ones stayed within 2% (64x512 times 512x512, 192x256
// times 256x256). On AMD's Zen 4 and Zen 5 a large B runs faster in place
// (packLargeB), with the 12x32 blocks.
//
// Without the 12x32 blocks (useBlocks unset: the AVX2 kernels alone, as
// on a CPU without AVX-512) both rules hold, whatever the CPU: read in
// place, kernel6x16s reads a sliver's 16 columns a depth at a time, one
// cache line from each row of B, with no prefetch, and far rows fall in
// few of the caches' sets. On a 2-core AMD EPYC Zen 3 (cpu family 25,
// model 1; AVX2 without AVX-512; 2026-12-06, BenchmarkSgemm, two
// interleaved runs of one build with and without the rules) packing took the fc layer's 64x4096 times 4096x1024
// from 70-99 to 128-151 GFLOP/s, the encoder's conv weight gradient
// shape 1024x4096 transposed times 4096x128 from 95 to 140-145, the
// concat Gaussian critic's weight gradient (256x4096 transposed times
// 4096x256) from 108-131 to 137-139 and the separable one's 64x256 times
// 256x256 from 121-145 to 141-157; timed in the encoder's step, the fc
// layer's forward took 4.77 against 5.87 ms. Before, the AVX2 kernels
// read every such B in place.
func (p *product) farB(nc int) bool {
	if p.ldb < 256 {
		return false
	}
	if p.k*nc > farElements {
		return packLargeB || !useBlocks
	}
	return !p.aTrans && p.k >= depthBlock
}

// farElements is the most elements of B, k times the columns a block
// computes, that farB counts as in cache: 256 KB. A larger B is packed
// where packLargeB is set or useBlocks is not, and read in place
// elsewhere.
const farElements = 1 << 16

// depthMode is the store mode of the depthBlock-deep slice of k that
// starts at depth pc: the first applies beta (0 never reads C, 1 adds to
// it), the later ones add to C.
func (p *product) depthMode(pc int) int {
	switch {
	case pc > 0 || p.beta == 1:
		return modeAdd
	case p.beta == 0:
		return modeSet
	}
	return modeScale
}

// panel is the part of B that block's loops are at: columns [jc, jc+nc),
// depths [pc, pc+kc), the kernel's store mode for that depth, and the
// first column packed (the ones before it are read in place).
type panel struct {
	jc, nc, pc, kc, mode int
	bPackedFrom          int
}

// rowBlock computes rows [ic, ic+mc) of C against the panel, tile by
// tile, where A is plain (transposedRows computes a transposed A's),
// with B packed in bufs.b from the panel's bPackedFrom and A packed into
// bufs.a, or, with inPlaceA, read in place but for a last, partial
// sliver.
func (p *product) rowBlock(bufs *packBuffers, pan panel, ic, mc int, inPlaceA bool) {
	mcPadded := (mc + kernelRows - 1) / kernelRows * kernelRows
	aPackedFrom := 0
	if inPlaceA {
		aPackedFrom = mc / kernelRows * kernelRows
	}
	if aPackedFrom < mc {
		bufs.a = grow(bufs.a, (mcPadded-aPackedFrom)*pan.kc)
		p.packA(bufs.a, ic+aPackedFrom, mc-aPackedFrom, pan.pc, pan.kc)
	}
	r := rowTiles{p: p, pan: pan, packedA: bufs.a, packedB: bufs.b, ic: ic, mc: mc, aPackedFrom: aPackedFrom}
	r.run()
}

// transposedRows computes rows [r0, r1) of C against the panel where A
// is transposed, op(A)[i][l] = a[l*lda+i]: it packs superRows rows of
// op(A) at a time, a depth at a time (packATransposed), then computes
// them blockRows rows at a time.
//
// Packed block by block, each depth of a block was a new cache line and,
// with lda a multiple of 1024, a new page, lda apart. On the 2-core
// Intel Xeon the encoder's conv2 and conv3 weight gradients (Xᵀ·dY, 1024
// and 2048 rows) took 5.7 and 5.0 ms so, in its forward and backward
// pass, against 7.1 and 5.5 ms before.
func (p *product) transposedRows(bufs *packBuffers, pan panel, r0, r1 int) {
	kc := pan.kc
	for i0 := r0; i0 < r1; i0 += superRows {
		rows := min(superRows, r1-i0)
		full := rows / kernelRows * kernelRows
		bufs.a = grow(bufs.a, (rows+kernelRows-1)/kernelRows*kernelRows*kc)
		p.packATransposed(bufs.a, i0, full/kernelRows, pan.pc, kc)
		if full < rows {
			p.packA(bufs.a[full*kc:], i0+full, rows-full, pan.pc, kc)
		}
		for ic := i0; ic < i0+rows; ic += blockRows {
			r := rowTiles{p: p, pan: pan, packedA: bufs.a[(ic-i0)*kc:], packedB: bufs.b, ic: ic, mc: min(blockRows, i0+rows-ic)}
			r.run()
		}
	}
}

// superRows is the most rows of a transposed A that transposedRows packs
// at once: 768 rows of 256 depths take 768 KB. (Two to sixteen times
// blockRows measured the same, within the noise.)
const superRows = 8 * blockRows

// run computes the rowTiles' block of C against its panel. Where
// useBlocks is set, pairs of full slivers of B of the same kind (both
// packed or both in place) run as 12x32 and 6x32 blocks (columnPair).
func (r *rowTiles) run() {
	pan := r.pan
	for jr := 0; jr < pan.nc; jr += kernelCols {
		sameKind := jr+2*kernelCols <= pan.bPackedFrom || jr >= pan.bPackedFrom
		if useBlocks && jr+2*kernelCols <= pan.nc && sameKind {
			r.columnPair(jr)
			jr += kernelCols
			continue
		}
		r.column(jr)
	}
	if r.p.stream {
		sfence() // the blocks' non-temporal stores reach C before anyone reads it
	}
}

// rowTiles is a block of rows [ic, ic+mc) of C against one panel: where
// its slivers of A and B are. A's slivers from aPackedFrom on are packed
// in packedA, the ones before it read in place; B's from the panel's
// bPackedFrom on are packed in packedB.
type rowTiles struct {
	p           *product
	pan         panel
	packedA     []float32
	packedB     []float32
	ic, mc      int
	aPackedFrom int
}

// sliverA is the sliver of A of rows [ir, ir+kernelRows) of the block.
func (r *rowTiles) sliverA(ir int) operandA {
	p := r.p
	if ir < r.aPackedFrom {
		return operandA{p: &p.a[(r.ic+ir)*p.lda+r.pan.pc], lda: p.lda}
	}
	return operandA{p: &r.packedA[(ir-r.aPackedFrom)*r.pan.kc]}
}

// sliverB is the sliver of B of columns [jr, jr+kernelCols) of the panel.
func (r *rowTiles) sliverB(jr int) operandB {
	p := r.p
	if jr < r.pan.bPackedFrom {
		return operandB{p: &p.b[r.pan.pc*p.ldb+r.pan.jc+jr], ld: p.ldb}
	}
	return operandB{p: &r.packedB[(jr-r.pan.bPackedFrom)*r.pan.kc]}
}

// pairs reports whether rows [ir, ir+2*kernelRows) are two full slivers
// of A of the same kind that the AVX-512 kernels may take together: both
// packed, or, where inPlacePairs is set, both in place.
func (r *rowTiles) pairs(ir int) bool {
	if !useWide || ir+2*kernelRows > r.mc {
		return false
	}
	return ir >= r.aPackedFrom || inPlacePairs && ir+2*kernelRows <= r.aPackedFrom
}

// column computes the tiles of columns [jr, jr+kernelCols) of the panel.
func (r *rowTiles) column(jr int) {
	b := r.sliverB(jr)
	nr := min(kernelCols, r.pan.nc-jr)
	for ir := 0; ir < r.mc; ir += kernelRows {
		if nr == kernelCols && r.pairs(ir) {
			tilePair(r.pan.kc, r.sliverA(ir), r.sliverA(ir+kernelRows), b, r.c(ir, jr), r.p.ldc, r.p.alpha, r.p.beta, r.pan.mode)
			ir += kernelRows
			continue
		}
		r.tile(ir, jr, b, nr)
	}
}

// columnPair computes the tiles of columns [jr, jr+2*kernelCols) of the
// panel, two full slivers of B of the same kind, in 12x32 blocks where
// the rows allow and in 6x32 blocks elsewhere. It runs where useBlocks is
// set: both kernels are AVX-512.
func (r *rowTiles) columnPair(jr int) {
	b := r.sliverB(jr)
	next := r.nextPair(jr, b)
	for ir := 0; ir < r.mc; ir += kernelRows {
		if r.pairs(ir) {
			blockPair(r.pan.kc, r.sliverA(ir), r.sliverA(ir+kernelRows), b, r.c(ir, jr), r.p.ldc, r.p.alpha, r.p.beta, r.blockMode(), next)
			next = b.p // the first block fetches the next pair for the rest
			ir += kernelRows
			continue
		}
		r.sliverPair(ir, jr, b)
	}
}

// nextPair is where the pair of slivers of B read in place that follows
// the pair at column jr in the panel starts: the pair to its right, or,
// after the panel's last pair, the first pair of its next depths; b
// itself where B is packed or no depths follow. The block that columnPair
// prefetches it for is most often the next one read; where it is not (a
// second block of rows follows, or a lone sliver, or the next panel), the
// prefetch only brings in early what a later block reads.
func (r *rowTiles) nextPair(jr int, b operandB) *float32 {
	p, pan := r.p, r.pan
	switch {
	case b.ld == 0:
	case jr+4*kernelCols <= pan.bPackedFrom:
		return &p.b[pan.pc*p.ldb+pan.jc+jr+2*kernelCols]
	case pan.pc+pan.kc < p.k:
		return &p.b[(pan.pc+pan.kc)*p.ldb+pan.jc]
	}
	return b.p
}

// blockMode is the store mode of the AVX-512 blocks: the panel's, or
// modeStream for a product that streams.
func (r *rowTiles) blockMode() int {
	if r.p.stream && r.pan.mode == modeSet {
		return modeStream
	}
	return r.pan.mode
}

// sliverPair computes the two tiles of rows [ir, ir+kernelRows) of the
// block (a sliver of A without a partner) and columns [jr, jr+2*kernelCols)
// of the panel (two full slivers of B of the same kind, b the first) in
// one pass of the AVX-512 kernel kernel6x32z, through an edge buffer
// where the sliver is partial.
func (r *rowTiles) sliverPair(ir, jr int, b operandB) {
	p, kc := r.p, r.pan.kc
	a := r.sliverA(ir)
	rs, ds := a.strides()
	if mr := min(kernelRows, r.mc-ir); mr < kernelRows {
		var edge [kernelRows * 2 * kernelCols]float32
		kernel6x32z(kc, a.p, rs, ds, b.p, b.stride(), b.next(kc), &edge[0], 2*kernelCols, p.alpha, 0, modeSet)
		p.combineEdge(edge[:], 2*kernelCols, r.ci(ir, jr), mr, 2*kernelCols, r.pan.mode)
		return
	}
	kernel6x32z(kc, a.p, rs, ds, b.p, b.stride(), b.next(kc), r.c(ir, jr), p.ldc, p.alpha, p.beta, r.blockMode())
}

// c is the element of C at row ir and column jr of the block.
func (r *rowTiles) c(ir, jr int) *float32 {
	return &r.p.c[r.ci(ir, jr)]
}

// ci is the index in C of row ir and column jr of the block.
func (r *rowTiles) ci(ir, jr int) int {
	return (r.ic+ir)*r.p.ldc + r.pan.jc + jr
}

// tile computes the tile at rows [ir, ir+kernelRows) and columns [jr,
// jr+nr) of the block, with B's sliver b, through the edge buffer where
// it is partial.
func (r *rowTiles) tile(ir, jr int, b operandB, nr int) {
	p := r.p
	mr := min(kernelRows, r.mc-ir)
	a := r.sliverA(ir)
	if mr == kernelRows && nr == kernelCols {
		tile(r.pan.kc, a, b, r.c(ir, jr), p.ldc, p.alpha, p.beta, r.pan.mode)
		return
	}
	// An edge tile: the kernel stores alpha times the tile, and its
	// valid part is combined with C here, rounding as the kernel does.
	var edge [kernelRows * kernelCols]float32
	tile(r.pan.kc, a, b, &edge[0], kernelCols, p.alpha, 0, modeSet)
	p.combineEdge(edge[:], kernelCols, r.ci(ir, jr), mr, nr, r.pan.mode)
}

// combineEdge combines the valid mr x nr part of an edge tile, stored as
// alpha times the tile with rows stride apart, with C at ci as mode says,
// rounding as the kernel does.
func (p *product) combineEdge(edge []float32, stride, ci, mr, nr, mode int) {
	ldc := p.ldc
	for i := 0; i < mr; i++ {
		row := p.c[ci+i*ldc : ci+i*ldc+nr]
		e := edge[i*stride : i*stride+nr]
		switch mode {
		case modeAdd:
			for j := range row {
				row[j] += e[j]
			}
		case modeSet:
			copy(row, e)
		default:
			for j := range row {
				row[j] = float32(p.beta*row[j]) + e[j]
			}
		}
	}
}

// operandA is a sliver of A for the kernel: packed when lda is 0, else a
// plain A read in place, element (i, p) at p + i*lda + p.
type operandA struct {
	p   *float32
	lda int
}

// strides returns how far apart, in elements, a's rows (rs) and depths
// (ds) are: the packed sliver's 1 and kernelRows, or lda and 1 in place.
func (a operandA) strides() (rs, ds int) {
	if a.lda != 0 {
		return a.lda, 1
	}
	return 1, kernelRows
}

// operandB is a sliver of B for the kernel: packed when ld is 0, else
// read in place with depths ld apart.
type operandB struct {
	p  *float32
	ld int
}

// stride returns how far apart, in elements, b's depths are: kernelCols
// in a packed sliver, ld in place.
func (b operandB) stride() int {
	if b.ld != 0 {
		return b.ld
	}
	return kernelCols
}

// tile runs the kernel that reads a and b as they are given. A is read in
// place only with a packed B.
func tile(k int, a operandA, b operandB, c *float32, ldc int, alpha, beta float32, mode int) {
	switch {
	case a.lda != 0:
		rs, ds := a.strides()
		kernel6x16a(k, a.p, rs, ds, b.p, c, ldc, alpha, beta, mode)
	case b.ld != 0:
		kernel6x16s(k, a.p, b.p, b.ld, c, ldc, alpha, beta, mode)
	default:
		kernel6x16(k, a.p, b.p, c, ldc, alpha, beta, mode)
	}
}

// tilePair computes two full tiles, sliver a's rows and a2's below
// them, both packed or both in place, as two calls of tile would, in one
// pass of the AVX-512 kernel kernel12x16z.
func tilePair(k int, a, a2 operandA, b operandB, c *float32, ldc int, alpha, beta float32, mode int) {
	rs, ds := a.strides()
	kernel12x16z(k, a.p, a2.p, rs, ds, b.p, b.stride(), c, ldc, alpha, beta, mode)
}

// blockPair computes the four full tiles of slivers a and a2 of A (both
// packed or both in place) against sliver b of B and the one to its
// right (both packed or both in place), as four calls of tile would, in
// one pass of the AVX-512 kernel kernel12x32z.
func blockPair(k int, a, a2 operandA, b operandB, c *float32, ldc int, alpha, beta float32, mode int, next *float32) {
	rs, ds := a.strides()
	kernel12x32z(k, a.p, a2.p, rs, ds, b.p, b.stride(), b.next(k), c, ldc, alpha, beta, mode, next)
}

// next returns how far, in elements, the sliver of B to the right of b
// starts from b, for a pair of slivers of b's kind with depth k: the next
// packed sliver, or the next sixteen columns in place.
func (b operandB) next(k int) int {
	if b.ld != 0 {
		return kernelCols
	}
	return kernelCols * k
}

// scale sets rows [r0, r1) and columns [c0, c1) of C to beta times
// themselves, or to zeros when beta is 0.
func (p *product) scale(r0, r1, c0, c1 int) {
	ldc := p.ldc
	for i := r0; i < r1; i++ {
		row := p.c[i*ldc+c0 : i*ldc+c1]
		switch p.beta {
		case 1:
			return
		case 0:
			clear(row)
		default:
			for j := range row {
				row[j] *= p.beta
			}
		}
	}
}

// packA copies rows [i0, i0+mc) and depths [p0, p0+kc) of op(A) into dst
// as slivers of kernelRows rows: dst[s*kernelRows*kc + p*kernelRows + r]
// holds op(A)[i0+s*kernelRows+r][p0+p]. Rows past mc are zeros.
func (p *product) packA(dst []float32, i0, mc, p0, kc int) {
	a, lda := p.a, p.lda
	for s := 0; s*kernelRows < mc; s++ {
		sliver := dst[s*kernelRows*kc : (s+1)*kernelRows*kc]
		rows := min(kernelRows, mc-s*kernelRows)
		first := i0 + s*kernelRows
		if rows < kernelRows {
			clear(sliver)
		}
		if p.aTrans {
			// op(A)[i][l] = a[l*lda+i]: each depth's rows are contiguous.
			// (transposedRows packs the full slivers with
			// packATransposed.)
			for l := 0; l < kc; l++ {
				src := a[(p0+l)*lda+first : (p0+l)*lda+first+rows]
				for r, v := range src {
					sliver[l*kernelRows+r] = v
				}
			}
			continue
		}
		if rows == kernelRows {
			// Six rows at once, so that the writes run in order.
			base := first*lda + p0
			a0 := a[base : base+kc]
			a1 := a[base+lda : base+lda+kc]
			a2 := a[base+2*lda : base+2*lda+kc]
			a3 := a[base+3*lda : base+3*lda+kc]
			a4 := a[base+4*lda : base+4*lda+kc]
			a5 := a[base+5*lda : base+5*lda+kc]
			for l := range a0 {
				d := sliver[l*kernelRows : l*kernelRows+kernelRows : l*kernelRows+kernelRows]
				d[0], d[1], d[2], d[3], d[4], d[5] = a0[l], a1[l], a2[l], a3[l], a4[l], a5[l]
			}
			continue
		}
		for r := 0; r < rows; r++ {
			row := a[(first+r)*lda+p0 : (first+r)*lda+p0+kc]
			for l, v := range row {
				sliver[l*kernelRows+r] = v
			}
		}
	}
}

// packATransposed packs the first slivers full slivers of rows from i0
// of a transposed A, as packA would. It reads A a depth at a time, each
// depth's rows in order, and deals them out six floats to each sliver
// (packTransposedA). The Go loop that did it, six loads and six stores
// of single floats a sliver (an array assignment, or copy, of six floats
// calls runtime.memmove), took 8% of the encoder's step's CPU time; the
// assembly 6.8%, and 6.0% with its prefetches (200 steps each).
func (p *product) packATransposed(dst []float32, i0, slivers, p0, kc int) {
	if slivers == 0 || kc == 0 {
		return
	}
	_ = dst[slivers*kernelRows*kc-1]
	_ = p.a[(p0+kc-1)*p.lda+i0+slivers*kernelRows-1]
	packTransposedA(&dst[0], &p.a[p0*p.lda+i0], p.lda, kc, slivers)
}

// packB copies depths [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// dst as slivers of kernelCols columns: dst[s*kernelCols*kc +
// p*kernelCols + j] holds op(B)[p0+p][j0+s*kernelCols+j]. Columns past nc
// are zeros.
func (p *product) packB(dst []float32, p0, kc, j0, nc int) {
	b, ldb := p.b, p.ldb
	s := 0
	if !p.bTrans && nc >= kernelCols && kc > 0 {
		s = nc / kernelCols
		// op(B)[l][j] = b[l*ldb+j]: the full slivers are filled a depth
		// at a time, reading each row of B in order. The Go loop that
		// did it, sixteen floats at a time as one array value, called
		// memmove for each: the encoder's fc layer at batch 16, 16x4096
		// times 4096x1024 with B from memory, took 2.2-2.3 ms with it
		// and 1.5-1.6 ms with packPlainB's copies, 1.3-1.4 ms with its
		// prefetches too (3 rounds each).
		_ = dst[(s*kc-1)*kernelCols+kernelCols-1]
		_ = b[(p0+kc-1)*ldb+j0+s*kernelCols-1]
		packPlainB(&dst[0], &b[p0*ldb+j0], ldb, kc, s)
	}
	for ; s*kernelCols < nc; s++ {
		sliver := dst[s*kernelCols*kc : (s+1)*kernelCols*kc]
		cols := min(kernelCols, nc-s*kernelCols)
		first := j0 + s*kernelCols
		if cols < kernelCols {
			clear(sliver)
		}
		if !p.bTrans {
			// The last, partial sliver.
			for l := 0; l < kc; l++ {
				src := b[(p0+l)*ldb+first : (p0+l)*ldb+first+cols]
				for j, v := range src {
					sliver[l*kernelCols+j] = v
				}
			}
			continue
		}
		if cols == kernelCols {
			// op(B)[l][j] = b[j*ldb+l]: the sixteen columns' eight
			// depths at a time, as two 8x8 transposes in AVX.
			transposeDepths(sliver, b, first*ldb+p0, ldb, kernelCols, kc)
			continue
		}
		for j := 0; j < cols; j++ {
			col := b[(first+j)*ldb+p0 : (first+j)*ldb+p0+kc]
			for l, v := range col {
				sliver[l*kernelCols+j] = v
			}
		}
	}
}
