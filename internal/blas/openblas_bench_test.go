//go:build openblas

package blas

import "gonum.org/v1/netlib/blas/netlib"

// init adds OpenBLAS, through gonum's netlib wrapper, as a side of
// BenchmarkSgemm in the openblas build. Its thread count is
// OPENBLAS_NUM_THREADS's; set it to match -cpu.
func init() {
	extraBenchImpls = append(extraBenchImpls, benchImpl{"openblas", netlib.Implementation{}})
}
