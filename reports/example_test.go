package reports_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/reports"
)

// doneRun is a finished run with swept parameters and final metrics, as
// `sweep report` reads it from summary.json.
func doneRun(id string, seed int64, params map[string]any, metrics results.Values) reports.Run {
	return reports.Run{ID: id, Summary: &results.Summary{
		RunID: id, Status: results.StatusDone, Seed: seed, Params: params, Metrics: metrics,
	}}
}

// The table kind makes the DIM paper's Table 1 analogue: one row per model,
// one column per probe accuracy, each cell the mean ± standard deviation over
// seeds. In a sweep file it is declared as
//
//	[[tables]]
//	kind = "table"
//	name = "table1"
//	rows = "model"
//	columns = ["linear_y_acc", "mlp_y_acc"]
//	labels = {linear_y_acc = "Y (linear)", mlp_y_acc = "Y (MLP)"}
//	scale = 100
//	precision = 1
func Example_table() {
	runs := []reports.Run{
		doneRun("a0", 0, map[string]any{"model": "DIM(L)"}, results.Values{"linear_y_acc": 0.91, "mlp_y_acc": 0.95}),
		doneRun("a1", 1, map[string]any{"model": "DIM(L)"}, results.Values{"linear_y_acc": 0.93, "mlp_y_acc": 0.97}),
		doneRun("b0", 0, map[string]any{"model": "pixels"}, results.Values{"linear_y_acc": 0.85}),
		{ID: "c0", Summary: &results.Summary{Status: results.StatusFailed, Params: map[string]any{"model": "DIM(G)"}}},
	}
	spec := reports.Spec{Kind: "table", Name: "table1", Options: map[string]any{
		"rows":      "model",
		"columns":   []any{"linear_y_acc", "mlp_y_acc"},
		"labels":    map[string]any{"linear_y_acc": "Y (linear)", "mlp_y_acc": "Y (MLP)"},
		"scale":     100,
		"precision": 1,
	}}
	kind, err := reports.Lookup(spec.Kind)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "reports-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	paths, err := kind.Make(runs, spec, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		fmt.Printf("%s:\n%s\n", filepath.Base(p), b)
	}
	// Output:
	// table1.md:
	// | model  | n | Y (linear) |    Y (MLP) |
	// |:-------|--:|-----------:|-----------:|
	// | DIM(L) | 2 | 92.0 ± 1.4 | 96.0 ± 1.4 |
	// | pixels | 1 |       85.0 |        n/a |
	//
	// Each cell is the mean ± sample standard deviation over the row's runs (times 100). Left out: 1 run not done (1 failed).
	//
	// table1.csv:
	// model,n,linear_y_acc_mean,linear_y_acc_sd,linear_y_acc_n,mlp_y_acc_mean,mlp_y_acc_sd,mlp_y_acc_n
	// DIM(L),2,92,1.41421356237,2,96,1.41421356237,2
	// pixels,1,85,,1,,,0
	//
	// table1.tex:
	// % table1, from infomax's sweep report. Needs \usepackage{booktabs}.
	// % Each cell is the mean ± sample standard deviation over the row's runs (times 100). Left out: 1 run not done (1 failed).
	// \begin{tabular}{lrrr}
	// \toprule
	// model & n & Y (linear) & Y (MLP) \\
	// \midrule
	// DIM(L) & 2 & 92.0 $\pm$ 1.4 & 96.0 $\pm$ 1.4 \\
	// pixels & 1 & 85.0 & n/a \\
	// \bottomrule
	// \end{tabular}
}

// Check validates a report's options before any run exists, as
// `sweep validate` does: an unknown option is an error that names it and
// lists the valid ones.
func ExampleKind_check() {
	kind, _ := reports.Lookup("line")
	err := kind.Check(reports.Spec{Kind: "line", Name: "batchsize", Options: map[string]any{
		"x": "batch_size", "y": "linear_y_acc", "group": "estimator", "log_x": true,
	}})
	fmt.Println(err)
	// Output:
	// line report "batchsize": option "log_x": unknown option; did you mean "logx"? (valid options: columns, dodge, dpi, group, height, labels, logx, pool, reference, scale, where, width, x, xlabel, xmetric, y, ylabel)
}

// StaircaseStats summarizes a Gaussian-benchmark run per true MI level over
// the second half of each stage, as the bias_variance table does for runs
// whose summary lacks the level statistics.
func ExampleStaircaseStats() {
	var recs []results.Record
	for i, est := range []float64{0, 0, 1.5, 2.5, 3, 3, 3.5, 4.5} {
		truth := 2.0
		if i >= 4 {
			truth = 4
		}
		recs = append(recs, results.Record{Step: i, Values: results.Values{"mi": est, "true_mi": truth}})
	}
	for _, s := range reports.StaircaseStats(recs, "mi", "true_mi") {
		fmt.Printf("level %g: mean %.2f bias %.2f variance %.2f MSE %.2f (n=%d)\n",
			s.Level, s.Mean, s.Bias, s.Variance, s.MSE, s.N)
	}
	// Output:
	// level 2: mean 2.00 bias 0.00 variance 0.25 MSE 0.25 (n=2)
	// level 4: mean 4.00 bias 0.00 variance 0.25 MSE 0.25 (n=2)
}

// The margin kind says how far DIM(L) is above each baseline, pairing every
// run with the baseline's run of the same seed: the mean difference with its
// 95% t-interval, and the difference at every seed. The pixel baseline is
// probed on its inputs, so its metric is another one. In a sweep file:
//
//	[[tables]]
//	kind = "margin"
//	name = "margins"
//	rows = "model"
//	where = {model = "DIM(L)"}
//	metric = "linear_y_acc"
//	baselines = [
//	  {label = "pixels", where = {model = "pixels"}, metric = "linear_input_acc"},
//	  {label = "random", where = {model = "random"}},
//	]
//	scale = 100
//	precision = 1
func Example_margin() {
	var runs []reports.Run
	for seed, acc := range []struct{ dim, pixels, random float64 }{
		{0.937, 0.902, 0.811}, {0.934, 0.891, 0.843}, {0.918, 0.890, 0.832},
	} {
		s := int64(seed)
		runs = append(runs,
			doneRun(fmt.Sprint("l", s), s, map[string]any{"model": "DIM(L)"}, results.Values{"linear_y_acc": acc.dim}),
			doneRun(fmt.Sprint("p", s), s, map[string]any{"model": "pixels"}, results.Values{"linear_input_acc": acc.pixels}),
			doneRun(fmt.Sprint("r", s), s, map[string]any{"model": "random"}, results.Values{"linear_y_acc": acc.random}))
	}
	spec := reports.Spec{Kind: "margin", Name: "margins", Options: map[string]any{
		"rows":   "model",
		"where":  map[string]any{"model": "DIM(L)"},
		"metric": "linear_y_acc",
		"baselines": []any{
			map[string]any{"label": "pixels", "where": map[string]any{"model": "pixels"}, "metric": "linear_input_acc"},
			map[string]any{"label": "random", "where": map[string]any{"model": "random"}},
		},
		"scale":     100,
		"precision": 1,
	}}
	kind, _ := reports.Lookup(spec.Kind)
	dir, err := os.MkdirTemp("", "reports-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	paths, err := kind.Make(runs, spec, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(paths[0])
	fmt.Print(string(b))
	// Output:
	// | model  | n | vs pixels [95% CI] | vs pixels, per seed |  vs random [95% CI] | vs random, per seed |
	// |:-------|--:|-------------------:|--------------------:|--------------------:|--------------------:|
	// | DIM(L) | 3 |  +3.5 [+1.7, +5.4] |  +3.5 / +4.3 / +2.8 | +10.1 [+4.7, +15.5] | +12.6 / +9.1 / +8.6 |
}
