package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Options every figure kind accepts, and their defaults.
const (
	optWidth  = "width"
	optHeight = "height"
	optDPI    = "dpi"

	defaultPanelWidth  = 4.0 // inches
	defaultPanelHeight = 3.0 // inches
	defaultDPI         = 96
)

// figureSize is the size of one panel of a figure and the PNG resolution.
type figureSize struct {
	Width, Height vg.Length
	DPI           int
}

// maxPanelInches is the largest width or height of a panel, in inches.
const maxPanelInches = 40

// maxFigurePixels is the most pixels a figure's PNG may have (4 bytes
// each while it is drawn): 50 million, a 20×15-inch figure at 400 dpi.
const maxFigurePixels = 50e6

// readFigureSize reads the width, height (of one panel, in inches) and dpi
// options; a panel of more than maxFigurePixels is an error of dpi.
func readFigureSize(r *optionReader) figureSize {
	const inches = "a size in inches"
	size := figureSize{
		Width:  vg.Length(r.FloatIn(optWidth, defaultPanelWidth, 0, maxPanelInches, inches)) * vg.Inch,
		Height: vg.Length(r.FloatIn(optHeight, defaultPanelHeight, 0, maxPanelInches, inches)) * vg.Inch,
		DPI:    r.Int(optDPI, defaultDPI, 10, 1200),
	}
	if msg := pixelProblem(size.Width, size.Height, size.DPI); msg != "" && r.err == nil {
		r.fail(optDPI, "%s", msg)
	}
	return size
}

// pixelProblem says why a w × h figure at dpi is too large to draw, or
// returns "".
func pixelProblem(w, h vg.Length, dpi int) string {
	win, hin := float64(w/vg.Inch), float64(h/vg.Inch)
	wpx, hpx := win*float64(dpi), hin*float64(dpi)
	if wpx*hpx <= maxFigurePixels {
		return ""
	}
	return fmt.Sprintf("%.4g × %.4g inches at %d dpi is %.0f × %.0f pixels, more than %.0f million: lower dpi, width or height",
		win, hin, dpi, wpx, hpx, maxFigurePixels/1e6)
}

// drawer draws a figure onto a canvas of a given size.
type drawer func(dc draw.Canvas)

// writeFigure renders draw onto a w x h canvas as PNG (at dpi) and as SVG
// and writes dir/name.png and dir/name.svg atomically. gonum/plot panics on
// some impossible inputs; such a panic becomes an error naming the figure.
func writeFigure(dir, name string, w, h vg.Length, dpi int, d drawer) (paths []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			paths, err = nil, fmt.Errorf("drawing figure %q: %v", name, p)
		}
	}()
	white := func(dc draw.Canvas) {
		dc.SetColor(color.White)
		var rect vg.Path
		rect.Move(vg.Point{X: 0, Y: 0})
		rect.Line(vg.Point{X: w, Y: 0})
		rect.Line(vg.Point{X: w, Y: h})
		rect.Line(vg.Point{X: 0, Y: h})
		rect.Close()
		dc.Fill(rect)
	}

	if msg := pixelProblem(w, h, dpi); msg != "" {
		return nil, fmt.Errorf("figure %q, its panels together: %s", name, msg)
	}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	d(draw.New(img))
	var png bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&png); err != nil {
		return nil, fmt.Errorf("encoding figure %q as PNG: %w", name, err)
	}

	svg := vgsvg.New(w, h)
	dc := draw.New(svg)
	white(dc)
	d(dc)
	var svgBuf bytes.Buffer
	if _, err := svg.WriteTo(&svgBuf); err != nil {
		return nil, fmt.Errorf("encoding figure %q as SVG: %w", name, err)
	}
	return writeFiles(dir, name, fileData{"png", png.Bytes()}, fileData{"svg", svgBuf.Bytes()})
}

// writePanels lays plots out in a grid of cols columns (0: defaultColumns),
// each panel of the given size, aligned so that their axes line up, with
// legend (nil for none) in a strip to their right, and writes the figure.
func writePanels(dir, name string, plots []*plot.Plot, cols int, size figureSize, legend *figureLegend) ([]string, error) {
	l := newPanelLayout(len(plots), cols, size, legend)
	grid := make([][]*plot.Plot, l.Rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, l.Cols)
	}
	for i, p := range plots {
		grid[i/l.Cols][i%l.Cols] = p
	}
	return writeFigure(dir, name, l.Width, l.Height, size.DPI, func(dc draw.Canvas) {
		tiles := draw.Tiles{
			Rows: l.Rows, Cols: l.Cols,
			PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
			PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
			PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3,
		}
		panels, strip := l.split(dc)
		canvases := plot.Align(grid, tiles, panels)
		for j := range grid {
			for i, p := range grid[j] {
				if p != nil {
					p.Draw(canvases[j][i])
				}
			}
		}
		legend.draw(strip)
	})
}

// panelLayout places the panels of a figure and its legend: the panels in
// a grid of Rows x Cols from the left, the legend in a strip LegendWidth
// wide to their right. The figure is as tall as the grid, or as the legend
// where that is taller.
type panelLayout struct {
	Rows, Cols            int
	Width, Height         vg.Length
	GridWidth, GridHeight vg.Length
	LegendWidth           vg.Length
}

// newPanelLayout lays out n panels in cols columns (0: defaultColumns).
func newPanelLayout(n, cols int, size figureSize, legend *figureLegend) panelLayout {
	if cols == 0 {
		cols = defaultColumns(n)
	}
	cols = max(min(cols, n), 1)
	l := panelLayout{Rows: (n + cols - 1) / cols, Cols: cols}
	l.GridWidth, l.GridHeight = size.Width*vg.Length(cols), size.Height*vg.Length(l.Rows)
	lw, lh := legend.size()
	l.LegendWidth = lw
	l.Width, l.Height = l.GridWidth+lw, max(l.GridHeight, lh)
	return l
}

// split cuts the figure's canvas into the panels' part, at the top when the
// legend is taller, and the legend's strip.
func (l panelLayout) split(dc draw.Canvas) (panels, strip draw.Canvas) {
	panels = draw.Crop(dc, 0, -l.LegendWidth, l.Height-l.GridHeight, 0)
	strip = draw.Crop(dc, l.GridWidth, 0, 0, 0)
	return panels, strip
}

// defaultColumns is the number of grid columns for n panels: one row up to
// three panels, then three columns.
func defaultColumns(n int) int {
	if n <= 3 {
		return max(n, 1)
	}
	return 3
}

// seriesColors are the line colours of figures, in order: Paul Tol's
// "bright" qualitative scheme (https://personal.sron.nl/~pault/, 2021),
// made to stay distinct for readers with any common colour-vision
// deficiency and on a white background, in his recommended order (blue,
// red, green, yellow, cyan, purple, grey). Figures with more than seven
// groups reuse them, with dashes (seriesDashes).
var seriesColors = []color.NRGBA{
	{0x44, 0x77, 0xAA, 255}, // blue
	{0xEE, 0x66, 0x77, 255}, // red
	{0x22, 0x88, 0x33, 255}, // green
	{0xCC, 0xBB, 0x44, 255}, // yellow
	{0x66, 0xCC, 0xEE, 255}, // cyan
	{0xAA, 0x33, 0x77, 255}, // purple
	{0xBB, 0xBB, 0xBB, 255}, // grey
}

// seriesColor returns the i-th series colour: in line and sample_size
// figures i is a group's place among the sweep's groups (groupColors),
// elsewhere the line's place in the figure.
func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// seriesDashes returns the dash pattern of the i-th series: solid
// for the first round of seriesColors, then dashed, dotted and dash-dotted,
// so that lines that share a colour still differ.
func seriesDashes(i int) []vg.Length {
	patterns := [][]float64{nil, {6, 3}, {1.5, 2.5}, {6, 2, 1.5, 2}}
	var dashes []vg.Length
	for _, d := range patterns[i/len(seriesColors)%len(patterns)] {
		dashes = append(dashes, vg.Points(d))
	}
	return dashes
}

// faded returns c with the given opacity in [0, 1].
func faded(c color.Color, opacity float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(255 * opacity)}
}

// newPanel returns a plot with a title and axis labels and a legend in the
// top left corner.
func newPanel(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Add(plotter.NewGrid())
	return p
}

// stepTicks are gonum's default ticks with whole numbers written without
// decimals, for a step axis ("250", not "250.00").
type stepTicks struct{}

// Ticks returns the ticks of [min, max].
func (stepTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" && t.Value == math.Trunc(t.Value) {
			ticks[i].Label = formatValue(t.Value)
		}
	}
	return ticks
}

// valueTicks returns ticks at the given values labelled with their
// formatted form, for axes whose values are a few swept settings.
func valueTicks(xs []float64) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: formatValue(x)}
	}
	return ticks
}
