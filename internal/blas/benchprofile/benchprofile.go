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
// b.StopTimer. Without the flag the profile is off. Either way the
// function reports the page faults of the timed steps as the metric
// faults/op, where the system counts them: on a virtual machine a fault
// and the TLB flush it sends the other cores can take tens of
// microseconds, so a step that touches fresh pages is slower for it, and
// the count says whether a timing includes that.
func Start(b *testing.B) (stop func()) {
	faults0, counted := minorFaults()
	report := func() {
		if faults, ok := minorFaults(); ok && counted {
			b.ReportMetric(float64(faults-faults0)/float64(b.N), "faults/op")
		}
	}
	if !*enabled {
		return report
	}
	blas.StartProductProfile()
	return func() {
		report()
		fmt.Printf("%s: matrix products of the timed steps\n%s", b.Name(), blas.FormatProductProfile(blas.StopProductProfile(), b.N))
	}
}
