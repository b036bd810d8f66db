//go:build !openblas

package blas

import "runtime"

// name is the pure-Go default: gorgonia starts on gonum's BLAS.
const name = "gonum"

func setThreads(int) {}

func threads() int { return runtime.GOMAXPROCS(0) }
