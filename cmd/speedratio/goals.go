package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// goalsText says, for each row that has a goal (against PyTorch only),
// how the rounds stand against it. In each round the reference and ours
// ran back to back, so a slow or fast stretch of a shared host touches
// both sides of that round alike: a round's ratio is ours over the
// reference's in it. The table gives the median of those ratios with an
// interval for it from their order statistics (medianInterval), how many
// rounds reached the goal, and the verdict: met where the whole interval
// is at or above the goal, missed where it is below, and not told apart
// where it holds the goal (from minGoalRounds rounds on). Empty against
// a commit of ours, or without a row with a goal.
func (r *report) goalsText() string {
	if r.against != "" {
		return ""
	}
	var b strings.Builder
	for _, rw := range r.rows {
		ratios := rw.roundRatios()
		if rw.goal <= 0 || len(ratios) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\nAgainst the goals, round by round: in each round the reference and ours ran back to back, and the round's ratio is " +
				"ours over the reference's. The interval is for the median ratio: the k-th smallest to the k-th largest of the rounds' ratios, " +
				"which holds it with the coverage given for rounds drawn independently, whatever the ratios' distribution. A goal is met where " +
				"the whole interval is at or above it, missed where it is below, and not told apart by these rounds where the interval holds it:\n\n")
			b.WriteString("| setting | goal | ratio per round: median (interval, coverage) | rounds at or above the goal | verdict |\n")
			b.WriteString("| --- | --- | --- | --- | --- |\n")
		}
		reached := 0
		for _, x := range ratios {
			if x >= rw.goal {
				reached++
			}
		}
		median, v := goalCells(ratios, rw.goal)
		fmt.Fprintf(&b, "| %s | %.2f× | %s | %d of %d | %s |\n", rw.name, rw.goal, median, reached, len(ratios), v)
	}
	return b.String()
}

// minGoalRounds is the fewest rounds goalsText gives an interval and a
// verdict from: three, whose least and greatest ratios hold the median
// three times in four (the verdict then says so).
const minGoalRounds = 3

// goalCells returns the table's cells for the rounds' median ratio, with
// its interval, and for the verdict, which gives the interval's coverage
// where that is below 95% (three to five rounds); from fewer than
// minGoalRounds rounds, the median alone and no verdict.
func goalCells(ratios []float64, goal float64) (median, v string) {
	med, lo, hi, coverage := medianInterval(ratios)
	if len(ratios) < minGoalRounds {
		return fmt.Sprintf("%.2f× (no interval from %d %s)", med, len(ratios), plural(len(ratios), "round", "rounds")), "too few rounds"
	}
	v = verdict(lo, hi, goal)
	if coverage < 0.95 {
		v += fmt.Sprintf(", at %.0f%%", 100*coverage)
	}
	return fmt.Sprintf("%.2f× (%.2f-%.2f, %.0f%%)", med, lo, hi, 100*coverage), v
}

// verdict says where the interval [lo, hi] stands against goal.
func verdict(lo, hi, goal float64) string {
	switch {
	case lo >= goal:
		return "met"
	case hi < goal:
		return "missed"
	}
	return "not told apart"
}

// roundRatios returns ours over the reference's rate in each round that
// has both.
func (rw row) roundRatios() []float64 {
	n := min(len(rw.ours), len(rw.torch))
	ratios := make([]float64, 0, n)
	for i := range n {
		if rw.torch[i] > 0 {
			ratios = append(ratios, rw.ours[i]/rw.torch[i])
		}
	}
	return ratios
}

// medianInterval returns the median of xs (as summarize), which must not
// be empty, and an interval for the median of the distribution they were
// drawn from: the k-th smallest and the k-th largest of the n values for
// the largest k whose coverage, 1 - 2·P(B <= k-1) for B binomial(n, 1/2),
// is at least 95%, and that coverage. With five values or fewer no k
// reaches 95%: it returns the least and the greatest, with their coverage
// (93.75% for five, 75% for three).
func medianInterval(xs []float64) (med, lo, hi, coverage float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	k := 1
	for k+1 <= n/2 && 1-2*binomialHalfCDF(n, k) >= 0.95 {
		k++
	}
	return summarize(s).median, s[k-1], s[n-k], 1 - 2*binomialHalfCDF(n, k-1)
}

// binomialHalfCDF returns P(B <= j) for B binomial(n, 1/2).
func binomialHalfCDF(n, j int) float64 {
	p := 0.0
	lc, _ := math.Lgamma(float64(n + 1))
	for i := 0; i <= j && i <= n; i++ {
		li, _ := math.Lgamma(float64(i + 1))
		lr, _ := math.Lgamma(float64(n - i + 1))
		p += math.Exp(lc - li - lr - float64(n)*math.Ln2)
	}
	return p
}
