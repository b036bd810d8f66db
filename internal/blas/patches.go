package blas

import (
	"fmt"
	"time"

	"gonum.org/v1/gonum/blas"

	"github.com/infomax/infomax/internal/vec"
)

// Patches describes the patch matrix (im2col) of a batch of images in
// rows layout without forming it. The images X are (N*H*W, C): pixel
// (n, y, x) is row (n*H + y)*W + x. The patch matrix has a row for each
// output location, (n*OH + oy)*OW + ox, and a column for each window
// offset (i, j) and channel c, (i*K + j)*C + c, holding the pixel at
// (oy*Stride - Pad + i, ox*Stride - Pad + j), or zero where that lies in
// the padding.
type Patches struct {
	X              []float32
	N, H, W, C     int
	K, Stride, Pad int
	OH, OW         int
}

// Rows returns the patch matrix's row count, N*OH*OW.
func (p Patches) Rows() int { return p.N * p.OH * p.OW }

// Cols returns the patch matrix's column count, K*K*C.
func (p Patches) Cols() int { return p.K * p.K * p.C }

// check returns an error if the geometry is impossible or X too short.
func (p Patches) check() error {
	switch {
	case p.N <= 0 || p.H <= 0 || p.W <= 0 || p.C <= 0 || p.K <= 0 || p.Stride <= 0 || p.Pad < 0:
		return fmt.Errorf("blas: patches of %d images %dx%dx%d, window %d, stride %d, pad %d: sizes must be positive, the pad at least 0", p.N, p.H, p.W, p.C, p.K, p.Stride, p.Pad)
	case p.H+2*p.Pad < p.K || p.W+2*p.Pad < p.K:
		return fmt.Errorf("blas: a window of %d does not fit %dx%d images padded by %d", p.K, p.H, p.W, p.Pad)
	case p.OH != (p.H+2*p.Pad-p.K)/p.Stride+1 || p.OW != (p.W+2*p.Pad-p.K)/p.Stride+1 || p.OH <= 0 || p.OW <= 0:
		return fmt.Errorf("blas: patches of %dx%d images with window %d, stride %d, pad %d give %dx%d outputs, not %dx%d", p.H, p.W, p.K, p.Stride, p.Pad, (p.H+2*p.Pad-p.K)/p.Stride+1, (p.W+2*p.Pad-p.K)/p.Stride+1, p.OH, p.OW)
	case len(p.X) < p.N*p.H*p.W*p.C:
		return fmt.Errorf("blas: %d images of %dx%dx%d need %d values, the slice of images has %d", p.N, p.H, p.W, p.C, p.N*p.H*p.W*p.C, len(p.X))
	}
	return nil
}

// location returns the image n and output location (oy, ox) of row r of
// the patch matrix.
func (p Patches) location(r int) (n, oy, ox int) {
	return r / (p.OH * p.OW), r / p.OW % p.OH, r % p.OW
}

// inside returns the columns [lo, hi) of window row i, in the patch
// matrix's row for location (oy, ox) of image n, whose pixels lie inside
// the image, and the offset x such that column c's value, for c in
// [lo, hi), is X[x+c]; lo >= hi where the window row lies wholly in the
// padding. Within a window row those columns are one run of X.
func (p Patches) inside(n, oy, ox, i int) (lo, hi, x int) {
	x0, y := ox*p.Stride-p.Pad, oy*p.Stride-p.Pad+i
	if y < 0 || y >= p.H {
		return 0, 0, 0
	}
	span := p.K * p.C
	lo, hi = i*span+max(0, -x0)*p.C, i*span+min(p.K, p.W-x0)*p.C
	return lo, hi, ((n*p.H+y)*p.W+x0)*p.C - i*span
}

// Gather copies rows [r0, r0+rows) and columns [j0, j0+nc) of the patch
// matrix into dst, rows ld apart: each window row's run of pixels inside
// the image at once (inside), the padding as zeros.
func (p Patches) Gather(dst []float32, ld, r0, rows, j0, nc int) {
	span := p.K * p.C // the columns of one window row
	for r := 0; r < rows; r++ {
		out := dst[r*ld : r*ld+nc]
		n, oy, ox := p.location(r0 + r)
		for i := j0 / span; i*span < j0+nc; i++ {
			lo, hi := max(j0, i*span), min(j0+nc, (i+1)*span) // columns of this window row wanted
			a, b, x := p.inside(n, oy, ox, i)
			a, b = max(a, lo), min(b, hi) // and inside the image
			if a >= b {
				clear(out[lo-j0 : hi-j0])
				continue
			}
			clear(out[lo-j0 : a-j0])
			copy(out[a-j0:b-j0], p.X[x+a:x+b])
			clear(out[b-j0 : hi-j0])
		}
	}
}

// Form writes the whole patch matrix into dst, rows Cols() apart.
func (p Patches) Form(dst []float32) {
	p.Gather(dst, p.Cols(), 0, p.Rows(), 0, p.Cols())
}

// PatchesWeightGrad sets dw, a (K*K*C)×n matrix with rows n apart, to
// Pᵀ·dy, P being the patch matrix p describes and dy a Rows()×n matrix
// with rows n apart: a convolution's weight gradient. dw gets the bits
// Sgemm(Trans, NoTrans, K*K*C, n, Rows(), 1, P, K*K*C, dy, n, 0, dw, n)
// gives with P formed. Where the assembly kernel runs and K*K*C is a
// multiple of 16, P is never formed: the product runs as dwᵀ = dyᵀ·P, and each
// goroutine gathers its columns of P from X as it packs them, a depth
// block at a time, so that the images, a quarter of P's size for a 4x4
// window at stride 2, are read instead of P. Elsewhere P is formed in a
// scratch matrix and passed to Sgemm.
func (impl Implementation) PatchesWeightGrad(p Patches, dy []float32, n int, dw []float32) error {
	if err := p.check(); err != nil {
		return err
	}
	m, k := p.Cols(), p.Rows()
	if n <= 0 || len(dy) < k*n || len(dw) < m*n {
		return fmt.Errorf("blas: weight gradient of n = %d columns (at least 1) from dy of %d and into dw of %d values, want %d and %d", n, len(dy), len(dw), k*n, m*n)
	}
	if !hasKernel || m%kernelCols != 0 {
		buf := formed(p)
		defer scratchPool.Put(buf)
		impl.Sgemm(blas.Trans, blas.NoTrans, m, n, k, 1, *buf, m, dy, n, 0, dw, n)
		return nil
	}
	matmulFlops.Add(2 * uint64(m) * uint64(n) * uint64(k))
	if profiling.Load() {
		defer profileProduct("conv weight grad", m, n, k, time.Now())
	}
	pr := product{aTrans: true, k: k, alpha: 1, a: dy, lda: n, gatherB: &p, ldb: m}
	pr.intoTransposed(dw, n, m, n)
	return nil
}

// gatherChunk is the most columns of a gathered B that packGathered
// gathers into its scratch at once before packing them, where it cannot
// pack them straight from the images: 256 depths of 256 columns take
// 256 KB.
const gatherChunk = 256

// packGathered packs depths [p0, p0+kc) and columns [j0, j0+nc) of a
// gathered B, nc a multiple of kernelCols, as packB packs a plain B.
// Where C is a multiple of 16, eight depths at a time are gathered into
// bufs.g, eight rows of the patch matrix, and dealt from there to the
// slivers, each sliver's eight depths one run of 512 bytes (dealRows8);
// the depths short of a multiple of eight are dealt straight from the
// images a depth at a time (dealRow). Otherwise gatherChunk columns at a
// time are gathered into bufs.g and packed from there.
//
// Dealt a depth at a time, each depth's slivers were 16 KB apart (kc =
// 256): every write a new cache line in the same set of L1's. On the
// 2-core Zen 4 (2026-12-06, CPU profiles of 400 of the encoder's conv2
// weight gradients, 4096x1024 patches by 128 columns) packing took 0.67
// s so, dealRuns16 0.49 s of it, and 0.39 s in groups of eight.
func (p *product) packGathered(bufs *packBuffers, dst []float32, p0, kc, j0, nc int) {
	g := p.gatherB
	if g.C%kernelCols != 0 {
		for c := 0; c < nc; c += gatherChunk {
			w := min(gatherChunk, nc-c)
			bufs.g = grow(bufs.g, kc*w)
			g.Gather(bufs.g, w, p0, kc, j0+c, w)
			packPlainB(&dst[c*kc], &bufs.g[0], w, kc, w/kernelCols)
		}
		return
	}
	_ = dst[(nc/kernelCols*kc-1)*kernelCols+kernelCols-1]
	bufs.g = grow(bufs.g, 8*nc)
	l := 0
	for ; l+8 <= kc; l += 8 {
		g.Gather(bufs.g, nc, p0+l, 8, j0, nc)
		dealRows8(&dst[l*kernelCols], kc*kernelCols, &bufs.g[0], nc, nc/kernelCols)
	}
	for ; l < kc; l++ {
		g.dealRow(dst[l*kernelCols:], kc*kernelCols, p0+l, j0, nc)
	}
}

// dealRow deals columns [j0, j0+nc) of row r of the patch matrix, C and
// j0 multiples of 16, to slivers of 16 columns stride floats apart from
// dst: pixels inside the image from the images, padding as zeros.
func (p Patches) dealRow(dst []float32, stride, r, j0, nc int) {
	span := p.K * p.C
	zeros := func(lo, hi int) {
		if lo < hi {
			dealZeros16(&dst[(lo-j0)/kernelCols*stride], stride, (hi-lo)/kernelCols)
		}
	}
	n, oy, ox := p.location(r)
	for i := j0 / span; i*span < j0+nc; i++ {
		lo, hi := max(j0, i*span), min(j0+nc, (i+1)*span) // columns of this window row wanted
		a, b, x := p.inside(n, oy, ox, i)
		a, b = max(a, lo), min(b, hi) // and inside the image
		if a >= b {
			zeros(lo, hi)
			continue
		}
		zeros(lo, a)
		_ = p.X[x+b-1]
		dealRuns16(&dst[(a-j0)/kernelCols*stride], stride, &p.X[x+a], (b-a)/kernelCols)
		zeros(b, hi)
	}
}

// scatterAdd adds rows [r0, r0+rows) of a patch-shaped matrix src (rows ld
// apart), which are whole images' rows, back into those images of dx,
// which it first sets to zero: each pixel gets the entries copied from
// it added in the order of the rows, a window row's run at a time, as
// col2im adds them (package graph), the same bits.
func (p Patches) scatterAdd(dx, src []float32, ld, r0, rows int) {
	locs, pixels := p.OH*p.OW, p.H*p.W*p.C
	for n := r0 / locs; n < (r0+rows)/locs; n++ {
		clear(dx[n*pixels : (n+1)*pixels])
		for l := 0; l < locs; l++ {
			row := src[(n*locs+l-r0)*ld:][:p.Cols()]
			oy, ox := l/p.OW, l%p.OW
			for i := 0; i < p.K; i++ {
				if a, b, x := p.inside(n, oy, ox, i); a < b {
					vec.Add(dx[x+a:x+b], row[a:b])
				}
			}
		}
	}
}

// PatchesProduct sets y, a Rows()×n matrix with rows n apart, to P·w, P
// being the patch matrix p describes and w a (K*K*C)×n matrix with rows
// n apart: a convolution. y gets the bits Sgemm(NoTrans, NoTrans,
// Rows(), n, K*K*C, 1, P, K*K*C, w, n, 0, y, n) gives with P formed.
// Where the assembly kernel runs, P is never formed: each goroutine
// gathers the rows of P it computes, a block of up to two blocks of rows
// (192) at a time, from the images into a buffer that stays in its
// cache, and reads them there.
func (impl Implementation) PatchesProduct(p Patches, w []float32, n int, y []float32) error {
	if err := p.check(); err != nil {
		return err
	}
	m, k := p.Rows(), p.Cols()
	if n <= 0 || len(w) < k*n || len(y) < m*n {
		return fmt.Errorf("blas: convolution into n = %d columns (at least 1) from w of %d and into y of %d values, want %d and %d", n, len(w), len(y), k*n, m*n)
	}
	if !hasKernel || k*n > sharedMax {
		buf := formed(p)
		defer scratchPool.Put(buf)
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, *buf, k, w, n, 0, y, n)
		return nil
	}
	matmulFlops.Add(2 * uint64(m) * uint64(n) * uint64(k))
	if profiling.Load() {
		defer profileProduct("conv", m, n, k, time.Now())
	}
	pr := product{k: k, alpha: 1, lda: k, gatherA: &p, b: w, ldb: n, c: y, ldc: n}
	pr.stream = streams(m, n, k, 0, y, n)
	pr.sharedB(m, n)
	return nil
}

// PatchesInputGrad sets dx, images of p's geometry, to the gradient of a
// convolution's input: col2im of dy·wᵀ, with dy a Rows()×n matrix and w a
// (K*K*C)×n matrix, both with rows n apart. dx gets the bits of
// Sgemm(NoTrans, Trans, Rows(), K*K*C, n, 1, dy, n, w, n, 0, D, K*K*C)
// followed by col2im of D. Where the assembly kernel runs, D is never
// formed whole: each goroutine computes the rows of whole images at a
// time into a buffer that stays in its cache and adds them into its
// images from there. p.X is not read.
func (impl Implementation) PatchesInputGrad(p Patches, dy, w []float32, n int, dx []float32) error {
	q := p
	q.X = dx
	if err := q.check(); err != nil {
		return err
	}
	m, k := p.Rows(), p.Cols()
	if n <= 0 || len(dy) < m*n || len(w) < k*n {
		return fmt.Errorf("blas: input gradient from n = %d columns (at least 1), dy of %d and w of %d values, want %d and %d", n, len(dy), len(w), m*n, k*n)
	}
	if !hasKernel || k*n > sharedMax {
		buf := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(buf)
		*buf = grow(*buf, m*k)
		impl.Sgemm(blas.NoTrans, blas.Trans, m, k, n, 1, dy, n, w, n, 0, *buf, k)
		p.scatterAdd(dx, *buf, k, 0, m)
		return nil
	}
	matmulFlops.Add(2 * uint64(m) * uint64(n) * uint64(k))
	if profiling.Load() {
		defer profileProduct("conv input grad", m, k, n, time.Now())
	}
	pr := product{bTrans: true, k: n, alpha: 1, a: dy, lda: n, b: w, ldb: n, ldc: k, scatterC: &p, images: dx}
	pr.sharedB(m, k)
	return nil
}

// formed returns a scratch matrix from scratchPool holding the whole
// patch matrix; the caller puts it back.
func formed(p Patches) *[]float32 {
	buf := scratchPool.Get().(*[]float32)
	*buf = grow(*buf, p.Rows()*p.Cols())
	p.Form(*buf)
	return buf
}
