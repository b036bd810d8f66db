package architectures

import "github.com/infomax/infomax/internal/blas"

// BLAS returns the BLAS that matrix products use: "openblas" when the
// program was built with -tags openblas, "go-avx2" (pure Go with our
// assembly Sgemm) on CPUs with AVX2 and FMA, "gonum" (pure Go) otherwise.
// See package [blas].
func BLAS() string { return blas.Name() }
