package reports

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func init() {
	Register(Kind{
		Name: "heatmap",
		Summary: "a summary metric over a grid of two swept parameters, each cell the mean over seeds " +
			"written in the cell, coloured by viridis with a colour bar; e.g. an alpha/beta grid of probe accuracy",
		Check: func(spec Spec) error { _, err := readHeatmapOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readHeatmapOptions(spec)
			return givenKeys(spec, map[string][]string{"x": {o.X}, "y": {o.Y}})
		},
		Metrics: func(spec Spec) []MetricRef { o, _ := readHeatmapOptions(spec); return summaryRefs("z", o.Z) },
		Groups: func(spec Spec) Grouping {
			o, _ := readHeatmapOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "cell", Keys: []string{o.X, o.Y}}
		},
		Make: makeHeatmap,
	})
}

// heatmapOptions are the options of a heatmap figure:
//
//	x, y       parameters along the axes (required); their values are cells in
//	           order (numeric values sorted), evenly spaced whatever their values
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
// A cell is the mean of z over all finished runs with its x and y (the
// seeds, and any other parameter the sweep varies), coloured by viridis, a
// perceptually uniform map; a cell without runs is grey and says n/a.
type heatmapOptions struct {
	X, Y, Z   string
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
		X:         r.String("x", ""),
		Y:         r.String("y", ""),
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
	if o.X != "" && o.X == o.Y {
		r.fail("y", "must differ from x (both are %q)", o.X)
	}
	return o, r.Err()
}

// heatGrid is the grid of cell means; it implements plotter.GridXYZ with
// cell indices as coordinates.
type heatGrid struct {
	XLabels, YLabels []string
	Cells            [][]float64 // Cells[row (y)][col (x)], NaN where empty
}

func (g heatGrid) Dims() (c, r int)   { return len(g.XLabels), len(g.YLabels) }
func (g heatGrid) Z(c, r int) float64 { return g.Cells[r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// buildHeatGrid averages metric z (times scale) over the runs of each
// (x, y) cell.
func buildHeatGrid(kind string, spec Spec, runs []Run, o heatmapOptions) (heatGrid, error) {
	xs, err := groupRuns(kind, spec, runs, []string{o.X})
	if err != nil {
		return heatGrid{}, err
	}
	ys, err := groupRuns(kind, spec, runs, []string{o.Y})
	if err != nil {
		return heatGrid{}, err
	}
	g := heatGrid{}
	col, row := map[string]int{}, map[string]int{}
	for i, x := range xs {
		g.XLabels = append(g.XLabels, x.Values[0])
		col[x.Values[0]] = i
	}
	for i, y := range ys {
		g.YLabels = append(g.YLabels, y.Values[0])
		row[y.Values[0]] = i
	}
	cells, err := groupRuns(kind, spec, runs, []string{o.X, o.Y})
	if err != nil {
		return heatGrid{}, err
	}
	g.Cells = make([][]float64, len(ys))
	for r := range g.Cells {
		g.Cells[r] = make([]float64, len(xs))
		for c := range g.Cells[r] {
			g.Cells[r][c] = math.NaN()
		}
	}
	for _, cell := range cells {
		mean, _ := MeanSD(metricValues(cell.Runs, o.Z, o.Scale))
		g.Cells[row[cell.Values[1]]][col[cell.Values[0]]] = mean
	}
	return g, nil
}

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
	pal := cmap.Palette(255)

	p := plot.New()
	p.Title.Text = o.Title
	if s := out.String(); s != "" {
		// No legend to say it in: a cell or a row of runs that are not
		// done is grey or missing.
		p.Title.Text += "\nnot drawn: " + s
	}
	// The title has room for the keys' names alone.
	grouping, keys := pooledKeys("heatmap", spec, done)
	for i := range keys {
		keys[i].Values = nil
	}
	for _, line := range pooledLines(grouping, keys) {
		p.Title.Text += "\n" + line
	}
	p.X.Label.Text = o.X
	p.Y.Label.Text = o.Y
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = cmap.Min(), cmap.Max()
	hm.NaN = color.Gray{Y: 220}
	hm.Underflow, hm.Overflow = pal.Colors()[0], pal.Colors()[len(pal.Colors())-1]
	p.Add(hm)
	p.X.Tick.Marker = indexTicks(g.XLabels)
	p.Y.Tick.Marker = indexTicks(g.YLabels)
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = -0.5, float64(len(g.XLabels))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.YLabels))-0.5
	if o.Values {
		if err := addCellValues(p, g, cmap, o.Precision); err != nil {
			return nil, err
		}
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

// addCellValues writes each cell's value in it, dark on light cells and
// light on dark ones.
func addCellValues(p *plot.Plot, g heatGrid, cmap palette.ColorMap, prec int) error {
	var dark, light plotter.XYLabels
	cols, rows := g.Dims()
	for r := range rows {
		for c := range cols {
			v := g.Cells[r][c]
			xy := plotter.XY{X: float64(c), Y: float64(r)}
			lbl := cellLabel(v, prec)
			onLight := true
			if finite(v) {
				if col, err := cmap.At(math.Min(math.Max(v, cmap.Min()), cmap.Max())); err == nil {
					onLight = luminance(col) > 0.45
				}
			}
			if onLight {
				dark.XYs = append(dark.XYs, xy)
				dark.Labels = append(dark.Labels, lbl)
			} else {
				light.XYs = append(light.XYs, xy)
				light.Labels = append(light.Labels, lbl)
			}
		}
	}
	for _, set := range []struct {
		labels plotter.XYLabels
		color  color.Color
	}{{dark, color.Black}, {light, color.White}} {
		if len(set.labels.XYs) == 0 {
			continue
		}
		l, err := plotter.NewLabels(set.labels)
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Color = set.color
			l.TextStyle[i].XAlign = text.XCenter
			l.TextStyle[i].YAlign = text.YCenter
		}
		p.Add(l)
	}
	return nil
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
