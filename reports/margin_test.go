package reports

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// marginRuns are Table-1-like runs: DIM(L) with two estimators at seeds 0,
// 1, 2, a pixel baseline repeated under both estimators (equal values), a
// random-encoder baseline with seed 2 missing, and a failed run.
func marginRuns(t *testing.T) []Run {
	var fakes []fakeRun
	dimL := map[string][]float64{"jsd": {0.937, 0.934, 0.918}, "infonce": {0.934, 0.914, 0.918}}
	pixels := []float64{0.902, 0.891, 0.890}
	random := []float64{0.811, 0.843}
	for _, est := range []string{"jsd", "infonce"} {
		for s, v := range dimL[est] {
			fakes = append(fakes, fakeRun{ID: "l-" + est + strconv.Itoa(s), Seed: int64(s),
				Params:  map[string]any{"preset": "dim-l", "estimator": est},
				Metrics: results.Values{"linear_y_acc": v}})
		}
		for s, v := range pixels {
			fakes = append(fakes, fakeRun{ID: "p-" + est + strconv.Itoa(s), Seed: int64(s),
				Params:  map[string]any{"preset": "pixels", "estimator": est},
				Metrics: results.Values{"linear_input_acc": v}})
		}
		for s, v := range random {
			fakes = append(fakes, fakeRun{ID: "r-" + est + strconv.Itoa(s), Seed: int64(s),
				Params:  map[string]any{"preset": "random", "estimator": est},
				Metrics: results.Values{"linear_y_acc": v}})
		}
	}
	// Two failed runs: one the table would read, which its note counts,
	// and one outside every selection, which it does not.
	fakes = append(fakes, fakeRun{ID: "l-infonce3", Seed: 3, Status: results.StatusFailed,
		Params: map[string]any{"preset": "dim-l", "estimator": "infonce"}})
	fakes = append(fakes, fakeRun{ID: "g-jsd0", Seed: 0, Status: results.StatusFailed,
		Params: map[string]any{"preset": "dim-g", "estimator": "jsd"}})
	return makeRuns(t, fakes...)
}

func marginSpec() Spec {
	return Spec{Kind: "margin", Name: "margins", Options: map[string]any{
		"rows":   []any{"preset", "estimator"},
		"metric": "linear_y_acc",
		"where":  map[string]any{"preset": "dim-l"},
		"baselines": []map[string]any{
			{"label": "pixels", "where": map[string]any{"preset": "pixels"}, "metric": "linear_input_acc"},
			{"label": "random", "where": map[string]any{"preset": []any{"random"}}},
		},
		"scale":     int64(100),
		"precision": int64(1),
	}}
}

func TestMarginKind(t *testing.T) {
	spec := marginSpec()
	_, paths := checkAndMake(t, "margin", marginRuns(t), spec, t.TempDir())
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	// By hand: jsd - pixels = 3.5, 4.3, 2.8: mean 3.5333, sd 0.7506,
	// t(0.975, 2) = 4.3027, half-width 1.8646 -> [+1.7, +5.4]. infonce -
	// random pairs only seeds 0 and 1: 12.3, 7.1, mean 9.7; t(0.975, 1) =
	// 12.706, sd 3.677, half 33.04 -> [-23.3, +42.7] (n=2).
	for _, cell := range []string{
		"+3.5 [+1.7, +5.4]", "+3.5 / +4.3 / +2.8",
		"+12.6 / +9.1", "+12.3 / +7.1", "+9.7 [-23.3, +42.7] (n=2)",
		"vs pixels [95% CI]", "vs random, per seed", "Left out: 1 run not done (1 failed).",
	} {
		if !strings.Contains(string(md), cell) {
			t.Errorf("margins.md lacks %q:\n%s", cell, md)
		}
	}
	if strings.Contains(string(md), "| pixels | ") || strings.Contains(string(md), "| random | ") {
		t.Errorf("baseline runs became rows, but where selects dim-l only:\n%s", md)
	}
	checkGolden(t, paths[0], "margins.md")
	checkGolden(t, paths[1], "margins.csv")
	checkGolden(t, paths[2], "margins.tex")

	rows := readCSV(t, paths[1])
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	jsd := rows[1]
	if jsd[col["estimator"]] != "jsd" {
		t.Fatalf("first row is %v, want jsd", jsd)
	}
	num := func(name string) float64 {
		x, err := strconv.ParseFloat(jsd[col[name]], 64)
		if err != nil {
			t.Fatalf("CSV %s = %q: %v", name, jsd[col[name]], err)
		}
		return x
	}
	d := []float64{93.7 - 90.2, 93.4 - 89.1, 91.8 - 89.0}
	mean := (d[0] + d[1] + d[2]) / 3
	var ss float64
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / 2)
	half := 4.302652729911275 * sd / math.Sqrt(3)
	for name, want := range map[string]float64{
		"pixels_mean": mean, "pixels_sd": sd, "pixels_low": mean - half, "pixels_high": mean + half,
		"pixels_n": 3, "pixels_ahead": 3, "random_n": 2,
	} {
		if got := num(name); !near(got, want, 1e-6) {
			t.Errorf("CSV %s = %v, want %v", name, got, want)
		}
	}
	if got := jsd[col["pixels_per_seed"]]; !strings.HasPrefix(got, "0:3.5") || strings.Count(got, ":") != 3 {
		t.Errorf("CSV pixels_per_seed = %q, want three seed:difference pairs from 0:3.5", got)
	}
}

func TestMarginBaselineMustBeUnambiguous(t *testing.T) {
	runs := makeRuns(t,
		fakeRun{ID: "l0", Seed: 0, Params: map[string]any{"preset": "dim-l", "lr": 0.1}, Metrics: results.Values{"acc": 0.9}},
		fakeRun{ID: "r0", Seed: 0, Params: map[string]any{"preset": "random", "lr": 0.1}, Metrics: results.Values{"acc": 0.8}},
		fakeRun{ID: "r0b", Seed: 0, Params: map[string]any{"preset": "random", "lr": 0.2}, Metrics: results.Values{"acc": 0.7}},
	)
	spec := Spec{Kind: "margin", Name: "m", Options: map[string]any{
		"rows": "preset", "metric": "acc", "where": map[string]any{"preset": "dim-l"},
		"baselines": []any{map[string]any{"label": "random", "where": map[string]any{"preset": "random"}}},
	}}
	k, _ := Lookup("margin")
	_, err := k.Make(runs, spec, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "r0b") || !strings.Contains(err.Error(), "seed 0") {
		t.Fatalf("two different baseline values at one seed: err = %v, want one naming the runs and the seed", err)
	}
	// Narrowed by the parameter that tells them apart, it pairs.
	spec.Options["baselines"] = []any{map[string]any{"label": "random", "where": map[string]any{"preset": "random", "lr": 0.1}}}
	paths, err := k.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "+0.10") {
		t.Errorf("dim-l 0.9 - random 0.8 should be +0.10:\n%s", md)
	}
	// With lr a row parameter, pairing by it leaves the row's run at lr
	// 0.1 without a baseline run at 0.1 where the two random runs are at
	// 0.2 and 0.3: still an error, not a table of empty cells.
	runs[1].Summary.Params["lr"] = 0.3
	spec.Options["rows"] = []any{"preset", "lr"}
	spec.Options["baselines"] = []any{map[string]any{"label": "random", "where": map[string]any{"preset": "random"}}}
	if _, err := k.Make(runs, spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), "paired by lr as well, run l0 has no baseline run") {
		t.Errorf("a pairing that leaves a row without its baseline: err = %v, want one saying so", err)
	}
}

func TestMarginOptionErrors(t *testing.T) {
	k, _ := Lookup("margin")
	base := marginSpec()
	for _, tc := range []struct {
		name   string
		change func(o map[string]any)
		want   string
	}{
		{"no baselines", func(o map[string]any) { delete(o, "baselines") }, `"baselines": missing`},
		{"no metric", func(o map[string]any) { delete(o, "metric") }, `"metric": missing`},
		{"unknown option", func(o map[string]any) { o["colour"] = "red" }, `"colour": unknown option`},
		{"baseline not a table", func(o map[string]any) { o["baselines"] = []any{"pixels"} }, "want a list of tables"},
		{"baseline without label", func(o map[string]any) {
			o["baselines"] = []any{map[string]any{"where": map[string]any{"preset": "pixels"}}}
		}, "want label"},
		{"baseline without where", func(o map[string]any) {
			o["baselines"] = []any{map[string]any{"label": "pixels"}}
		}, "want where"},
		{"unknown baseline key", func(o map[string]any) {
			o["baselines"] = []any{map[string]any{"label": "pixels", "where": map[string]any{"preset": "pixels"}, "metrc": "x"}}
		}, `unknown key "metrc"`},
		{"label twice", func(o map[string]any) {
			b := map[string]any{"label": "pixels", "where": map[string]any{"preset": "pixels"}}
			o["baselines"] = []any{b, b}
		}, "used twice"},
		{"where not a table", func(o map[string]any) { o["where"] = "dim-l" }, "want a table of parameter values"},
		{"where value a table", func(o map[string]any) { o["where"] = map[string]any{"preset": map[string]any{}} }, "preset: want a string"},
		{"level", func(o map[string]any) { o["level"] = 95 }, "confidence level"},
	} {
		spec := Spec{Kind: base.Kind, Name: base.Name, Options: map[string]any{}}
		for key, v := range base.Options {
			spec.Options[key] = v
		}
		tc.change(spec.Options)
		err := k.Check(spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}

	// Problems only the results show: a where key no run has, a baseline
	// metric no run has.
	runs := marginRuns(t)
	spec := marginSpec()
	spec.Options["where"] = map[string]any{"presett": "dim-l"}
	if _, err := k.Make(runs, spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), `"presett"`) {
		t.Errorf("unknown where key: err = %v", err)
	}
	spec = marginSpec()
	spec.Options["baselines"] = []any{map[string]any{"label": "pixels", "where": map[string]any{"preset": "pixels"}, "metric": "mlp_input_acc"}}
	if _, err := k.Make(runs, spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), "mlp_input_acc") {
		t.Errorf("baseline metric no run has: err = %v", err)
	}
}

// negativesAcc is negativesRuns' linear_y_acc: estimator, then K (0 for
// all), then by seed.
var negativesAcc = map[string]map[int64][]float64{
	"jsd":     {1: {0.90, 0.91, 0.92}, 0: {0.91, 0.92, 0.94}},
	"infonce": {1: {0.86, 0.88, 0.86}, 0: {0.92, 0.93, 0.93}},
}

// negativesRuns are batch-size-experiment runs: jsd and infonce at two
// numbers of negatives (1 and 0 = all), seeds 0..2, with values chosen so
// each difference is known by hand.
func negativesRuns(t *testing.T) []Run {
	var fakes []fakeRun
	for est, byK := range negativesAcc {
		for k, seeds := range byK {
			for s, v := range seeds {
				fakes = append(fakes, fakeRun{ID: fmt.Sprintf("%s-k%d-s%d", est, k, s), Seed: int64(s),
					Params:  map[string]any{"estimator": est, "num_negatives": k},
					Metrics: results.Values{"linear_y_acc": v}})
			}
		}
	}
	return makeRuns(t, fakes...)
}

// TestMarginPairsOnParameters checks pair: jsd against infonce at each
// number of negatives, so that a run is compared with the other
// estimator's run of the same seed and the same K. At K = 1 the
// differences are 4, 3, 6 points (mean 4.33); at all, -1, -1, +1. Left
// out, pair is made of the row parameter the baseline's disagreeing runs
// differ in, the same cells, and the note says so.
func TestMarginPairsOnParameters(t *testing.T) {
	spec := Spec{Kind: "margin", Name: "jsd-vs", Options: map[string]any{
		"rows": "num_negatives", "metric": "linear_y_acc", "where": map[string]any{"estimator": "jsd"},
		"pair":      []any{"num_negatives"},
		"baselines": []map[string]any{{"label": "infonce", "where": map[string]any{"estimator": "infonce"}}},
		"scale":     int64(100), "precision": int64(1),
	}}
	_, paths := checkAndMake(t, "margin", negativesRuns(t), spec, t.TempDir())
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"+4.0 / +3.0 / +6.0", "-1.0 / -1.0 / +1.0"} {
		if !strings.Contains(string(md), cell) {
			t.Errorf("jsd-vs.md lacks %q:\n%s", cell, md)
		}
	}
	// Without pair, the two infonce runs of a seed disagree and differ
	// in num_negatives, a row parameter: the table pairs by it all the
	// same, the same cells, and its note says so.
	delete(spec.Options, "pair")
	_, paths = checkAndMake(t, "margin", negativesRuns(t), spec, t.TempDir())
	md, err = os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+4.0 / +3.0 / +6.0", "-1.0 / -1.0 / +1.0", `Baseline "infonce" is paired by seed and num_negatives: num_negatives added, as its runs differ in it.`} {
		if !strings.Contains(string(md), want) {
			t.Errorf("unpaired margin over two Ks: jsd-vs.md lacks %q:\n%s", want, md)
		}
	}
	// With no row parameter to tell them apart, it is an error that says
	// to add the parameter to where or to pair.
	spec.Options["rows"] = "estimator"
	k, _ := Lookup("margin")
	if _, err := k.Make(negativesRuns(t), spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), "or to pair") {
		t.Errorf("a margin by estimator over two Ks: %v, want an error suggesting pair", err)
	}
}

// TestMarginSelectsAListValuedParameter: a list-valued parameter
// (conv_channels) is written as TOML writes it, [4, 8], in the table, and
// a where selects one of its values as a list in a list, [[4, 8]]; a list
// in a list in a list is an error that says how to write one.
func TestMarginSelectsAListValuedParameter(t *testing.T) {
	var fakes []fakeRun
	for s, v := range []float64{0.5, 0.7} {
		fakes = append(fakes,
			fakeRun{ID: "wide" + strconv.Itoa(s), Seed: int64(s), Params: map[string]any{"conv_channels": []any{int64(4), int64(8)}},
				Metrics: results.Values{"ratio": v}},
			fakeRun{ID: "narrow" + strconv.Itoa(s), Seed: int64(s), Params: map[string]any{"conv_channels": []any{4.0}},
				Metrics: results.Values{"ratio": v - 0.25}})
	}
	spec := Spec{Kind: "margin", Name: "lists", Options: map[string]any{
		"rows": "conv_channels", "metric": "ratio", "where": map[string]any{"conv_channels": []any{[]any{int64(4), int64(8)}}},
		"baselines": []any{map[string]any{"label": "narrow", "where": map[string]any{"conv_channels": []any{[]any{int64(4)}}}}},
	}}
	_, paths := checkAndMake(t, "margin", makeRuns(t, fakes...), spec, t.TempDir())
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| [4, 8]", "+0.25 / +0.25"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("lists.md lacks %q:\n%s", want, md)
		}
	}
	spec.Options["where"] = map[string]any{"conv_channels": []any{[]any{[]any{int64(4)}}}}
	k, _ := Lookup("margin")
	if _, err := k.Make(makeRuns(t, fakes...), spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), "[[32, 64]]") {
		t.Errorf("a list in a list in a list: %v, want an error showing how to write a list value", err)
	}
}

// TestMarginCountsOnlyStrictGainsAsAhead checks a margin whose seeds tie,
// gain and lose against the baseline (differences 0, +10 and -10 points):
// one seed is ahead, not two, and the tie prints as 0.0, with no sign.
func TestMarginCountsOnlyStrictGainsAsAhead(t *testing.T) {
	var fakes []fakeRun
	for s, v := range map[string][]float64{"model": {0.5, 0.6, 0.4}, "base": {0.5, 0.5, 0.5}} {
		for seed, x := range v {
			fakes = append(fakes, fakeRun{ID: s + strconv.Itoa(seed), Seed: int64(seed),
				Params: map[string]any{"preset": s}, Metrics: results.Values{"acc": x}})
		}
	}
	spec := Spec{Kind: "margin", Name: "ties", Options: map[string]any{
		"rows": []any{"preset"}, "metric": "acc", "where": map[string]any{"preset": "model"},
		"baselines": []map[string]any{{"label": "base", "where": map[string]any{"preset": "base"}}},
		"scale":     int64(100), "precision": int64(1),
	}}
	_, paths := checkAndMake(t, "margin", makeRuns(t, fakes...), spec, t.TempDir())
	rows := readCSV(t, paths[1])
	if got := csvCell(t, rows, "model", "base_ahead"); got != "1" {
		t.Errorf("base_ahead %s, want 1: a tie is not a gain", got)
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "| 0.0 / +10.0 / -10.0 |") {
		t.Errorf("the per-seed cell should read 0.0 / +10.0 / -10.0:\n%s", md)
	}
}
