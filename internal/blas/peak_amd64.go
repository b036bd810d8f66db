//go:build !openblas && !purego

package blas

import "golang.org/x/sys/cpu"

// hasPeakLoops reports whether fmaLoop256 can run here; fmaLoop512 also
// needs hasPeakLoop512.
var (
	hasPeakLoops   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasPeakLoop512 = hasPeakLoops && cpu.X86.HasAVX512F
)

// fmaLoop256 runs n iterations of twelve independent 256-bit fused
// multiply-adds (acc += x*x on eight float32 lanes), 192 floating-point
// operations an iteration, with nothing else to wait for: the most
// arithmetic one core does per cycle with AVX2. It returns the sum of
// the twelve accumulators' first lanes, 12*n*x*x when that is exact, so a
// test can check that every iteration ran every one of them.
//
//go:noescape
func fmaLoop256(n int, x float32) float32

// fmaLoop512 is fmaLoop256 with 512-bit vectors: 384 floating-point
// operations an iteration. It needs AVX-512F.
//
//go:noescape
func fmaLoop512(n int, x float32) float32
