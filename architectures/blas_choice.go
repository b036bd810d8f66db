package architectures

import "github.com/infomax/infomax/architectures/blas"

// BLAS returns the BLAS that matrix products use: "openblas" when the
// program was built with -tags openblas, "gonum" (pure Go) otherwise. See
// package [blas].
func BLAS() string { return blas.Name() }
