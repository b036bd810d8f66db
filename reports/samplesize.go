package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/infomax/infomax/internal/english"
)

func init() {
	Register(Kind{
		Name: "sample_size",
		Summary: "an estimate against a numeric parameter (such as samples), one panel per problem and one line " +
			"per estimator, mean over seeds with 95% t-intervals, the true value dashed",
		Check: func(spec Spec) error { _, err := readSampleSizeOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readSampleSizeOptions(spec)
			return numeric("x", givenKeys(spec, map[string][]string{"x": {o.X}, "panel": o.Panel, "group": o.Group}))
		},
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readSampleSizeOptions(spec)
			return append(summaryRefs("y", o.Y), summaryRefs("truth", o.Truth)...)
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readSampleSizeOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "point", Option: "group", Keys: slices.Concat(o.Panel, o.Group, []string{o.X}), PerSeed: true}
		},
		Make: makeSampleSize,
	})
}

// sampleSizeOptions are the options of a sample_size figure:
//
//	x        numeric swept parameter on the x axis (required), e.g. "samples"
//	panel    parameter (or list) with one panel per value (required), e.g. "problem"
//	group    parameter (or list) with one line per value (default: one line)
//	y        summary metric of the estimate (default "mi")
//	truth    summary metric of the true value, drawn as a dashed black line at
//	         its mean over the panel's runs (default "true_mi")
//	logx     logarithmic x axis (default true)
//	ymin, ymax  the y-axis range (default: every point's); points beyond it
//	         are left out of the drawing, so say so where the figure is shown
//	ylabel   y-axis label (default "estimate (nats)")
//	columns  panels per row (default up to 3); width, height (inches per panel), dpi
//
// Points and error bars are as in the line kind: the mean over the runs
// at one x of one group (the seeds), and the 95% interval of that mean.
type sampleSizeOptions struct {
	X, Y, Truth, YLabel string
	Panel, Group        []string
	LogX                bool
	// YMin and YMax are NaN when not set.
	YMin, YMax float64
	Columns    int
	Size       figureSize
}

func readSampleSizeOptions(spec Spec) (sampleSizeOptions, error) {
	r := readOptions("sample_size", spec, poolOption, "x", "panel", "group", "y", "truth", "logx", "ymin", "ymax", "ylabel",
		"columns", optWidth, optHeight, optDPI)
	r.require("x", `a numeric swept parameter such as "samples"`)
	r.require("panel", `a parameter such as "problem"`)
	o := sampleSizeOptions{
		X:       r.String("x", ""),
		Panel:   r.Strings("panel", nil),
		Group:   r.Strings("group", nil),
		Y:       r.String("y", "mi"),
		LogX:    r.Bool("logx", true),
		YMin:    r.Float("ymin", math.NaN()),
		YMax:    r.Float("ymax", math.NaN()),
		YLabel:  r.String("ylabel", "estimate (nats)"),
		Columns: r.Int("columns", 0, 1, 20),
		Size:    readFigureSize(r),
	}
	o.Truth = r.String("truth", "true_mi")
	if !(o.YMin < o.YMax) && !math.IsNaN(o.YMin) && !math.IsNaN(o.YMax) {
		r.fail("ymax", "ymax = %g must be above ymin = %g", o.YMax, o.YMin)
	}
	return o, r.Err()
}

// makeSampleSize draws one panel per problem of the estimate against x,
// one line per group with its 95% intervals, and the truth dashed.
func makeSampleSize(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("sample_size", spec, runs, readSampleSizeOptions)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics("sample_size", spec, "y", done, []string{o.Y}); err != nil {
		return nil, err
	}
	if err := checkMetrics("sample_size", spec, "truth", done, []string{o.Truth}); err != nil {
		return nil, err
	}
	panels, err := groupRuns("sample_size", spec, done, o.Panel)
	if err != nil {
		return nil, err
	}
	colors, err := groupColors("sample_size", spec, done, o.Group)
	if err != nil {
		return nil, err
	}
	line := lineOptions{X: o.X, Y: []string{o.Y}, Group: o.Group, LogX: o.LogX, Scale: 1, YLabel: o.YLabel, Dodge: true,
		Labels: map[string]string{}}
	var plots []*plot.Plot
	legend := newFigureLegend()
	var counts runCounts
	cut := 0 // points whose mean lies outside ymin and ymax
	for _, pg := range panels {
		allX, err := lineXValues(spec, line, pg.Runs)
		if err != nil {
			return nil, err
		}
		groups := subGroups(pg.Runs, o.Group)
		line.Labels[o.Y] = pg.Caption()
		p, err := linePanel(spec, line, o.Y, groups, colors, allX, legend, &counts)
		if err != nil {
			return nil, err
		}
		if cut, err = o.countCut(cut, spec, line, groups); err != nil {
			return nil, err
		}
		if err := addTruthLine(p, pg.Runs, o.Truth, allX, legend); err != nil {
			return nil, fmt.Errorf("sample_size report %q: %w", spec.Name, err)
		}
		setSampleSizeYRange(p, o)
		plots = append(plots, p)
	}
	if note := counts.barsNote(); note != "" {
		legend = withLines(legend, note)
	}
	if cut > 0 {
		legend = withLines(legend, fmt.Sprintf("not shown: %s beyond the y range (%s)", english.Plural(cut, "point"), o.yRange()))
	}
	legend = withPooled(withLeftOut(legend, out, slices.Concat(o.Panel, o.Group)), "sample_size", spec, done)
	return writePanels(dir, spec.Name, plots, o.Columns, o.Size, legend)
}

// countCut adds to cut the points of groups whose mean lies outside the
// ymin and ymax options, which the panel does not show.
func (o sampleSizeOptions) countCut(cut int, spec Spec, line lineOptions, groups []*group) (int, error) {
	for _, g := range groups {
		pts, err := linePoints(g.Runs, line, o.Y, 1)
		if err != nil {
			return cut, fmt.Errorf("sample_size report %q: %w", spec.Name, err)
		}
		for _, pt := range pts {
			if pt.Mean < o.YMin || pt.Mean > o.YMax { // false for an unset (NaN) bound
				cut++
			}
		}
	}
	return cut, nil
}

// yRange writes the ymin and ymax options that are set, as "ymin = -0.5".
func (o sampleSizeOptions) yRange() string {
	var parts []string
	if !math.IsNaN(o.YMin) {
		parts = append(parts, "ymin = "+strconv.FormatFloat(o.YMin, 'g', -1, 64))
	}
	if !math.IsNaN(o.YMax) {
		parts = append(parts, "ymax = "+strconv.FormatFloat(o.YMax, 'g', -1, 64))
	}
	return strings.Join(parts, ", ")
}

// setSampleSizeYRange applies the ymin and ymax options.
func setSampleSizeYRange(p *plot.Plot, o sampleSizeOptions) {
	if !math.IsNaN(o.YMin) {
		p.Y.Min = o.YMin
	}
	if !math.IsNaN(o.YMax) {
		p.Y.Max = o.YMax
	}
	if p.Y.Min >= p.Y.Max {
		p.Y.Max = p.Y.Min + 1
	}
}

// addTruthLine draws the mean of metric truth over runs as a dashed black
// line across the x values, labelled "true" in the figure's legend.
func addTruthLine(p *plot.Plot, runs []Run, truth string, allX []float64, legend *figureLegend) error {
	v, _ := MeanSD(metricValues(runs, truth, 1))
	if !finite(v) || len(allX) == 0 {
		return nil
	}
	l, err := plotter.NewLine(plotter.XYs{{X: allX[0], Y: v}, {X: allX[len(allX)-1], Y: v}})
	if err != nil {
		return err
	}
	l.LineStyle.Color = color.Black
	l.LineStyle.Width = vg.Points(1)
	l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	legend.Add("true", l)
	return nil
}
