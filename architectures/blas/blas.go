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

import "fmt"

// Name returns the BLAS in use: "openblas" or "gonum". Runs log it so that
// timings can be compared.
func Name() string { return name }

// SetThreads sets how many threads OpenBLAS runs matrix products on; n
// must be at least 1. With gonum's BLAS it does nothing: gonum uses up to
// GOMAXPROCS goroutines.
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
// thread count, or GOMAXPROCS for gonum.
func Threads() int { return threads() }
