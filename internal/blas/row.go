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
