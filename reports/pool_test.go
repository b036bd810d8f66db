package reports

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// poolRuns are two estimators by two values of tau by two seeds, each run
// with its config, as a sweep that sweeps tau but reports by estimator
// alone leaves them.
func poolRuns(t *testing.T) []Run {
	var fakes []fakeRun
	for _, est := range []string{"jsd", "smile"} {
		for _, tau := range []float64{1, 5} {
			for seed := range int64(2) {
				fakes = append(fakes, fakeRun{ID: est + formatValue(tau) + formatValue(seed), Seed: seed,
					Params:  map[string]any{"estimator": est, "estimator_params.tau": tau},
					Config:  map[string]any{"estimator": est, "estimator_params": map[string]any{"tau": tau}, "lr": 1e-3, "seed": seed},
					Metrics: results.Values{"acc": tau + float64(seed), "k": tau}})
			}
		}
	}
	return makeRuns(t, fakes...)
}

// TestPooledFindsSettingsAGroupMixes checks Kind.Pooled: a table by
// estimator pools tau's runs (and says so, with the fix, under the table),
// one by estimator and tau does not, and one that names tau in pool
// averages over it on purpose, which its note says instead.
func TestPooledFindsSettingsAGroupMixes(t *testing.T) {
	runs := poolRuns(t)
	table, _ := Lookup("table")
	spec := Spec{Kind: "table", Name: "t", Options: map[string]any{"rows": "estimator", "columns": "acc"}}
	g, keys := table.Pooled(spec, runs)
	if len(keys) != 1 || keys[0].Key != "estimator_params.tau" || !slices.Equal(keys[0].Values, []string{"1", "5"}) || keys[0].Declared {
		t.Fatalf("pooled %+v; want estimator_params.tau (1, 5), not declared", keys)
	}
	want := "each row pools runs that differ in estimator_params.tau (1, 5), averaging them within each seed; add it to rows, or name it in pool to average over it on purpose"
	if msg := PooledMessage(g, keys); msg != want {
		t.Errorf("message %q; want %q", msg, want)
	}
	paths, err := table.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if md, _ := os.ReadFile(paths[0]); !strings.Contains(string(md), "Pooled: "+want+".") {
		t.Errorf("the table does not say it pools:\n%s", md)
	}

	spec.Options["rows"] = []any{"estimator", "estimator_params.tau"}
	if _, keys := table.Pooled(spec, runs); len(keys) != 0 {
		t.Errorf("a table by estimator and tau pools %+v", keys)
	}

	spec.Options["rows"] = "estimator"
	spec.Options["pool"] = "estimator_params.tau"
	if err := table.Check(spec); err != nil {
		t.Fatal(err)
	}
	g, keys = table.Pooled(spec, runs)
	if len(keys) != 1 || !keys[0].Declared || PooledMessage(g, keys) != "" {
		t.Errorf("with pool = tau: %+v, message %q; want tau declared and no warning", keys, PooledMessage(g, keys))
	}
	paths, err = table.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "The rows average over estimator_params.tau (1, 5), as pool asks") || strings.Contains(string(md), "Pooled:") {
		t.Errorf("the table with pool does not say what it averages over, or still warns:\n%s", md)
	}
	spec.Options["pool"] = int64(3)
	if err := table.Check(spec); err == nil || !strings.Contains(err.Error(), "pool") {
		t.Errorf("pool = 3: %v", err)
	}
}

// TestPooledFigures checks the figures' side: a line figure whose x is a
// metric groups runs by its value, so runs of one tau (the metric k
// follows it) are told apart; one at x = lr by estimator alone names tau
// in the legend, and says that its bars are over seeds.
func TestPooledFigures(t *testing.T) {
	runs := poolRuns(t)
	line, _ := Lookup("line")
	spec := Spec{Kind: "line", Name: "l", Options: map[string]any{"xmetric": "k", "y": "acc", "group": "estimator"}}
	if _, keys := line.Pooled(spec, runs); len(keys) != 0 {
		t.Errorf("a line figure at x = the metric k pools %+v", keys)
	}
	delete(spec.Options, "xmetric")
	spec.Options["x"] = "lr"
	if _, keys := line.Pooled(spec, runs); len(keys) != 1 || keys[0].Key != "estimator_params.tau" {
		t.Errorf("a line figure at x = lr by estimator pools %+v; want tau", keys)
	}
	paths, err := line.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(paths[1])
	for _, want := range []string{"pooled, averaged within seeds: estimator_params.tau (1, 5)",
		"bars: 95% t-interval of the mean over seeds, 2 seeds a point, each the mean of 2 runs"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the line figure's legend lacks %q", want)
		}
	}
	spec.Options["pool"] = []any{"estimator_params.tau"}
	paths, err = line.Make(runs, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "averaged over: estimator_params.tau (1, 5)") ||
		strings.Contains(string(svg), "pooled as seeds") {
		t.Errorf("the line figure with pool does not say what it averages over, or still says it pools")
	}
}

// TestPooledDetails: pool names a nested key by its last part too; a heat
// map's title says what it averages over on purpose, not that it pools,
// and that a cell is the mean of 2 seeds of 2 runs each; and a key of many
// values lists the first few and their number.
func TestPooledDetails(t *testing.T) {
	runs := poolRuns(t)
	table, _ := Lookup("table")
	spec := Spec{Kind: "table", Name: "t", Options: map[string]any{"rows": "estimator", "columns": "acc", "pool": "tau"}}
	if _, keys := table.Pooled(spec, runs); len(keys) != 1 || !keys[0].Declared {
		t.Errorf("pool = tau: %+v; want estimator_params.tau declared", keys)
	}
	if refs := table.NamedKeys(spec); !slices.Contains(refs, KeyRef{Option: "pool", Key: "tau"}) {
		t.Errorf("NamedKeys %+v lacks pool's key, which a sweep checks", refs)
	}

	heatmap, _ := Lookup("heatmap")
	hspec := Spec{Kind: "heatmap", Name: "h", Options: map[string]any{"x": "estimator", "y": "lr", "z": "acc", "pool": "tau"}}
	paths, err := heatmap.Make(runs, hspec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "averaged over: estimator_params.tau<") ||
		strings.Contains(string(svg), "pooled as seeds") || !strings.Contains(string(svg), ">each cell: mean of 2 seeds, each the mean of 2 runs<") {
		t.Errorf("the heat map with pool does not say what it averages over and how many seeds and runs a cell is, or says it pools")
	}

	many := PooledKey{Key: "lr"}
	for i := range 40 {
		many.Values = append(many.Values, formatValue(float64(i+1)/1e5))
	}
	if got, want := keyValues([]PooledKey{many})[0], "lr (1e-05, 2e-05, 3e-05, 4e-05, 5e-05, 6e-05, ..., 40 values)"; got != want {
		t.Errorf("keyValues of 40 values: %q; want %q", got, want)
	}
}

// TestConditionalKeysInFigures: runs of a sweep with a conditional
// parameter (smile at two taus, nwj without tau). A staircase whose lines
// name tau draws nwj's panel with one line rather than failing; one whose
// lines leave tau out says it draws one of several runs; a line figure at
// x = tau leaves nwj's runs out and says so; and a heat map over
// estimator pools tau with nwj's value shown as unset.
func TestConditionalKeysInFigures(t *testing.T) {
	fakes := []fakeRun{{ID: "nwj", Params: map[string]any{"estimator": "nwj"},
		Config:  map[string]any{"estimator": "nwj", "critic": "separable", "estimator_params": map[string]any{}},
		Metrics: results.Values{"acc": 1}, Log: staircaseLog([]float64{2, 4}, 100, 0, 0.1, 1)}}
	for _, tau := range []float64{1, 5} {
		fakes = append(fakes, fakeRun{ID: "smile" + formatValue(tau), Params: map[string]any{"estimator": "smile", "estimator_params.tau": tau},
			Config:  map[string]any{"estimator": "smile", "critic": "separable", "estimator_params": map[string]any{"tau": tau}},
			Metrics: results.Values{"acc": tau}, Log: staircaseLog([]float64{2, 4}, 100, 0, 0.1, uint64(tau))})
	}
	runs := makeRuns(t, fakes...)
	svgOf := func(kind string, options map[string]any) string { return madeSVG(t, runs, kind, options) }
	if svg := svgOf("staircase", map[string]any{"panel": "estimator", "line": []any{"critic", "estimator_params.tau"}}); strings.Contains(svg, "one run drawn") {
		t.Errorf("a staircase whose lines name tau says it draws one of several runs")
	}
	if svg := svgOf("staircase", map[string]any{"panel": "estimator", "line": "critic"}); !strings.Contains(svg, "one run drawn of several in: estimator_params.tau (1, 5)") {
		t.Errorf("a staircase whose lines leave tau out does not say it draws one of several runs")
	}
	if svg := svgOf("line", map[string]any{"x": "estimator_params.tau", "y": "acc"}); !strings.Contains(svg, "not drawn: 1 run without estimator_params.tau") {
		t.Errorf("a line figure at x = tau does not say it leaves nwj's run out")
	}
	heatmap, _ := Lookup("heatmap")
	_, keys := heatmap.Pooled(Spec{Kind: "heatmap", Name: "h", Options: map[string]any{"x": "critic", "y": "critic", "z": "acc"}}, runs)
	if len(keys) != 2 || keys[1].Key != "estimator_params.tau" || !slices.Equal(keys[1].Values, []string{"1", "5", "unset"}) {
		t.Errorf("pooled %+v; want estimator and estimator_params.tau (1, 5, unset)", keys)
	}
}

// TestCheckPoolRefusesAGroupingKey: pool naming a key that tells the
// groups apart (a table's rows, a heat map's y, a nested key by its last
// part) is refused, naming the option; a key the groups do not use passes.
func TestCheckPoolRefusesAGroupingKey(t *testing.T) {
	table, _ := Lookup("table")
	heatmap, _ := Lookup("heatmap")
	for _, tc := range []struct {
		kind Kind
		opts map[string]any
		want string
	}{
		{table, map[string]any{"rows": []any{"estimator", "lr"}, "columns": "acc", "pool": "lr"},
			`table report "r": option "pool": names lr, a key that tells the rows apart: no row averages over it; drop it from pool`},
		{heatmap, map[string]any{"x": "estimator", "y": "estimator_params.tau", "z": "acc", "pool": "tau"},
			`option "pool": names tau, a key that tells the cells apart`},
		{table, map[string]any{"rows": "estimator", "columns": "acc", "pool": "tau"}, ""},
	} {
		spec := Spec{Kind: tc.kind.Name, Name: "r", Options: tc.opts}
		if err := tc.kind.Check(spec); err != nil {
			t.Fatalf("%v: Check: %v", tc.opts, err)
		}
		err := CheckPool(tc.kind, spec)
		var oe *OptionError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v, want no error", tc.opts, err)
		case tc.want != "" && (!errors.As(err, &oe) || oe.Option != "pool" || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want an OptionError containing %q", tc.opts, err, tc.want)
		}
	}
}

// seedPoolAcc is the accuracy of each estimator's runs in seedPoolRuns, by
// seed and then batch size (8, 32): a seed's two runs differ in their
// batch size, and their mean is the seed's value. jsd is the baseline of
// margin tables.
var seedPoolAcc = map[string][3][2]float64{
	"infonce": {{70, 74}, {75, 81}, {66, 70}},
	"dv":      {{60, 68}, {65, 65}, {71, 61}},
	"jsd":     {{69, 71}, {72, 76}, {70, 64}},
}

// seedPoolRuns are three estimators by two batch sizes by three seeds, the
// batch size swept but, in the reports that take them, pooled: three
// independent seeds a row, not six. Each run's acc is also its estimate
// of a true value of 80, and its mean at the level 80 of a staircase
// (with variance 1).
func seedPoolRuns(t *testing.T) []Run {
	var fakes []fakeRun
	for _, est := range []string{"infonce", "dv", "jsd"} {
		for seed, accs := range seedPoolAcc[est] {
			for i, batch := range []int64{8, 32} {
				fakes = append(fakes, fakeRun{ID: fmt.Sprintf("%s-b%d-s%d", est, batch, seed), Seed: int64(seed),
					Params: map[string]any{"estimator": est, "batch_size": batch},
					Config: map[string]any{"estimator": est, "batch_size": batch, "seed": int64(seed)},
					Metrics: results.Values{"acc": accs[i], "true": 80, "level_80_mean": accs[i], "level_80_bias": accs[i] - 80,
						"level_80_variance": 1, "level_80_mse": (accs[i]-80)*(accs[i]-80) + 1}})
			}
		}
	}
	return makeRuns(t, fakes...)
}

// seedMeans returns est's per-seed means in seedPoolAcc, times scale,
// minus those of minus (none where it is ""): the values a pooled report's
// statistics are over.
func seedMeans(est, minus string) []float64 {
	var xs []float64
	for seed, accs := range seedPoolAcc[est] {
		x := (accs[0] + accs[1]) / 2
		if minus != "" {
			b := seedPoolAcc[minus][seed]
			x = (accs[0] - b[0] + accs[1] - b[1]) / 2
		}
		xs = append(xs, x)
	}
	return xs
}

// handStats returns the mean, the sample sd and the half-width of the 95%
// t-interval of three values, by hand: t(0.975, 2) = 4.302652729911275.
func handStats(xs []float64) (mean, sd, half float64) {
	if len(xs) != 3 {
		panic("handStats takes three values")
	}
	mean = (xs[0] + xs[1] + xs[2]) / 3
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd = math.Sqrt(ss / 2)
	return mean, sd, 4.302652729911275 * sd / math.Sqrt(3)
}

// csvCell returns the cell of column name in the CSV row whose first cell
// is first, failing t where there is none.
func csvCell(t *testing.T, rows [][]string, first, name string) string {
	t.Helper()
	col := slices.Index(rows[0], name)
	for _, r := range rows[1:] {
		if col >= 0 && r[0] == first {
			return r[col]
		}
	}
	t.Fatalf("no column %s in a row %s of %v", name, first, rows)
	return ""
}

// csvNumber is csvCell's cell as a number.
func csvNumber(t *testing.T, rows [][]string, first, name string) float64 {
	t.Helper()
	x, err := strconv.ParseFloat(csvCell(t, rows, first, name), 64)
	if err != nil {
		t.Fatalf("%s %s: %v", first, name, err)
	}
	return x
}

// TestTablePoolAveragesWithinSeeds: a table by estimator that pools the
// batch size has n = 3 seeds a row, not 6 runs, and its sd is that of
// the three per-seed means (infonce 72, 78, 68: sd 5.03; over the six
// runs it was 5.20); the note says what n counts.
func TestTablePoolAveragesWithinSeeds(t *testing.T) {
	spec := Spec{Kind: "table", Name: "t", Options: map[string]any{"rows": "estimator", "columns": "acc", "pool": "batch_size"}}
	_, paths := checkAndMake(t, "table", seedPoolRuns(t), spec, t.TempDir())
	rows := readCSV(t, paths[1])
	for _, est := range []string{"infonce", "dv"} {
		mean, sd, _ := handStats(seedMeans(est, ""))
		if n := csvCell(t, rows, est, "n"); n != "3" || csvCell(t, rows, est, "acc_n") != "3" {
			t.Errorf("%s: n %s, acc_n %s; want 3 seeds", est, n, csvCell(t, rows, est, "acc_n"))
		}
		if got := csvNumber(t, rows, est, "acc_mean"); !near(got, mean, 1e-9) {
			t.Errorf("%s: mean %v; want %v", est, got, mean)
		}
		if got := csvNumber(t, rows, est, "acc_sd"); !near(got, sd, 1e-9) {
			t.Errorf("%s: sd %v; want %v, over the per-seed means", est, got, sd)
		}
	}
	md, _ := os.ReadFile(paths[0])
	for _, want := range []string{"| infonce   | 3 | 72.67 ± 5.03 |", "over the row's seeds.", "The rows average over batch_size (8, 32), as pool asks.",
		"n counts seeds: where a row has several runs at one seed (up to 2, differing in batch_size), the seed's value is their mean"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

// TestMarginPoolPairsBySeed: a margin table of infonce and dv over jsd,
// paired by seed and batch size and pooling the batch size, has one
// difference a seed, the mean of the seed's two paired differences, and
// its interval is over those three (infonce: +2, +4, +1; the old
// code took the six runs' differences as six seeds: a narrower interval
// and n = 6).
func TestMarginPoolPairsBySeed(t *testing.T) {
	spec := Spec{Kind: "margin", Name: "m", Options: map[string]any{
		"rows": "estimator", "metric": "acc", "where": map[string]any{"estimator": []any{"infonce", "dv"}},
		"baselines": []map[string]any{{"label": "jsd", "where": map[string]any{"estimator": "jsd"}}},
		"pair":      []any{"batch_size"}, "pool": []any{"batch_size"},
	}}
	_, paths := checkAndMake(t, "margin", seedPoolRuns(t), spec, t.TempDir())
	rows := readCSV(t, paths[1])
	md, _ := os.ReadFile(paths[0])
	for _, est := range []string{"infonce", "dv"} {
		diffs := seedMeans(est, "jsd")
		mean, sd, half := handStats(diffs)
		for name, want := range map[string]float64{"jsd_mean": mean, "jsd_sd": sd, "jsd_low": mean - half, "jsd_high": mean + half, "n": 3, "jsd_n": 3} {
			if got := csvNumber(t, rows, est, name); !near(got, want, 1e-9) {
				t.Errorf("%s: %s %v; want %v, over the three per-seed differences", est, name, got, want)
			}
		}
		perSeed := fmt.Sprintf("0:%s 1:%s 2:%s", exact(diffs[0]), exact(diffs[1]), exact(diffs[2]))
		if got := csvCell(t, rows, est, "jsd_per_seed"); got != perSeed {
			t.Errorf("%s: per seed %q; want %q", est, got, perSeed)
		}
		cell := fmt.Sprintf(" %s [%s, %s] |", signed(mean, 2), signed(mean-half, 2), signed(mean+half, 2))
		if !strings.Contains(string(md), cell) {
			t.Errorf("the table lacks %s's cell %q:\n%s", est, cell, md)
		}
	}
	if !strings.Contains(string(md), "n counts seeds") {
		t.Errorf("the table does not say what n counts:\n%s", md)
	}
}

// TestEstimatesAndBiasVariancePoolAverageWithinSeeds: the estimates and
// bias_variance tables by estimator, pooling the batch size, have n = 3
// seeds and the interval of the three per-seed means (infonce 72, 78, 68:
// 72.67 [60.16, 85.17]; over the six runs it was [67.21, 78.13]).
func TestEstimatesAndBiasVariancePoolAverageWithinSeeds(t *testing.T) {
	runs := seedPoolRuns(t)
	opts := map[string]any{"rows": "estimator", "pool": "batch_size", "estimate": "acc", "truth": "true"}
	_, paths := checkAndMake(t, "estimates", runs, Spec{Kind: "estimates", Name: "e", Options: opts}, t.TempDir())
	rows := readCSV(t, paths[1])
	for _, est := range []string{"infonce", "dv"} {
		mean, sd, half := handStats(seedMeans(est, ""))
		for name, want := range map[string]float64{"n": 3, "mean": mean, "ci_low": mean - half, "ci_high": mean + half, "sd": sd, "bias": mean - 80} {
			if got := csvNumber(t, rows, est, name); !near(got, want, 1e-9) {
				t.Errorf("estimates %s: %s %v; want %v", est, name, got, want)
			}
		}
	}

	delete(opts, "estimate")
	delete(opts, "truth")
	_, paths = checkAndMake(t, "bias_variance", runs, Spec{Kind: "bias_variance", Name: "b", Options: opts}, t.TempDir())
	rows = readCSV(t, paths[1])
	for _, est := range []string{"infonce", "dv"} {
		xs := seedMeans(est, "")
		mean, _, half := handStats(xs)
		var mse float64 // each seed's MSE is the mean of its two runs' (bias^2 + 1)
		for _, accs := range seedPoolAcc[est] {
			mse += ((accs[0]-80)*(accs[0]-80) + (accs[1]-80)*(accs[1]-80) + 2) / 2 / 3
		}
		for name, want := range map[string]float64{"n": 3, "mean": mean, "mean_ci_low": mean - half, "mean_ci_high": mean + half,
			"bias": mean - 80, "variance": 1, "mse": mse} {
			if got := csvNumber(t, rows, est, name); !near(got, want, 1e-9) {
				t.Errorf("bias_variance %s: %s %v; want %v", est, name, got, want)
			}
		}
	}
}

// TestHeatmapPoolAveragesWithinSeeds: a heat map cell that pools the batch
// size is the mean of its per-seed means over the seeds that have every
// batch size: with infonce's batch-32 run at seed 2 gone, seed 2 (whose
// value would be batch 8's alone) is left out, and the cell is the mean of
// seeds 0 and 1 (72 and 78: 75), which the title marks as fewer seeds.
func TestHeatmapPoolAveragesWithinSeeds(t *testing.T) {
	runs := slices.DeleteFunc(seedPoolRuns(t), func(r Run) bool { return r.ID == "infonce-b32-s2" })
	o := heatmapOptions{X: []string{"estimator"}, Y: []string{"estimator"}, Z: "acc", Scale: 1} // a cell of each estimator on the diagonal
	g, err := buildHeatGrid("heatmap", Spec{Kind: "heatmap", Name: "h"}, runs, o)
	if err != nil {
		t.Fatal(err)
	}
	acc := seedPoolAcc["infonce"]
	want := ((acc[0][0]+acc[0][1])/2 + (acc[1][0]+acc[1][1])/2) / 2
	if i := slices.Index(g.XLabels, "infonce"); i < 0 || !near(g.Cells[i][i], want, 1e-12) || g.Counts[i][i] != 2 {
		t.Errorf("cells %v of %v seeds (infonce at %d); want %v of 2", g.Cells, g.Counts, i, want)
	}
	if line, want := countsLine(g, true), "each cell: mean of 3 seeds (n = 2 where marked), each the mean of 2 runs"; line != want {
		t.Errorf("counts line %q; want %q", line, want)
	}
}

// TestLinePoolAveragesWithinSeeds: a line figure's point that pools the
// batch size (x the metric true, 80 in every run) is the mean and 95%
// t-interval of the three per-seed means, n = 3 (infonce 72.67 ± 12.50;
// over the six runs it was ± 5.46).
func TestLinePoolAveragesWithinSeeds(t *testing.T) {
	runs := slices.DeleteFunc(seedPoolRuns(t), func(r Run) bool { return !strings.HasPrefix(r.ID, "infonce") })
	pts, err := linePoints(runs, lineOptions{XMetric: "true"}, "acc", 1)
	if err != nil {
		t.Fatal(err)
	}
	mean, _, half := handStats(seedMeans("infonce", ""))
	if len(pts) != 1 || pts[0].N != 3 || pts[0].Fewest != 2 || pts[0].Most != 2 || !near(pts[0].Mean, mean, 1e-9) || !near(pts[0].Half, half, 1e-9) {
		t.Errorf("points %+v; want one at 80 of 3 seeds of 2 runs each, %v ± %v", pts, mean, half)
	}
}
