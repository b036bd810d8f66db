//go:build !amd64 || openblas || purego

package blas

// hasKernel is false: the assembly kernel is written for amd64, the
// openblas build (a cgo package, which cannot hold Go assembly) leaves it
// out, and the purego build tag (the Go convention for "no assembly")
// leaves gorgonia on gonum's BLAS, to compare or to rule the kernel out.
const hasKernel = false

// useWide is false: there is no AVX-512 kernel either.
var useWide = false

// kernel6x16 is never called without the assembly kernel.
func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// kernel6x16s is never called without the assembly kernel.
func kernel6x16s(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// kernel6x16a is never called without the assembly kernel.
func kernel6x16a(k int, a *float32, rs, ds int, b, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// kernel12x16z is never called without the assembly kernel.
func kernel12x16z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// useBlocks is false: there is no AVX-512 kernel either.
var useBlocks = false

// inPlacePairs is false: there is no AVX-512 kernel either.
var inPlacePairs = false

// packLargeB is false: there is no AVX-512 kernel either.
var packLargeB = false

// native512 and native512AMD are false: there is no AVX-512 kernel
// either.
var native512, native512AMD = false, false

// kernel12x32z is never called without the assembly kernel.
func kernel12x32z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int, next *float32) {
	panic("blas: no Sgemm kernel on this architecture")
}

// kernel6x32z is never called without the assembly kernel.
func kernel6x32z(k int, a *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// sfence has no stores to order without the assembly kernels.
func sfence() {}

// packPlainB is never called without the assembly kernel.
func packPlainB(dst, src *float32, ldb, kc, slivers int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// packTransposedA is never called without the assembly kernel.
func packTransposedA(dst, src *float32, lda, kc, slivers int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// transposeBlocks8 is never called without the assembly kernel.
func transposeBlocks8(c *float32, ldc int, t *float32, ldt, blocks int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// dealRuns16 is never called without the assembly kernel.
func dealRuns16(dst *float32, stride int, src *float32, pieces int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// dealZeros16 is never called without the assembly kernel.
func dealZeros16(dst *float32, stride int, pieces int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// row64 is never called without the assembly kernel.
func row64(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// row16 is never called without the assembly kernel.
func row16(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// outer16 is never called without the assembly kernel.
func outer16(m int, a *float32, lda int, b *float32, n16 int, c *float32, ldc int, alpha, beta float32, mode int) {
	panic("blas: no Sgemm kernel on this architecture")
}

// dealRows8 is never called without the assembly kernel.
func dealRows8(dst *float32, stride int, src *float32, lds, pieces int) {
	panic("blas: no Sgemm kernel on this architecture")
}
