package reports

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func init() {
	Register(Kind{
		Name: "line",
		Summary: "summary metrics against a swept parameter, one panel per metric and one line per group, " +
			"points at the mean over seeds with 95% t-interval error bars",
		Check: func(spec Spec) error { _, err := readLineOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readLineOptions(spec)
			return givenKeys(spec, map[string][]string{"x": {o.X}, "group": o.Group})
		},
		Make: makeLine,
	})
}

// lineOptions are the options of a line figure:
//
//	x        numeric swept parameter on the x axis (required), e.g. "batch_size"
//	y        summary metric or list of them, one panel each (required)
//	group    parameter (or list) with one line per value (default: a single line)
//	logx     logarithmic x axis (default false)
//	labels   panel titles by metric name, e.g. {linear_y_acc = "Y, linear probe"}
//	scale    factor applied to every metric value, e.g. 100 for percentages (default 1)
//	ylabel   y-axis label (default: the panel's metric label)
//	dodge    shift groups slightly apart on x so their error bars do not
//	         overlap (default true)
//	columns  panels per row (default up to 3); width, height (inches per panel), dpi
//
// Each point is the mean over the runs that share its x and group (the seeds)
// with error bars for the 95% confidence interval of the mean from Student's
// t distribution; a point from a single run has no bars.
type lineOptions struct {
	X       string
	Y       []string
	Group   []string
	LogX    bool
	Labels  map[string]string
	Scale   float64
	YLabel  string
	Dodge   bool
	Columns int
	Size    figureSize
}

func readLineOptions(spec Spec) (lineOptions, error) {
	r := readOptions("line", spec, "x", "y", "group", "logx", "labels", "scale", "ylabel", "dodge",
		"columns", optWidth, optHeight, optDPI)
	r.require("x", `a numeric swept parameter such as "batch_size"`)
	r.require("y", `a summary metric or a list of them, such as ["linear_y_acc", "linear_conv_acc"]`)
	o := lineOptions{
		X:       r.String("x", ""),
		Y:       r.Strings("y", nil),
		Group:   r.Strings("group", nil),
		LogX:    r.Bool("logx", false),
		Labels:  r.StringMap("labels"),
		Scale:   r.Float("scale", 1),
		YLabel:  r.String("ylabel", ""),
		Dodge:   r.Bool("dodge", true),
		Columns: r.Int("columns", 0, 1, 20),
		Size:    readFigureSize(r),
	}
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	for name := range o.Labels {
		if o.Y != nil && !contains(o.Y, name) {
			r.fail("labels", "labels %q, which is not one of the y metrics (%v)", name, o.Y)
			break
		}
	}
	return o, r.Err()
}

// linePoint is one plotted point: the mean of a metric over the runs at one
// x value of one group, and its 95% interval half-width (NaN for one run).
type linePoint struct {
	X, Mean, Half float64
	N             int
}

// linePoints reduces runs to one point per x value of metric: the mean and
// 95% t-interval over the runs' finite values, times scale. Runs without
// the metric are skipped; an x value none of whose runs has it gives no
// point. Points are in increasing x.
func linePoints(runs []Run, xKey, metricName string, scale float64) ([]linePoint, error) {
	byX := map[float64][]float64{}
	var xs []float64
	for _, r := range runs {
		v, ok := r.Param(xKey)
		if !ok {
			return nil, fmt.Errorf("run %s has no parameter or config key %q", r.ID, xKey)
		}
		x, ok := asNumber(v)
		if !ok {
			return nil, fmt.Errorf("run %s has %s = %v, not a number; the line kind needs a numeric x "+
				"(use the table or heatmap kind for a categorical parameter)", r.ID, xKey, formatValue(v))
		}
		if _, seen := byX[x]; !seen {
			xs = append(xs, x)
			byX[x] = nil
		}
		if m, ok := metric(r, metricName); ok {
			byX[x] = append(byX[x], m*scale)
		}
	}
	sort.Float64s(xs)
	var pts []linePoint
	for _, x := range xs {
		vals := byX[x]
		if len(vals) == 0 {
			continue
		}
		mean, half := TInterval(vals, 0.95)
		pts = append(pts, linePoint{X: x, Mean: mean, Half: half, N: len(vals)})
	}
	return pts, nil
}

func makeLine(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, _, err := startReport("line", spec, runs, readLineOptions)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics("line", spec, "y", done, o.Y); err != nil {
		return nil, err
	}
	groups, err := groupOrAll("line", spec, done, o.Group)
	if err != nil {
		return nil, err
	}
	allX, err := lineXValues(spec, o, done)
	if err != nil {
		return nil, err
	}
	var plots []*plot.Plot
	for _, y := range o.Y {
		p, err := linePanel(spec, o, y, groups, allX)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	return writePanels(dir, spec.Name, plots, o.Columns, o.Size)
}

// lineXValues returns every distinct x of runs, in increasing order, for
// the ticks and the dodge width. A log axis with an x that is not positive
// is an error.
func lineXValues(spec Spec, o lineOptions, runs []Run) ([]float64, error) {
	var allX []float64
	for _, r := range runs {
		if v, ok := r.Param(o.X); ok {
			if x, ok := asNumber(v); ok && !containsFloat(allX, x) {
				allX = append(allX, x)
			}
		}
	}
	sort.Float64s(allX)
	if o.LogX && len(allX) > 0 && allX[0] <= 0 {
		return nil, fmt.Errorf("line report %q: option \"logx\": x = %s has the value %s; a log axis needs "+
			"positive values (set logx = false)", spec.Name, o.X, formatValue(allX[0]))
	}
	return allX, nil
}

// linePanel draws the panel of metric y: its axes, then one line of points
// with error bars per group.
func linePanel(spec Spec, o lineOptions, y string, groups []*group, allX []float64) (*plot.Plot, error) {
	title := label(o.Labels, y)
	ylabel := o.YLabel
	if ylabel == "" {
		ylabel = title
	}
	p := newPanel(title, o.X, ylabel)
	if o.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if len(allX) <= 12 {
		p.X.Tick.Marker = valueTicks(allX)
	}
	for gi, g := range groups {
		pts, err := linePoints(g.Runs, o.X, y, o.Scale)
		if err != nil {
			return nil, fmt.Errorf("line report %q: option \"x\": %w", spec.Name, err)
		}
		if len(pts) == 0 {
			continue
		}
		shift := 0.0
		if o.Dodge && len(groups) > 1 {
			shift = (float64(gi) - float64(len(groups)-1)/2) * 0.012
		}
		if err := addLinePoints(p, o, pts, allX, shift, seriesColor(gi), g.Label()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addLinePoints draws one group's points in colour c, shifted by shift
// (see dodgeX): a line through the means with a dot at each, and error bars
// where the interval is finite. With option group set, the group's label
// names it in the legend.
func addLinePoints(p *plot.Plot, o lineOptions, pts []linePoint, allX []float64, shift float64, c color.Color, name string) error {
	xy := make(plotter.XYs, len(pts))
	var errs plotter.YErrors
	var errXY plotter.XYs
	for i, pt := range pts {
		xy[i] = plotter.XY{X: dodgeX(pt.X, allX, shift, o.LogX), Y: pt.Mean}
		if finite(pt.Half) {
			errXY = append(errXY, xy[i])
			errs = append(errs, struct{ Low, High float64 }{pt.Half, pt.Half})
		}
	}
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(1.5)
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Radius = vg.Points(2.5)
	p.Add(l, s)
	if len(errXY) > 0 {
		eb, err := plotter.NewYErrorBars(yErrorPoints{errXY, errs})
		if err != nil {
			return err
		}
		eb.LineStyle.Color = c
		eb.LineStyle.Width = vg.Points(1)
		p.Add(eb)
	}
	if len(o.Group) > 0 {
		p.Legend.Add(name, l, s)
	}
	return nil
}

// dodgeX shifts x by shift times the span of allX (in log10 space for a log
// axis), so that groups at the same x stand apart.
func dodgeX(x float64, allX []float64, shift float64, logx bool) float64 {
	if shift == 0 || len(allX) < 2 {
		return x
	}
	if logx {
		span := math.Log10(allX[len(allX)-1]) - math.Log10(allX[0])
		return x * math.Pow(10, shift*span)
	}
	return x + shift*(allX[len(allX)-1]-allX[0])
}

// yErrorPoints gives points with symmetric y errors to plotter.NewYErrorBars.
type yErrorPoints struct {
	plotter.XYs
	plotter.YErrors
}
