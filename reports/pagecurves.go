package reports

import (
	"fmt"
	"html/template"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
)

// The training curves on the page: small multiples, one row per
// configuration (the runs that share every swept value, one per seed) and
// one column per logged metric, each cell a sparkline of the seeds
// overlaid. Each cell scales to its own runs, as their steps (a batch of 8
// takes 16 times the steps of a batch of 128) and values (losses of
// different estimators differ by orders of magnitude) differ, and writes
// its ranges in it; values beyond the 1st and 99th percentiles of the cell
// run off it, so that one spike does not flatten the curve.
const (
	// maxCurveMetrics is how many metrics get a column; the page names the
	// others.
	maxCurveMetrics = 6
	// curvePoints is the most points of one run's line: each is the mean
	// of a stretch of consecutive logged steps.
	curvePoints = 120
	// sparkW and sparkH are the sparklines' coordinate space, twice their
	// size on the page, so that whole numbers place points finely enough;
	// plotX, plotY, plotW and plotH place the plot in it, leaving room for
	// the value labels on the left and the step labels below.
	sparkW, sparkH             = 400, 150
	plotX, plotY, plotW, plotH = 100, 4, 296, 118
	// openRows is how many configurations the page shows unfolded; above
	// it, only the first section is open.
	openRows = 60
)

// curvesView is the curves section of the page.
type curvesView struct {
	Columns  []curveColumn
	Sections []curveSection
	// Omitted are logged metrics without a column.
	Omitted []string
	// Seeds are the colours of the seeds, for the legend.
	Seeds []seedSwatch
	// Unread says which runs' logs could not be read, whole or in part
	// (lines skipped, the end of a done run's log lost), and why.
	Unread []string
}

// HasTruth reports whether some column draws a truth, for the legend.
func (v curvesView) HasTruth() bool {
	return slices.ContainsFunc(v.Columns, func(c curveColumn) bool { return c.Truth != "" })
}

// curveColumn is one metric's column: its name, and the metric drawn
// dashed in it as the truth, if any.
type curveColumn struct{ Name, Truth string }

// curveSection is the configurations that share the first swept value,
// under a heading; the one section when fewer than two parameters are swept.
type curveSection struct {
	Title string
	Open  bool
	Rows  []curveRow
}

// curveRow is one configuration: its label, links to its runs' rows in the
// run table, and a sparkline per column.
type curveRow struct {
	Label string
	Runs  []runLink
	Cells []template.HTML
}

// runLink links a run's row by its seed, marked by its state.
type runLink struct{ Text, Href, State string }

// seedSwatch is the colour of a seed's lines.
type seedSwatch struct{ Seed, Color string }

// runCurves are the bucketed series of one run, by metric, and the last
// step it logged.
type runCurves struct {
	run    PageRun
	series map[string][]curvePoint
	last   float64
}

// curvePoint is one point of a sparkline: a step and a value.
type curvePoint struct{ X, Y float64 }

// newCurvesView reads the metrics logs of p's runs and lays out their
// curves. A run without a log (pending) has none, nor has a run whose log
// cannot be read: Unread says why, which lines of a log it skipped (torn
// or corrupt) and which done run's log ends early, as the run's Warnings
// do too.
func newCurvesView(p Page) curvesView {
	var v curvesView
	var all []runCurves
	names := map[string]bool{}
	for _, r := range p.Runs {
		if r.Dir == "" {
			continue
		}
		recs, note, err := r.metricsNoted()
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			v.Unread = append(v.Unread, fmt.Sprintf("run %s: %v", r.ID, err))
			continue
		}
		if note != "" {
			v.Unread = append(v.Unread, fmt.Sprintf("run %s: %s", r.ID, note))
		}
		rc := runCurves{run: r, series: map[string][]curvePoint{}}
		if len(recs) > 0 {
			rc.last = float64(recs[len(recs)-1].Step)
		}
		for _, m := range loggedNames(recs) {
			names[m] = true
			rc.series[m] = bucketSeries(metricSeries(recs, m))
		}
		all = append(all, rc)
	}
	v.Columns, v.Omitted = curveColumns(names)
	v.Seeds = seedSwatches(p.Runs)
	v.Sections = curveSections(p, all, v.Columns, v.Seeds)
	return v
}

// loggedNames returns the metrics recs logged, sorted.
func loggedNames(recs []results.Record) []string {
	set := map[string]bool{}
	for _, rec := range recs {
		for k := range rec.Values {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// bucketSeries reduces a logged series to at most curvePoints points, each
// the mean step and mean finite value of a run of consecutive records.
func bucketSeries(steps, vals []float64) []curvePoint {
	k := max((len(steps)+curvePoints-1)/curvePoints, 1)
	var out []curvePoint
	for i := 0; i < len(steps); i += k {
		var sx, sy float64
		n := 0
		for j := i; j < min(i+k, len(steps)); j++ {
			if finite(vals[j]) {
				sx, sy, n = sx+steps[j], sy+vals[j], n+1
			}
		}
		if n > 0 {
			out = append(out, curvePoint{sx / float64(n), sy / float64(n)})
		}
	}
	return out
}

// bookkeeping are logged values that are not training curves.
func bookkeeping(name string) bool {
	return name == "epoch" || name == "step" || strings.Contains(name, "per_second") || strings.HasSuffix(name, "seconds")
}

// curveColumns picks the metrics with a column, at most maxCurveMetrics of
// them: the loss, the MI estimates, the JS bounds, other losses, the rest;
// "true_<m>" is drawn in m's column rather than in its own. It returns the
// columns and the metrics left without one.
func curveColumns(names map[string]bool) ([]curveColumn, []string) {
	rank := func(m string) int {
		switch {
		case m == "loss":
			return 0
		case strings.HasPrefix(m, "mi"):
			return 1
		case strings.HasPrefix(m, "js"):
			return 2
		case strings.Contains(m, "loss"):
			return 3
		}
		return 4
	}
	var metrics []string
	for _, m := range slices.Sorted(maps.Keys(names)) {
		if bookkeeping(m) || (strings.HasPrefix(m, "true_") && names[strings.TrimPrefix(m, "true_")]) {
			continue
		}
		metrics = append(metrics, m)
	}
	slices.SortStableFunc(metrics, func(a, b string) int { return rank(a) - rank(b) })
	var omitted []string
	if len(metrics) > maxCurveMetrics {
		metrics, omitted = metrics[:maxCurveMetrics], metrics[maxCurveMetrics:]
	}
	cols := make([]curveColumn, len(metrics))
	for i, m := range metrics {
		cols[i] = curveColumn{Name: m}
		if names["true_"+m] {
			cols[i].Truth = "true_" + m
		}
	}
	return cols, omitted
}

// seedSwatches gives each seed of runs a series colour, in increasing order.
func seedSwatches(runs []PageRun) []seedSwatch {
	set := map[int64]bool{}
	for _, r := range runs {
		set[r.Seed] = true
	}
	var out []seedSwatch
	for i, s := range slices.Sorted(maps.Keys(set)) {
		out = append(out, seedSwatch{Seed: strconv.FormatInt(s, 10), Color: hexColor(seriesColor(i))})
	}
	return out
}
