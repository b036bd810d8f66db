//go:build !amd64

package blas

// hasKernel is false: the assembly kernel is written for amd64 only.
const hasKernel = false

// kernel6x16 is never called without the assembly kernel.
func kernel6x16(k int, a, b, c *float32, ldc int, alpha float32) {
	panic("blas: no Sgemm kernel on this architecture")
}
