package reports

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// table1Runs are DIM-like runs: two models with two seeds each, a baseline
// with one seed that lacks one metric, and a failed run.
func table1Runs(t *testing.T) []Run {
	return makeRuns(t,
		fakeRun{ID: "a0", Seed: 0, Params: map[string]any{"model": "DIM(L) jsd"},
			Metrics: results.Values{"linear_y_acc": 0.72, "mlp_y_acc": 0.80}},
		fakeRun{ID: "a1", Seed: 1, Params: map[string]any{"model": "DIM(L) jsd"},
			Metrics: results.Values{"linear_y_acc": 0.73, "mlp_y_acc": 0.82}},
		fakeRun{ID: "b0", Seed: 0, Params: map[string]any{"model": "DIM(G)"},
			Metrics: results.Values{"linear_y_acc": 0.51, "mlp_y_acc": 0.60}},
		fakeRun{ID: "b1", Seed: 1, Params: map[string]any{"model": "DIM(G)"},
			Metrics: results.Values{"linear_y_acc": 0.55, "mlp_y_acc": 0.64}},
		fakeRun{ID: "c0", Seed: 0, Params: map[string]any{"model": "pixels"},
			Metrics: results.Values{"linear_y_acc": 0.40}},
		fakeRun{ID: "d0", Seed: 2, Status: results.StatusFailed, Params: map[string]any{"model": "DIM(G)"}},
	)
}

func TestTableKind(t *testing.T) {
	runs := table1Runs(t)
	dir := t.TempDir()
	spec := Spec{Kind: "table", Name: "table1", Options: map[string]any{
		"rows":      "model",
		"columns":   []any{"linear_y_acc", "mlp_y_acc"},
		"labels":    map[string]any{"linear_y_acc": "Y (linear)", "mlp_y_acc": "Y (MLP)"},
		"scale":     int64(100),
		"precision": int64(2),
	}}
	_, paths := checkAndMake(t, "table", runs, spec, dir)
	want := []string{filepath.Join(dir, "table1.md"), filepath.Join(dir, "table1.csv"), filepath.Join(dir, "table1.tex")}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	// Hand computations: jsd linear 72, 73 -> 72.50 ± sd sqrt(0.5) = 0.71;
	// DIM(G) MLP 60, 64 -> 62.00 ± 2.83; pixels has one run and no MLP value.
	for _, cell := range []string{"72.50 ± 0.71", "81.00 ± 1.41", "53.00 ± 2.83", "62.00 ± 2.83", "40.00", "n/a",
		"Y (linear)", "Left out: 1 run not done (1 failed)."} {
		if !strings.Contains(string(md), cell) {
			t.Errorf("table1.md lacks %q:\n%s", cell, md)
		}
	}
	// Rows keep the sweep's order of first appearance.
	if strings.Index(string(md), "DIM(L) jsd") > strings.Index(string(md), "DIM(G)") {
		t.Errorf("rows out of sweep order:\n%s", md)
	}
	checkGolden(t, paths[0], "table1.md")
	checkGolden(t, paths[1], "table1.csv")
	checkGolden(t, paths[2], "table1.tex")

	rows := readCSV(t, paths[1])
	header := strings.Join(rows[0], ",")
	if header != "model,n,linear_y_acc_mean,linear_y_acc_sd,linear_y_acc_n,mlp_y_acc_mean,mlp_y_acc_sd,mlp_y_acc_n" {
		t.Errorf("CSV header = %s", header)
	}
	mean, _ := strconv.ParseFloat(rows[1][2], 64)
	if !near(mean, 72.5, 1e-9) {
		t.Errorf("CSV jsd linear mean = %v, want 72.5", mean)
	}
}

// gaussianRuns are Gaussian-benchmark-like runs: two estimators with two
// seeds and one critic with summary level metrics, and one run whose
// summary lacks them, so that they are computed from its metrics log.
func gaussianRuns(t *testing.T) []Run {
	lv := func(b2, v2, b4, v4 float64) results.Values {
		return results.Values{
			"level_2_mean": 2 + b2, "level_2_bias": b2, "level_2_variance": v2, "level_2_mse": b2*b2 + v2,
			"level_4_mean": 4 + b4, "level_4_bias": b4, "level_4_variance": v4, "level_4_mse": b4*b4 + v4,
		}
	}
	cfg := func(critic string) map[string]any {
		return map[string]any{"critic": map[string]any{"name": critic, "hidden": int64(256)}, "batch_size": int64(64)}
	}
	return makeRuns(t,
		fakeRun{ID: "nwj0", Seed: 0, Params: map[string]any{"estimator": "nwj", "critic": "separable"},
			Metrics: lv(-0.1, 0.5, -0.3, 1.5)},
		fakeRun{ID: "nwj1", Seed: 1, Params: map[string]any{"estimator": "nwj", "critic": "separable"},
			Metrics: lv(-0.3, 0.7, -0.5, 2.5)},
		fakeRun{ID: "nce0", Seed: 0, Params: map[string]any{"estimator": "infonce", "critic": "separable"},
			Metrics: lv(-0.2, 0.01, -1.2, 0.02)},
		// Critic from the config (not swept); level statistics only in the log:
		// level 2 second half 1, 3 (mean 2, bias 0, var 1, MSE 1), level 4
		// second half 5, 5 (mean 5, bias 1, var 0, MSE 1).
		fakeRun{ID: "js0", Seed: 0, Params: map[string]any{"estimator": "jsd"}, Config: cfg("concat"),
			Metrics: results.Values{"loss": 0.3},
			Log: func(log func(int, results.Values)) {
				for i, e := range []float64{9, 9, 1, 3} {
					log(i, results.Values{"mi": e, "true_mi": 2})
				}
				for i, e := range []float64{0, 0, 5, 5} {
					log(4+i, results.Values{"mi": e, "true_mi": 4})
				}
			}},
		fakeRun{ID: "nwj2", Seed: 2, Status: results.StatusRunning, Params: map[string]any{"estimator": "nwj", "critic": "separable"}},
	)
}

func TestBiasVarianceKind(t *testing.T) {
	runs := gaussianRuns(t)
	dir := t.TempDir()
	spec := Spec{Kind: "bias_variance", Name: "bias", Options: map[string]any{}}
	k, err := Lookup("bias_variance")
	if err != nil {
		t.Fatal(err)
	}
	paths, err := k.Make(runs, spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 || filepath.Base(paths[0]) != "bias.md" || filepath.Base(paths[1]) != "bias.csv" ||
		filepath.Base(paths[2]) != "bias.tex" {
		t.Fatalf("paths = %v", paths)
	}
	checkGolden(t, paths[0], "bias_variance.md")
	checkGolden(t, paths[1], "bias_variance.csv")
	checkGolden(t, paths[2], "bias_variance.tex")

	rows := readCSV(t, paths[1])
	byKey := map[string][]string{}
	for _, r := range rows[1:] {
		byKey[r[0]+"/"+r[1]+"/"+r[2]] = r[3:]
	}
	// nwj separable, level 4: mean estimate mean(3.7, 3.5) = 3.6, its 95%
	// interval 3.6 ± t(0.975, 1)·0.1414/√2 = 3.6 ± 1.27062047362; bias
	// mean(-0.3, -0.5) = -0.4; variance mean(1.5, 2.5) = 2; MSE
	// mean(0.09+1.5, 0.25+2.5) = 2.17; n = 2. One run: no interval, its
	// CSV cells empty.
	checkRow := func(key string, mean, lo, hi, bias, variance, mse float64, n string) {
		t.Helper()
		r, ok := byKey[key]
		if !ok {
			t.Fatalf("no CSV row %s in %v", key, rows)
		}
		for i, want := range []float64{mean, lo, hi, bias, variance, mse} {
			if math.IsNaN(want) {
				if r[i] != "" {
					t.Errorf("%s column %d = %q, want empty", key, i, r[i])
				}
				continue
			}
			got, err := strconv.ParseFloat(r[i], 64)
			if err != nil || !near(got, want, 1e-9) {
				t.Errorf("%s column %d = %q, want %v", key, i, r[i], want)
			}
		}
		if r[6] != n {
			t.Errorf("%s n = %s, want %s", key, r[6], n)
		}
	}
	none := math.NaN()
	checkRow("nwj/separable/4", 3.6, 3.6-1.27062047362, 3.6+1.27062047362, -0.4, 2, 2.17, "2")
	checkRow("infonce/separable/2", 1.8, none, none, -0.2, 0.01, 0.05, "1")
	// From the metrics log, with the critic found in the config's [critic] table.
	checkRow("jsd/concat/2", 2, none, none, 0, 1, 1, "1")
	checkRow("jsd/concat/4", 5, none, none, 1, 0, 1, "1")
}

// TestBiasVarianceLeavesOutNonFiniteRuns adds a third nwj run (seed 2)
// whose level-4 mean is null in its summary (NaN): its level-4 row must
// be that of seeds 0 and 1 in every column (mean 3.6, bias -0.4, variance
// 2, MSE 2.17, n 2), not a mean of two runs beside a bias of three, and
// say "2 (1 run left out)"; its level-2 row counts it (n 3; MSE the mean of
// 0.51, 0.79 and 0.85).
func TestBiasVarianceLeavesOutNonFiniteRuns(t *testing.T) {
	runs := gaussianRuns(t)
	runs = append(runs, makeRuns(t, fakeRun{ID: "nwj2-done", Seed: 2, Params: map[string]any{"estimator": "nwj", "critic": "separable"},
		Metrics: results.Values{"level_2_mean": 1.5, "level_2_bias": -0.5, "level_2_variance": 0.6, "level_2_mse": 0.85,
			"level_4_mean": math.NaN(), "level_4_bias": -9, "level_4_variance": 9, "level_4_mse": 90}})...)
	_, paths := checkAndMake(t, "bias_variance", runs, Spec{Kind: "bias_variance", Name: "b", Options: map[string]any{}}, t.TempDir())
	rows := readCSV(t, paths[1])
	for _, r := range rows[1:] {
		if r[0] != "nwj" {
			continue
		}
		want := map[string][]string{"2": {"1.7", "-0.3", "0.6", "0.716666666667", "3"}, "4": {"3.6", "-0.4", "2", "2.17", "2"}}[r[2]]
		if got := []string{r[3], r[6], r[7], r[8], r[9]}; !slices.Equal(got, want) {
			t.Errorf("nwj level %s: mean, bias, variance, MSE, n %v; want %v", r[2], got, want)
		}
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "| 2 (1 run left out) |") || !strings.Contains(string(md), "is left out of that level's row") {
		t.Errorf("the table does not mark or note the run left out:\n%s", md)
	}
}

// TestBiasVarianceReadsTheMetricItIsGiven gives a bias_variance table
// metric = "loss" over a run whose summary has level statistics of its
// estimate: with source = "auto" the table must be the loss's, from the
// log (where it ignored metric and showed the summary's estimate), and
// with source = "summary" setting metric or truth is an error.
func TestBiasVarianceReadsTheMetricItIsGiven(t *testing.T) {
	runs := makeRuns(t, fakeRun{ID: "r", Params: map[string]any{"estimator": "jsd", "critic": "separable"},
		Metrics: results.Values{"level_2_mean": 1.5, "level_2_bias": -0.5, "level_2_variance": 0, "level_2_mse": 0.25},
		Log: func(log func(int, results.Values)) {
			for i, loss := range []float64{9, 9, 4, 6} { // second half 4, 6: mean 5, bias 3, variance 1
				log(i+1, results.Values{"mi": 1.5, "loss": loss, "true_mi": 2})
			}
		}})
	k, _ := Lookup("bias_variance")
	paths, err := k.Make(runs, Spec{Kind: "bias_variance", Name: "b", Options: map[string]any{"metric": "loss"}}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, paths[1])
	if len(rows) != 2 || rows[1][3] != "5" || rows[1][6] != "3" || rows[1][7] != "1" {
		t.Errorf("metric = \"loss\" with source = \"auto\" gave %v, want the loss's mean 5, bias 3 and variance 1", rows)
	}
	for _, option := range []string{"metric", "truth"} {
		err := k.Check(Spec{Kind: "bias_variance", Name: "b", Options: map[string]any{"source": "summary", option: "loss"}})
		if err == nil || !strings.Contains(err.Error(), "which source = \"summary\" does not read") {
			t.Errorf("%s with source = \"summary\": %v, want an error", option, err)
		}
	}
}

func TestTablesLeaveOutRunsNotDone(t *testing.T) {
	runs := makeRuns(t,
		fakeRun{ID: "ok", Params: map[string]any{"model": "m"}, Metrics: results.Values{"acc": 1}},
		fakeRun{ID: "bad", Status: results.StatusFailed, Params: map[string]any{"model": "m"}, Metrics: results.Values{"acc": 1000}},
	)
	runs = append(runs, Run{ID: "lost"}) // no summary.json at all
	dir := t.TempDir()
	k, _ := Lookup("table")
	paths, err := k.Make(runs, Spec{Name: "t", Options: map[string]any{"rows": "model", "columns": []string{"acc"}}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "1.00") || strings.Contains(string(md), "1000") {
		t.Errorf("the failed run's value leaked into the table:\n%s", md)
	}
	if !strings.Contains(string(md), "Left out: 2 runs not done (1 failed, 1 missing).") {
		t.Errorf("table does not count the runs left out:\n%s", md)
	}
}

// TestFixedWritesHugeValuesInScientificNotation: a cell of a read-out that
// swung to -4e35 nats stays a few characters wide, and ordinary values keep
// their decimals and lose a negative zero's sign.
func TestFixedWritesHugeValuesInScientificNotation(t *testing.T) {
	for _, c := range []struct {
		x    float64
		prec int
		want string
	}{
		{-411961168938478003566917399145873408, 3, "-4.120e+35"},
		{2.5e9, 2, "2.50e+09"},
		{999999999.4, 0, "999999999"},
		{123.4567, 2, "123.46"},
		{-0.0001, 2, "0.00"},
		{math.NaN(), 2, missingValue},
	} {
		if got := fixed(c.x, c.prec); got != c.want {
			t.Errorf("fixed(%v, %d) = %q, want %q", c.x, c.prec, got, c.want)
		}
	}
}

// TestRemoveStaleRemovesOnlyWhatItListed: a first call removes nothing
// and lists what was written; a second that writes less removes the rest
// of its list, never a file of the user's own, the page, or a name in a
// tampered list that points outside the directory.
func TestRemoveStaleRemovesOnlyWhatItListed(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "reports")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(names ...string) []string {
		var paths []string
		for _, n := range names {
			p := filepath.Join(dir, n)
			if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		return paths
	}
	write("notes.md", PageFile)
	if err := os.WriteFile(filepath.Join(root, "outside.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveStale(dir, write("old.svg", "old.png", "kept.md"), nil)
	if err != nil || len(removed) != 0 {
		t.Fatalf("first call: removed %v, %v; want nothing", removed, err)
	}
	list, _ := os.ReadFile(filepath.Join(dir, WrittenList))
	if string(list) != "kept.md\nold.png\nold.svg\n" {
		t.Fatalf("the list holds %q", list)
	}
	if err := os.WriteFile(filepath.Join(dir, WrittenList), append(list, "../outside.md\nindex.html\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err = RemoveStale(dir, write("kept.md"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "old.png"), filepath.Join(dir, "old.svg")}; !slices.Equal(removed, want) {
		t.Errorf("second call removed %v, want %v", removed, want)
	}
	for _, p := range []string{filepath.Join(dir, "kept.md"), filepath.Join(dir, "notes.md"), filepath.Join(dir, PageFile), filepath.Join(root, "outside.md")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v; it must stay", p, err)
		}
	}
	if list, _ := os.ReadFile(filepath.Join(dir, WrittenList)); string(list) != "kept.md\n" {
		t.Errorf("the list holds %q after the second call", list)
	}
}

// reportsDir returns a new reports directory holding the regular files
// files, the folders folders (each with a file inside when full) and a
// WrittenList of listed.
func reportsDir(t *testing.T, files, folders, listed []string, full bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range folders {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if full {
			if err := os.WriteFile(filepath.Join(dir, n, "mine"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	list := strings.Join(listed, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, WrittenList), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkThere fails the test for each name that is not in dir.
func checkThere(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v; it must stay", n, err)
		}
	}
}

// TestRemoveStaleKeepsUnwrittenReportsAndFolders: the listed files of a
// report this call could not write are never stale, and stay listed; a
// listed name that is now a folder, empty or not, is never removed, and
// leaves the list.
func TestRemoveStaleKeepsUnwrittenReportsAndFolders(t *testing.T) {
	for _, full := range []bool{false, true} {
		dir := reportsDir(t, []string{"bv.md", "bv.csv", "old.csv"}, []string{"bv.tex", "gone.png"},
			[]string{"bv.csv", "bv.md", "bv.tex", "gone.png", "old.csv"}, full)
		removed, err := RemoveStale(dir, nil, []string{"bv", "other"})
		if want := []string{filepath.Join(dir, "old.csv")}; err != nil || !slices.Equal(removed, want) {
			t.Errorf("full folders %v: removed %v, %v; want %v", full, removed, err, want)
		}
		checkThere(t, dir, "bv.md", "bv.csv", "bv.tex", "gone.png")
		if list, _ := os.ReadFile(filepath.Join(dir, WrittenList)); string(list) != "bv.csv\nbv.md\n" {
			t.Errorf("full folders %v: the list holds %q", full, list)
		}
	}
}

// TestRemoveOutputsRemovesOnlyListedFiles: a failed report's earlier
// files are removed only where the list says the tool wrote them and they
// are regular files: a file of the user's of the report's name, or a
// folder in place of one, stays.
func TestRemoveOutputsRemovesOnlyListedFiles(t *testing.T) {
	dir := reportsDir(t, []string{"bv.md", "bv.csv"}, []string{"bv.tex"}, []string{"bv.md", "bv.tex"}, false)
	removed, err := RemoveOutputs(dir, "bv")
	if want := []string{filepath.Join(dir, "bv.md")}; err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %v, %v; want %v", removed, err, want)
	}
	checkThere(t, dir, "bv.csv", "bv.tex")
}

// TestRemoveStaleRemovesAnotherKindsFiles: a figure made a table of the
// same name, written this call, leaves the figure's PNG and SVG stale, as
// any other report's files no longer written.
func TestRemoveStaleRemovesAnotherKindsFiles(t *testing.T) {
	dir := reportsDir(t, []string{"x.png", "x.svg", "x.md"}, nil, []string{"x.png", "x.svg"}, false)
	removed, err := RemoveStale(dir, []string{filepath.Join(dir, "x.md")}, nil)
	if want := []string{filepath.Join(dir, "x.png"), filepath.Join(dir, "x.svg")}; err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %v, %v; want %v", removed, err, want)
	}
	checkThere(t, dir, "x.md")
}

// TestRemoveStaleLeavesFilesNoReportWrites: a list edited to name a file
// of another kind (notes.txt) removes nothing of it.
func TestRemoveStaleLeavesFilesNoReportWrites(t *testing.T) {
	dir := reportsDir(t, []string{"notes.txt", "old.csv"}, nil, []string{"notes.txt", "old.csv"}, false)
	removed, err := RemoveStale(dir, nil, nil)
	if want := []string{filepath.Join(dir, "old.csv")}; err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %v, %v; want %v", removed, err, want)
	}
	checkThere(t, dir, "notes.txt")
}

// TestBiasVarianceOrdersLevelsByValue checks that the rows of a run's
// levels 0.5, 2 and 10 come in the order of their values, not of their
// labels as text ("0.5", "10", "2").
func TestBiasVarianceOrdersLevelsByValue(t *testing.T) {
	metrics := results.Values{}
	for _, l := range []string{"10", "2", "0.5"} {
		for _, s := range []string{"mean", "bias", "variance", "mse"} {
			metrics["level_"+l+"_"+s] = 1
		}
	}
	runs := makeRuns(t, fakeRun{ID: "a", Seed: 0, Params: map[string]any{"estimator": "nwj", "critic": "separable"}, Metrics: metrics})
	_, paths := checkAndMake(t, "bias_variance", runs, Spec{Kind: "bias_variance", Name: "b", Options: map[string]any{}}, t.TempDir())
	rows := readCSV(t, paths[1])
	col := slices.Index(rows[0], "true_mi")
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[col])
	}
	if want := []string{"0.5", "2", "10"}; !slices.Equal(got, want) {
		t.Errorf("levels in the order %v, want %v", got, want)
	}
}
