package reports

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/infomax/infomax/internal/english"

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
			return numeric("x", givenKeys(spec, map[string][]string{"x": {o.X}, "group": o.Group, "where": slices.Sorted(maps.Keys(o.Where))}))
		},
		Selectors: func(spec Spec) []Selector { o, _ := readLineOptions(spec); return whereSelector(o.Where) },
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readLineOptions(spec)
			return selectedBy(o.Where, slices.Concat(summaryRefs("y", o.Y...), summaryRefs("xmetric", o.XMetric), summaryRefs("reference", o.Reference)))
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readLineOptions(spec)
			g := Grouping{Pool: declaredPool(spec), Unit: "point", Option: "group", Keys: o.Group, Metric: o.XMetric, Where: o.Where,
				Selectable: true, PerSeed: true}
			if o.XMetric == "" {
				g.Keys = append([]string{o.X}, o.Group...)
			}
			return g
		},
		Make: makeLine,
	})
}

// lineOptions are the options of a line figure:
//
//	x        numeric swept parameter on the x axis, e.g. "batch_size"
//	xmetric  or instead a summary metric on the x axis, e.g. "negatives_local"
//	         (the number of negatives a run used, whatever its settings said)
//	xlabel   x-axis label (default: the name of x or xmetric)
//	where    which runs are drawn, by parameter value, e.g. {batch_size = 32}
//	         (default: all)
//	reference  a summary metric drawn in every panel as a dashed black line
//	         (its mean over all the panel's runs at each x), e.g. a bound
//	         such as "ceiling_local"; labels can name it
//	y        summary metric or list of them, one panel each (required)
//	group    parameter (or list) with one line per value (default: a single line);
//	         a group's colour is its place among the groups of all the
//	         sweep's finished runs, before where, so that it is the same in
//	         every line figure of the sweep
//	logx     logarithmic x axis (default false)
//	labels   panel titles by metric name, e.g. {linear_y_acc = "Y, linear probe"}
//	scale    factor applied to every metric value, e.g. 100 for percentages (default 1)
//	ylabel   y-axis label (default: the panel's metric label)
//	dodge    shift groups apart on x, so that the points and error bars of
//	         groups at the same x stand side by side (default true)
//	columns  panels per row (default up to 3); width, height (inches per panel), dpi
//
// Each point is the mean over the runs that share its x and group (the seeds)
// with error bars for the 95% confidence interval of the mean from Student's
// t distribution; a point from a single seed has no bars. Where a point
// pools runs that share a seed (pool, or a key group leaves out), a
// seed's value is the mean of its runs' (see [perSeed]), and the mean and
// bars are over those per-seed values.
type lineOptions struct {
	X       string
	XMetric string
	XLabel  string
	Where   map[string][]string
	// Reference is the metric of the reference line ("" for none).
	Reference string
	Y         []string
	Group     []string
	LogX      bool
	Labels    map[string]string
	Scale     float64
	YLabel    string
	Dodge     bool
	Columns   int
	Size      figureSize
}

func readLineOptions(spec Spec) (lineOptions, error) {
	r := readOptions("line", spec, poolOption, "x", "xmetric", "xlabel", "where", "reference", "y", "group", "logx", "labels", "scale", "ylabel", "dodge",
		"columns", optWidth, optHeight, optDPI)
	_, hasX := spec.Options["x"]
	_, hasXMetric := spec.Options["xmetric"]
	switch {
	case hasX && hasXMetric:
		r.fail("xmetric", "x is set as well: give x (a parameter) or xmetric (a summary metric), not both")
	case !hasXMetric:
		r.require("x", `a numeric swept parameter such as "batch_size" (or xmetric, a summary metric)`)
	}
	r.require("y", `a summary metric or a list of them, such as ["linear_y_acc", "linear_conv_acc"]`)
	o := lineOptions{
		X:         r.String("x", ""),
		XMetric:   r.String("xmetric", ""),
		XLabel:    r.String("xlabel", ""),
		Where:     r.selector("where", nil),
		Reference: r.String("reference", ""),
		Y:         r.Strings("y", nil),
		Group:     r.Strings("group", nil),
		LogX:      r.Bool("logx", false),
		Labels:    r.StringMap("labels"),
		Scale:     r.Float("scale", 1),
		YLabel:    r.String("ylabel", ""),
		Dodge:     r.Bool("dodge", true),
		Columns:   r.Int("columns", 0, 1, 20),
		Size:      readFigureSize(r),
	}
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	r.labelsOf(o.Labels, "y", o.Y, o.Reference)
	return o, r.Err()
}

// linePoint is one plotted point: the mean of a metric over the seeds at
// one x value of one group, and its 95% interval half-width (NaN for one
// seed).
type linePoint struct {
	X, Mean, Half float64
	// N counts the seeds; Fewest and Most are the fewest and the most runs
	// averaged at one of them.
	N, Fewest, Most int
}

// linePoints reduces runs to one point per x value of metric: the mean and
// 95% t-interval over the seeds' values (see [perSeed]) of the runs' finite
// values, times scale. Runs without the metric are skipped; an x value none
// of whose runs has it gives no point. Points are in increasing x.
func linePoints(runs []Run, o lineOptions, metricName string, scale float64) ([]linePoint, error) {
	xKey := o.xName()
	byX := map[float64][]Run{}
	var xs []float64
	for _, r := range runs {
		v, ok := o.xOf(r)
		if !ok {
			return nil, fmt.Errorf("run %s has no parameter, config key or summary metric %q", r.ID, xKey)
		}
		x, ok := asNumber(v)
		if !ok {
			return nil, fmt.Errorf("run %s has %s = %v, not a number; the line kind needs a numeric x "+
				"(use the table or heatmap kind for a categorical parameter)", r.ID, xKey, formatValue(v))
		}
		if _, seen := byX[x]; !seen {
			xs = append(xs, x)
		}
		byX[x] = append(byX[x], r)
	}
	sort.Float64s(xs)
	var pts []linePoint
	for _, x := range xs {
		means := perSeed(byX[x], metricOf(metricName, scale))
		if len(means) == 0 {
			continue
		}
		mean, half := TInterval(seedValues(means), 0.95)
		lo, hi := runsRange(means)
		pts = append(pts, linePoint{X: x, Mean: mean, Half: half, N: len(means), Fewest: lo, Most: hi})
	}
	return pts, nil
}

// xName is what the x axis shows: the parameter x or the metric xmetric.
func (o lineOptions) xName() string {
	if o.XMetric != "" {
		return o.XMetric
	}
	return o.X
}

// xOf returns run r's x: its value of the parameter x, or of the summary
// metric xmetric.
func (o lineOptions) xOf(r Run) (any, bool) {
	if o.XMetric != "" {
		return metric(r, o.XMetric)
	}
	return r.Param(o.X)
}

func makeLine(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("line", spec, runs, readLineOptions)
	if err != nil {
		return nil, err
	}
	colors, err := groupColors("line", spec, done, o.Group)
	if err != nil {
		return nil, err
	}
	if done, err = selectRuns(spec, "where", done, o.Where); err != nil {
		return nil, err
	}
	if len(done) == 0 {
		return nil, fmt.Errorf("line report %q: option \"where\": no finished run matches %s", spec.Name, formatWhere(o.Where))
	}
	// Runs without the x parameter (a conditional one their runs leave
	// out) have no place on the axis: they are left out, and the legend
	// says so.
	withX := slices.DeleteFunc(slices.Clone(done), func(r Run) bool { _, ok := o.xOf(r); return !ok && o.XMetric == "" })
	noX := len(done) - len(withX)
	if len(withX) == 0 {
		return nil, fmt.Errorf("line report %q: option \"x\": no finished run it draws has %q", spec.Name, o.X)
	}
	done = withX
	if o.XMetric != "" {
		if err := checkMetrics("line", spec, "xmetric", done, []string{o.XMetric}); err != nil {
			return nil, err
		}
	}
	if o.Reference != "" {
		if err := checkMetrics("line", spec, "reference", done, []string{o.Reference}); err != nil {
			return nil, err
		}
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
	legend := newFigureLegend()
	if len(o.Group) == 0 {
		legend = nil
	}
	var counts runCounts
	for _, y := range o.Y {
		p, err := linePanel(spec, o, y, groups, colors, allX, legend, &counts)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	if note := counts.barsNote(); note != "" {
		legend = withLines(legend, note)
	}
	legend = withPooled(withLeftOut(legend, out.matching(o.Where), o.Group), "line", spec, done)
	if noX > 0 {
		legend = withLines(legend, fmt.Sprintf("not drawn: %s without %s", english.Plural(noX, "run"), o.X))
	}
	return writePanels(dir, spec.Name, plots, o.Columns, o.Size, legend)
}

// runCounts is the fewest and the most seeds behind a point of a line
// figure, and the fewest and the most runs averaged at one seed of a
// point; the zero value has seen no point.
type runCounts struct{ lo, hi, runsLo, runsHi int }

// add counts point pt; a nil c counts nothing.
func (c *runCounts) add(pt linePoint) {
	if c == nil {
		return
	}
	if c.hi == 0 || pt.N < c.lo {
		c.lo = pt.N
	}
	if c.runsHi == 0 || pt.Fewest < c.runsLo {
		c.runsLo = pt.Fewest
	}
	c.hi, c.runsHi = max(c.hi, pt.N), max(c.runsHi, pt.Most)
}

// barsNote is the legend's line of text on what the error bars are and
// how many runs make each point, so that the wide bars of two seeds read
// as such: "bars: 95% t-interval of the mean, 2 runs a point"; where a
// point pools runs that share a seed, the seeds and the runs averaged at
// a seed: "bars: 95% t-interval of the mean over seeds, 3 seeds a point,
// each the mean of 2 runs"; "" when no point has bars.
func (c runCounts) barsNote() string {
	switch {
	case c.hi < 2:
		return ""
	case c.runsHi > 1:
		return "bars: 95% t-interval of the mean over seeds, " + c.counted("point")
	}
	return "bars: 95% t-interval of the mean, " + c.counted("point")
}

// counted says how many runs make a point (or whatever unit names): "3
// runs a point", "2-3 runs a point"; where the points pool runs that share
// a seed, the seeds and the runs of a seed: "3 seeds a point, each the
// mean of 2 runs".
func (c runCounts) counted(unit string) string {
	noun := "run"
	if c.runsHi > 1 {
		noun = "seed"
	}
	count := english.Plural(c.hi, noun)
	if c.lo != c.hi {
		count = fmt.Sprintf("%d-%d %ss", c.lo, c.hi, noun)
	}
	if c.runsHi > 1 {
		return count + " a " + unit + ", " + perSeedLine(c.runsLo, c.runsHi)
	}
	return count + " a " + unit
}

// lineXValues returns every distinct x of runs, in increasing order, for
// the ticks and the dodge width. A log axis with an x that is not positive
// is an error.
func lineXValues(spec Spec, o lineOptions, runs []Run) ([]float64, error) {
	var allX []float64
	for _, r := range runs {
		if v, ok := o.xOf(r); ok {
			if x, ok := asNumber(v); ok && !containsFloat(allX, x) {
				allX = append(allX, x)
			}
		}
	}
	sort.Float64s(allX)
	if o.LogX && len(allX) > 0 && allX[0] <= 0 {
		return nil, fmt.Errorf("line report %q: option \"logx\": x = %s has the value %s; a log axis needs "+
			"positive values (set logx = false)", spec.Name, o.xName(), formatValue(allX[0]))
	}
	return allX, nil
}

// linePanel draws the panel of metric y: its axes, then one line of points
// with error bars per group, dodged apart, each in its series colour from
// colors and named in legend, counting the runs behind each point in
// counts (which may be nil).
func linePanel(spec Spec, o lineOptions, y string, groups []*group, colors map[string]int, allX []float64, legend *figureLegend, counts *runCounts) (*plot.Plot, error) {
	title := label(o.Labels, y)
	ylabel := o.YLabel
	if ylabel == "" {
		ylabel = title
	}
	xlabel := o.XLabel
	if xlabel == "" {
		xlabel = o.xName()
	}
	p := newPanel(title, xlabel, ylabel)
	if o.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if len(allX) <= 12 {
		p.X.Tick.Marker = valueTicks(allX)
	}
	d := newDodge(len(groups), allX, o)
	for gi, g := range groups {
		pts, err := linePoints(g.Runs, o, y, o.Scale)
		if err != nil {
			return nil, fmt.Errorf("line report %q: option \"x\": %w", spec.Name, err)
		}
		if len(pts) == 0 {
			continue
		}
		for _, pt := range pts {
			counts.add(pt)
		}
		if err := addLinePoints(p, pts, d, gi, colors[g.Label()], g.Caption(), legend); err != nil {
			return nil, err
		}
	}
	if o.Reference != "" {
		var all []Run
		for _, g := range groups {
			all = append(all, g.Runs...)
		}
		if err := addReferenceLine(p, all, o, legend); err != nil {
			return nil, fmt.Errorf("line report %q: option \"reference\": %w", spec.Name, err)
		}
	}
	return p, nil
}

// addReferenceLine draws the mean of the reference metric over runs at
// each x as a dashed black line, named in legend (when there is one) by
// its label.
func addReferenceLine(p *plot.Plot, runs []Run, o lineOptions, legend *figureLegend) error {
	pts, err := linePoints(runs, o, o.Reference, o.Scale)
	if err != nil || len(pts) == 0 {
		return err
	}
	xy := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		xy[i] = plotter.XY{X: pt.X, Y: pt.Mean}
	}
	l, err := styledLine(xy, blackColor, 1.5)
	if err != nil {
		return err
	}
	l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(l)
	legend.Add(label(o.Labels, o.Reference), l)
	return nil
}

// addLinePoints draws the points of group gi, dodged by d, in series colour
// ci: a line through the means with a dot at each, and error bars where the
// interval is finite. The group's name is its entry in legend.
func addLinePoints(p *plot.Plot, pts []linePoint, d dodge, gi, ci int, name string, legend *figureLegend) error {
	c := seriesColor(ci)
	xy := make(plotter.XYs, len(pts))
	var errs plotter.YErrors
	var errXY plotter.XYs
	for i, pt := range pts {
		xy[i] = plotter.XY{X: d.x(pt.X, gi), Y: pt.Mean}
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
	l.LineStyle.Dashes = seriesDashes(ci)
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
		eb.CapWidth = d.Cap
		p.Add(eb)
	}
	legend.Add(name, l, s)
	return nil
}

// dodge shifts the groups of a line panel apart on x, so that the points
// and error bars of groups at the same x stand side by side instead of on
// top of each other. Group i of n is shifted by (i - (n-1)/2) * Step times
// the span of the x values (of their log10 on a log axis).
type dodge struct {
	N    int
	Step float64
	Log  bool
	// Span is the span of the x values in axis units (log10 on a log axis).
	Span float64
	// Cap is the width of the error-bar caps, narrowed where the groups
	// have to stand closer than a cap's width.
	Cap vg.Length
}

// Room in a panel that is not data area: the y axis, its label and ticks on
// the left, padding on the right. Overestimated, so that dodged groups end
// up at least the intended distance apart.
const (
	panelMargin           = 0.9 * vg.Inch
	capWidth    vg.Length = 5            // points
	dodgeGap              = capWidth + 2 // between adjacent groups' centres
)

// newDodge spaces n groups at the x values allX (sorted) of a panel with
// options o: adjacent groups dodgeGap apart on the page where the panel
// allows, and at most 0.6 of the smallest gap between x values apart in
// all, so that the groups of one x stay clear of those of the next; caps
// narrow to keep 2 points between the groups' error bars. With option dodge
// off, or one group, nothing moves.
func newDodge(n int, allX []float64, o lineOptions) dodge {
	d := dodge{N: n, Log: o.LogX, Cap: capWidth}
	if !o.Dodge || n < 2 || len(allX) < 2 {
		return d
	}
	t := func(x float64) float64 {
		if d.Log {
			return math.Log10(x)
		}
		return x
	}
	d.Span = t(allX[len(allX)-1]) - t(allX[0])
	minGap := 1.0
	for i := 1; i < len(allX); i++ {
		minGap = math.Min(minGap, (t(allX[i])-t(allX[i-1]))/d.Span)
	}
	// A step of f spans f*W of the data area W, which the shifts widen to
	// (1+(n-1)f) spans: f*W/(1+(n-1)f) >= gap needs f >= gap/(W-(n-1)gap).
	width := float64(o.Size.Width - panelMargin)
	gap := float64(dodgeGap)
	d.Step = math.Min(gap/math.Max(width-float64(n-1)*gap, gap), 0.6*minGap/float64(n-1))
	apart := d.Step * width / (1 + float64(n-1)*d.Step) // on the page, at least
	d.Cap = vg.Length(math.Max(0, math.Min(float64(capWidth), apart-2)))
	return d
}

// x returns the dodged position of group i's point at x.
func (d dodge) x(x float64, i int) float64 {
	if d.Step == 0 {
		return x
	}
	shift := (float64(i) - float64(d.N-1)/2) * d.Step * d.Span
	if d.Log {
		return x * math.Pow(10, shift)
	}
	return x + shift
}

// yErrorPoints gives points with symmetric y errors to plotter.NewYErrorBars.
type yErrorPoints struct {
	plotter.XYs
	plotter.YErrors
}
