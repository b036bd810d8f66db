package graph

// Importing package blas installs the BLAS this build chose as gorgonia's
// (OpenBLAS under -tags openblas, the assembly Sgemm on CPUs with AVX2 and
// FMA, gonum's otherwise), so that every program that builds graphs
// through this package, as the networks of package architectures do, gets
// the choice. blas.Name says which one is in use.
import _ "github.com/infomax/infomax/internal/blas"
