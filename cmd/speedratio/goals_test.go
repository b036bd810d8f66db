package main

import (
	"math"
	"strings"
	"testing"
)

// TestMedianInterval checks the order-statistics interval against its
// closed form: for n values the k-th smallest and k-th largest hold the
// median with probability 1 - 2·P(B <= k-1), B binomial(n, 1/2). With 9
// values k = 2, 1 - 2·(1+9)/512 = 96.09% (k = 3 would give 1 -
// 2·46/512 = 82%); with 20, k = 6, 1 - 2·21700/2^20 = 95.86%; with 6, the
// least and greatest already reach 1 - 2/64 = 96.88%; with 5 they reach
// only 1 - 2/32 = 93.75%.
func TestMedianInterval(t *testing.T) {
	seq := func(n int) []float64 { // n, n-1, ..., 1: unsorted on purpose
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i)
		}
		return xs
	}
	for _, c := range []struct {
		n                         int
		med, lo, hi, wantCoverage float64
	}{
		{9, 5, 2, 8, 1 - 2*10.0/512},
		{20, 10.5, 6, 15, 1 - 2*21700.0/(1<<20)},
		{6, 3.5, 1, 6, 1 - 2.0/64},
		{5, 3, 1, 5, 1 - 2.0/32},
		{3, 2, 1, 3, 0.75},
		{1, 1, 1, 1, 0},
	} {
		xs := seq(c.n)
		med, lo, hi, cov := medianInterval(xs)
		if med != c.med || lo != c.lo || hi != c.hi || math.Abs(cov-c.wantCoverage) > 1e-12 {
			t.Errorf("n=%d: median %v, interval %v-%v, coverage %v; want %v, %v-%v, %v", c.n, med, lo, hi, cov, c.med, c.lo, c.hi, c.wantCoverage)
		}
		if xs[0] != float64(c.n) {
			t.Errorf("n=%d: medianInterval sorted its argument", c.n)
		}
	}
}

// TestBinomialHalfCDF checks P(B <= j) against sums of binomial
// coefficients: 1/512, 10/512 and 46/512 for n = 9, and 1 at j = n.
func TestBinomialHalfCDF(t *testing.T) {
	for _, c := range []struct {
		n, j int
		want float64
	}{{9, 0, 1.0 / 512}, {9, 1, 10.0 / 512}, {9, 2, 46.0 / 512}, {9, 9, 1}, {9, 12, 1}, {40, 20, 0.5 + 137846528820.0/(1<<41)}} {
		if got := binomialHalfCDF(c.n, c.j); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("P(B(%d) <= %d) = %v, want %v", c.n, c.j, got, c.want)
		}
	}
}

// TestGoalsVerdicts checks the three verdicts on nine rounds, whose
// interval is the 2nd to the 8th of the sorted ratios, and that rows
// without a goal, and a sitting against a commit, get no goal table.
func TestGoalsVerdicts(t *testing.T) {
	r := fixedReport()
	torch := []float64{100, 100, 100, 100, 100, 100, 100, 100, 100}
	// Ratios 0.90, 0.95, 0.97, 0.99, 1.01, 1.03, 1.05, 1.08, 1.20: the
	// interval 0.95-1.08 holds the full step's goal, 1.
	r.rows[0].torch, r.rows[0].ours = torch, []float64{101, 90, 120, 95, 103, 99, 108, 97, 105}
	// Ratios 2.05 to 2.45 and one of 1.90: the interval 2.05-2.40 lies
	// above the separable step's goal, 2.
	r.rows[1].torch, r.rows[1].ours = torch, []float64{210, 205, 220, 230, 190, 240, 245, 215, 225}
	got := r.goalsText()
	for _, want := range []string{
		"| full step, batch 64 | 1.00× | 1.01× (0.95-1.08, 96%) | 5 of 9 | not told apart |\n",
		"| Gaussian step, separable critic, hidden 256 | 2.00× | 2.20× (2.05-2.40, 96%) | 8 of 9 | met |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("goals table lacks %q:\n%s", want, got)
		}
	}
	for _, c := range []struct {
		lo, hi, goal float64
		want         string
	}{
		{0.7, 0.79, 0.8, "missed"},
		{1.0, 1.2, 1.0, "met"},            // the interval's low end at the goal
		{0.9, 1.0, 1.0, "not told apart"}, // its high end at the goal
	} {
		if v := verdict(c.lo, c.hi, c.goal); v != c.want {
			t.Errorf("verdict of %v-%v against %v: %q, want %q", c.lo, c.hi, c.goal, v, c.want)
		}
	}
	r.rows[0].goal, r.rows[1].goal = 0, 0
	if got := r.goalsText(); got != "" {
		t.Errorf("a goal table without goals:\n%s", got)
	}
	r = fixedReport()
	r.against = "abc1234"
	if got := r.goalsText(); got != "" {
		t.Errorf("a goal table against a commit of ours:\n%s", got)
	}
	// A round's ratio exactly at the goal counts as reaching it; five
	// rounds give a verdict with its coverage, 93.75%; two give none.
	r = fixedReport()
	r.rows = r.rows[:1]
	r.rows[0].torch, r.rows[0].ours = []float64{100, 100, 100, 100, 100}, []float64{100, 110, 105, 120, 101}
	if got, want := r.goalsText(), "| full step, batch 64 | 1.00× | 1.05× (1.00-1.20, 94%) | 5 of 5 | met, at 94% |\n"; !strings.HasSuffix(got, want) {
		t.Errorf("five rounds:\n%s\nwant the last line:\n%s", got, want)
	}
	r.rows[0].torch, r.rows[0].ours = []float64{100, 100}, []float64{300, 310}
	if got, want := r.goalsText(), "| full step, batch 64 | 1.00× | 3.05× (no interval from 2 rounds) | 2 of 2 | too few rounds |\n"; !strings.HasSuffix(got, want) {
		t.Errorf("two rounds:\n%s\nwant the last line:\n%s", got, want)
	}
}
