package reports

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestLegendStandsBesideThePanels: the legend has a strip of its own to
// the right of the panels, so that it covers no data, and a legend taller
// than the panels makes the figure taller instead of running off it.
func TestLegendStandsBesideThePanels(t *testing.T) {
	size := figureSize{Width: 4 * vg.Inch, Height: 3 * vg.Inch, DPI: 96}
	legend := newFigureLegend()
	legend.Add("separable", &plotter.Line{})
	legend.Add("separable", &plotter.Line{}) // the same group in another panel
	legend.Add("concat", &plotter.Line{})
	l := newPanelLayout(5, 0, size, legend)
	if l.Rows != 2 || l.Cols != 3 || l.GridWidth != 12*vg.Inch || l.GridHeight != 6*vg.Inch {
		t.Fatalf("5 panels laid out as %+v, want 2 rows of 3", l)
	}
	if l.LegendWidth <= 0 || l.Width != l.GridWidth+l.LegendWidth || l.Height != l.GridHeight {
		t.Fatalf("layout %+v: the legend strip does not sit beside the panels", l)
	}
	img := vgimg.New(l.Width, l.Height)
	panels, strip := l.split(draw.New(img))
	if panels.Max.X > strip.Min.X || panels.Size().X != l.GridWidth || panels.Size().Y != l.GridHeight {
		t.Errorf("panels %v and legend strip %v overlap, or the panels are not %v x %v",
			panels.Rectangle, strip.Rectangle, l.GridWidth, l.GridHeight)
	}
	if len(legend.names) != 2 {
		t.Errorf("legend has %d entries, want 2: a group is named once", len(legend.names))
	}

	tall := newFigureLegend()
	for i := range 40 {
		tall.Add(fmt.Sprintf("group %d", i), &plotter.Line{})
	}
	l = newPanelLayout(1, 0, size, tall)
	_, lh := tall.size()
	if l.Height != lh || l.GridHeight != size.Height {
		t.Errorf("a 40-entry legend (%v high) in a figure %v high over a %v panel", lh, l.Height, l.GridHeight)
	}
	panels, _ = l.split(draw.New(vgimg.New(l.Width, l.Height)))
	if panels.Max.Y != l.Height || panels.Size().Y != size.Height {
		t.Errorf("the panel %v is not at the top of the taller figure", panels.Rectangle)
	}
	if w, h := (*figureLegend)(nil).size(); w != 0 || h != 0 {
		t.Errorf("no legend takes %v x %v", w, h)
	}
}

// TestDodgedErrorBarsDoNotOverlap draws a line panel of three groups with
// error bars at the same five batch sizes, as the main job's figure has, and
// checks on the drawn canvas that at each x the groups' points stand at
// least a cap's width apart, so that their error bars do not overlap.
func TestDodgedErrorBarsDoNotOverlap(t *testing.T) {
	for _, tc := range []struct {
		logx   bool
		groups int
		xs     []float64
	}{
		{true, 3, []float64{8, 16, 32, 64, 128}},
		{false, 3, []float64{8, 16, 32, 64, 128}},
		{true, 6, []float64{8, 16, 32, 64, 128}},
		{false, 2, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}},
	} {
		var fakes []fakeRun
		for g := range tc.groups {
			for _, x := range tc.xs {
				for seed := range int64(3) {
					fakes = append(fakes, fakeRun{
						ID: fmt.Sprintf("g%d-x%v-s%d", g, x, seed), Seed: seed,
						Params:  map[string]any{"group": fmt.Sprint(g), "x": x},
						Metrics: results.Values{"acc": 0.5 + 0.01*float64(g) + 0.02*float64(seed)},
					})
				}
			}
		}
		runs := makeRuns(t, fakes...)
		o, err := readLineOptions(Spec{Name: "f", Options: map[string]any{"x": "x", "y": "acc", "group": "group", "logx": tc.logx}})
		if err != nil {
			t.Fatal(err)
		}
		groups, err := groupRuns("line", Spec{Name: "f"}, runs, o.Group)
		if err != nil {
			t.Fatal(err)
		}
		p, err := linePanel(Spec{Name: "f"}, o, "acc", groups, nil, tc.xs, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The panel as writePanels draws it: its tile, less the padding.
		dc := draw.Crop(draw.New(vgimg.New(o.Size.Width, o.Size.Height)), 2*vg.Millimeter, -3*vg.Millimeter, 2*vg.Millimeter, -2*vg.Millimeter)
		da := p.DataCanvas(dc)
		trX, _ := p.Transforms(&da)
		d := newDodge(tc.groups, tc.xs, o)
		for _, x := range tc.xs {
			for g := 1; g < tc.groups; g++ {
				apart := trX(d.x(x, g)) - trX(d.x(x, g-1))
				if apart < d.Cap+1 {
					t.Errorf("logx %v, %d groups: at x = %v groups %d and %d are drawn %.1f pt apart, caps are %.1f pt wide",
						tc.logx, tc.groups, x, g-1, g, apart, d.Cap)
				}
			}
		}
		// The groups of one x stay clear of those of the next.
		for i := 1; i < len(tc.xs); i++ {
			last := trX(d.x(tc.xs[i-1], tc.groups-1))
			first := trX(d.x(tc.xs[i], 0))
			if first-last < d.Cap {
				t.Errorf("logx %v: groups at x = %v and %v meet (%.1f pt apart)", tc.logx, tc.xs[i-1], tc.xs[i], first-last)
			}
		}
		if d.Cap < 2 {
			t.Errorf("logx %v, %d groups: caps shrank to %.1f pt", tc.logx, tc.groups, d.Cap)
		}
	}
	if d := (dodge{N: 3}); d.x(8, 0) != 8 || math.IsNaN(d.x(8, 2)) {
		t.Error("a zero dodge moves points")
	}
}
