package reports

import (
	"errors"
	"os"
	"slices"
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
	want := "each row pools runs that differ in estimator_params.tau (1, 5), as though they were seeds; add it to rows, or name it in pool to average over it on purpose"
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
// follows it) are told apart; a staircase-like grouping by estimator
// alone names tau in the legend.
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
	if svg, _ := os.ReadFile(paths[1]); !strings.Contains(string(svg), "pooled as seeds: estimator_params.tau (1, 5)") {
		t.Errorf("the line figure's legend does not say it pools tau")
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
// map's title says what it averages over on purpose, not that it pools;
// and a key of many values lists the first few and their number.
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
		strings.Contains(string(svg), "pooled as seeds") {
		t.Errorf("the heat map with pool does not say what it averages over, or says it pools")
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
