package architectures

import (
	"errors"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestCalibrateBatchNormsMomentaAndRestore checks that batch k runs at
// momentum 1/(k+1) in training mode, the cumulative average, and that the
// layers' modes and momenta come back after a failing run; and that zero
// batches are refused.
func TestCalibrateBatchNormsMomentaAndRestore(t *testing.T) {
	b, err := NewBatchNorm(G.NewGraph(), "bn", 2)
	if err != nil {
		t.Fatal(err)
	}
	b.SetTraining(false)
	var seen []float64
	fail := errors.New("stop")
	err = CalibrateBatchNorms([]*BatchNorm{b}, 4, func(k int) error {
		if !b.Training() {
			t.Errorf("batch %d runs in evaluation mode", k)
		}
		seen = append(seen, b.Momentum())
		if k == 2 {
			return fail
		}
		return nil
	})
	if !errors.Is(err, fail) {
		t.Errorf("error %v, want the run's", err)
	}
	if len(seen) != 3 || seen[0] != 1 || seen[1] != 0.5 || seen[2] != 1.0/3 {
		t.Errorf("momenta %v, want [1 0.5 0.333…]", seen)
	}
	if b.Training() || b.Momentum() != 0.1 {
		t.Errorf("after the calibration: training %v, momentum %v; want false and 0.1", b.Training(), b.Momentum())
	}
	if err := CalibrateBatchNorms([]*BatchNorm{b}, 0, func(int) error { return nil }); err == nil {
		t.Error("0 batches were accepted")
	}
}

// TestSetMomentumRange checks that SetMomentum takes momenta in (0, 1]
// only: 0 would freeze the running statistics, above 1 overshoot them.
func TestSetMomentumRange(t *testing.T) {
	b, err := NewBatchNorm(G.NewGraph(), "bn", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []float64{0, -0.1, 1.5, math.NaN()} {
		if err := b.SetMomentum(m); err == nil {
			t.Errorf("momentum %v accepted", m)
		}
	}
	for _, m := range []float64{1e-3, 1} {
		if err := b.SetMomentum(m); err != nil || b.Momentum() != m {
			t.Errorf("momentum %v: error %v, momentum now %v", m, err, b.Momentum())
		}
	}
}
