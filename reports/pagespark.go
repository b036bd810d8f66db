package reports

import (
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
)

// curveSections groups the runs of p into configurations, in plan order,
// and draws each configuration's row of sparklines: sections by the first
// swept parameter when two or more are swept.
func curveSections(p Page, all []runCurves, cols []curveColumn, seeds []seedSwatch) []curveSection {
	byID := map[string]runCurves{}
	for _, rc := range all {
		byID[rc.run.ID] = rc
	}
	colorOf := map[string]string{}
	for _, s := range seeds {
		colorOf[s.Seed] = s.Color
	}
	var sections []curveSection
	rows := 0
	for _, runs := range configurations(p.Runs) {
		values := runs[0].Values
		title, lbl := "", configLabel(p.Params, values)
		if len(p.Params) >= 2 {
			title, lbl = configLabel(p.Params[:1], values[:1]), configLabel(p.Params[1:], values[1:])
		}
		if len(sections) == 0 || sections[len(sections)-1].Title != title {
			sections = append(sections, curveSection{Title: title, Open: rows < openRows || len(sections) == 0})
		}
		row := curveRow{Label: lbl}
		fillCurveRow(&row, runs, byID, cols, colorOf)
		s := &sections[len(sections)-1]
		s.Rows = append(s.Rows, row)
		rows++
	}
	if rows > openRows {
		for i := 1; i < len(sections); i++ {
			sections[i].Open = false
		}
	}
	return sections
}

// configurations groups runs by their swept values, in the order the
// values first appear.
func configurations(runs []PageRun) [][]PageRun {
	var out [][]PageRun
	index := map[string]int{}
	for _, r := range runs {
		key := strings.Join(r.Values, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}

// configLabel writes parameter values as "name = value, ...", or "all
// runs" when there are none. An empty value, a setting that overrides (or
// a conditional parameter) set for other runs and these leave as [base]
// or the default has it, is left out; runs that have no value at all are
// labelled by what they leave so: "estimator_params.tau unset".
func configLabel(params, values []string) string {
	if len(params) == 0 {
		return "all runs"
	}
	var parts []string
	for i, p := range params {
		if values[i] != "" {
			parts = append(parts, p+" = "+values[i])
		}
	}
	if len(parts) == 0 {
		return strings.Join(params, ", ") + " unset"
	}
	return strings.Join(parts, ", ")
}

// fillCurveRow adds the links to runs and a sparkline per column to row.
func fillCurveRow(row *curveRow, runs []PageRun, byID map[string]runCurves, cols []curveColumn, colorOf map[string]string) {
	var curves []runCurves
	for _, r := range runs {
		seed := strconv.FormatInt(r.Seed, 10)
		row.Runs = append(row.Runs, runLink{Text: "seed " + seed, Href: "#" + runAnchor(r.ID), State: r.State})
		if rc, ok := byID[r.ID]; ok {
			curves = append(curves, rc)
		}
	}
	for _, c := range cols {
		row.Cells = append(row.Cells, sparkline(c, curves, colorOf, row.Label))
	}
}

// sparkScale places the points of one sparkline: steps from 0 to steps,
// values from lo to hi.
type sparkScale struct{ steps, lo, hi float64 }

// newSparkScale fits a scale to column c's metric in curves: steps from 0
// to the last any of them logged, values from the 1st to the 99th
// percentile, and the truth's whole range, padded by 5%. ok is false when
// there are no values.
func newSparkScale(c curveColumn, curves []runCurves) (s sparkScale, ok bool) {
	var ys, truth []float64
	s.steps = 1
	for _, rc := range curves {
		for _, pt := range rc.series[c.Name] {
			ys = append(ys, pt.Y)
			s.steps = math.Max(s.steps, rc.last)
		}
		for _, pt := range rc.series[c.Truth] {
			truth = append(truth, pt.Y)
		}
	}
	if len(ys) == 0 {
		return s, false
	}
	slices.Sort(ys)
	q := func(p float64) float64 { return ys[int(math.Round(p*float64(len(ys)-1)))] }
	s.lo, s.hi = q(0.01), q(0.99)
	for _, y := range truth {
		s.lo, s.hi = math.Min(s.lo, y), math.Max(s.hi, y)
	}
	if s.hi <= s.lo {
		d := math.Max(math.Abs(s.lo)*0.1, 0.5)
		s.lo, s.hi = s.lo-d, s.hi+d
	}
	pad := 0.05 * (s.hi - s.lo)
	s.lo, s.hi = s.lo-pad, s.hi+pad
	return s, true
}

// sparkline draws column c's metric for the runs of one configuration: a
// line per seed in its colour, the truth dashed, a cross where a failed run
// stopped, in a plot that clips what runs off it; the range of its values
// on its left and of its steps below. A cell without values says so.
func sparkline(c curveColumn, curves []runCurves, colorOf map[string]string, label string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		sparkW, sparkH, sparkW/2, sparkH/2, template.HTMLEscapeString(c.Name+" of "+label))
	fmt.Fprintf(&b, `<svg x="%d" y="%d" width="%d" height="%d"><rect class="frame" x="1" y="1" width="%d" height="%d"/>`,
		plotX, plotY, plotW, plotH, plotW-2, plotH-2)
	s, ok := newSparkScale(c, curves)
	if !ok {
		fmt.Fprintf(&b, `<text x="%d" y="%d">no values</text></svg></svg>`, plotW/2, plotH/2+8)
		return template.HTML(b.String())
	}
	if s.lo < 0 && s.hi > 0 {
		y := s.y(0)
		fmt.Fprintf(&b, `<line class="zero" x1="0" x2="%d" y1="%d" y2="%d"/>`, plotW, y, y)
	}
	for i, rc := range curves {
		if i == 0 && len(rc.series[c.Truth]) > 1 {
			fmt.Fprintf(&b, `<polyline class="truth" points="%s"/>`, s.points(rc.series[c.Truth]))
		}
		pts := rc.series[c.Name]
		if len(pts) == 0 {
			continue
		}
		col := colorOf[strconv.FormatInt(rc.run.Seed, 10)]
		if len(pts) == 1 {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="4" fill="%s"/>`, s.x(pts[0].X), s.y(pts[0].Y), col)
		} else {
			fmt.Fprintf(&b, `<polyline points="%s" stroke="%s"/>`, s.points(pts), col)
		}
		if rc.run.State == "failed" {
			last := pts[len(pts)-1]
			fmt.Fprintf(&b, `<path class="stop" d="M%d %dl12 12m0 -12l-12 12"/>`, s.x(last.X)-6, s.y(last.Y)-6)
		}
	}
	fmt.Fprintf(&b, `</svg><text class="value" x="%d" y="%d">%s</text><text class="value" x="%d" y="%d">%s</text>`,
		plotX-8, plotY+18, shortNumber(s.hi), plotX-8, plotY+plotH, shortNumber(s.lo))
	fmt.Fprintf(&b, `<text class="step" x="%d" y="%d">0</text><text class="step end" x="%d" y="%d">step %s</text></svg>`,
		plotX, sparkH-4, plotX+plotW, sparkH-4, formatValue(s.steps))
	// Every string written above is a number, a colour or escaped.
	return template.HTML(b.String())
}

// points writes pts as a polyline's points.
func (s sparkScale) points(pts []curvePoint) string {
	var b strings.Builder
	for i, pt := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(s.x(pt.X)))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(s.y(pt.Y)))
	}
	return b.String()
}

// x places step x in the plot.
func (s sparkScale) x(x float64) int {
	return int(math.Round(4 + x/s.steps*(plotW-8)))
}

// y places value y in the plot; values far outside its range are held
// just outside it, where it cuts them off.
func (s sparkScale) y(y float64) int {
	f := (y - s.lo) / (s.hi - s.lo)
	f = math.Max(-0.5, math.Min(1.5, f))
	return int(math.Round(plotH - 4 - f*(plotH-8)))
}

// shortNumber writes x with three significant digits in at most about
// seven characters, for a label beside a sparkline: large and tiny numbers
// with a short exponent (-8.76e7), whole numbers below 10^5 in full.
func shortNumber(x float64) string {
	ax := math.Abs(x)
	switch {
	case !finite(x) || ax == 0:
		return sigFigs(x)
	case ax >= 1e5 || ax < 1e-3:
		s := strconv.FormatFloat(x, 'e', 2, 64)
		return strings.NewReplacer("e+0", "e", "e+", "e", "e-0", "e-").Replace(s)
	}
	return fixed(x, max(0, 2-int(math.Floor(math.Log10(ax)))))
}

// hexColor writes c as #RRGGBB.
func hexColor(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
}
