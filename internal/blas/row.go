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
	chunks := (full + rowChunk - 1) / rowChunk
	first := p.firstMode()
	run := func(j int) {
		j0 := j * rowChunk
		cols := min(rowChunk, full-j0)
		for pc := 0; pc < p.k; pc += depthBlock {
			kc, mode := min(depthBlock, p.k-pc), modeAdd
			if pc == 0 {
				mode = first
			}
			a := &p.a[pc*stride]
			if cols == rowChunk {
				row64(kc, a, stride, &p.b[pc*p.ldb+j0], p.ldb, &p.c[j0], p.alpha, p.beta, mode)
				continue
			}
			for g := j0; g < j0+cols; g += kernelCols {
				row16(kc, a, stride, &p.b[pc*p.ldb+g], p.ldb, &p.c[g], p.alpha, p.beta, mode)
			}
		}
	}
	if chunks > 1 && p.k*n >= parallelVolume && runtime.GOMAXPROCS(0) > 1 {
		parallel.Do(chunks, run)
	} else {
		for j := range chunks {
			run(j)
		}
	}
	if full < n {
		q := *p
		q.b, q.c = p.b[full:], p.c[full:]
		q.block(0, 1, 0, n-full)
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
	chunks := (full + rowChunk - 1) / rowChunk
	first := p.firstMode()
	run := func(j int) {
		buf := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(buf)
		*buf = grow(*buf, depthBlock*rowChunk)
		panel := *buf
		i0 := j * rowChunk
		rows := min(rowChunk, full-i0)
		for pc := 0; pc < p.k; pc += depthBlock {
			kc, mode := min(depthBlock, p.k-pc), modeAdd
			if pc == 0 {
				mode = first
			}
			transposeDepths(panel, p.a, i0*p.lda+pc, p.lda, rows, kc)
			x := &p.b[pc*stride]
			if rows == rowChunk {
				row64(kc, x, stride, &panel[0], rows, &p.c[i0], p.alpha, p.beta, mode)
				continue
			}
			for g := 0; g < rows; g += kernelCols {
				row16(kc, x, stride, &panel[g], rows, &p.c[i0+g], p.alpha, p.beta, mode)
			}
		}
	}
	if chunks > 1 && m*p.k >= parallelVolume && runtime.GOMAXPROCS(0) > 1 {
		parallel.Do(chunks, run)
	} else {
		for j := range chunks {
			run(j)
		}
	}
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
	first := p.firstMode()
	for pc := 0; pc < p.k; pc += depthBlock {
		kc, mode := min(depthBlock, p.k-pc), modeAdd
		if pc == 0 {
			mode = first
		}
		for l := range kc {
			for r := range rows {
				panel[l*kernelCols+r] = p.a[(i0+r)*p.lda+pc+l]
			}
		}
		row16(kc, &p.b[pc*stride], stride, &panel[0], kernelCols, &edge[0], p.alpha, 0, modeSet)
		p.combineEdge(edge[:], 1, i0, rows, 1, mode)
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
