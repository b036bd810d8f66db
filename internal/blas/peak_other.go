//go:build !amd64 || openblas || purego

package blas

// The peak loops are amd64 assembly; elsewhere BenchmarkPeakFMA skips.
const (
	hasPeakLoops   = false
	hasPeakLoop512 = false
)

// fmaLoop256 is never called without the assembly loops.
func fmaLoop256(n int, x float32) float32 { panic("blas: no FMA loop on this architecture") }

// fmaLoop512 is never called without the assembly loops.
func fmaLoop512(n int, x float32) float32 { panic("blas: no FMA loop on this architecture") }
