//go:build !openblas

package blas

// name is the pure-Go default: gorgonia starts on gonum's BLAS.
const name = "gonum"
