//go:build !purego

package optim

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU and OS support the AVX2 instructions
// that adamKernel4 is gated on.
var hasAVX2 = cpu.X86.HasAVX2

// adamKernel4 applies one Adam step to the first n float32 weights at w,
// with gradients at grad and moments at m and v, four elements at a time in
// 256-bit vectors. It does adamUpdate's IEEE operations in adamUpdate's
// order, each rounded separately (no fused multiply-adds), so it gives
// adamUpdate's bits: omb1 and omb2 are 1-b1 and 1-b2. n must be a
// multiple of 4.
//
//go:noescape
func adamKernel4(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c1, c2, eps float64)
