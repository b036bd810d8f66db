//go:build !openblas && !purego

package blas

import "golang.org/x/sys/cpu"

// hasKernel reports whether the CPU and OS support the AVX2 and FMA
// instructions that kernel6x16 uses.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 computes the 6×16 tile acc = sum_p a[p*6+i] * b[p*16+j] of
// the product of a packed 6×k sliver of A and a packed k×16 sliver of B,
// each sum over p in order with fused multiply-adds, and stores it into
// the tile of C at c, whose rows are ldc elements apart, as mode says:
//
//	modeAdd:   c[i*ldc+j] = c[i*ldc+j] + alpha*acc[i][j]
//	modeSet:   c[i*ldc+j] = alpha*acc[i][j] (C is not read)
//	modeScale: c[i*ldc+j] = beta*c[i*ldc+j] + alpha*acc[i][j]
//
// Every product and sum there rounds to float32 separately. k must be at
// least 1.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, mode int)

// kernel6x16s is kernel6x16 reading B in place rather than packed: depth
// p's sixteen values of B are at b + p*ldb. Its sums and stores are
// kernel6x16's, bit for bit.
//
//go:noescape
func kernel6x16s(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)

// kernel6x16a is kernel6x16 reading A in place rather than packed: element
// (i, p) of the six-row sliver is at a + i*rs + p*ds. Its sums and stores
// are kernel6x16's, bit for bit.
//
//go:noescape
func kernel6x16a(k int, a *float32, rs, ds int, b, c *float32, ldc int, alpha, beta float32, mode int)
