package dim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestLossIsTheWeightedSumOfTheTerms checks the encoder's loss on one
// step against its definition, alpha·global + beta·local + gamma·prior,
// with three unequal weights: jsd reports each MI term's divergence,
// log 2 - loss/2, from which its loss is recovered. It also checks the
// encoder's Adam has the config's betas in their places.
func TestLossIsTheWeightedSumOfTheTerms(t *testing.T) {
	c := tinyConfig()
	c.Alpha, c.Beta, c.Gamma = 0.5, 0.3, 0.2
	c.Beta1, c.Beta2 = 0.6, 0.99
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := newNoisyModel(t, c, 1, 7, rand.New(rand.NewPCG(3, 4)))
	st, err := m.EncoderStep()
	if err != nil {
		t.Fatal(err)
	}
	local, global := 2*(math.Ln2-st.LocalDiv), 2*(math.Ln2-st.GlobalDiv)
	want := 0.5*global + 0.3*local + 0.2*st.PriorG
	if math.Abs(st.Loss-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Errorf("loss %v, want 0.5 x global %v + 0.3 x local %v + 0.2 x prior %v = %v", st.Loss, global, local, st.PriorG, want)
	}
	if m.Adam.Beta1 != 0.6 || m.Adam.Beta2 != 0.99 {
		t.Errorf("the encoder's Adam has betas %v and %v, want beta1 = 0.6 and beta2 = 0.99", m.Adam.Beta1, m.Adam.Beta2)
	}
}

// TestOnlyTheRandomBaselineIsCalibrated runs settleEncoder on a model of
// each random baseline: the calibrated one's first batch norm must leave
// its initial running statistics (mean 0, variance 1), the uncalibrated
// one's must keep them.
func TestOnlyTheRandomBaselineIsCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	set := &data.Set{Name: "noise", Split: "train", N: 32, C: 1, H: 32, W: 32, Classes: 2,
		Images: make([]float32, 32*32*32), Labels: make([]int, 32)}
	for i := range set.Images {
		set.Images[i] = float32(rng.Float64())
	}
	for preset, calibrated := range map[string]bool{"random": true, "random-uncalibrated": false} {
		c := tinyConfig()
		c.Preset = preset
		m := newNoisyModel(t, c, 1, 7, rng)
		run, _ := taskstest.NewRun(1, nil)
		if err := settleEncoder(c, run, m, set); err != nil {
			t.Fatal(err)
		}
		mean, variance := m.Encoder.BN1.RunningStats()
		initial := !slices.ContainsFunc(mean, func(v float64) bool { return v != 0 }) &&
			!slices.ContainsFunc(variance, func(v float64) bool { return v != 1 })
		if initial == calibrated {
			t.Errorf("%s: running means %v and variances %v; calibrated %v", preset, mean, variance, !initial)
		}
	}
}
