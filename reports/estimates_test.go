package reports

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// benchmarkRuns are bmi-like runs: two problems (truth 1 and 0.5), two
// estimators, three seeds, at two sample sizes; the estimate is
// truth·scale + 0.01·seed + 0.1·log10(samples/1000), and each run took
// 2 + seed seconds.
func benchmarkRuns(t *testing.T) []Run {
	t.Helper()
	var fakes []fakeRun
	for _, pr := range []struct {
		name  string
		truth float64
	}{{"dense-2x2", 1}, {"student-2x2-dof1", 0.5}} {
		for est, scale := range map[string]float64{"ksg": 0.9, "infonce": 0.5} {
			for _, n := range []float64{1000, 10000} {
				for seed := range int64(3) {
					mi := pr.truth*scale + 0.01*float64(seed) + 0.1*math.Log10(n/1000)
					fakes = append(fakes, fakeRun{
						ID: pr.name + est + formatValue(n) + formatValue(seed), Seed: seed,
						Params:  map[string]any{"problem": pr.name, "estimator": est, "samples": n},
						Metrics: results.Values{"mi": mi, "true_mi": pr.truth, "ratio": mi / pr.truth},
					})
				}
			}
		}
	}
	runs := makeRuns(t, fakes...)
	for i := range runs {
		runs[i].Summary.Seconds = 2 + float64(runs[i].Summary.Seed)
	}
	return runs
}

// TestEstimatesKind checks one row of the table against its definition:
// ksg on the dense problem at N = 1000 estimates 0.90, 0.91 and 0.92.
func TestEstimatesKind(t *testing.T) {
	var runs []Run
	for _, r := range benchmarkRuns(t) {
		if r.Summary.Params["samples"] == 1000.0 {
			runs = append(runs, r)
		}
	}
	dir := t.TempDir()
	spec := Spec{Kind: "estimates", Name: "est", Options: map[string]any{"rows": []any{"problem", "estimator"}}}
	_, paths := checkAndMake(t, "estimates", runs, spec, dir)
	rows := readCSV(t, paths[1])
	if got := strings.Join(rows[0], ","); got != "problem,estimator,n,true,mean,ci_low,ci_high,bias,sd,ratio,seconds,estimate_n" {
		t.Fatalf("CSV header %s", got)
	}
	var row []string
	for _, r := range rows[1:] {
		if r[0] == "dense-2x2" && r[1] == "ksg" {
			row = r
		}
	}
	num := func(i int) float64 { v, _ := strconv.ParseFloat(row[i], 64); return v }
	half := 4.302652729911275 * 0.01 / math.Sqrt(3) // t(0.975, 2) · sd / √3
	for i, want := range map[int]float64{2: 3, 3: 1, 4: 0.91, 5: 0.91 - half, 6: 0.91 + half, 7: -0.09, 8: 0.01, 9: 0.91, 10: 3} {
		if !near(num(i), want, 1e-9) {
			t.Errorf("%s = %v, want %v", rows[0][i], row[i], want)
		}
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "0.910 [0.885, 0.935]") || !strings.Contains(string(md), "-0.090") {
		t.Errorf("Markdown table lacks the ksg row's cells:\n%s", md)
	}
}

// TestEstimatesMarksANonFiniteEstimate makes ksg's estimate on the dense
// problem at N = 1000 infinite at seed 2: the row keeps n = 3 seeds, its
// statistics are those of 0.90 and 0.91 (mean 0.905, sd 0.00707,
// t(0.975, 1) = 12.706: [0.841, 0.969]), marked "(n=2)", with a note, and
// the CSV's estimate_n is 2.
func TestEstimatesMarksANonFiniteEstimate(t *testing.T) {
	var runs []Run
	for _, r := range benchmarkRuns(t) {
		if r.Summary.Params["samples"] == 1000.0 && r.Summary.Params["problem"] == "dense-2x2" && r.Summary.Params["estimator"] == "ksg" {
			runs = append(runs, r)
			if r.Summary.Seed == 2 {
				r.Summary.Metrics["mi"] = math.Inf(1)
			}
		}
	}
	spec := Spec{Kind: "estimates", Name: "est", Options: map[string]any{"rows": []any{"problem", "estimator"}}}
	_, paths := checkAndMake(t, "estimates", runs, spec, t.TempDir())
	rows := readCSV(t, paths[1])
	half := 12.706204736174698 * math.Sqrt(0.00005) / math.Sqrt(2)
	if len(rows) != 2 || rows[1][2] != "3" || rows[1][11] != "2" {
		t.Fatalf("CSV %v; want one row of n 3 and estimate_n 2", rows)
	}
	for i, want := range map[int]float64{4: 0.905, 5: 0.905 - half, 6: 0.905 + half, 8: math.Sqrt(0.00005)} {
		if got, _ := strconv.ParseFloat(rows[1][i], 64); !near(got, want, 1e-9) {
			t.Errorf("%s = %s, want %v", rows[0][i], rows[1][i], want)
		}
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "0.905 [0.841, 0.969] (n=2)") || !strings.Contains(string(md), "over the k seeds where it is") {
		t.Errorf("the table does not mark or note the seed left out:\n%s", md)
	}
}

func TestWalltimeKind(t *testing.T) {
	dir := t.TempDir()
	spec := Spec{Kind: "walltime", Name: "time", Options: map[string]any{"rows": "estimator"}}
	_, paths := checkAndMake(t, "walltime", benchmarkRuns(t), spec, dir)
	rows := readCSV(t, paths[1])
	// Each estimator: 12 runs of 2, 3 and 4 seconds.
	want := "ksg,12,3,0.852802865422,4,36"
	if len(rows) != 3 || (strings.Join(rows[1], ",") != want && strings.Join(rows[2], ",") != want) {
		t.Errorf("walltime CSV %v, want a row %s", rows, want)
	}
}

// TestSampleSizeFigure draws the sample-size curves: one panel per
// problem, one line per estimator and the truth dashed.
func TestSampleSizeFigure(t *testing.T) {
	dir := figureDir(t)
	spec := Spec{Kind: "sample_size", Name: "samples", Options: map[string]any{
		"x": "samples", "panel": "problem", "group": "estimator", "dpi": int64(100)}}
	_, paths := checkAndMake(t, "sample_size", benchmarkRuns(t), spec, dir)
	checkFigureFiles(t, paths, dir, "samples", 2*400, 300)
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"dense-2x2", "student-2x2-dof1", "ksg", "infonce", "true", "samples", "estimate (nats)",
		"bars: 95% t-interval of the mean, 3 runs a point"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("sample_size SVG lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "not shown") {
		t.Errorf("sample_size SVG says points are not shown, with no ymin or ymax")
	}
	// With ymin = 0.55, four means lie below the axis: infonce's at N =
	// 1000 on dense-2x2 (0.51), and on student-2x2-dof1 ksg's at 1000
	// (0.46) and infonce's at both (0.26, 0.36).
	spec.Options["ymin"] = 0.55
	_, paths = checkAndMake(t, "sample_size", benchmarkRuns(t), spec, t.TempDir())
	svg, _ = os.ReadFile(paths[1])
	if want := "not shown: 4 points beyond the y range (ymin = 0.55)"; !strings.Contains(string(svg), want) {
		t.Errorf("sample_size SVG with ymin = 0.55 lacks %q", want)
	}
	k, _ := Lookup("sample_size")
	bad := Spec{Kind: "sample_size", Name: "s", Options: map[string]any{"x": "samples", "panel": "problem", "truth": "truth"}}
	if _, err := k.Make(benchmarkRuns(t), bad, t.TempDir()); err == nil || !strings.Contains(err.Error(), `"truth"`) {
		t.Errorf("a truth metric no run has: %v", err)
	}
}

// TestHeatmapCentredPalette checks the centre, min and max options of the
// heat map: a centred scale is symmetric about the centre, and min and max
// set the ends.
func TestHeatmapCentredPalette(t *testing.T) {
	g := heatGrid{XLabels: []string{"a", "b"}, YLabels: []string{"p"}, Cells: [][]float64{{0.7, 1.2}}}
	nan := math.NaN()
	for _, tc := range []struct {
		center, min, max float64
		lo, hi           float64
	}{
		{nan, nan, nan, 0.7, 1.2},
		{1, nan, nan, 0.7, 1.3},
		{1, 0, 2, 0, 2},
		{nan, 0.9, nan, 0.9, 1.2},
	} {
		cmap, err := heatColorMap(Spec{Name: "h"}, g, heatmapOptions{Z: "ratio", Center: tc.center, Min: tc.min, Max: tc.max})
		if err != nil || !near(cmap.Min(), tc.lo, 1e-12) || !near(cmap.Max(), tc.hi, 1e-12) {
			t.Errorf("center %v min %v max %v: scale [%v, %v] (%v), want [%v, %v]", tc.center, tc.min, tc.max, cmap.Min(), cmap.Max(), err, tc.lo, tc.hi)
		}
	}
	k, _ := Lookup("heatmap")
	for opts, want := range map[[3]float64]string{{1, 2, 0}: "max = 0 must be above min = 2", {3, 0, 2}: "center = 3 must lie between"} {
		err := k.Check(Spec{Name: "h", Options: map[string]any{"x": "a", "y": "b", "z": "c", "center": opts[0], "min": opts[1], "max": opts[2]}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("center, min, max = %v: %v", opts, err)
		}
	}
	runs := benchmarkRuns(t)
	spec := Spec{Kind: "heatmap", Name: "ratio", Options: map[string]any{"x": "estimator", "y": "problem", "z": "ratio",
		"center": 1, "min": 0, "max": 2}}
	dir := t.TempDir()
	_, paths := checkAndMake(t, "heatmap", runs, spec, dir)
	svg, _ := os.ReadFile(paths[1])
	if !strings.Contains(string(svg), "student-2x2-dof1") {
		t.Errorf("heat map lacks the problem labels")
	}
}

func TestHeatmapCellLabel(t *testing.T) {
	for v, want := range map[float64]string{0.5: "0.50", -67.75: "-67.75", 9999.5: "9999.50", -1773702.57: "-1.8e+06", math.NaN(): "n/a"} {
		if got := cellLabel(v, 2); got != want {
			t.Errorf("cellLabel(%v, 2) = %q, want %q", v, got, want)
		}
	}
}

func TestSampleSizeYRange(t *testing.T) {
	p := newPanel("", "", "")
	p.Y.Min, p.Y.Max = -40, 1
	setSampleSizeYRange(p, sampleSizeOptions{YMin: -0.5, YMax: 1.5})
	if p.Y.Min != -0.5 || p.Y.Max != 1.5 {
		t.Errorf("y range [%v, %v]; want [-0.5, 1.5]", p.Y.Min, p.Y.Max)
	}
	setSampleSizeYRange(p, sampleSizeOptions{YMin: 3, YMax: math.NaN()})
	if p.Y.Min != 3 || p.Y.Max != 4 {
		t.Errorf("ymin above the data's top: range [%v, %v], want [3, 4]", p.Y.Min, p.Y.Max)
	}
}

// TestEstimatesBiasOverTheSameRuns pools two problems of true MI 80 and 90
// whose estimates are 8 below the truth, the second's at seed 2 not
// finite: seed 2 is left out (its mean would be the first problem's
// alone), and the truth is averaged over the same runs as the estimate,
// so the bias is -8, where averaging the truth over every run gave -9.67.
func TestEstimatesBiasOverTheSameRuns(t *testing.T) {
	var fakes []fakeRun
	for _, pr := range []struct {
		name  string
		truth float64
	}{{"a", 80}, {"b", 90}} {
		for seed := range int64(3) {
			mi := pr.truth - 8 + 0.1*float64(seed)
			if pr.name == "b" && seed == 2 {
				mi = math.NaN()
			}
			fakes = append(fakes, fakeRun{ID: pr.name + formatValue(seed), Seed: seed,
				Params:  map[string]any{"problem": pr.name, "estimator": "infonce"},
				Metrics: results.Values{"mi": mi, "true_mi": pr.truth}})
		}
	}
	spec := Spec{Kind: "estimates", Name: "e", Options: map[string]any{"rows": []any{"estimator"}, "pool": []any{"problem"}}}
	_, paths := checkAndMake(t, "estimates", makeRuns(t, fakes...), spec, t.TempDir())
	rows := readCSV(t, paths[1])
	if bias, n := csvNumber(t, rows, "infonce", "bias"), csvCell(t, rows, "infonce", "estimate_n"); !near(bias, -8+0.05, 1e-9) || n != "2" {
		t.Errorf("bias %v over %s seeds; want -7.95 over 2 (seeds 0 and 1: estimates 77.0 and 77.1 against 85)", bias, n)
	}
}

// TestEstimatesTruthOverTheEstimatesSeeds checks that where the truth
// differs between seeds (1, 2 and 6 here) and the estimate is not finite
// at one (seed 2), the truth is averaged over the seeds whose estimate
// counts: bias = mean(1.5, 2.5) - mean(1, 2) = 0.5, not 2 - 3 = -1.
func TestEstimatesTruthOverTheEstimatesSeeds(t *testing.T) {
	var fakes []fakeRun
	for seed, v := range [][2]float64{{1.5, 1}, {2.5, 2}, {math.NaN(), 6}} {
		fakes = append(fakes, fakeRun{ID: "r" + formatValue(int64(seed)), Seed: int64(seed),
			Params: map[string]any{"estimator": "ksg"}, Metrics: results.Values{"mi": v[0], "true_mi": v[1]}})
	}
	spec := Spec{Kind: "estimates", Name: "e", Options: map[string]any{"rows": []any{"estimator"}}}
	_, paths := checkAndMake(t, "estimates", makeRuns(t, fakes...), spec, t.TempDir())
	rows := readCSV(t, paths[1])
	if bias, truth := csvNumber(t, rows, "ksg", "bias"), csvNumber(t, rows, "ksg", "true"); !near(bias, 0.5, 1e-12) || !near(truth, 1.5, 1e-12) {
		t.Errorf("bias %v against truth %v; want 0.5 against 1.5, seed 2's truth left out with its estimate", bias, truth)
	}
}
