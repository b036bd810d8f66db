package blas

import (
	"runtime"

	"github.com/infomax/infomax/internal/parallel"
)

// rowChunk is the most columns a call of row64 computes, and the unit in
// which rowProduct splits columns between goroutines.
const rowChunk = 64

// rowProduct computes a one-row product, C = alpha op(A) B + beta C with
// op(A) 1×k, element l at a[l*stride], and a plain k×n B: its columns in
// multiples of kernelCols with row64 and row16, reading B in place row
// by row, and the last n%kernelCols through the general path. Each
// element is kernel6x16's sum, depth block by depth block, stored as
// kernel6x16 stores it, so C gets the bits the general path gives it;
// that path pads the row to a six-row tile and, for a large B, packs B
// first, doing six times the arithmetic and copying B once more.
func (p *product) rowProduct(n int) {
	stride := 1
	if p.aTrans {
		stride = p.lda
	}
	full := n / kernelCols * kernelCols
	inChunks(full, rowChunk, p.k*n, func(j0, cols int) {
		for pc := 0; pc < p.k; pc += depthBlock {
			p.rowKernels(min(depthBlock, p.k-pc), &p.a[pc*stride], stride, p.b[pc*p.ldb+j0:], p.ldb, p.c[j0:], cols, p.depthMode(pc))
		}
	})
	if full < n {
		q := *p
		q.b, q.c = p.b[full:], p.c[full:]
		q.block(0, 1, 0, n-full)
	}
}

// inChunks calls f(lo, n) for [0, full) in chunks of size (the last
// shorter), split between goroutines where there are several chunks and
// the product's volume is at least parallelVolume.
func inChunks(full, size, volume int, f func(lo, n int)) {
	chunks := (full + size - 1) / size
	run := func(j int) { f(j*size, min(size, full-j*size)) }
	if chunks > 1 && volume >= parallelVolume && runtime.GOMAXPROCS(0) > 1 {
		parallel.Do(chunks, run)
		return
	}
	for j := range chunks {
		run(j)
	}
}

// rowKernels computes n (rowChunk, or a multiple of kernelCols below it)
// columns of a one-row product's depth slice of kc into c: row64, or row16
// on each sixteen columns, with a's element l at a + l*stride and B's
// depth l at b[l*ldb:], stored as mode says.
func (p *product) rowKernels(kc int, a *float32, stride int, b []float32, ldb int, c []float32, n, mode int) {
	if n == rowChunk {
		row64(kc, a, stride, &b[0], ldb, &c[0], p.alpha, p.beta, mode)
		return
	}
	for g := 0; g < n; g += kernelCols {
		row16(kc, a, stride, &b[g], ldb, &c[g], p.alpha, p.beta, mode)
	}
}

// columnProduct computes a matrix-vector product, C = alpha A x + beta C
// with A plain, m×k, x = op(B) k×1 and C a contiguous column (ldc 1):
// rowChunk rows of A at a time, each depthBlock-deep slice of them
// transposed into a scratch panel (transposeBlocks8, eight depths at a
// time) that row64, or row16 for the last rows of a multiple of sixteen,
// reads as its B, with x as its one-row A; the last m%kernelCols rows
// are padded with zeros to sixteen (columnTail). Each element is
// kernel6x16's sum, depth block by depth block, stored as kernel6x16
// stores it, but for the order of each product's operands (x's value
// first), so C gets the general path's bits but for NaN payloads: where
// a row of A and x hold NaNs at one depth, C gets x's. The general path
// pads x to a sixteen-column sliver, sixteen times the arithmetic.
func (p *product) columnProduct(m int) {
	stride := p.ldb // op(B)[l][0]
	if p.bTrans {
		stride = 1
	}
	full := m / kernelCols * kernelCols
	inChunks(full, rowChunk, m*p.k, func(i0, rows int) {
		buf := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(buf)
		*buf = grow(*buf, depthBlock*rowChunk)
		panel := *buf
		for pc := 0; pc < p.k; pc += depthBlock {
			kc := min(depthBlock, p.k-pc)
			transposeDepths(panel, p.a, i0*p.lda+pc, p.lda, rows, kc)
			p.rowKernels(kc, &p.b[pc*stride], stride, panel, rows, p.c[i0:], rows, p.depthMode(pc))
		}
	})
	if full < m {
		p.columnTail(full, m-full, stride)
	}
}

// columnTail computes rows [i0, i0+rows) of columnProduct's C, fewer than
// sixteen: each depth slice of them transposed into a sixteen-row panel
// padded with zeros, row16 into an edge buffer (alpha times the sums),
// and the valid rows combined with C as the kernel stores them
// (combineEdge).
func (p *product) columnTail(i0, rows, stride int) {
	var panel [depthBlock * kernelCols]float32
	var edge [kernelCols]float32
	for pc := 0; pc < p.k; pc += depthBlock {
		kc := min(depthBlock, p.k-pc)
		for l := range kc {
			for r := range rows {
				panel[l*kernelCols+r] = p.a[(i0+r)*p.lda+pc+l]
			}
		}
		row16(kc, &p.b[pc*stride], stride, &panel[0], kernelCols, &edge[0], p.alpha, 0, modeSet)
		p.combineEdge(edge[:], 1, i0, rows, 1, p.depthMode(pc))
	}
}

// transposeDepths writes depths [0, kc) of rows rows (a multiple of 8)
// of the matrix x, row r's depth l at x[base+r*ld+l], into dst
// transposed: depth l of row r at dst[l*rows+r]. It runs transposeBlocks8
// (AVX) on eight depths at a time and copies the last kc%8 one by one.
// It packs the slivers of a transposed B (packB) and columnProduct's
// panels of A.
func transposeDepths(dst, x []float32, base, ld, rows, kc int) {
	if kc <= 0 {
		return
	}
	_ = x[base+(rows-1)*ld+kc-1]
	_ = dst[kc*rows-1]
	l := 0
	for ; l+8 <= kc; l += 8 {
		transposeBlocks8(&dst[l*rows], rows, &x[base+l], ld, rows/8)
	}
	for ; l < kc; l++ {
		for r := range rows {
			dst[l*rows+r] = x[base+r*ld+l]
		}
	}
}

// outerProduct computes a product of depth 1, C = alpha a bᵀ + beta C
// with a m×1 and b 1×n contiguous (plain, or transposed with ldb 1):
// outer16 on the columns in multiples of kernelCols, outerRows rows at a
// time split between goroutines, and the last n%kernelCols columns
// through the general path. Each element is the general path's single
// fused multiply-add into zero, stored as kernel6x16 stores it, so C gets
// its bits. The general path runs a 12x32 kernel call per tile, whose
// setup and stores, with nothing else to do, took 290 µs on Zen 5 for
// the concat Gaussian critic's 4096×256 input gradient of its output
// layer (BenchmarkSgemm's concat_outer_Bt).
func (p *product) outerProduct(m, n int) {
	lda := p.lda
	if p.aTrans {
		lda = 1
	}
	full := n / kernelCols * kernelCols
	mode := p.depthMode(0)
	inChunks(m, outerRows, m*n, func(i0, rows int) {
		outer16(rows, &p.a[i0*lda], lda, &p.b[0], full/kernelCols, &p.c[i0*p.ldc], p.ldc, p.alpha, p.beta, mode)
	})
	if full < n {
		q := *p
		q.bTrans, q.ldb = false, n
		q.b, q.c = p.b[full:], p.c[full:]
		q.parallel(m, n-full)
	}
}

// outerRows is the rows of C that outerProduct computes per chunk.
const outerRows = 256
