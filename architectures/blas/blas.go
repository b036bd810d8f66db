// Package blas chooses the BLAS that gorgonia's matrix products use.
//
// Built with the openblas build tag (go build -tags openblas), importing
// this package installs OpenBLAS through cgo (gonum's netlib wrapper,
// linked with -lopenblas; on Debian: apt-get install libopenblas-dev).
// Without the tag it leaves gorgonia on gonum's pure-Go BLAS, so the
// program builds on a machine with only Go. The architectures package
// imports it, so every program that builds networks gets the choice.
//
// OpenBLAS picks its thread count from OPENBLAS_NUM_THREADS (default: one
// per core); gonum's BLAS runs on as many goroutines as GOMAXPROCS allows.
package blas

// Name returns the BLAS in use: "openblas" or "gonum". Runs log it so that
// timings can be compared.
func Name() string { return name }
