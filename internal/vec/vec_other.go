//go:build !amd64 || purego

package vec

// hasAVX2 is false: the assembly is written for amd64, and the purego
// build tag leaves every loop to Go.
const hasAVX2 = false

// sum8 is never called without the assembly.
func sum8(n int, dst, x, y *float32) { panic("vec: no assembly on this architecture") }

// columnSumsSq16 is never called without the assembly.
func columnSumsSq16(rows, groups, stride int, a *float32, shift, q1, q2 *float64) {
	panic("vec: no assembly on this architecture")
}

// columnSumsDot16 is never called without the assembly.
func columnSumsDot16(rows, groups, stride int, a, b *float32, shift, q1, q2 *float64) {
	panic("vec: no assembly on this architecture")
}

// exp8 is never called without the assembly.
func exp8(n int, dst, src *float32) int { panic("vec: no assembly on this architecture") }

// hasFMA is false without the assembly.
const hasFMA = false

// exp4 is never called without the assembly.
func exp4(n int, dst, src *float64) int { panic("vec: no assembly on this architecture") }

// sumRows64 is never called without the assembly.
func sumRows64(rows, groups, stride int, a, out *float32) {
	panic("vec: no assembly on this architecture")
}

// sumRows8 is never called without the assembly.
func sumRows8(rows, groups, stride int, a, out *float32) {
	panic("vec: no assembly on this architecture")
}

// standardize8 is never called without the assembly.
func standardize8(n int, dst, src, mean, scale *float32) {
	panic("vec: no assembly on this architecture")
}

// affine8 is never called without the assembly.
func affine8(n int, dst, x, p, q *float32) { panic("vec: no assembly on this architecture") }

// affine2x8 is never called without the assembly.
func affine2x8(n int, dst, d, x, p, q, r *float32) { panic("vec: no assembly on this architecture") }

// scaleShift8 is never called without the assembly.
func scaleShift8(n int, dst, x, gamma, beta *float32, a, b float32) {
	panic("vec: no assembly on this architecture")
}

// layerGrad8 is never called without the assembly.
func layerGrad8(n int, dst, d, x, gamma *float32, a, k, b float32) {
	panic("vec: no assembly on this architecture")
}

// addNormalized8 is never called without the assembly.
func addNormalized8(n int, acc *float64, d, x *float32, mean, inv float64) {
	panic("vec: no assembly on this architecture")
}
