//go:build !purego

package optim

import "golang.org/x/sys/cpu"

// hasAVX2FMA reports whether the CPU and OS support the AVX2 and FMA
// instructions that adamKernel4 is gated on.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// adamKernel4 applies one Adam step to the first n float32 weights at w,
// with gradients at grad and moments at m and v, four elements at a time in
// 256-bit vectors. It does adamUpdate's IEEE operations in adamUpdate's
// order, each rounded separately (no multiply fused with an add), so it
// gives adamUpdate's bits: omb1 and omb2 are 1-b1 and 1-b2. Its divisions
// by c1 and c2 multiply by rc1 = 1/c1 and rc2 = 1/c2 and correct the
// quotient with fused multiply-adds until it is the division's rounded
// result, bit for bit (DIVIDE in adam_amd64.s). n must be a multiple of 4.
//
//go:noescape
func adamKernel4(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c1, c2, eps, rc1, rc2 float64)

// adamDivide4 divides the first n float64s at a (n a multiple of 4) by b
// in place, as adamKernel4 divides by c1, with rb = 1/b, and returns how
// many groups of four it divided without the divider. It exists for the
// tests, to check that those quotients are the divider's bits.
//
//go:noescape
func adamDivide4(n int, a *float64, b, rb float64) (fast int)
