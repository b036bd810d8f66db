//go:build amd64 && !purego

package vec

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the CPU and OS support the AVX2 instructions
// that sum8 uses.
var hasAVX2 = cpu.X86.HasAVX2

// sum8 sets the n float32s at dst to the sums of those at x and y, x's
// the first operand of each addition, eight at a time; n must be a
// multiple of 8. dst may be x or y.
//
//go:noescape
func sum8(n int, dst, x, y *float32)

// columnSumsSq16 is ColumnSums without b for the first 16*groups columns;
// stride is a row's length in bytes. rows must be at least 1.
//
//go:noescape
func columnSumsSq16(rows, groups, stride int, a *float32, shift, q1, q2 *float64)

// columnSumsDot16 is ColumnSums with b for the first 16*groups columns.
//
//go:noescape
func columnSumsDot16(rows, groups, stride int, a, b *float32, shift, q1, q2 *float64)

// exp8 computes math32.Exp of the first n float32s at src into dst, eight
// at a time, up to the first block of eight with an element that is not
// finite, and returns how many it computed. n must be a multiple of 8.
//
//go:noescape
func exp8(n int, dst, src *float32) int

// hasFMA reports whether exp4 gives math.Exp's bits here: math.Exp's
// amd64 assembly takes its FMA path where the CPU has AVX and FMA (math's
// useFMA, from internal/cpu; GODEBUG=cpu.avx=off or cpu.fma=off clears
// it, as it clears this package's view), and exp4 runs that path; and, in
// case the two views of the CPU ever disagree, exp4 agrees with math.Exp
// on fmaProbes, values whose exp the FMA and the plain path round apart.
// (Checking AVX2 and FMA alone, exp4 ran under GODEBUG=cpu.avx=off while
// math.Exp took its plain path: 9% of exps in [-3, 3] one ulp apart.)
var hasFMA = hasAVX2 && cpu.X86.HasAVX && cpu.X86.HasFMA && exp4AgreesWithMath()

// fmaProbes are values whose exp math.Exp's FMA and plain paths round
// differently (found by comparing the two under GODEBUG=cpu.avx=off).
var fmaProbes = [8]float64{-0.9580078125, 1.7392578125, -1.58984375, 0.4921875, 464.5, 0.2509765625, -319.875, 2.3720703125}

// exp4AgreesWithMath reports whether exp4 gives math.Exp's bits on
// fmaProbes.
func exp4AgreesWithMath() bool {
	var out [8]float64
	if exp4(len(fmaProbes), &out[0], &fmaProbes[0]) != len(fmaProbes) {
		return false
	}
	for i, x := range fmaProbes {
		if math.Float64bits(out[i]) != math.Float64bits(math.Exp(x)) {
			return false
		}
	}
	return true
}

// exp4 computes math.Exp of the first n float64s at src into dst, four at
// a time, up to the first block of four with an element that math.Exp
// takes down another path (not finite, overflowing or underflowing to a
// denormal or zero), and returns how many it computed. n must be a
// multiple of 4.
//
//go:noescape
func exp4(n int, dst, src *float64) int

// sumRows64 sets the first 64*groups of out to the column sums of rows
// rows of float32s at a, stride bytes apart (SumRows); rows must be at
// least 1.
//
//go:noescape
func sumRows64(rows, groups, stride int, a, out *float32)

// sumRows8 is sumRows64 eight columns at a time.
//
//go:noescape
func sumRows8(rows, groups, stride int, a, out *float32)

// standardize8 writes Standardize's result for the first n elements (a
// multiple of 8), eight at a time.
//
//go:noescape
func standardize8(n int, dst, src, mean, scale *float32)

// affine8 computes Affine for the first n elements, a multiple of 8.
//
//go:noescape
func affine8(n int, dst, x, p, q *float32)

// affine2x8 computes Affine2 for the first n elements, a multiple of 8.
//
//go:noescape
func affine2x8(n int, dst, d, x, p, q, r *float32)

// scaleShift8 computes ScaleShift for the first n elements, a multiple
// of 8.
//
//go:noescape
func scaleShift8(n int, dst, x, gamma, beta *float32, a, b float32)

// layerGrad8 computes LayerGrad for the first n elements, a multiple of 8.
//
//go:noescape
func layerGrad8(n int, dst, d, x, gamma *float32, a, k, b float32)

// addNormalized8 computes AddNormalized for the first n elements, a
// multiple of 8.
//
//go:noescape
func addNormalized8(n int, acc *float64, d, x *float32, mean, inv float64)
