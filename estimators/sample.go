package estimators

import "fmt"

// SampleEstimator is a classic MI estimator: it estimates the mutual
// information in nats from a whole sample of (x, y) pairs at once, with no
// critic to train, as KSG's nearest neighbours or CCA's canonical
// correlations do. It is the other kind of estimator beside the
// critic-based [Estimator]; both kinds register in the same registry and
// are named the same way in a sweep file.
//
// A SampleEstimator keeps no state between calls, and the same sample
// always gives the same estimate.
type SampleEstimator interface {
	Estimate(s Sample) (float64, error)
}

// SampleFactory builds a classic estimator from its settings. It must
// reject impossible values with an error naming them.
type SampleFactory func(p Params) (SampleEstimator, error)

// Sample is N paired draws (x_i, y_i), x_i of size DimX and y_i of size
// DimY, in row-major order: x_i is X[i*DimX : (i+1)*DimX].
type Sample struct {
	N, DimX, DimY int
	X, Y          []float64
}

// Validate reports a sample whose sizes do not match its data.
func (s Sample) Validate() error {
	switch {
	case s.N < 1 || s.DimX < 1 || s.DimY < 1:
		return fmt.Errorf("estimators: a sample of %d pairs of sizes %d and %d: each must be at least 1", s.N, s.DimX, s.DimY)
	case len(s.X) != s.N*s.DimX || len(s.Y) != s.N*s.DimY:
		return fmt.Errorf("estimators: a sample of %d pairs of sizes %d and %d has %d x values and %d y values, want %d and %d",
			s.N, s.DimX, s.DimY, len(s.X), len(s.Y), s.N*s.DimX, s.N*s.DimY)
	}
	return nil
}

// XRow returns x_i.
func (s Sample) XRow(i int) []float64 { return s.X[i*s.DimX : (i+1)*s.DimX] }

// YRow returns y_i.
func (s Sample) YRow(i int) []float64 { return s.Y[i*s.DimY : (i+1)*s.DimY] }
