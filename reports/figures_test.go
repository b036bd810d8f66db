package reports

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// figureDir is where a test writes its figures: a temporary directory, or
// with REPORTS_FIGURES=dir set, that directory, to look at them.
func figureDir(t *testing.T) string {
	if d := os.Getenv("REPORTS_FIGURES"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestStaircaseFigurePaperScale(t *testing.T) {
	// Six estimators x two critics x 20,000 steps, the paper's size.
	estimators := []string{"nwj", "jsd", "infonce", "dv", "mine", "smile"}
	levels := []float64{2, 4, 6, 8, 10}
	var fakes []fakeRun
	for i, est := range estimators {
		for j, critic := range []string{"separable", "concat"} {
			ceiling, m := 0.0, results.Values{"level_2_bias": 0}
			if est == "infonce" {
				ceiling = math.Log(64)
				m["ceiling"] = ceiling
			}
			fakes = append(fakes, fakeRun{
				ID: est + "-" + critic, Seed: 1,
				Params:  map[string]any{"estimator": est, "critic": critic},
				Metrics: m,
				Log:     staircaseLog(levels, 4000, ceiling, 0.3+0.2*float64(i), uint64(10*i+j)),
			})
		}
	}
	runs := makeRuns(t, fakes...)
	dir := figureDir(t)
	spec := Spec{Kind: "staircase", Name: "staircase", Options: map[string]any{}}
	_, paths := checkAndMake(t, "staircase", runs, spec, dir)
	// Three columns and two rows of 4 x 3 inch panels at 96 dpi.
	svgSize := checkFigureFiles(t, paths, dir, "staircase", 3*4*96, 2*3*96)
	if svgSize > 3<<20 {
		t.Errorf("staircase SVG is %d bytes; raw points are not being thinned", svgSize)
	}
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"infonce", "smile", "separable", "log K = 4.16", "true MI"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("staircase SVG lacks the text %q", want)
		}
	}
	if n := strings.Count(string(svg), "log K"); n != 1 {
		t.Errorf("the log K ceiling appears %d times, want once (infonce's panel only)", n)
	}
}

// TestStaircaseNamesEachCeiling: an interpolated bound's ceilings, one a
// line of alpha, are each named by their value and line, beside infonce's
// log K, and an estimator without one (alpha 0, nwj's bound) draws none.
func TestStaircaseNamesEachCeiling(t *testing.T) {
	levels := []float64{2, 4}
	var fakes []fakeRun
	for i, alpha := range []float64{0.01, 0.5, 0} {
		m := results.Values{"level_2_bias": 0}
		ceiling := 0.0
		if alpha > 0 {
			ceiling = 1 + math.Log(63/alpha)
			m["ceiling"] = ceiling
		}
		fakes = append(fakes, fakeRun{
			ID: fmt.Sprint("interpolated-", alpha), Seed: 0,
			Params:  map[string]any{"estimator": "interpolated", "estimator_params.alpha": alpha},
			Metrics: m,
			Log:     staircaseLog(levels, 200, ceiling, 0.3, uint64(i)),
		})
	}
	fakes = append(fakes, fakeRun{
		ID: "infonce", Seed: 0, Params: map[string]any{"estimator": "infonce"},
		Metrics: results.Values{"level_2_bias": 0, "ceiling": math.Log(64)},
		Log:     staircaseLog(levels, 200, math.Log(64), 0.3, 9),
	})
	runs := makeRuns(t, fakes...)
	dir := figureDir(t)
	spec := Spec{Kind: "staircase", Name: "ceilings", Options: map[string]any{"panel": "estimator", "line": "estimator_params.alpha"}}
	_, paths := checkAndMake(t, "staircase", runs, spec, dir)
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ceiling 9.75 (alpha = 0.01)", "ceiling 5.84 (alpha = 0.5)", "log K = 4.16"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("staircase SVG lacks the ceiling named %q", want)
		}
	}
	if n := strings.Count(string(svg), "ceiling "); n != 2 {
		t.Errorf("the SVG names %d interpolated ceilings, want 2 (none at alpha 0)", n)
	}
}

func TestStaircaseOptions(t *testing.T) {
	levels := []float64{1, 3}
	var fakes []fakeRun
	for seed := range int64(2) {
		fakes = append(fakes, fakeRun{
			ID: "r" + string(rune('0'+seed)), Seed: seed,
			Params: map[string]any{"estimator": "dv", "batch_size": float64(32)},
			Log:    staircaseLog(levels, 50, 0, 0.1, uint64(seed)),
		})
	}
	runs := makeRuns(t, append(fakes, fakeRun{ID: "failed", Status: results.StatusFailed,
		Params: map[string]any{"estimator": "nwj", "batch_size": float64(32)}})...)
	dir := figureDir(t)
	spec := Spec{Name: "stairs-window", Options: map[string]any{
		"line": "batch_size", "smoothing": int64(10), "seeds": "all", "columns": int64(1),
		"ymin": -1.0, "ymax": int64(5), "width": 5, "height": 2.5, "dpi": int64(50),
	}}
	k, _ := Lookup("staircase")
	paths, err := k.Make(runs, spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	// The failed nwj run is left out: one panel of 5 x 2.5 inches at 50 dpi.
	checkFigureFiles(t, paths, dir, "stairs-window", 250, 125)
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "bold: mean of the last 10") ||
		!strings.Contains(string(svg), "faint: the logged estimates") || strings.Contains(string(svg), "cut by the y axis") {
		t.Errorf("the legend does not say what the bold and faint lines are, or says a line is cut within [-1, 5]")
	}
	// The estimates of the second stage, about 3, are above ymax = 2.
	spec.Options["ymax"] = int64(2)
	if paths, err = k.Make(runs, spec, dir); err != nil {
		t.Fatal(err)
	}
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "cut by the y axis: dv") {
		t.Errorf("the legend does not say that dv's bold line runs above ymax = 2")
	}
	spec.Options["ymax"] = int64(5)
	if svg, err := os.ReadFile(paths[1]); err != nil || strings.Contains(string(svg), " of 2 runs)") {
		t.Errorf("with seeds = \"all\" the legend names one seed (or the SVG is unreadable: %v)", err)
	}

	// The first seed alone: the legend says which, of how many.
	spec.Options["seeds"] = "first"
	if paths, err = k.Make(runs, spec, dir); err != nil {
		t.Fatal(err)
	}
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "32 (seed 0; 1 of 2 runs)") {
		t.Errorf("the legend of a figure of the first seed does not say so")
	}

	// Panels whose groups hold different counts of runs (dv's 2 at batch
	// 32, 1 at 64): one legend entry for dv's colour, which says so.
	panels := makeRuns(t, append(fakes, fakeRun{ID: "b64", Params: map[string]any{"estimator": "dv", "batch_size": float64(64)},
		Log: staircaseLog(levels, 50, 0, 0.1, 7)})...)
	svg := madeSVG(t, panels, "staircase", map[string]any{"line": "estimator", "panel": "batch_size", "seeds": "first", "dpi": int64(50)})
	if n := strings.Count(svg, ">dv"); n != 1 || !strings.Contains(svg, "dv (lowest seed of each panel&#39;s runs)") {
		t.Errorf("the legend names dv %d times, want once, as the lowest seed of each panel's runs", n)
	}

	// A run that logged no estimate is an error naming the run and the metric.
	spec.Options = map[string]any{"metric": "mi_estimate"}
	if _, err := k.Make(runs, spec, dir); err == nil || !strings.Contains(err.Error(), "mi_estimate") ||
		!strings.Contains(err.Error(), "r0") {
		t.Errorf("Make with a metric no run logged: err = %v", err)
	}
}

func TestLineFigure(t *testing.T) {
	var fakes []fakeRun
	for _, est := range []string{"jsd", "infonce", "dv"} {
		for _, bs := range []float64{8, 16, 32, 64, 128} {
			for seed := range int64(3) {
				acc := 0.9 - 0.01*float64(seed)
				if est != "jsd" {
					acc -= 0.2 / math.Log2(bs)
				}
				fakes = append(fakes, fakeRun{
					ID:   est + formatValue(bs) + formatValue(seed),
					Seed: seed,
					// batch_size as JSON decodes it: a float64.
					Params:  map[string]any{"estimator": est, "batch_size": bs},
					Metrics: results.Values{"linear_y_acc": acc, "linear_conv_acc": acc - 0.05},
				})
			}
		}
	}
	runs := makeRuns(t, fakes...)
	dir := figureDir(t)
	spec := Spec{Kind: "line", Name: "batchsize", Options: map[string]any{
		"x": "batch_size", "y": []any{"linear_y_acc", "linear_conv_acc"}, "group": "estimator",
		"logx": true, "scale": 100, "labels": map[string]any{"linear_y_acc": "Y, linear probe (%)"},
	}}
	k, paths := checkAndMake(t, "line", runs, spec, dir)
	checkFigureFiles(t, paths, dir, "batchsize", 2*4*96, 3*96)
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"Y, linear probe (%)", "linear_conv_acc", "infonce", "128", "bars: 95% t-interval of the mean, 3 runs a point"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("line SVG lacks the text %q", want)
		}
	}

	// The points: jsd at batch 8 has 0.90, 0.89, 0.88 (x100): mean 89, sd 1,
	// half-width t(0.975, 2)/sqrt(3) = 2.4841377.
	pts, err := linePoints(runs[:15], lineOptions{X: "batch_size"}, "linear_y_acc", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 5 || pts[0].X != 8 || pts[4].X != 128 || pts[0].N != 3 {
		t.Fatalf("linePoints = %+v", pts)
	}
	if !near(pts[0].Mean, 89, 1e-9) || !near(pts[0].Half, 2.484137711843753, 1e-8) {
		t.Errorf("jsd at batch 8: %v ± %v, want 89 ± 2.4841377", pts[0].Mean, pts[0].Half)
	}

	// A categorical x is a clear error.
	spec.Options = map[string]any{"x": "estimator", "y": "linear_y_acc"}
	if _, err := k.Make(runs, spec, dir); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("line with a categorical x: err = %v", err)
	}
	// A misspelled metric names the metrics there are.
	spec.Options = map[string]any{"x": "batch_size", "y": "linear_acc"}
	if _, err := k.Make(runs, spec, dir); err == nil || !strings.Contains(err.Error(), "linear_y_acc") {
		t.Errorf("line with an unknown metric: err = %v", err)
	}
}

func TestLineFigureSingleSeedHasNoBars(t *testing.T) {
	runs := makeRuns(t,
		fakeRun{ID: "a", Params: map[string]any{"batch_size": int64(8)}, Metrics: results.Values{"acc": 0.5}},
		fakeRun{ID: "b", Params: map[string]any{"batch_size": int64(16)}, Metrics: results.Values{"acc": 0.6}},
	)
	pts, err := linePoints(runs, lineOptions{X: "batch_size"}, "acc", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if !math.IsNaN(p.Half) {
			t.Errorf("single-seed point %+v has an error bar", p)
		}
	}
	dir := t.TempDir()
	k, _ := Lookup("line")
	paths, err := k.Make(runs, Spec{Name: "one", Options: map[string]any{"x": "batch_size", "y": "acc"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkFigureFiles(t, paths, dir, "one", 4*96, 3*96)
}

// TestHeatmapFigure draws a 3 x 3 grid of two runs a cell, but for one
// cell whose run failed (hatched, n/a) and one with a single run: the
// title says how many runs a cell averages and that cell says n = 1.
func TestHeatmapFigure(t *testing.T) {
	var fakes []fakeRun
	for _, alpha := range []float64{0, 0.5, 1} {
		for _, beta := range []float64{0, 0.1, 1} {
			if alpha == 0 && beta == 0 {
				// An empty cell, its one run failed.
				fakes = append(fakes, fakeRun{ID: "a0b0s0", Status: results.StatusFailed,
					Params: map[string]any{"alpha": alpha, "beta": beta}})
				continue
			}
			for seed := range int64(2) {
				if alpha == 1 && beta == 1 && seed == 1 {
					continue // a cell of one run
				}
				fakes = append(fakes, fakeRun{
					ID:      "a" + formatValue(alpha) + "b" + formatValue(beta) + "s" + formatValue(seed),
					Seed:    seed,
					Params:  map[string]any{"alpha": alpha, "beta": beta},
					Metrics: results.Values{"linear_y_acc": 0.5 + 0.3*beta - 0.1*alpha + 0.01*float64(seed)},
				})
			}
		}
	}
	runs := makeRuns(t, fakes...)
	dir := figureDir(t)
	spec := Spec{Kind: "heatmap", Name: "objectives", Options: map[string]any{
		"x": "alpha", "y": "beta", "z": "linear_y_acc", "scale": 100, "precision": int64(1),
		"width": 4, "height": 3, "dpi": int64(100),
	}}
	_, paths := checkAndMake(t, "heatmap", runs, spec, dir)
	// The heat map is 4 x 3 inches plus a 0.9 inch colour bar, at 100 dpi.
	checkFigureFiles(t, paths, dir, "objectives", 490, 300)
	svg, _ := os.ReadFile(paths[1])
	// Cell alpha=0.5, beta=1: mean of 0.75 and 0.76, x100 = 75.5.
	for _, want := range []string{"75.5", "n/a", "alpha", "beta", "not drawn: 1 run not done (1 failed)",
		">each cell: mean of 2 runs (n = 1 where marked)<", ">n = 1<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("heat map SVG lacks the text %q", want)
		}
	}
	if n := strings.Count(string(svg), ">n = "); n != 1 {
		t.Errorf("%d cells say their number of runs, want 1 (the cell of 1 run)", n)
	}

	g, err := buildHeatGrid("heatmap", spec, runs, heatmapOptions{X: []string{"alpha"}, Y: []string{"beta"}, Z: "linear_y_acc", Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.XLabels, ",") != "0,0.5,1" || strings.Join(g.YLabels, ",") != "0,0.1,1" {
		t.Errorf("grid labels x %v, y %v", g.XLabels, g.YLabels)
	}
	if !math.IsNaN(g.Z(0, 0)) || !near(g.Z(1, 2), 0.755, 1e-12) {
		t.Errorf("grid cells: (0,0) = %v, want NaN; (0.5, 1) = %v, want 0.755", g.Z(0, 0), g.Z(1, 2))
	}
	if g.Counts[0][0] != 0 || g.Counts[2][1] != 2 || g.Counts[2][2] != 1 {
		t.Errorf("grid counts %v; want 0 runs at (0, 0), 2 at (0.5, 1), 1 at (1, 1)", g.Counts)
	}
}

func TestHeatmapSingleValue(t *testing.T) {
	runs := makeRuns(t, fakeRun{ID: "only", Params: map[string]any{"alpha": 1.0, "beta": 1.0},
		Metrics: results.Values{"acc": 0.5}})
	dir := t.TempDir()
	k, _ := Lookup("heatmap")
	paths, err := k.Make(runs, Spec{Name: "h", Options: map[string]any{"x": "alpha", "y": "beta", "z": "acc"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "h.png")); err != nil || len(paths) != 2 {
		t.Errorf("paths %v, err %v", paths, err)
	}
}

// TestHeatmapAxisOfTwoKeys puts an estimator beside its own parameter's
// values on one axis, x = ["estimator", "estimator_params.alpha"]: each
// value of alpha is a column of its own, named as a line is, where an x of
// the estimator alone averaged them into one column; the check of the
// spec passes the list, and its pooling warning is gone.
func TestHeatmapAxisOfTwoKeys(t *testing.T) {
	var fakes []fakeRun
	for _, f := range []struct {
		est   string
		alpha any
		acc   float64
	}{{"infonce", nil, 0.5}, {"interpolated", 0.5, 0.6}, {"interpolated", 1.0, 0.8}} {
		params := map[string]any{"estimator": f.est, "problem": "p"}
		if f.alpha != nil {
			params["estimator_params.alpha"] = f.alpha
		}
		fakes = append(fakes, fakeRun{ID: f.est + fmt.Sprint(f.alpha), Params: params, Metrics: results.Values{"acc": f.acc}})
	}
	runs := makeRuns(t, fakes...)
	spec := Spec{Kind: "heatmap", Name: "h", Options: map[string]any{
		"x": []any{"estimator", "estimator_params.alpha"}, "y": "problem", "z": "acc"}}
	k, _ := Lookup("heatmap")
	if err := k.Check(spec); err != nil {
		t.Fatal(err)
	}
	if msg := PooledMessage(k.Pooled(spec, runs)); msg != "" {
		t.Errorf("pooling warning %q; the cells pool nothing", msg)
	}
	o, _ := readHeatmapOptions(spec)
	g, err := buildHeatGrid("heatmap", spec, runs, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(g.XLabels, "; "), "infonce; interpolated\nalpha = 0.5; interpolated\nalpha = 1"; got != want {
		t.Errorf("x labels %q, want %q", got, want)
	}
	if g.Z(0, 0) != 0.5 || g.Z(1, 0) != 0.6 || g.Z(2, 0) != 0.8 {
		t.Errorf("cells %v, want [[0.5 0.6 0.8]]", g.Cells)
	}
	madeSVG(t, runs, "heatmap", spec.Options)
}

func TestStaircasePanelsByTwoParams(t *testing.T) {
	var fakes []fakeRun
	for _, tau := range []float64{1, 5} {
		fakes = append(fakes, fakeRun{
			ID: "smile" + formatValue(tau), Params: map[string]any{"estimator": "smile", "tau": tau},
			Log: staircaseLog([]float64{2, 4}, 100, 0, 0.1, uint64(tau)),
		})
	}
	runs := makeRuns(t, fakes...)
	dir := t.TempDir()
	k, _ := Lookup("staircase")
	// No run has the default line key "critic": one line per panel.
	paths, err := k.Make(runs, Spec{Name: "tau", Options: map[string]any{"panel": []any{"estimator", "tau"}}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkFigureFiles(t, paths, dir, "tau", 2*4*96, 3*96)
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"smile, tau = 1", "smile, tau = 5", "estimate"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// TestStaircaseConditionalLine draws a staircase whose lines are smile's
// values of tau, a conditional parameter that jsd's and infonce's runs
// lack: their line is named by what it lacks, "tau unset", in the legend,
// never "n/a", and smile's lines by their value; a table's tau column says
// "unset" too.
func TestStaircaseConditionalLine(t *testing.T) {
	var fakes []fakeRun
	add := func(id string, params map[string]any) {
		for seed := range int64(2) {
			fakes = append(fakes, fakeRun{ID: fmt.Sprintf("%s-s%d", id, seed), Seed: seed, Params: params,
				Metrics: results.Values{"level_2_bias": -0.5},
				Log:     staircaseLog([]float64{2, 4}, 50, 0, 0.1, uint64(len(fakes)))})
		}
	}
	add("jsd", map[string]any{"estimator": "jsd"})
	add("infonce", map[string]any{"estimator": "infonce"})
	for _, tau := range []float64{1, 5} {
		add("smile-tau"+formatValue(tau), map[string]any{"estimator": "smile", "estimator_params.tau": tau})
	}
	runs := makeRuns(t, fakes...)
	svg := madeSVG(t, runs, "staircase", map[string]any{"panel": "estimator", "line": "estimator_params.tau"})
	for _, want := range []string{">tau unset (seed 0; 1 of 2 runs)<", ">tau = 1 (seed 0; 1 of 2 runs)<", ">tau = 5 (seed 0; 1 of 2 runs)<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("staircase legend lacks %q", want)
		}
	}
	if strings.Contains(svg, "n/a") {
		t.Errorf("staircase names the runs without tau n/a")
	}
	// A table says the same word in the column of tau.
	k, _ := Lookup("table")
	paths, err := k.Make(runs, Spec{Kind: "table", Name: "t", Options: map[string]any{
		"rows": []any{"estimator", "estimator_params.tau"}, "columns": "level_2_bias"}}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "unset") || strings.Contains(string(md), "n/a") {
		t.Errorf("table of the runs without tau does not say unset:\n%s", md)
	}
}

// TestLineWhereAndXMetric draws runs at their reported number of
// negatives (xmetric) and only those of one batch size (where): the runs
// of the other batch size must not enter the means.
func TestLineWhereAndXMetric(t *testing.T) {
	var fakes []fakeRun
	for _, b := range []int64{8, 32} {
		for s := range 2 {
			for _, k := range []float64{1, 448} {
				fakes = append(fakes, fakeRun{ID: fmt.Sprintf("b%d-k%v-s%d", b, k, s), Seed: int64(s),
					Params:  map[string]any{"batch_size": b, "estimator": "jsd"},
					Metrics: results.Values{"negatives_local": k, "acc": float64(b) + k + float64(s)}})
			}
		}
	}
	runs := makeRuns(t, fakes...)
	o := lineOptions{XMetric: "negatives_local", Where: map[string][]string{"batch_size": {"32"}}}
	sel, err := selectRuns(Spec{Kind: "line", Name: "n"}, "where", doneOnly(runs), o.Where)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := linePoints(sel, o, "acc", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].X != 1 || pts[1].X != 448 || pts[0].Mean != 33.5 || pts[1].Mean != 480.5 {
		t.Fatalf("points %+v; want x 1 and 448 with means 33.5 and 480.5 (batch 32 only)", pts)
	}
	k, _ := Lookup("line")
	spec := Spec{Kind: "line", Name: "n", Options: map[string]any{"xmetric": "negatives_local", "y": "acc",
		"where": map[string]any{"batch_size": int64(32)}, "logx": true, "group": "estimator",
		"reference": "negatives_local", "labels": map[string]any{"negatives_local": "log(K+1) ceiling"}}}
	paths, err := k.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "log(K+1) ceiling") {
		t.Errorf("the figure's legend does not name the reference line")
	}
	spec.Options["x"] = "batch_size"
	if err := k.Check(spec); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("x and xmetric together: %v", err)
	}
}

func doneOnly(runs []Run) []Run { d, _ := doneRuns(runs); return d }

// TestLineColorsFollowTheSweep checks that a line figure whose where
// leaves out the first group draws the others in their own colours, those
// they have in a figure of every group, and that xlabel names the x axis.
func TestLineColorsFollowTheSweep(t *testing.T) {
	var fakes []fakeRun
	for _, est := range []string{"jsd", "infonce", "dv"} {
		for _, k := range []int64{1, 8} {
			fakes = append(fakes, fakeRun{ID: est + formatValue(k), Seed: 0,
				Params:  map[string]any{"estimator": est, "num_negatives": k},
				Metrics: results.Values{"acc": float64(k)}})
		}
	}
	runs := makeRuns(t, fakes...)
	k, _ := Lookup("line")
	hex := func(i int) string {
		c := seriesColors[i]
		return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B)
	}
	draw := func(where map[string]any) string {
		opts := map[string]any{"x": "num_negatives", "y": "acc", "group": "estimator",
			"xlabel": "negatives per positive (K)"}
		if where != nil {
			opts["where"] = where
		}
		paths, err := k.Make(runs, Spec{Kind: "line", Name: "c", Options: opts}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		svg, _ := os.ReadFile(paths[1])
		return string(svg)
	}
	all := draw(nil)
	some := draw(map[string]any{"estimator": []any{"infonce", "dv"}})
	for i, est := range []string{"jsd", "infonce", "dv"} {
		if !strings.Contains(all, hex(i)) {
			t.Errorf("the figure of every group lacks %s's colour %s", est, hex(i))
		}
		if want := i > 0; strings.Contains(some, hex(i)) != want {
			t.Errorf("the figure of infonce and dv: has %s's colour %s: %v, want %v", est, hex(i), !want, want)
		}
	}
	if !strings.Contains(some, "negatives per positive (K)") || strings.Contains(some, ">num_negatives<") {
		t.Errorf("the x axis is not labelled by xlabel")
	}
}

// TestFiguresSayWhichRunsTheyLeaveOut checks that a figure names, in its
// legend, the runs it does not draw because they are not done, by the
// figure's own groups, and only those its where selects: a staircase
// whose estimator lost every run (no panel of its own to show it) and a
// line figure of one batch size.
func TestFiguresSayWhichRunsTheyLeaveOut(t *testing.T) {
	fakes := []fakeRun{{ID: "jsd", Params: map[string]any{"estimator": "jsd", "critic": "concat", "batch_size": int64(32)},
		Metrics: results.Values{"acc": 0.5}, Log: staircaseLog([]float64{2, 4}, 100, 0, 0.1, 1)}}
	for s := range 3 {
		fakes = append(fakes, fakeRun{ID: fmt.Sprintf("mine%d", s), Seed: int64(s), Status: results.StatusFailed,
			Diverged: s > 0, Params: map[string]any{"estimator": "mine", "critic": "concat", "batch_size": int64(32)}})
	}
	fakes = append(fakes, fakeRun{ID: "nwj", Status: results.StatusFailed,
		Params: map[string]any{"estimator": "nwj", "critic": "concat", "batch_size": int64(8)}})
	runs := makeRuns(t, fakes...)
	legendOf := func(kind string, options map[string]any) string { return madeSVG(t, runs, kind, options) }
	svg := legendOf("staircase", nil)
	for _, want := range []string{"not drawn, not done:", "mine, concat: 3 failed, 2 of them diverged", "nwj, concat: 1 failed"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the staircase's legend lacks %q", want)
		}
	}
	svg = legendOf("line", map[string]any{"x": "batch_size", "y": "acc", "group": "estimator",
		"where": map[string]any{"batch_size": int64(32)}})
	if !strings.Contains(svg, "mine: 3 failed, 2 of them diverged") || strings.Contains(svg, "nwj") {
		t.Errorf("the line figure's legend should name mine's 3 failed runs, and not nwj's, which where leaves out")
	}
	svg = legendOf("line", map[string]any{"x": "batch_size", "y": "acc", "where": map[string]any{"estimator": "jsd"}})
	if strings.Contains(svg, "not drawn") {
		t.Errorf("a figure whose where selects no failed run says it left runs out")
	}
	svg = legendOf("line", map[string]any{"x": "batch_size", "y": "acc"})
	if !strings.Contains(svg, "not drawn: 4 runs not done (4 failed, 2 of them diverged)") {
		t.Errorf("a line figure without groups does not count the runs it left out")
	}
}

// TestGroupCaption: a figure names a group by its values, a number or a
// boolean with its key, and leaves out a key the group's runs lack, unless
// they lack every key: then it says which.
func TestGroupCaption(t *testing.T) {
	keys := []string{"estimator", "estimator_params.tau", "cubic"}
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{"smile", "5", "false"}, "smile, tau = 5, cubic = false"},
		{[]string{"nwj", unsetValue, "true"}, "nwj, cubic = true"},
		{[]string{"-1e-05", "x", "y"}, "estimator = -1e-05, x, y"},
		{[]string{unsetValue, unsetValue, unsetValue}, "estimator, tau, cubic unset"},
	} {
		if got := (&group{Values: c.values, Keys: keys}).Caption(); got != c.want {
			t.Errorf("Caption of %q = %q; want %q", c.values, got, c.want)
		}
	}
	if got := (&group{Values: []string{""}}).Caption(); got != "" {
		t.Errorf("Caption of the one group of all runs = %q", got)
	}
}

// TestStaircaseCeilingNamesItsLines: a ceiling is named by the captions of
// the lines it bounds, not by their legend names, which add the seed that
// stands for each ("alpha = 0.01 (seed 0; 1 of 3 runs)"), and by no line
// where every line of its panel shares it (two critics at one alpha),
// rather than by whichever line came first.
func TestStaircaseCeilingNamesItsLines(t *testing.T) {
	var fakes []fakeRun
	for i, alpha := range []float64{0.01, 0.5} {
		for seed := range 3 {
			for _, critic := range []string{"separable", "concat"} {
				c := 1 + math.Log(63/alpha)
				fakes = append(fakes, fakeRun{
					ID: fmt.Sprint("interpolated-", alpha, "-", seed, "-", critic), Seed: int64(seed),
					Params:  map[string]any{"estimator": "interpolated", "estimator_params.alpha": alpha, "critic": critic},
					Metrics: results.Values{"level_2_bias": 0, "ceiling": c},
					Log:     staircaseLog([]float64{2, 4}, 50, c, 0.3, uint64(i)),
				})
			}
		}
	}
	runs := makeRuns(t, fakes...)
	for _, c := range []struct {
		options  map[string]any
		want     []string
		unwanted string
	}{
		{map[string]any{"panel": "critic", "line": "estimator_params.alpha"},
			[]string{"ceiling 9.75 (alpha = 0.01)<", "ceiling 5.84 (alpha = 0.5)<"}, "1 of 3 runs))"},
		{map[string]any{"panel": "estimator_params.alpha", "line": "critic"},
			[]string{"ceiling 9.75<", "ceiling 5.84<"}, "ceiling 9.75 ("},
	} {
		spec := Spec{Kind: "staircase", Name: "ceilings", Options: c.options}
		_, paths := checkAndMake(t, "staircase", runs, spec, figureDir(t))
		svg, err := os.ReadFile(paths[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range c.want {
			if !strings.Contains(string(svg), want) {
				t.Errorf("%v: the SVG lacks %q", c.options, strings.TrimSuffix(want, "<"))
			}
		}
		if strings.Contains(string(svg), c.unwanted) {
			t.Errorf("%v: the SVG has %q in a ceiling's name", c.options, c.unwanted)
		}
	}
}
