//go:build !purego

package optim

import (
	"golang.org/x/sys/cpu"

	"github.com/infomax/infomax/internal/blas"
)

// hasAVX2FMA reports whether the CPU and OS support the AVX2 and FMA
// instructions that adamKernel4 is gated on.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// hasAVX512 reports whether the CPU and OS support the AVX-512F and
// AVX-512VL instructions that adamKernel8z and adamKernel8d use (VL for
// their subtraction of 256-bit float32 vectors in registers 16 to 31, and
// 8z's compare); the tests run both wherever they do.
var hasAVX512 = hasAVX2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// useKernel8z reports whether adamUpdate32 runs adamKernel8z once c1 has
// rounded to 1: where 512-bit FMAs are native (blas.NativeAVX512). The
// bits are the same either way. On the 2-core Intel Xeon, one core, 16,384 weights in
// cache, an update took 0.99-1.01 ns a weight against adamKernel4's
// 1.26-1.31; 4,194,304 weights, from memory, 1.76-1.77 against 1.75-1.84.
// On a 2-core Zen 4, whose 512-bit operations run as two halves, it
// measured the same as adamKernel4 and stays off (BenchmarkAdamUpdate,
// 2 threads, 3 interleaved runs, 2026-12-03: 4,194,304 weights 1.34-1.48
// ns a weight against 1.29-1.41; 158,784 weights 0.85-0.95 against
// 0.85-0.92).
var useKernel8z = hasAVX512 && blas.NativeAVX512()

// useDivider reports whether adamUpdate32 runs adamKernel8d rather than
// adamKernel8z, where it runs either: on AMD's cores with native 512-bit
// operations (blas.NativeAVX512AMD, Zen 5 on), whose divider divides eight
// float64s faster than adamKernel8z's estimate and check. The bits are the
// same either way. On a 2-core Zen 5 (cpu family 26, 2026-12-07,
// BenchmarkAdamUpdate, three interleaved runs of two builds) an update
// took 0.51-0.72 ns a weight against 0.89-1.04 on one core with 158,784
// weights, 0.61-0.98 against 0.88-1.07 with 2^22 from memory, and on two
// cores 0.35-0.43 against 0.51-0.57 and 0.37-0.44 against 0.50-0.54; the
// DIM step at batch 16 (BenchmarkDIMStepTorchReferenceBatch16, five
// interleaved pairs) ran 612-663 images/s against 574-629, 4-12% faster
// in every pair. (Dividing v/c2 by VDIVPD too, instead of DIVIDE, was
// slower there: 0.60-0.61 against 0.55 ns a weight in cache.) Intel's
// cores keep adamKernel8z: on the 2-core Intel Xeon (cpu family 6,
// 2026-12-08, BenchmarkAdamUpdate, three interleaved runs of two builds)
// adamKernel8d took 0.75-0.79 ns a weight against adamKernel8z's
// 0.55-0.61 on one core with 158,784 weights, 0.79-0.82 against
// 0.56-0.59 with 2^22, and on two cores 0.74-0.80 against 0.54-0.58.
var useDivider = useKernel8z && blas.NativeAVX512AMD()

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

// adamKernel8z is adamKernel4 once c1 has rounded to 1 (from step 356 at
// beta1 = 0.9, 54 at 0.5), eight elements at a time in AVX-512, with
// adamKernel4's bits: its update's division is an estimate, checked to
// round to the same float32 as the division, and the division itself
// where the check fails (CHECK in adam_amd64.s). It returns how many
// groups of eight took the division, for the tests. n must be a multiple
// of 8.
//
//go:noescape
func adamKernel8z(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64) (exact int)

// adamKernel8d is adamKernel8z with every group of eight's update divided
// by VDIVPD, with the same bits. n must be a multiple of 8.
//
//go:noescape
func adamKernel8d(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64)

// adamKernel8s applies one Adam step with float32 moments to the first n
// float32 weights at w, with gradients at grad and moments at m and v,
// eight elements at a time in 256-bit vectors: adamUpdateMoments32's
// float32 operations in its order, each rounded on its own, so with its
// bits (NaN payloads aside). omb1 and omb2 are 1-b1 and 1-b2; where c1 is
// 1 the division m/c1, which leaves m as it is, is not done. It needs AVX2
// only: the update is bound by memory, not by the vectors' width. n must
// be a multiple of 8.
//
//go:noescape
func adamKernel8s(n int, w, grad, m, v *float32, b1, omb1, b2, omb2, lr, c1, c2, eps float32)
