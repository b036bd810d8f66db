package reports

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/infomax/infomax/experiments/engine/results"
)

func init() {
	Register(Kind{
		Name: "curves",
		Summary: "training curves: logged metrics of metrics.jsonl against step, one panel per metric and " +
			"one line per group, the mean over seeds with a shaded band (sd, 95% interval or range)",
		Check: func(spec Spec) error { _, err := readCurvesOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readCurvesOptions(spec)
			return givenKeys(spec, map[string][]string{"group": o.Group})
		},
		Metrics: func(spec Spec) []MetricRef { o, _ := readCurvesOptions(spec); return loggedRefs("y", o.Y...) },
		Groups: func(spec Spec) Grouping {
			o, _ := readCurvesOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "line", Option: "group", Keys: o.Group, PerSeed: true}
		},
		Make: makeCurves,
	})
}

// curvesOptions are the options of a curves figure:
//
//	y          metric logged in metrics.jsonl, or a list of them, one panel
//	           each (required), e.g. ["loss", "mi"]
//	group      parameter (or list) with one line per value (default: one line)
//	band       the shaded band around each mean: "sd" (default: one standard
//	           deviation either side), "ci" (the 95% t-interval of the mean),
//	           "range" (lowest to highest run) or "none"
//	smoothing  EMA factor in [0, 1), or a whole window of steps, applied to
//	           each run before the mean (default 0: none)
//	labels     panel titles by metric name, e.g. {mi = "MI estimate (nats)"}
//	max_points most points drawn per line (default 500)
//	columns    panels per row (default up to 3); width, height (inches per panel, at most 40), dpi
//
// A line's value at a step is the mean over the group's runs (its seeds),
// at the steps where every run that logged the metric logged it (all of
// them, if the runs share no step); the band needs two runs.
type curvesOptions struct {
	Y         []string
	Group     []string
	Band      string
	Smoothing float64
	Labels    map[string]string
	MaxPoints int
	Columns   int
	Size      figureSize
}

// curveBands are the values of option band, and what each shows, for the
// legend.
var curveBands = map[string]string{
	"sd":    "±1 sd over seeds",
	"ci":    "95% interval of the mean",
	"range": "lowest to highest seed",
	"none":  "",
}

func readCurvesOptions(spec Spec) (curvesOptions, error) {
	r := readOptions("curves", spec, poolOption, "y", "group", "band", "smoothing", "labels", "max_points", "columns",
		optWidth, optHeight, optDPI)
	r.require("y", `a logged metric or a list of them, such as ["loss", "mi"]`)
	o := curvesOptions{
		Y:         r.Strings("y", nil),
		Group:     r.Strings("group", nil),
		Band:      r.String("band", "sd"),
		Smoothing: r.Smoothing("smoothing", 0),
		Labels:    r.StringMap("labels"),
		MaxPoints: r.Int("max_points", 500, 10, 1_000_000),
		Columns:   r.Int("columns", 0, 1, 20),
		Size:      readFigureSize(r),
	}
	if _, ok := curveBands[o.Band]; !ok {
		r.fail("band", "want \"sd\", \"ci\", \"range\" or \"none\", got %q", o.Band)
	}
	r.labelsOf(o.Labels, "y", o.Y)
	return o, r.Err()
}

func makeCurves(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("curves", spec, runs, readCurvesOptions)
	if err != nil {
		return nil, err
	}
	groups, err := groupOrAll("curves", spec, done, o.Group)
	if err != nil {
		return nil, err
	}
	logs, err := readLogs(spec, done)
	if err != nil {
		return nil, err
	}
	legend := newFigureLegend()
	var plots []*plot.Plot
	for _, y := range o.Y {
		p, err := curvesPanel(spec, o, y, groups, logs, legend)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	if text := curveBands[o.Band]; text != "" && anyGroupHasSeeds(groups) {
		legend.Add("band: " + text + ", " + linesRuns(groups))
	}
	legend = withPooled(withLeftOut(legend, out, o.Group), "curves", spec, done)
	return writePanels(dir, spec.Name, plots, o.Columns, o.Size, legend)
}

// readLogs reads the metrics log of every run, by run id.
func readLogs(spec Spec, runs []Run) (map[string][]results.Record, error) {
	logs := make(map[string][]results.Record, len(runs))
	for _, r := range runs {
		recs, err := r.Metrics()
		if err != nil {
			return nil, fmt.Errorf("curves report %q: run %s: %w", spec.Name, r.ID, err)
		}
		logs[r.ID] = recs
	}
	return logs, nil
}

// linesRuns says how many runs make a line, "3 runs a line" or "2-3 runs
// a line", so that a band over two seeds reads as such; where a line pools
// runs that share a seed, the seeds it keeps (see [perSeed]) and the runs
// of a seed: "3 seeds a line, each the mean of 2 runs".
func linesRuns(groups []*group) string {
	var c runCounts
	for _, g := range groups {
		seeds := keptSeeds(g.Runs)
		lo, hi := runsRange(seeds)
		c.add(linePoint{N: len(seeds), Fewest: lo, Most: hi})
	}
	return c.counted("line")
}

// keptSeeds returns the seeds of runs that perSeed keeps, with the runs of
// each: those a band is over.
func keptSeeds(runs []Run) []seedMean {
	return perSeed(runs, func(Run) (float64, bool) { return 0, true })
}

// anyGroupHasSeeds reports whether some group keeps two seeds or more
// (see [perSeed]), so that a band is drawn.
func anyGroupHasSeeds(groups []*group) bool {
	return slices.ContainsFunc(groups, func(g *group) bool { return len(keptSeeds(g.Runs)) > 1 })
}

// curvesPanel draws the panel of metric y: a band and a mean line per group.
// A metric that no run logged is an error that lists those they did.
func curvesPanel(spec Spec, o curvesOptions, y string, groups []*group, logs map[string][]results.Record, legend *figureLegend) (*plot.Plot, error) {
	title := label(o.Labels, y)
	p := newPanel(title, "step", title)
	p.X.Tick.Marker = stepTicks{}
	drawn := false
	for gi, g := range groups {
		c := meanCurve(g.Runs, logs, y, o)
		if len(c.Steps) == 0 {
			continue
		}
		drawn = true
		if err := addCurve(p, c, o.MaxPoints, gi, g.Caption(), legend); err != nil {
			return nil, err
		}
	}
	if !drawn {
		return nil, fmt.Errorf("curves report %q: option \"y\": no finished run logged %q in its metrics.jsonl (logged: %s)",
			spec.Name, y, strings.Join(loggedMetrics(logs), ", "))
	}
	return p, nil
}

// loggedMetrics lists, sorted, the metrics some log has.
func loggedMetrics(logs map[string][]results.Record) []string {
	set := map[string]bool{}
	for _, recs := range logs {
		for _, rec := range recs {
			for k := range rec.Values {
				set[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// curve is the mean of a metric over runs at each step they logged it, and
// the band around it (NaN where fewer than two runs have the step).
type curve struct {
	Steps, Mean, Lo, Hi []float64
}

// meanCurve averages metric y over runs step by step, each run smoothed
// first, with the band option o.Band asks for, over seeds: where runs of
// the group share a seed (it pools them), a step's value at a seed is the
// mean of theirs, as perSeed makes it, a seed short of some of them left
// out. It keeps the steps that every run with the metric logged, so that
// the mean does not jump where runs log at different steps, unless they
// share fewer than two.
func meanCurve(runs []Run, logs map[string][]results.Record, y string, o curvesOptions) curve {
	byStep := map[float64]map[string]float64{} // a step's value of each run, by run id
	var with []Run                             // the runs that logged y
	for _, r := range runs {
		steps, vals := metricSeries(logs[r.ID], y)
		if len(steps) == 0 {
			continue
		}
		with = append(with, r)
		if o.Smoothing > 0 {
			vals = Smooth(vals, o.Smoothing)
		}
		for i, s := range steps {
			if byStep[s] == nil {
				byStep[s] = map[string]float64{}
			}
			byStep[s][r.ID] = vals[i]
		}
	}
	steps := slices.Sorted(maps.Keys(byStep))
	if common := slices.DeleteFunc(slices.Clone(steps), func(s float64) bool { return len(byStep[s]) < len(with) }); len(common) >= 2 {
		steps = common
	}
	var c curve
	for _, s := range steps {
		at := func(r Run) (float64, bool) { v, ok := byStep[s][r.ID]; return v, ok }
		vals := seedValues(perSeed(with, at))
		if len(vals) == 0 {
			continue
		}
		mean, lo, hi := bandOf(vals, o.Band)
		c.Steps = append(c.Steps, s)
		c.Mean, c.Lo, c.Hi = append(c.Mean, mean), append(c.Lo, lo), append(c.Hi, hi)
	}
	return c
}

// bandOf returns the mean of vals and the band around it that band names;
// the band is NaN for fewer than two values or band "none".
func bandOf(vals []float64, band string) (mean, lo, hi float64) {
	mean, sd := MeanSD(vals)
	if len(vals) < 2 {
		return mean, math.NaN(), math.NaN()
	}
	switch band {
	case "sd":
		return mean, mean - sd, mean + sd
	case "ci":
		_, half := TInterval(vals, 0.95)
		return mean, mean - half, mean + half
	case "range":
		return mean, slices.Min(vals), slices.Max(vals)
	}
	return mean, math.NaN(), math.NaN()
}

// addCurve draws curve c of group gi in its series colour: the band, faded,
// under the mean line, thinned to maxPoints each; legend names the group.
func addCurve(p *plot.Plot, c curve, maxPoints, gi int, name string, legend *figureLegend) error {
	col := seriesColor(gi)
	mean := thin(c.Steps, c.Mean, maxPoints)
	lo, hi := thin(c.Steps, c.Lo, maxPoints), thin(c.Steps, c.Hi, maxPoints)
	thumbs := []plot.Thumbnailer{}
	if len(lo) > 1 && len(lo) == len(hi) {
		ring := append(plotter.XYs(nil), hi...)
		for i := len(lo) - 1; i >= 0; i-- {
			ring = append(ring, lo[i])
		}
		band, err := plotter.NewPolygon(ring)
		if err != nil {
			return err
		}
		band.Color = faded(col, 0.25)
		band.LineStyle.Width = 0
		p.Add(band)
		thumbs = append(thumbs, band)
	}
	if len(mean) > 0 {
		l, err := styledLine(mean, col, 1.5)
		if err != nil {
			return err
		}
		l.LineStyle.Dashes = seriesDashes(gi)
		p.Add(l)
		thumbs = append(thumbs, l)
	}
	if name != "" {
		legend.Add(name, thumbs...)
	}
	return nil
}
