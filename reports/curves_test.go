package reports

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// curvesRuns are two estimators with three seeds each, whose loss falls as
// 1/(step+1) plus the seed (and 2 for jsd), and whose estimate rises to a
// plateau of 4 nats (jsd) or 3 (infonce); the
// third infonce seed logs only every other step, so that infonce's curves
// keep the even steps.
func curvesRuns(t *testing.T) []Run {
	var fakes []fakeRun
	for _, est := range []string{"jsd", "infonce"} {
		for seed := range int64(3) {
			every, offset, plateau := 1, 2.0, 4.0
			if est == "infonce" {
				offset, plateau = 0, 3
				if seed == 2 {
					every = 2
				}
			}
			fakes = append(fakes, fakeRun{
				ID: est + "-s" + formatValue(seed), Seed: seed,
				Params: map[string]any{"estimator": est},
				Log: func(log func(int, results.Values)) {
					for step := 0; step < 300; step += every {
						log(step, results.Values{
							"loss": 1/float64(step+1) + float64(seed) + offset,
							"mi":   plateau * (1 - math.Exp(-float64(step)/50)),
						})
					}
				},
			})
		}
	}
	return makeRuns(t, fakes...)
}

func TestCurvesFigure(t *testing.T) {
	runs := curvesRuns(t)
	dir := figureDir(t)
	spec := Spec{Kind: "curves", Name: "curves", Options: map[string]any{
		"y": []any{"loss", "mi"}, "group": "estimator", "labels": map[string]any{"mi": "MI estimate (nats)"},
	}}
	k, paths := checkAndMake(t, "curves", runs, spec, dir)
	checkFigureFiles(t, paths, dir, "curves", 2*4*96, 3*96)
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"MI estimate (nats)", "loss", "jsd", "infonce", "band: ±1 sd over seeds, 3 runs a line", "step"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("curves SVG lacks the text %q", want)
		}
	}

	// A metric no run logged names those they did.
	spec.Options = map[string]any{"y": "js_local"}
	if _, err := k.Make(runs, spec, dir); err == nil || !strings.Contains(err.Error(), `"js_local"`) ||
		!strings.Contains(err.Error(), "logged: loss, mi") {
		t.Errorf("curves of a metric nobody logged: err = %v", err)
	}
	// Grouping by a parameter no run has is an error naming it.
	spec.Options = map[string]any{"y": "loss", "group": "critic"}
	if _, err := k.Make(runs, spec, dir); err == nil || !strings.Contains(err.Error(), "critic") {
		t.Errorf("curves grouped by a missing key: err = %v", err)
	}
}

func TestMeanCurveAndBands(t *testing.T) {
	runs := curvesRuns(t)
	logs, err := readLogs(Spec{Name: "c"}, runs)
	if err != nil {
		t.Fatal(err)
	}
	infonce := runs[3:]
	for _, tc := range []struct {
		band           string
		step           int
		mean, lo, hi   float64
		bandIsNaN, one bool
	}{
		// At step 0 the three losses are 1, 2, 3: mean 2, sd 1.
		{band: "sd", step: 0, mean: 2, lo: 1, hi: 3},
		{band: "range", step: 0, mean: 2, lo: 1, hi: 3},
		// t(0.975, 2) * 1 / sqrt(3) = 2.4841377.
		{band: "ci", step: 0, mean: 2, lo: 2 - 2.484137711843753, hi: 2 + 2.484137711843753},
		{band: "none", step: 0, mean: 2, bandIsNaN: true},
		// Step 2 (the second common step): 1/3, 4/3 and 7/3.
		{band: "range", step: 1, mean: 4.0 / 3, lo: 1.0 / 3, hi: 7.0 / 3},
	} {
		o := curvesOptions{Band: tc.band}
		c := meanCurve(infonce, logs, "loss", o)
		if len(c.Steps) != 150 || c.Steps[tc.step] != 2*float64(tc.step) {
			t.Fatalf("band %s: %d steps, want the 150 even steps", tc.band, len(c.Steps))
		}
		i := tc.step
		if !near(c.Mean[i], tc.mean, 1e-12) {
			t.Errorf("band %s: mean at step %d = %v, want %v", tc.band, i, c.Mean[i], tc.mean)
		}
		if tc.bandIsNaN {
			if !math.IsNaN(c.Lo[i]) || !math.IsNaN(c.Hi[i]) {
				t.Errorf("band none: [%v, %v], want no band", c.Lo[i], c.Hi[i])
			}
		} else if !near(c.Lo[i], tc.lo, 1e-9) || !near(c.Hi[i], tc.hi, 1e-9) {
			t.Errorf("band %s at step %d: [%v, %v], want [%v, %v]", tc.band, i, c.Lo[i], c.Hi[i], tc.lo, tc.hi)
		}
	}
	// One run: a mean at every step it logged, and no band.
	c := meanCurve(infonce[:1], logs, "loss", curvesOptions{Band: "sd"})
	if len(c.Steps) != 300 || c.Mean[0] != 1 || !math.IsNaN(c.Lo[0]) {
		t.Errorf("one run: %d steps, mean %v, band from %v; want 300, 1 and none", len(c.Steps), c.Mean[0], c.Lo[0])
	}
	// Runs that share no step: every step, each with what it has.
	disjoint := makeRuns(t,
		fakeRun{ID: "odd", Log: func(log func(int, results.Values)) { log(1, results.Values{"x": 1}); log(3, results.Values{"x": 3}) }},
		fakeRun{ID: "even", Log: func(log func(int, results.Values)) { log(2, results.Values{"x": 2}); log(4, results.Values{"x": 4}) }})
	dl, _ := readLogs(Spec{Name: "c"}, disjoint)
	if c := meanCurve(disjoint, dl, "x", curvesOptions{Band: "sd"}); len(c.Steps) != 4 || c.Mean[3] != 4 {
		t.Errorf("disjoint steps: %+v, want steps 1..4 each with its one value", c)
	}
	// Smoothing applies to each run before the mean: a 2-step window at
	// step 1 of seed 0 is (1 + 1/2)/2.
	c = meanCurve(infonce[:1], logs, "loss", curvesOptions{Band: "sd", Smoothing: 2})
	if !near(c.Mean[1], 0.75, 1e-12) {
		t.Errorf("smoothed mean at step 1 = %v, want 0.75", c.Mean[1])
	}
}

// TestLinesRuns checks the band's count of runs a line: one count or a
// range, and for lines that pool runs at a seed, the seeds and the runs of
// a seed.
func TestLinesRuns(t *testing.T) {
	g := func(seeds ...int64) *group {
		var runs []Run
		for _, s := range seeds {
			runs = append(runs, Run{Summary: &results.Summary{Seed: s}})
		}
		return &group{Runs: runs}
	}
	for want, groups := range map[string][]*group{
		"3 runs a line":   {g(0, 1, 2), g(0, 1, 2)},
		"2-3 runs a line": {g(0, 1, 2), g(0, 1)},
		"1 run a line":    {g(0)},
		"3 seeds a line, each the mean of 2 runs":   {g(0, 0, 1, 1, 2, 2)},
		"1-3 seeds a line, each the mean of 2 runs": {g(0, 0, 1, 1, 2, 2), g(0, 1, 1)}, // the second line's seed 0 is short
	} {
		if got := linesRuns(groups); got != want {
			t.Errorf("linesRuns = %q, want %q", got, want)
		}
	}
}

// TestMeanCurveSkipsANonFiniteValue checks a step at which one seed's run
// logged NaN (a diverged estimate): the curve there is the mean and range
// of the other seeds, 4 and 6, not NaN.
func TestMeanCurveSkipsANonFiniteValue(t *testing.T) {
	var fakes []fakeRun
	for seed, v := range [][]float64{{1, math.NaN()}, {2, 4}, {3, 6}} {
		fakes = append(fakes, fakeRun{ID: "r" + strconv.Itoa(seed), Seed: int64(seed),
			Params: map[string]any{"estimator": "nwj"}, Metrics: results.Values{"loss": 0},
			Log: func(log func(int, results.Values)) {
				for step, x := range v {
					log(step, results.Values{"loss": x})
				}
			}})
	}
	runs := makeRuns(t, fakes...)
	logs, err := readLogs(Spec{Name: "c"}, runs)
	if err != nil {
		t.Fatal(err)
	}
	c := meanCurve(runs, logs, "loss", curvesOptions{Band: "range"})
	if len(c.Steps) != 2 || c.Mean[1] != 5 || c.Lo[1] != 4 || c.Hi[1] != 6 {
		t.Errorf("curve %+v: want mean 5 in [4, 6] at step 1", c)
	}
}

// TestBandOfOneValueIsNone checks that a single value has no band in any
// mode, as bandOf's doc says: not even "range", whose min and max would
// otherwise draw a band of zero width at the mean.
func TestBandOfOneValueIsNone(t *testing.T) {
	for _, band := range []string{"sd", "ci", "range", "none"} {
		mean, lo, hi := bandOf([]float64{3}, band)
		if mean != 3 || !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("band %s of one value 3: mean %v, band [%v, %v]; want 3 and no band", band, mean, lo, hi)
		}
	}
}
