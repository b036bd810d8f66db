package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/internal/english"
)

func init() {
	Register(Kind{
		Name: "staircase",
		Summary: "per-step MI estimates (raw and smoothed) over the true-MI staircase, one panel per " +
			"estimator, one colour per critic, with each estimator's ceiling dashed (infonce's log K; Poole et al. 2019, Fig. 2)",
		Check: func(spec Spec) error { _, err := readStaircaseOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readStaircaseOptions(spec)
			return givenKeys(spec, map[string][]string{"panel": o.Panel, "line": o.Line})
		},
		// The truth line is drawn where runs logged it; the estimate
		// must be logged.
		Metrics: func(spec Spec) []MetricRef { o, _ := readStaircaseOptions(spec); return loggedRefs("metric", o.Metric) },
		Groups: func(spec Spec) Grouping {
			o, _ := readStaircaseOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "line", Option: "line", Keys: slices.Concat(o.Panel, o.Line), FirstOnly: !o.AllSeeds}
		},
		Make: makeStaircase,
	})
}

// staircaseOptions are the options of a staircase figure:
//
//	panel      parameter (or list) with one panel per value (default "estimator")
//	line       parameter (or list) with one colour per value (default "critic")
//	smoothing  EMA factor in [0, 1) (default 0.99), or an integer window >= 1
//	seeds      "first" (default: the lowest seed of each line) or "all"
//	metric     logged estimate (default "mi"); truth: logged true MI ("true_mi")
//	max_points most points drawn per raw or smoothed line (default 1000)
//	ymin, ymax y-axis range in nats (default: from the truth and smoothed lines)
//	columns    panels per row (default up to 3); width, height (inches per panel), dpi
type staircaseOptions struct {
	Panel, Line      []string
	Smoothing        float64
	AllSeeds         bool
	Metric, Truth    string
	MaxPoints        int
	YMin, YMax       float64
	HasYMin, HasYMax bool
	// PanelSet and LineSet say whether panel and line were given; a
	// default key that no run has draws one panel or one line.
	PanelSet, LineSet bool
	Columns           int
	Size              figureSize
}

func readStaircaseOptions(spec Spec) (staircaseOptions, error) {
	r := readOptions("staircase", spec, poolOption, "panel", "line", "smoothing", "seeds", "metric", "truth",
		"max_points", "ymin", "ymax", "columns", optWidth, optHeight, optDPI)
	o := staircaseOptions{
		Panel:     r.Strings("panel", []string{"estimator"}),
		Line:      r.Strings("line", []string{"critic"}),
		Smoothing: r.Smoothing("smoothing", 0.99),
		Metric:    r.String("metric", "mi"),
		Truth:     r.String("truth", "true_mi"),
		MaxPoints: r.Int("max_points", 1000, 10, 1_000_000),
		YMin:      r.Float("ymin", 0),
		YMax:      r.Float("ymax", 0),
		Columns:   r.Int("columns", 0, 1, 20),
		Size:      readFigureSize(r),
	}
	_, o.PanelSet = r.lookup("panel")
	_, o.LineSet = r.lookup("line")
	_, o.HasYMin = r.lookup("ymin")
	_, o.HasYMax = r.lookup("ymax")
	switch seeds := r.String("seeds", "first"); seeds {
	case "first":
	case "all":
		o.AllSeeds = true
	default:
		r.fail("seeds", "want \"first\" or \"all\", got %q", seeds)
	}
	if o.HasYMin && o.HasYMax && o.YMin >= o.YMax {
		r.fail("ymax", "must be greater than ymin (%v), got %v", o.YMin, o.YMax)
	}
	return o, r.Err()
}

func makeStaircase(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("staircase", spec, runs, readStaircaseOptions)
	if err != nil {
		return nil, err
	}
	if !o.PanelSet && !anyRunHasParam(done, o.Panel[0]) {
		o.Panel = nil
	}
	if !o.LineSet && !anyRunHasParam(done, o.Line[0]) {
		o.Line = nil
	}
	panels, err := groupOrAll("staircase", spec, done, o.Panel)
	if err != nil {
		return nil, err
	}
	// Colours follow the line values over all panels, so that a critic has
	// the same colour in every panel.
	lineGroups, err := groupOrAll("staircase", spec, done, o.Line)
	if err != nil {
		return nil, err
	}
	colorOf := map[string]int{}
	for i, g := range lineGroups {
		colorOf[g.Label()] = i
	}

	plots := make([]*plot.Plot, 0, len(panels))
	legend := newFigureLegend()
	names := staircaseLineNames(o, panels)
	var cut []string // the panels in which a smoothed line runs off the y axis
	for _, pg := range panels {
		p, off, err := staircasePanel(spec, o, pg, colorOf, names, legend)
		if err != nil {
			return nil, err
		}
		if off {
			cut = append(cut, cmp.Or(pg.Caption(), "the panel"))
		}
		plots = append(plots, p)
	}
	legend = withLines(legend, "bold: "+smoothingText(o.Smoothing), "faint: the logged estimates")
	if len(cut) > 0 {
		legend = withLines(legend, "cut by the y axis: "+english.And(cut))
	}
	legend = withPooled(withLeftOut(legend, out, slices.Concat(o.Panel, o.Line)), "staircase", spec, done)
	return writePanels(dir, spec.Name, plots, o.Columns, o.Size, legend)
}

// smoothingText says what the bold lines of a staircase are for the
// smoothing option: "EMA, factor 0.99", or "mean of the last 50".
func smoothingText(factor float64) string {
	if factor >= 1 {
		return fmt.Sprintf("mean of the last %d", int(factor))
	}
	return "EMA, factor " + strconv.FormatFloat(factor, 'g', -1, 64)
}

// staircasePanel draws one panel: the runs of one panel value, a line
// group at a time, then their smoothed lines over every raw line, the true
// MI over both, and the estimators' ceilings, naming each in legend. It reports
// whether a smoothed line runs beyond the panel's y range.
func staircasePanel(spec Spec, o staircaseOptions, pg *group, colorOf map[string]int, names map[string]string, legend *figureLegend) (p *plot.Plot, cut bool, err error) {
	p = newPanel(pg.Caption(), "step", "nats")
	p.X.Tick.Marker = stepTicks{}
	lines := subGroups(pg.Runs, o.Line)
	s := newStaircaseLines(legend)
	for _, lg := range lines {
		if err := s.addGroup(p, spec, o, lg, colorOf[lg.Label()], names[lg.Label()]); err != nil {
			return nil, false, err
		}
	}
	// Smoothed lines go over every raw line, and the truth over both.
	p.Add(s.smoothed...)
	lo, hi := s.lo, s.hi // the smoothed lines', before the ceilings widen them
	maxTrue, err := s.addTruth(p)
	if err != nil {
		return nil, false, err
	}
	if err := s.addCeilings(p, len(lines)); err != nil {
		return nil, false, err
	}
	setStaircaseYRange(p, o, s.lo, s.hi, maxTrue)
	return p, lo < p.Y.Min || hi > p.Y.Max, nil
}

// staircaseLines is what the runs of one staircase panel add up to while
// they are drawn.
type staircaseLines struct {
	// smoothed are the smoothed lines, drawn after every raw line.
	smoothed []plot.Plotter
	// truth is the true-MI schedule of the first run that logged one.
	truth plotter.XYs
	// ceilings are the distinct ceilings of the runs, with what names
	// them in the legend (see ceilingLine.name).
	ceilings []ceilingLine
	// lo and hi bound the smoothed lines (and then the ceilings); xmin and
	// xmax bound the runs' steps.
	lo, hi, xmin, xmax float64
	// legend is the figure's legend.
	legend *figureLegend
}

// newStaircaseLines returns an empty staircaseLines, its ranges empty, that
// names its lines in legend.
func newStaircaseLines(legend *figureLegend) *staircaseLines {
	return &staircaseLines{lo: math.Inf(1), hi: math.Inf(-1), xmin: math.Inf(1), xmax: math.Inf(-1), legend: legend}
}

// staircaseLineNames returns the legend's name of each line group, by its
// label, the same in every panel, so that one colour has one entry: its
// caption ("estimate" without line groups) and, where one run of several
// is drawn, which: "jsd (seed 0; 1 of 3 runs)" where every panel has the
// same seed and count, "jsd (lowest seed of each panel's runs)" otherwise.
func staircaseLineNames(o staircaseOptions, panels []*group) map[string]string {
	type drawn struct{ seed, runs int }
	seen := map[string][]drawn{}
	captions := map[string]string{}
	for _, pg := range panels {
		for _, lg := range subGroups(pg.Runs, o.Line) {
			seed := slices.MinFunc(lg.Runs, func(a, b Run) int { return cmp.Compare(a.Summary.Seed, b.Summary.Seed) }).Summary.Seed
			d := drawn{int(seed), len(lg.Runs)}
			if !slices.Contains(seen[lg.Label()], d) {
				seen[lg.Label()] = append(seen[lg.Label()], d)
			}
			captions[lg.Label()] = lg.Caption()
		}
	}
	names := map[string]string{}
	for label, ds := range seen {
		name := captions[label]
		if len(o.Line) == 0 {
			name = "estimate"
		}
		switch {
		case o.AllSeeds || (len(ds) == 1 && ds[0].runs == 1):
		case len(ds) == 1: // say which run stands for the group, and that there are more
			name = fmt.Sprintf("%s (seed %d; 1 of %d runs)", name, ds[0].seed, ds[0].runs)
		default:
			name += " (lowest seed of each panel's runs)"
		}
		names[label] = name
	}
	return names
}

// addGroup draws the runs of line group lg in the i-th series colour: the
// lowest seed's run, or with option seeds = "all" every run in seed order.
// The first run's smoothed line stands for the group in the legend, by
// name (see staircaseLineNames).
func (s *staircaseLines) addGroup(p *plot.Plot, spec Spec, o staircaseOptions, lg *group, i int, name string) error {
	rs := append([]Run(nil), lg.Runs...)
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].Summary.Seed < rs[b].Summary.Seed })
	if !o.AllSeeds {
		rs = rs[:1]
	}
	for k, r := range rs {
		if err := s.addRun(p, spec, o, r, i, name, lg.Caption(), k == 0); err != nil {
			return err
		}
	}
	return nil
}

// addRun draws run r's raw estimates in the i-th series colour, faded, and
// keeps their smoothed line for later, naming it in the legend when legend
// is set. It records the run's steps, the range of its smoothed line, its
// ceiling (with caption, its line group's) and, for the first run, the
// true-MI schedule.
func (s *staircaseLines) addRun(p *plot.Plot, spec Spec, o staircaseOptions, r Run, i int, name, caption string, legend bool) error {
	c := seriesColor(i)
	recs, err := r.Metrics()
	if err != nil {
		return fmt.Errorf("staircase report %q: run %s: %w", spec.Name, r.ID, err)
	}
	steps, est := metricSeries(recs, o.Metric)
	if len(steps) == 0 {
		return fmt.Errorf("staircase report %q: run %s (%s) logged no %q values in its metrics; "+
			"set option metric to the logged estimate", spec.Name, r.ID, r.Dir, o.Metric)
	}
	if s.truth == nil {
		s.truth = staircaseTruth(recs, o.Truth)
	}
	s.xmin, s.xmax = math.Min(s.xmin, steps[0]), math.Max(s.xmax, steps[len(steps)-1])

	raw := thin(steps, est, o.MaxPoints)
	if len(raw) > 1 {
		l, err := styledLine(raw, faded(c, 0.25), 0.5)
		if err != nil {
			return err
		}
		p.Add(l)
	}
	sm := thin(steps, Smooth(est, o.Smoothing), o.MaxPoints)
	for _, pt := range sm {
		s.lo, s.hi = math.Min(s.lo, pt.Y), math.Max(s.hi, pt.Y)
	}
	if len(sm) > 1 {
		l, err := styledLine(sm, c, 1.5)
		if err != nil {
			return err
		}
		l.LineStyle.Dashes = seriesDashes(i)
		s.smoothed = append(s.smoothed, l)
		if legend {
			s.legend.Add(name, l)
		}
	}
	if k, ok := metric(r, "ceiling"); ok {
		j := slices.IndexFunc(s.ceilings, func(c ceilingLine) bool { return c.value == k })
		if j < 0 {
			est, named := r.Param("estimator")
			s.ceilings = append(s.ceilings, ceilingLine{value: k, logK: !named || fmt.Sprint(est) == "infonce"})
			j = len(s.ceilings) - 1
		}
		if c := &s.ceilings[j]; !slices.Contains(c.lines, caption) {
			c.lines = append(c.lines, caption)
		}
	}
	return nil
}

// ceilingLine is one of a panel's distinct ceilings.
type ceilingLine struct {
	value float64
	// logK is set for infonce's ceiling (and that of a run that does not
	// name its estimator), log K.
	logK bool
	// lines are the captions of the line groups whose runs have it.
	lines []string
}

// name is the ceiling's name in the legend, in a panel of n line groups:
// "log K = 4.16" for infonce's; for any other, such as the interpolated
// bound's 1 + log(K/alpha), "ceiling 9.75", followed by the lines it is
// the ceiling of, "(alpha = 0.01)", unless it is every line's. The lines
// are named by their captions, not their legend names, which may add
// which seed stands for them.
func (c ceilingLine) name(n int) string {
	if c.logK {
		return fmt.Sprintf("log K = %.2f", c.value)
	}
	name := fmt.Sprintf("ceiling %.2f", c.value)
	if len(c.lines) < n && !slices.Contains(c.lines, "") {
		name += " (" + english.And(c.lines) + ")"
	}
	return name
}

// addTruth draws the true-MI schedule as a black step line, its last stage
// extended to the end of the longest run, and returns its highest value
// (-Inf when there is no schedule to draw).
func (s *staircaseLines) addTruth(p *plot.Plot) (float64, error) {
	maxTrue := math.Inf(-1)
	if len(s.truth) <= 1 {
		return maxTrue, nil
	}
	truth := s.truth
	for _, pt := range truth {
		maxTrue = math.Max(maxTrue, pt.Y)
	}
	truth = append(truth, plotter.XY{X: math.Max(s.xmax, truth[len(truth)-1].X), Y: truth[len(truth)-1].Y})
	l, err := styledLine(truth, blackColor, 1.2)
	if err != nil {
		return 0, err
	}
	l.StepStyle = plotter.PostStep
	p.Add(l)
	s.legend.Add("true MI", l)
	return maxTrue, nil
}

// addCeilings draws each ceiling as a dashed line across the runs' steps,
// and widens the y range to show it; lines is the panel's number of line
// groups.
func (s *staircaseLines) addCeilings(p *plot.Plot, lines int) error {
	for _, c := range s.ceilings {
		k := c.value
		l, err := styledLine(plotter.XYs{{X: s.xmin, Y: k}, {X: s.xmax, Y: k}}, darkGray, 1)
		if err != nil {
			return err
		}
		l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		s.legend.Add(c.name(lines), l)
		s.hi = math.Max(s.hi, k)
	}
	return nil
}

// setStaircaseYRange sets the panel's y range from [lo, hi] and the highest
// true MI as staircaseYRange picks it, or to the ymin and ymax options where
// they are set, and never to an empty range.
func setStaircaseYRange(p *plot.Plot, o staircaseOptions, lo, hi, maxTrue float64) {
	p.Y.Min, p.Y.Max = staircaseYRange(lo, hi, maxTrue)
	if o.HasYMin {
		p.Y.Min = o.YMin
	}
	if o.HasYMax {
		p.Y.Max = o.YMax
	}
	if p.Y.Min >= p.Y.Max {
		p.Y.Max = p.Y.Min + 1
	}
}

// metricSeries returns the steps at which recs logged the metric name and
// the values logged.
func metricSeries(recs []results.Record, name string) (steps, values []float64) {
	for _, rec := range recs {
		v, ok := rec.Values[name]
		if !ok {
			continue
		}
		steps = append(steps, float64(rec.Step))
		values = append(values, v)
	}
	return steps, values
}

// styledLine returns a line through xy in colour c, width points wide.
func styledLine(xy plotter.XYs, c color.Color, width float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(width)
	return l, nil
}

// staircaseYRange picks the y range of a panel from the range [lo, hi] of
// the smoothed lines and ceilings and the highest true MI: it shows zero,
// the whole staircase and the smoothed lines, except that a smoothed line
// that runs far off (an unstable estimator at a high MI) is cut at half the
// staircase's height below zero and 1.5 times its top, so that it does not
// squash every other line; set ymin and ymax to override.
func staircaseYRange(lo, hi, maxTrue float64) (float64, float64) {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	lo = math.Min(lo, 0)
	if !math.IsInf(maxTrue, 0) && maxTrue > 0 {
		hi = math.Max(hi, 1.1*maxTrue)
		lo = math.Max(lo, -0.5*maxTrue)
		hi = math.Min(hi, 1.5*maxTrue)
	}
	pad := 0.04 * (hi - lo)
	return lo - pad, hi + pad
}

// staircaseTruth returns the true-MI schedule of recs as the points where it
// changes, for a step line.
func staircaseTruth(recs []results.Record, truth string) plotter.XYs {
	var xy plotter.XYs
	for _, r := range recs {
		t, ok := r.Values[truth]
		if !ok || !finite(t) {
			continue
		}
		if n := len(xy); n == 0 || xy[n-1].Y != t {
			xy = append(xy, plotter.XY{X: float64(r.Step), Y: t})
		}
	}
	return xy
}

// thin returns at most maxPoints of the finite points (x[i], y[i]), taking
// every k-th one, so that long runs stay light in SVG. The last point is
// always kept.
func thin(x, y []float64, maxPoints int) plotter.XYs {
	k := (len(x) + maxPoints - 1) / maxPoints
	k = max(k, 1)
	xy := make(plotter.XYs, 0, len(x)/k+1)
	for i := 0; i < len(x); i += k {
		if finite(y[i]) {
			xy = append(xy, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	if last := len(x) - 1; last%k != 0 && finite(y[last]) {
		xy = append(xy, plotter.XY{X: x[last], Y: y[last]})
	}
	return xy
}

func containsFloat(xs []float64, x float64) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}

var (
	blackColor = color.Black
	darkGray   = color.Gray{Y: 80}
)
