//go:build !openblas

package blas

import (
	"runtime"

	G "gorgonia.org/gorgonia"
)

// name is the pure-Go BLAS in use: "go-avx512" when this package's
// assembly Sgemm runs on this CPU with its AVX-512 kernel, "go-avx2"
// when with the AVX2 kernels alone, "gonum" otherwise.
var name = "gonum"

// init installs Implementation, gonum's BLAS with the assembly Sgemm, for
// gorgonia's and the tensor package's matrix products when the CPU has
// AVX2 and FMA; otherwise gorgonia stays on gonum's BLAS.
func init() {
	if hasKernel {
		G.Use(Implementation{})
		name = "go-avx2"
		if useWide {
			name = "go-avx512"
		}
	}
}

func setThreads(int) {}

func threads() int { return runtime.GOMAXPROCS(0) }
