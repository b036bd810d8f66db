package estimators

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

func init() {
	Register(Info{
		Name: "cca",
		Summary: "Gaussian MI from the canonical correlations, -½ Σ log(1-ρᵢ²), of the sample covariance: " +
			"exact for Gaussians, blind to non-linear dependence",
		Params:    Params{},
		NewSample: func(Params) (SampleEstimator, error) { return CCA{}, nil },
	})
}

// CCA estimates the MI as that of a Gaussian with the sample's covariance:
// with canonical correlations ρ₁ … ρₖ between x and y,
//
//	I = -½ Σ log(1 - ρᵢ²) = ½ (log det Σxx + log det Σyy - log det Σ),
//
// where Σ is the sample covariance of (x, y) and Σxx, Σyy its diagonal
// blocks (Brillinger 2004; BMI's CCAMutualInformationEstimator). The
// estimate is invariant to invertible affine maps of x and of y, exact
// (up to sampling error) for jointly Gaussian data, and measures only the
// linear part of any other dependence.
type CCA struct{}

// Estimate returns the Gaussian MI of s's sample covariance. It needs more
// pairs than DimX + DimY, and a sample whose covariance is not singular.
func (CCA) Estimate(s Sample) (float64, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	d := s.DimX + s.DimY
	if s.N <= d {
		return 0, fmt.Errorf("cca: %d pairs of sizes %d and %d: need more pairs than the %d dimensions", s.N, s.DimX, s.DimY, d)
	}
	cov := sampleCovariance(s)
	whole, err := logDet(cov, "(x, y)")
	if err != nil {
		return 0, err
	}
	xx, err := logDet(cov.SliceSym(0, s.DimX), "x")
	if err != nil {
		return 0, err
	}
	yy, err := logDet(cov.SliceSym(s.DimX, d), "y")
	if err != nil {
		return 0, err
	}
	return (xx + yy - whole) / 2, nil
}

// sampleCovariance returns the covariance of the rows (x_i, y_i), with
// divisor N-1. (The divisor cancels in the MI.)
func sampleCovariance(s Sample) *mat.SymDense {
	d := s.DimX + s.DimY
	rows := mat.NewDense(s.N, d, nil)
	for i := range s.N {
		row := rows.RawRowView(i)
		copy(row, s.XRow(i))
		copy(row[s.DimX:], s.YRow(i))
	}
	mean := make([]float64, d)
	for i := range s.N {
		for j, v := range rows.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(s.N)
	}
	for i := range s.N {
		for j := range d {
			rows.Set(i, j, rows.At(i, j)-mean[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(s.N-1), rows.T())
	return cov
}

// logDet returns log det a through a Cholesky factorization; a matrix that
// is not positive definite is an error naming the block (what).
func logDet(a mat.Symmetric, what string) (float64, error) {
	var ch mat.Cholesky
	if ok := ch.Factorize(a); !ok {
		return 0, fmt.Errorf("cca: the sample covariance of %s is singular (a constant or repeated coordinate?)", what)
	}
	return ch.LogDet(), nil
}
