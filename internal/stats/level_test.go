package stats

import (
	"math"
	"testing"
)

func TestOfLevelByHand(t *testing.T) {
	// Estimates 1, 2, 3, 6 of the true value 2: mean 3, bias 1, population
	// variance (4+1+0+9)/4 = 3.5, MSE (1+0+1+16)/4 = 4.5 = bias² + variance.
	got := OfLevel(2, []float64{1, 2, 3, 6})
	want := Level{Level: 2, N: 4, Mean: 3, Bias: 1, Variance: 3.5, MSE: 4.5}
	if got != want {
		t.Errorf("OfLevel = %+v; want %+v", got, want)
	}
}

func TestOfLevelMSEIsBiasSquaredPlusVariance(t *testing.T) {
	xs := []float64{0.3, -1.7, 2.25, 4.5, 0.125, 3.3}
	s := OfLevel(1.5, xs)
	if d := s.MSE - (s.Bias*s.Bias + s.Variance); math.Abs(d) > 1e-12 {
		t.Errorf("MSE %g != bias² %g + variance %g (off by %g)", s.MSE, s.Bias*s.Bias, s.Variance, d)
	}
}

func TestOfLevelEmptyIsNaN(t *testing.T) {
	s := OfLevel(1, nil)
	if s.N != 0 || !math.IsNaN(s.Mean) || !math.IsNaN(s.Variance) || !math.IsNaN(s.MSE) {
		t.Errorf("OfLevel(1, nil) = %+v; want N 0 and NaN statistics", s)
	}
}
