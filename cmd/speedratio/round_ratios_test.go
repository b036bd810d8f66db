package main

import (
	"slices"
	"strings"
	"testing"
)

// TestRoundRatios checks that only the rounds with both sides measured
// give a ratio: a round ours lacks, or one the reference lacks, is left
// out whichever side is longer, and so is a round whose reference rate is
// 0 (a ratio over it would be infinite).
func TestRoundRatios(t *testing.T) {
	for _, c := range []struct {
		ours, torch, want []float64
	}{
		{[]float64{100, 200, 300}, []float64{50, 100}, []float64{2, 2}},
		{[]float64{100}, []float64{50, 100}, []float64{2}},
		{[]float64{100, 200, 300}, []float64{50, 0, 100}, []float64{2, 3}},
	} {
		rw := row{ours: c.ours, torch: c.torch}
		if got := rw.roundRatios(); !slices.Equal(got, c.want) {
			t.Errorf("ours %v, reference %v: ratios %v, want %v", c.ours, c.torch, got, c.want)
		}
	}
}

// TestGoalsSkipZeroReference checks the goal table's count of rounds
// when a round's reference rate is 0: that round is not one of them.
func TestGoalsSkipZeroReference(t *testing.T) {
	r := fixedReport()
	r.rows = r.rows[:1]
	r.rows[0].torch, r.rows[0].ours = []float64{100, 0, 100, 100}, []float64{120, 130, 110, 90}
	want := "| full step, batch 64 | 1.00× | 1.10× (0.90-1.20, 75%) | 2 of 3 | not told apart, at 75% |\n"
	if got := r.goalsText(); !strings.HasSuffix(got, want) {
		t.Errorf("goals:\n%s\nwant the last line:\n%s", got, want)
	}
}

// TestPlural checks that only one takes the singular: zero rounds are
// "rounds".
func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "rounds", 1: "round", 2: "rounds"} {
		if got := plural(n, "round", "rounds"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
