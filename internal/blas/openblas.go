//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

const name = "openblas"

// init installs OpenBLAS for gorgonia's matrix products; gorgonia.Use also
// installs it for the tensor package, whose MatMul and MatVecMul do the
// work of gorgonia's Mul, including the product inside Conv2d.
func init() { G.Use(netlib.Implementation{}) }

func setThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

func threads() int { return int(C.openblas_get_num_threads()) }
