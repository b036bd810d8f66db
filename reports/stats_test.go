package reports

import (
	"math"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMeanSD(t *testing.T) {
	mean, sd := MeanSD([]float64{1, 2, 3, 4})
	// Mean 10/4; squared deviations 2.25+0.25+0.25+2.25 = 5, over n-1 = 3.
	if mean != 2.5 || !near(sd, math.Sqrt(5.0/3), 1e-15) {
		t.Errorf("MeanSD(1..4) = %v, %v; want 2.5, sqrt(5/3)", mean, sd)
	}
	if m, s := MeanSD([]float64{7}); m != 7 || !math.IsNaN(s) {
		t.Errorf("MeanSD(7) = %v, %v; want 7, NaN", m, s)
	}
	if m, _ := MeanSD(nil); !math.IsNaN(m) {
		t.Errorf("MeanSD(nil) mean = %v, want NaN", m)
	}
}

func TestTInterval(t *testing.T) {
	// t(0.975, 3) = 3.182446305284263 (tables); sd = sqrt(5/3); n = 4.
	mean, half := TInterval([]float64{1, 2, 3, 4}, 0.95)
	if mean != 2.5 || !near(half, 3.182446305284263*math.Sqrt(5.0/3)/2, 1e-9) {
		t.Errorf("TInterval(1..4) = %v ± %v, want 2.5 ± 2.0542603", mean, half)
	}
	// t(0.975, 2) = 4.302652729911275; sd of 0.5, 0.6, 0.7 is 0.1.
	_, half = TInterval([]float64{0.5, 0.6, 0.7}, 0.95)
	if !near(half, 0.2484137711843753, 1e-9) {
		t.Errorf("TInterval(0.5, 0.6, 0.7) half-width = %v, want 0.2484138", half)
	}
	if _, half := TInterval([]float64{3}, 0.95); !math.IsNaN(half) {
		t.Errorf("TInterval of one value has half-width %v, want NaN (no bar)", half)
	}
}

func TestSmoothEMA(t *testing.T) {
	// m0 = 0.5*2 = 1, weight 0.5 -> 2; m1 = 0.5*1 + 0.5*4 = 2.5, weight 0.75 -> 10/3.
	got := Smooth([]float64{2, 4, math.NaN()}, 0.5)
	want := []float64{2, 10.0 / 3, 10.0 / 3}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("Smooth EMA[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// A constant series stays constant from the first step: the debiasing.
	for i, v := range Smooth([]float64{5, 5, 5, 5}, 0.99) {
		if !near(v, 5, 1e-12) {
			t.Errorf("Smooth of a constant [%d] = %v, want 5", i, v)
		}
	}
	// Factor 0 is no smoothing.
	for i, v := range Smooth([]float64{1, -3, 8}, 0) {
		if v != []float64{1, -3, 8}[i] {
			t.Errorf("Smooth factor 0 [%d] = %v", i, v)
		}
	}
}

func TestSmoothWindow(t *testing.T) {
	got := Smooth([]float64{1, 2, 3, math.NaN(), 5}, 2)
	want := []float64{1, 1.5, 2.5, 2.5, 4}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("Smooth window 2 [%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestStaircaseStats(t *testing.T) {
	var recs []results.Record
	add := func(truth float64, ests ...float64) {
		for _, e := range ests {
			recs = append(recs, results.Record{Step: len(recs), Values: results.Values{"mi": e, "true_mi": truth}})
		}
	}
	// Level 2: the first half (100s) is ignored; the second half 1..5 has
	// mean 3, bias 1, population variance 2, MSE mean((x-2)^2) = (1+0+1+4+9)/5 = 3.
	add(2, 100, 100, 100, 100, 100, 1, 2, 3, 4, 5)
	// Level 4: second half 4, 4, 7: mean 5, bias 1, variance 2, MSE 9/3 = 3.
	add(4, 0, 0, 0, 4, 4, 7)
	// A record without the truth is skipped.
	recs = append(recs, results.Record{Step: 99, Values: results.Values{"mi": 1000}})
	got := StaircaseStats(recs, "mi", "true_mi")
	want := []LevelStats{
		{Level: 2, N: 5, Mean: 3, Bias: 1, Variance: 2, MSE: 3},
		{Level: 4, N: 3, Mean: 5, Bias: 1, Variance: 2, MSE: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("StaircaseStats = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Level != w.Level || g.N != w.N || !near(g.Mean, w.Mean, 1e-12) || !near(g.Bias, w.Bias, 1e-12) ||
			!near(g.Variance, w.Variance, 1e-12) || !near(g.MSE, w.MSE, 1e-12) {
			t.Errorf("level %v: got %+v, want %+v", w.Level, g, w)
		}
		// The decomposition the table relies on.
		if !near(g.MSE, g.Bias*g.Bias+g.Variance, 1e-12) {
			t.Errorf("level %v: MSE %v != bias² + variance %v", w.Level, g.MSE, g.Bias*g.Bias+g.Variance)
		}
	}
}

func TestThinKeepsEndsAndBound(t *testing.T) {
	n := 20000
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = float64(i), float64(i)
	}
	pts := thin(x, y, 1000)
	if len(pts) > 1001 || len(pts) < 900 {
		t.Errorf("thin to 1000 points gave %d", len(pts))
	}
	if pts[0].X != 0 || pts[len(pts)-1].X != float64(n-1) {
		t.Errorf("thin dropped an end: first %v, last %v", pts[0], pts[len(pts)-1])
	}
}

// TestStaircaseStatsKeepsTheMiddleOfAnOddStage checks the second half of a
// stage of odd length 5: the last 3 records, as the Gaussian task's own
// summary takes them (its begin = end - (S - S/2)), so that a report and a
// run's summary agree. Here 5, 6, 7: mean 6, variance 2/3, at level 6.
func TestStaircaseStatsKeepsTheMiddleOfAnOddStage(t *testing.T) {
	var recs []results.Record
	for i, e := range []float64{100, 100, 5, 6, 7} {
		recs = append(recs, results.Record{Step: i, Values: results.Values{"mi": e, "true_mi": 6}})
	}
	got := StaircaseStats(recs, "mi", "true_mi")
	if len(got) != 1 || got[0].N != 3 || !near(got[0].Mean, 6, 1e-12) || !near(got[0].Variance, 2.0/3, 1e-12) {
		t.Errorf("StaircaseStats = %+v, want N 3, mean 6, variance 2/3", got)
	}
}

// TestSmoothSkipsInfinities checks that Smooth skips ±Inf as it skips NaN,
// in both modes: a diverged step's +Inf must not make every later smoothed
// value infinite. With factor 0.5 on 1, +Inf, 3: m = 0.5, weight 0.5
// gives 1, held across the +Inf, then m = 1.75, weight 0.75 gives 7/3.
// With a window of 2 on 1, -Inf, 3: 1, 1, then mean(1, 3) = 2.
func TestSmoothSkipsInfinities(t *testing.T) {
	for _, c := range []struct {
		xs     []float64
		factor float64
		want   []float64
	}{
		{[]float64{1, math.Inf(1), 3}, 0.5, []float64{1, 1, 7.0 / 3}},
		{[]float64{1, math.Inf(-1), 3}, 2, []float64{1, 1, 2}},
	} {
		got := Smooth(c.xs, c.factor)
		for i := range c.want {
			if !near(got[i], c.want[i], 1e-12) {
				t.Errorf("Smooth(%v, %g) = %v, want %v", c.xs, c.factor, got, c.want)
				break
			}
		}
	}
}
