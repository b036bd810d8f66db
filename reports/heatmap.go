package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/infomax/infomax/internal/english"
)

func init() {
	Register(Kind{
		Name: "heatmap",
		Summary: "a summary metric over a grid of two swept parameters, each cell the mean over seeds " +
			"written in the cell (with its number of runs where cells differ in it), coloured by viridis " +
			"with a colour bar; e.g. an alpha/beta grid of probe accuracy",
		Check: func(spec Spec) error { _, err := readHeatmapOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readHeatmapOptions(spec)
			return givenKeys(spec, map[string][]string{"x": o.X, "y": o.Y})
		},
		Metrics: func(spec Spec) []MetricRef { o, _ := readHeatmapOptions(spec); return summaryRefs("z", o.Z) },
		Groups: func(spec Spec) Grouping {
			o, _ := readHeatmapOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "cell", Option: "x", Keys: slices.Concat(o.X, o.Y), PerSeed: true}
		},
		Make: makeHeatmap,
	})
}

// heatmapOptions are the options of a heatmap figure:
//
//	x, y       parameters along the axes (required); their values are cells in
//	           order (numeric values sorted), evenly spaced whatever their values;
//	           a list of parameters makes a cell of each combination, named as a
//	           line is ("interpolated, alpha = 0.5"; "infonce" where it lacks
//	           alpha), such as an estimator beside its own parameter's values
//	z          summary metric in the cells (required)
//	title      figure title (default: z)
//	scale      factor applied to z, e.g. 100 for percentages (default 1)
//	precision  decimals of the values written in the cells (default 2)
//	values     write each cell's value in it (default true)
//	center     a value of z to centre a diverging (blue-white-red) palette on,
//	           such as 1 for a ratio to the truth (default: a sequential palette)
//	min, max   the ends of the colour scale; cells beyond take the end colours
//	           and still show their values (default: the cells' range)
//	width, height (inches, the heat map without its colour bar; at most 40), dpi
//
// A cell is the mean of z over the finished runs with its x and y (the
// seeds, and any other parameter the sweep varies), coloured by viridis, a
// perceptually uniform map, or the diverging map center asks for. Where a
// cell pools runs that share a seed (pool, or a key x and y leave out), a
// seed's value is the mean of its runs' (see [perSeed]; a seed short of
// some of the cell's configurations is left out), and the cell is the mean
// of those per-seed values. Under the title, the figure says how
// many runs (or seeds, and the runs of a seed, where cells pool) a cell
// averages: where cells differ in it, the most common number, and each
// cell of another says its own ("n = 1") under its value. A cell without
// runs is white, hatched, and says n/a: no colour of either map.
type heatmapOptions struct {
	X, Y      []string
	Z         string
	Title     string
	Scale     float64
	Precision int
	Values    bool
	// Center, Min and Max are NaN when not set.
	Center, Min, Max float64
	Size             figureSize
}

func readHeatmapOptions(spec Spec) (heatmapOptions, error) {
	r := readOptions("heatmap", spec, poolOption, "x", "y", "z", "title", "scale", "precision", "values",
		"center", "min", "max", optWidth, optHeight, optDPI)
	r.require("x", `a swept parameter such as "alpha"`)
	r.require("y", `a swept parameter such as "beta"`)
	r.require("z", `a summary metric such as "linear_y_acc"`)
	o := heatmapOptions{
		X:         r.Strings("x", nil),
		Y:         r.Strings("y", nil),
		Z:         r.String("z", ""),
		Scale:     r.Float("scale", 1),
		Precision: r.Int("precision", 2, 0, 12),
		Values:    r.Bool("values", true),
		Center:    r.Float("center", math.NaN()),
		Min:       r.Float("min", math.NaN()),
		Max:       r.Float("max", math.NaN()),
		Size:      readFigureSize(r),
	}
	o.Title = r.String("title", o.Z)
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	if !(o.Min < o.Max) && !math.IsNaN(o.Min) && !math.IsNaN(o.Max) {
		r.fail("max", "max = %g must be above min = %g", o.Max, o.Min)
	}
	if (o.Min >= o.Center || o.Max <= o.Center) && !math.IsNaN(o.Center) {
		r.fail("center", "center = %g must lie between min and max", o.Center)
	}
	for _, key := range o.Y {
		if slices.Contains(o.X, key) {
			r.fail("y", "must differ from x (both have %q)", key)
		}
	}
	return o, r.Err()
}

// heatGrid is the grid of cell means; it implements plotter.GridXYZ with
// cell indices as coordinates.
type heatGrid struct {
	XLabels, YLabels []string
	Cells            [][]float64 // Cells[row (y)][col (x)], NaN where empty
	Counts           [][]int     // Counts[row][col]: the seeds with a finite z
	// RunsLo and RunsHi are the fewest and the most runs averaged at one
	// seed of a cell: both 1 where no cell pools runs (0 where no cell has
	// a run).
	RunsLo, RunsHi int
}

func (g heatGrid) Dims() (c, r int)   { return len(g.XLabels), len(g.YLabels) }
func (g heatGrid) Z(c, r int) float64 { return g.Cells[r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// buildHeatGrid averages metric z (times scale) over the seeds of each
// (x, y) cell (see [perSeed]), and counts the seeds each mean is over.
func buildHeatGrid(kind string, spec Spec, runs []Run, o heatmapOptions) (heatGrid, error) {
	xs, err := groupRuns(kind, spec, runs, o.X)
	if err != nil {
		return heatGrid{}, err
	}
	ys, err := groupRuns(kind, spec, runs, o.Y)
	if err != nil {
		return heatGrid{}, err
	}
	g := heatGrid{}
	col, row := map[string]int{}, map[string]int{}
	for i, x := range xs {
		g.XLabels = append(g.XLabels, axisLabel(x, "\n"))
		col[cellKey(x.Values)] = i
	}
	for i, y := range ys {
		g.YLabels = append(g.YLabels, axisLabel(y, ", "))
		row[cellKey(y.Values)] = i
	}
	cells, err := groupRuns(kind, spec, runs, slices.Concat(o.X, o.Y))
	if err != nil {
		return heatGrid{}, err
	}
	g.Cells, g.Counts = make([][]float64, len(ys)), make([][]int, len(ys))
	for r := range g.Cells {
		g.Cells[r], g.Counts[r] = make([]float64, len(xs)), make([]int, len(xs))
		for c := range g.Cells[r] {
			g.Cells[r][c] = math.NaN()
		}
	}
	for _, cell := range cells {
		means := perSeed(cell.Runs, metricOf(o.Z, o.Scale))
		nx := len(o.X)
		r, c := row[cellKey(cell.Values[nx:])], col[cellKey(cell.Values[:nx])]
		g.Cells[r][c], _ = MeanSD(seedValues(means))
		g.Counts[r][c] = len(means)
		lo, hi := runsRange(means)
		if hi > 0 && (g.RunsHi == 0 || lo < g.RunsLo) {
			g.RunsLo = lo
		}
		g.RunsHi = max(g.RunsHi, hi)
	}
	return g, nil
}

// cellKey is the key of an axis's column or row by its keys' values, the
// same for the axis's own groups as for the part of a cell's values that
// lies on that axis.
func cellKey(values []string) string { return strings.Join(values, "\x00") }

// axisLabel names an axis's group: its value where the axis has one key,
// as the heat maps of a grid of two parameters always did, else its
// Caption with its parts joined by sep ("interpolated, alpha = 0.5" with
// ", "; a line each with "\n", so that the x axis's labels stay as narrow
// as their cells).
func axisLabel(g *group, sep string) string {
	if len(g.Values) == 1 {
		return g.Values[0]
	}
	return strings.ReplaceAll(g.Caption(), ", ", sep)
}

// makeHeatmap makes the heatmap report of runs in dir: the heat map of
// the finished runs (see heatmapOptions) beside its colour bar.
func makeHeatmap(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("heatmap", spec, runs, readHeatmapOptions)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics("heatmap", spec, "z", done, []string{o.Z}); err != nil {
		return nil, err
	}
	g, err := buildHeatGrid("heatmap", spec, done, o)
	if err != nil {
		return nil, err
	}
	cmap, err := heatColorMap(spec, g, o)
	if err != nil {
		return nil, err
	}
	p, err := heatmapPlot(g, cmap, o, heatmapTitle(spec, o, g, done, out))
	if err != nil {
		return nil, err
	}

	bar := plot.New()
	bar.Title.Text = " "
	bar.HideX()
	bar.Y.Padding = 0
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})

	barWidth := vg.Inch * 0.9
	w, h := o.Size.Width+barWidth, o.Size.Height
	return writeFigure(dir, spec.Name, w, h, o.Size.DPI, func(dc draw.Canvas) {
		pad := vg.Millimeter * 2
		left := draw.Crop(dc, pad, -barWidth, pad, -pad)
		right := draw.Crop(dc, o.Size.Width+pad, -pad, pad, -pad)
		p.Draw(left)
		// Line the colour bar up with the heat map's data area.
		da := p.DataCanvas(left)
		right.Min.Y, right.Max.Y = da.Min.Y, da.Max.Y
		bar.Title.Text = ""
		bar.Draw(right)
	})
}

// heatmapPlot draws grid g in the colours of cmap under title: the cells,
// the empty ones white and hatched (see naHatch), and the text in them
// (see addCellText).
func heatmapPlot(g heatGrid, cmap palette.ColorMap, o heatmapOptions, title string) (*plot.Plot, error) {
	pal := cmap.Palette(255)
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = strings.Join(o.X, ", ")
	p.Y.Label.Text = strings.Join(o.Y, ", ")
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = cmap.Min(), cmap.Max()
	hm.NaN = color.White
	hm.Underflow, hm.Overflow = pal.Colors()[0], pal.Colors()[len(pal.Colors())-1]
	hatch := naHatch{g: g}
	if o.Values {
		sty := cellTextStyle(color.Black, plotter.DefaultFontSize)
		hatch.gap = vg.Point{X: sty.Width(missingValue) + vg.Points(4), Y: sty.Height(missingValue) + vg.Points(2)}
	}
	p.Add(hm, hatch)
	p.X.Tick.Marker = indexTicks(g.XLabels)
	p.Y.Tick.Marker = indexTicks(g.YLabels)
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = -0.5, float64(len(g.XLabels))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.YLabels))-0.5
	if err := addCellText(p, g, cmap, o, commonCount(g)); err != nil {
		return nil, err
	}
	return p, nil
}

// heatmapTitle is the heat map's title: o.Title, then how many runs a cell
// averages (see countsLine), the runs not drawn because they are not done
// (there is no legend to say it in: their cells are hatched or missing),
// and the names of the keys the cells pool, for which the title has room.
func heatmapTitle(spec Spec, o heatmapOptions, g heatGrid, done []Run, out leftOut) string {
	lines := []string{o.Title}
	if l := countsLine(g, o.Values); l != "" {
		lines = append(lines, l)
	}
	if s := out.String(); s != "" {
		lines = append(lines, "not drawn: "+s)
	}
	grouping, keys := pooledKeys("heatmap", spec, done)
	for i := range keys {
		keys[i].Values = nil
	}
	return strings.Join(append(lines, pooledLines(grouping, keys)...), "\n")
}

// commonCount returns the number of runs that most of the cells with runs
// average, the larger of two as common; 0 when no cell has runs.
func commonCount(g heatGrid) (n int) {
	freq := map[int]int{}
	for _, row := range g.Counts {
		for _, k := range row {
			if k > 0 {
				freq[k]++
			}
		}
	}
	for k, f := range freq {
		if f > freq[n] || (f == freq[n] && k > n) {
			n = k
		}
	}
	return n
}

// countsLine says how many runs each cell's mean is over: "each cell: mean
// of 3 runs", or where cells differ in it, with the other counts, which
// those cells show under their value, "each cell: mean of 3 runs (n = 1 or
// 2 where marked)". Where cells pool runs that share a seed, it counts
// seeds and says how many runs a seed's value averages: "each cell: mean
// of 3 seeds, each the mean of 2 runs". Without values in the cells it
// says what the hatched cells are. It is "" when no cell has runs.
func countsLine(g heatGrid, values bool) string {
	n := commonCount(g)
	if n == 0 {
		return ""
	}
	unit := "run"
	if g.RunsHi > 1 {
		unit = "seed"
	}
	line := "each cell: mean of " + english.Plural(n, unit)
	if n == 1 {
		line = "each cell: 1 " + unit
	}
	var others []int
	empty := false
	for _, row := range g.Counts {
		for _, k := range row {
			empty = empty || k == 0
			if k > 0 && k != n && !slices.Contains(others, k) {
				others = append(others, k)
			}
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		line += " (n = " + english.Or(itoas(others)) + " where marked)"
	}
	if each := perSeedLine(g.RunsLo, g.RunsHi); each != "" {
		line += ", " + each
	}
	if empty && !values {
		line += "; hatched: no run"
	}
	return line
}

// itoas writes each of ns in decimal.
func itoas(ns []int) []string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return s
}

// naHatch draws grey diagonal lines across the cells of a heat map that
// have no runs (NaN), which the heat map fills white, so that an empty
// cell cannot be read as a value: white is no colour of viridis, nor of
// the diverging map, whose centre is light grey, and neither is hatched.
// It leaves a white box of size gap (none when zero) at a cell's centre,
// for the "n/a" written there.
type naHatch struct {
	g   heatGrid
	gap vg.Point
}

// naHatchSpacing and naHatchStyle are the spacing and style of the hatch.
var (
	naHatchSpacing = vg.Points(5)
	naHatchStyle   = draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.6)}
)

// Plot implements plot.Plotter.
func (h naHatch) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cols, rows := h.g.Dims()
	for r := range rows {
		for col := range cols {
			if !math.IsNaN(h.g.Cells[r][col]) {
				continue
			}
			cell := vg.Rectangle{
				Min: vg.Point{X: trX(float64(col) - 0.5), Y: trY(float64(r) - 0.5)},
				Max: vg.Point{X: trX(float64(col) + 0.5), Y: trY(float64(r) + 0.5)},
			}
			c.StrokeLines(naHatchStyle, hatchLines(cell, naHatchSpacing)...)
			if h.gap != (vg.Point{}) {
				mid := vg.Point{X: (cell.Min.X + cell.Max.X) / 2, Y: (cell.Min.Y + cell.Max.Y) / 2}
				c.SetColor(color.White)
				c.Fill(vg.Rectangle{Min: mid.Sub(h.gap.Scale(0.5)), Max: mid.Add(h.gap.Scale(0.5))}.Path())
			}
		}
	}
}

// hatchLines returns the segments of the lines rising at 45 degrees,
// spacing apart along the bottom edge, that cross rect, each cut at its
// edges.
func hatchLines(rect vg.Rectangle, spacing vg.Length) [][]vg.Point {
	w, h := rect.Max.X-rect.Min.X, rect.Max.Y-rect.Min.Y
	var lines [][]vg.Point
	// The line at offset t runs through (Min.X + t + s, Min.Y + s).
	for t := -h + spacing/2; t < w; t += spacing {
		lo, hi := max(0, -t), min(h, w-t)
		if lo >= hi {
			continue
		}
		lines = append(lines, []vg.Point{
			{X: rect.Min.X + t + lo, Y: rect.Min.Y + lo},
			{X: rect.Min.X + t + hi, Y: rect.Min.Y + hi},
		})
	}
	return lines
}

// heatColorMap returns the colour map of the heat map: sequential over the
// range of the cells' values, or diverging and symmetric about o.Center,
// with the ends set by o.Min and o.Max where they are given.
func heatColorMap(spec Spec, g heatGrid, o heatmapOptions) (palette.ColorMap, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range g.Cells {
		for _, v := range row {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return nil, fmt.Errorf("heatmap report %q: no finished run has a finite %q", spec.Name, o.Z)
	}
	var cmap palette.ColorMap = newViridis(lo, hi) // perceptually uniform
	if !math.IsNaN(o.Center) {
		// A diverging map about the centre, such as 1 for estimate/truth.
		half := math.Max(math.Abs(lo-o.Center), math.Abs(hi-o.Center))
		lo, hi = o.Center-half, o.Center+half
		cmap = moreland.SmoothBlueRed()
	}
	if !math.IsNaN(o.Min) {
		lo = o.Min
	}
	if !math.IsNaN(o.Max) {
		hi = o.Max
	}
	if lo >= hi { // one value: widen so that the palette and colour bar have a range
		d := math.Max(math.Abs(lo)*0.01, 1e-9)
		lo, hi = lo-d, lo+d
	}
	cmap.SetMin(lo)
	cmap.SetMax(hi)
	return cmap, nil
}

// addCellText writes in each cell its value, where o.Values asks for
// values, and under it, in smaller type, its number of runs where that is
// not common ("n = 1"): dark on light cells and light on dark ones.
func addCellText(p *plot.Plot, g heatGrid, cmap palette.ColorMap, o heatmapOptions, common int) error {
	const up, down = vg.Length(4), vg.Length(-7) // offsets of a value and its count
	type texts struct {
		labels plotter.XYLabels
		styles []text.Style
	}
	byOffset := map[vg.Length]*texts{0: {}, up: {}, down: {}}
	add := func(off vg.Length, xy plotter.XY, s string, c color.Color, size vg.Length) {
		t := byOffset[off]
		t.labels.XYs = append(t.labels.XYs, xy)
		t.labels.Labels = append(t.labels.Labels, s)
		t.styles = append(t.styles, cellTextStyle(c, size))
	}
	cols, rows := g.Dims()
	for r := range rows {
		for c := range cols {
			v, n := g.Cells[r][c], g.Counts[r][c]
			xy := plotter.XY{X: float64(c), Y: float64(r)}
			ink := cellInk(v, cmap)
			marked := n > 0 && n != common
			if o.Values {
				off := vg.Length(0)
				if marked {
					off = up
				}
				add(off, xy, cellLabel(v, o.Precision), ink, plotter.DefaultFontSize)
			}
			if marked {
				off := vg.Length(0)
				if o.Values {
					off = down
				}
				add(off, xy, fmt.Sprintf("n = %d", n), ink, vg.Points(8))
			}
		}
	}
	for _, off := range []vg.Length{0, up, down} {
		t := byOffset[off]
		if len(t.labels.XYs) == 0 {
			continue
		}
		l, err := plotter.NewLabels(t.labels)
		if err != nil {
			return err
		}
		l.TextStyle, l.Offset = t.styles, vg.Point{Y: off}
		p.Add(l)
	}
	return nil
}

// cellTextStyle is the style of text in a cell: centred on it, in colour c
// and size points.
func cellTextStyle(c color.Color, size vg.Length) text.Style {
	return text.Style{Color: c, Font: font.From(plotter.DefaultFont, size),
		XAlign: text.XCenter, YAlign: text.YCenter, Handler: plot.DefaultTextHandler}
}

// cellInk is the colour of the text in a cell of value v: black on a light
// cell (an empty one too), white on a dark one.
func cellInk(v float64, cmap palette.ColorMap) color.Color {
	if finite(v) {
		if col, err := cmap.At(math.Min(math.Max(v, cmap.Min()), cmap.Max())); err == nil && luminance(col) <= 0.45 {
			return color.White
		}
	}
	return color.Black
}

// cellLabel formats a cell's value with prec decimals, or in two
// significant digits with an exponent from 10,000 in magnitude up, which
// would not fit in the cell.
func cellLabel(v float64, prec int) string {
	if finite(v) && math.Abs(v) >= 1e4 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return fixed(v, prec)
}

// luminance is the relative luminance of c in [0, 1].
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// indexTicks labels the cell indices 0..n-1 with labels.
func indexTicks(labels []string) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(labels))
	for i, l := range labels {
		ticks[i] = plot.Tick{Value: float64(i), Label: l}
	}
	return ticks
}
