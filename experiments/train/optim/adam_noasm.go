//go:build !amd64 || purego

package optim

// hasAVX2FMA is false: the assembly kernel is written for amd64, and the
// purego build tag (the Go convention for "no assembly") leaves every
// update to the Go loop, to compare or to rule the kernel out.
const hasAVX2FMA = false

// adamKernel4 is never called without the assembly kernel.
func adamKernel4(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c1, c2, eps, rc1, rc2 float64) {
	panic("optim: no Adam kernel on this architecture")
}

// adamDivide4 is never called without the assembly kernel.
func adamDivide4(n int, a *float64, b, rb float64) int {
	panic("optim: no Adam kernel on this architecture")
}

// hasAVX512, useKernel8z and useDivider are false: there is no AVX-512
// kernel either.
const hasAVX512 = false

var useKernel8z, useDivider = false, false

// adamKernel8z is never called without the assembly kernel.
func adamKernel8z(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64) int {
	panic("optim: no Adam kernel on this architecture")
}

// adamKernel8d is never called without the assembly kernel.
func adamKernel8d(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64) {
	panic("optim: no Adam kernel on this architecture")
}

// adamKernel8s is never called without the assembly kernel.
func adamKernel8s(n int, w, grad, m, v *float32, b1, omb1, b2, omb2, lr, c1, c2, eps float32) {
	panic("optim: no Adam kernel on this architecture")
}
