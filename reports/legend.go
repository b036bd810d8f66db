package reports

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// figureLegend is the one legend of a figure. writePanels draws it in a
// strip of its own to the right of the panels, so that it never covers
// data, and figure kinds whose groups keep their colour across panels need
// to name each group only once.
type figureLegend struct {
	legend plot.Legend
	names  map[string]bool
}

// legendPad is the space between the panels and the legend, and around it.
const legendPad = 3 * vg.Millimeter

// newFigureLegend returns an empty legend in the figures' text style.
func newFigureLegend() *figureLegend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(9)
	l.ThumbnailWidth = vg.Points(18)
	l.Padding = vg.Points(2)
	return &figureLegend{legend: l, names: map[string]bool{}}
}

// Add adds an entry drawn as thumbs, unless the legend already has one of
// that name (the same group in another panel). An entry without thumbs is
// a line of text, such as what a shaded band means.
func (l *figureLegend) Add(name string, thumbs ...plot.Thumbnailer) {
	if l == nil || l.names[name] {
		return
	}
	l.names[name] = true
	l.legend.Add(name, thumbs...)
}

// size returns the room the legend takes, padding included; zero when it
// has no entries.
func (l *figureLegend) size() (w, h vg.Length) {
	if l == nil || len(l.names) == 0 {
		return 0, 0
	}
	r := l.legend.Rectangle(draw.Canvas{})
	return r.Size().X + 2*legendPad, r.Size().Y + 2*legendPad
}

// draw draws the legend at the top of the strip dc.
func (l *figureLegend) draw(dc draw.Canvas) {
	if l == nil || len(l.names) == 0 {
		return
	}
	l.legend.Draw(draw.Crop(dc, legendPad, -legendPad, legendPad, -legendPad))
}

// withLeftOut returns legend (a new one where it is nil and there is
// something to say) with the lines that say which runs the figure does not
// draw because they are not done: with grouping keys, a heading and a line
// for each group of those runs, "mine, concat: 3 failed, diverged"; else,
// or where the runs cannot be grouped by keys, one line, "not drawn: 3
// runs not done (3 failed)". A figure that left no run out keeps its
// legend as it was.
func withLeftOut(legend *figureLegend, out leftOut, keys []string) *figureLegend {
	if out.Total() == 0 {
		return legend
	}
	groups, err := groupRuns("", Spec{}, out.Runs, keys)
	if len(keys) == 0 || err != nil {
		return withLines(legend, "not drawn: "+out.String())
	}
	lines := []string{"not drawn, not done:"}
	for _, g := range groups {
		_, gOut := doneRuns(g.Runs)
		lines = append(lines, fmt.Sprintf("  %s: %s", g.Caption(), gOut.counts()))
	}
	return withLines(legend, lines...)
}

// withLines returns legend with each of lines added as a line of text: a
// new legend where it is nil and there are lines, as in a figure without
// groups to name.
func withLines(legend *figureLegend, lines ...string) *figureLegend {
	if len(lines) == 0 {
		return legend
	}
	if legend == nil {
		legend = newFigureLegend()
	}
	for _, line := range lines {
		legend.Add(line)
	}
	return legend
}
