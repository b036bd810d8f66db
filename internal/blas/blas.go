// Package blas chooses the BLAS that gorgonia's matrix products use.
//
// Built with the openblas build tag (go build -tags openblas), importing
// this package installs OpenBLAS through cgo (gonum's netlib wrapper,
// linked with -lopenblas; on Debian: apt-get install libopenblas-dev).
// Without the tag the program builds on a machine with only Go: on an
// amd64 CPU with AVX2 and FMA it installs Implementation, gonum's
// pure-Go BLAS with a float32 matrix product (Sgemm) written in Go
// assembly, several times faster than gonum's; elsewhere, or built with
// the purego tag (go build -tags purego), it leaves gorgonia on gonum's
// BLAS. Package graph (the gorgonia plumbing under package architectures)
// imports it, so every program that builds networks gets the choice.
//
// OpenBLAS picks its thread count from OPENBLAS_NUM_THREADS (default: one
// per core); the pure-Go BLASes run on as many goroutines as GOMAXPROCS
// allows. Implementation's Sgemm gives the same bits for any GOMAXPROCS.
package blas

import "fmt"

// Name returns the BLAS in use: "openblas" (the openblas build tag),
// "go-avx512" or "go-avx2" (Implementation, gonum's BLAS with this
// package's assembly Sgemm, with or without its AVX-512 kernel) or
// "gonum" (gonum's BLAS, on CPUs without AVX2 and FMA). Runs log it so
// that timings can be compared.
func Name() string { return name }

// SetThreads sets how many threads OpenBLAS runs matrix products on; n
// must be at least 1. With the pure-Go BLASes it does nothing: they use up
// to GOMAXPROCS goroutines.
//
// On a busy 2-core machine one OpenBLAS thread was much faster than two
// (OpenBLAS's threads spin while they wait and lose the cores to other
// processes); on an idle machine more threads may win. Measure before
// choosing.
func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("blas: thread count %d must be at least 1", n)
	}
	setThreads(n)
	return nil
}

// Threads returns how many threads matrix products run on: OpenBLAS's
// thread count, or GOMAXPROCS for the pure-Go BLASes.
func Threads() int { return threads() }
