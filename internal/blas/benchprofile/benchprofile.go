// Package benchprofile gives the step benchmarks the -productprofile flag:
// with it, each benchmark prints, after each run, how long each shape of
// matrix product took in its timed steps (blas.StartProductProfile). Run
// go test -v -bench X ./pkg -productprofile: the flag after the package,
// since go test ends the package list at a flag it does not know, and -v
// to keep the table off the result line. (A benchmark runs once with b.N
// = 1 before its timed run.) Only tests import it.
package benchprofile

import (
	"flag"
	"fmt"
	"testing"

	"github.com/infomax/infomax/internal/blas"
)

var enabled = flag.Bool("productprofile", false, "print the time of each matrix product in the timed steps (with -v, after the package)")

// Start starts the product profile where -productprofile is set and
// returns the function that stops it and prints its table for b's b.N
// steps; call Start before b.ResetTimer and the function after
// b.StopTimer. Without the flag both do nothing.
func Start(b *testing.B) (stop func()) {
	if !*enabled {
		return func() {}
	}
	blas.StartProductProfile()
	return func() {
		fmt.Printf("%s: matrix products of the timed steps\n%s", b.Name(), blas.FormatProductProfile(blas.StopProductProfile(), b.N))
	}
}
