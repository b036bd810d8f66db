//go:build !openblas && !purego

package blas

import "golang.org/x/sys/cpu"

// hasKernel reports whether the CPU and OS support the AVX2 and FMA
// instructions that kernel6x16 uses.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useWide reports whether Sgemm computes pairs of full tiles whose A is
// packed with the AVX-512 kernel kernel12x16z: where the CPU and OS
// support AVX-512F. The results are the same bits either way; tests
// switch it off to run the AVX2 kernels alone.
//
// On a 2-core Zen 4 (cpu family 25), whose 512-bit FMAs run as two
// 256-bit halves, the DIM step measured 5% faster with it at batch 64
// and 7% at batch 16, and the encoder alone 1% slower (medians of 6
// interleaved rounds, within the machines' noise); products with B read
// in place gained most (fc layer, 64x4096x1024: +22%), because each
// depth's sixteen values of B now serve twelve rows. With A read in
// place the twelve rows' streams, lda apart, overflowed the L1 cache's
// ways and conv products ran up to 20% slower, so those stay on the
// AVX2 kernels. Where 512-bit FMAs are native (Zen 5: an FMA loop ran
// twice as fast with them) the kernel has twice AVX2's peak.
var useWide = hasKernel && cpu.X86.HasAVX512F

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

// kernel12x16z is two kernel6x16 tiles, one above the other, in AVX-512:
// the 12×16 tile of C at c from two 6-row slivers of A, element (i, p)
// of the first at a0 + i*rs + p*ds and of the second at a1 + i*rs +
// p*ds, and B's sixteen values of depth p at b + p*ldb (16 for a packed
// sliver). Each row of the tile is one 512-bit register; its sums, in
// the same order with the same fused multiply-adds, and its stores are
// kernel6x16's, bit for bit. (Only a NaN's payload may differ: the
// broadcast A is the multiply's second operand here and its first in
// kernel6x16, and when both are NaNs x86 returns the first's payload.)
//
//go:noescape
func kernel12x16z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)
