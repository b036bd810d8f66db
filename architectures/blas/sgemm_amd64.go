//go:build !openblas

package blas

import "golang.org/x/sys/cpu"

// hasKernel reports whether the CPU and OS support the AVX2 and FMA
// instructions that kernel6x16 uses.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 adds alpha times the product of a packed 6×k sliver of A
// (a[p*6+i]) and a packed k×16 sliver of B (b[p*16+j]) to the 6×16 tile
// of C at c, whose rows are ldc elements apart:
//
//	c[i*ldc+j] += alpha * sum_p a[p*6+i] * b[p*16+j]
//
// Each sum runs over p in order with fused multiply-adds; the product
// with alpha and the addition to C round separately. k must be at least 1.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, alpha float32)
