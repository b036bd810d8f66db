package reports

import (
	"errors"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/infomax/infomax/experiments/engine/results"
)

func TestKindsRegistered(t *testing.T) {
	names := strings.Join(Names(), ",")
	for _, want := range []string{"bias_variance", "curves", "estimates", "heatmap", "line", "sample_size", "staircase", "table", "walltime"} {
		if !strings.Contains(names, want) {
			t.Errorf("kind %q is not registered (have %s)", want, names)
		}
	}
}

// validSpecs are specs each kind accepts.
var validSpecs = map[string]map[string]any{
	"staircase": {"panel": "estimator", "line": "critic", "smoothing": 0.95, "seeds": "all",
		"max_points": int64(500), "ymin": int64(-1), "ymax": 12.0, "columns": int64(2), "dpi": int64(150)},
	"bias_variance": {"rows": []any{"estimator"}, "source": "metrics", "precision": int64(2)},
	"line": {"x": "batch_size", "y": []any{"a", "b"}, "group": "estimator", "logx": true,
		"labels": map[string]any{"a": "A"}, "scale": 100},
	"heatmap": {"x": "alpha", "y": "beta", "z": "acc", "precision": int64(1), "values": false},
	"table":   {"rows": "model", "columns": []string{"acc"}, "labels": map[string]any{"acc": "Acc"}, "scale": 100.0},
	"curves": {"y": []any{"loss", "mi"}, "group": "estimator", "band": "ci", "smoothing": 0.9,
		"labels": map[string]any{"mi": "MI (nats)"}, "max_points": int64(200), "columns": int64(2)},
	"estimates": {"rows": []any{"problem", "estimator"}, "estimate": "mi", "truth": "true_mi", "precision": int64(2)},
	"sample_size": {"x": "samples", "panel": "problem", "group": "estimator", "y": "mi", "truth": "true_mi",
		"logx": false, "ymin": -0.5, "ymax": int64(2), "ylabel": "nats", "columns": int64(2)},
	"walltime": {"rows": "estimator", "precision": int64(0)},
}

func TestCheckAcceptsValidSpecs(t *testing.T) {
	for kind, opts := range validSpecs {
		k, err := Lookup(kind)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Check(Spec{Kind: kind, Name: "fig", Options: opts}); err != nil {
			t.Errorf("%s: Check(valid) = %v", kind, err)
		}
	}
}

func TestCheckRejectsUnknownOption(t *testing.T) {
	for kind, opts := range validSpecs {
		k, _ := Lookup(kind)
		bad := map[string]any{"colour": "red"}
		for n, v := range opts {
			bad[n] = v
		}
		err := k.Check(Spec{Kind: kind, Name: "fig", Options: bad})
		if err == nil {
			t.Errorf("%s: Check accepted the unknown option colour", kind)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"colour"`) || !strings.Contains(msg, "unknown option") ||
			!strings.Contains(msg, "valid options:") {
			t.Errorf("%s: error does not name the option and list the valid ones: %v", kind, err)
		}
		// Every valid option is listed.
		for n := range opts {
			if !strings.Contains(msg, n) {
				t.Errorf("%s: error does not list the valid option %q: %v", kind, n, err)
			}
		}
	}
}

func TestCheckRejectsWrongTypesAndValues(t *testing.T) {
	cases := []struct {
		kind, option string
		value        any
	}{
		{"staircase", "smoothing", "lots"},
		{"staircase", "smoothing", 1.5},
		{"staircase", "smoothing", -0.1},
		{"staircase", "seeds", "some"},
		{"staircase", "max_points", 2.5},
		{"staircase", "panel", int64(3)},
		{"staircase", "width", int64(-2)},
		{"staircase", "dpi", int64(0)},
		{"heatmap", "width", int64(800)}, // pixels meant: inches
		{"line", "height", 1e9},
		{"bias_variance", "rows", []any{"estimator", int64(1)}},
		{"bias_variance", "source", "memory"},
		{"line", "logx", "yes"},
		{"line", "y", []any{}},
		{"line", "labels", "Y"},
		{"heatmap", "values", int64(1)},
		{"table", "columns", map[string]any{"a": "b"}},
		{"table", "precision", int64(-1)},
		{"table", "labels", map[string]any{"nope": "N"}},
		{"curves", "band", "iqr"},
		{"curves", "smoothing", 2.5},
		{"curves", "y", int64(1)},
		{"heatmap", "center", "one"},
		{"estimates", "rows", int64(1)},
		{"sample_size", "logx", "no"},
		{"sample_size", "ymax", -1.0},
		{"walltime", "precision", int64(9)},
	}
	for _, c := range cases {
		k, _ := Lookup(c.kind)
		opts := map[string]any{}
		for n, v := range validSpecs[c.kind] {
			opts[n] = v
		}
		opts[c.option] = c.value
		err := k.Check(Spec{Kind: c.kind, Name: "fig", Options: opts})
		if err == nil {
			t.Errorf("%s: Check accepted %s = %#v", c.kind, c.option, c.value)
			continue
		}
		if !strings.Contains(err.Error(), `"`+c.option+`"`) || !strings.Contains(err.Error(), "valid options:") {
			t.Errorf("%s: error for %s = %#v does not name it and list the options: %v", c.kind, c.option, c.value, err)
		}
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != c.option {
			t.Errorf("%s: error for %s is not an *OptionError naming it: %#v", c.kind, c.option, err)
		}
	}
}

func TestCheckRequiresOptionsAndName(t *testing.T) {
	for kind, required := range map[string][]string{
		"line": {"x", "y"}, "heatmap": {"x", "y", "z"}, "table": {"rows", "columns"}, "curves": {"y"},
		"estimates": {"rows"}, "sample_size": {"x", "panel"}, "walltime": {"rows"},
	} {
		k, _ := Lookup(kind)
		for _, opt := range required {
			opts := map[string]any{}
			for n, v := range validSpecs[kind] {
				if n != opt {
					opts[n] = v
				}
			}
			err := k.Check(Spec{Kind: kind, Name: "fig", Options: opts})
			if err == nil || !strings.Contains(err.Error(), `"`+opt+`"`) || !strings.Contains(err.Error(), "missing") {
				t.Errorf("%s without %s: err = %v", kind, opt, err)
			}
		}
	}
	k, _ := Lookup("staircase")
	if err := k.Check(Spec{Kind: "staircase"}); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("staircase without a name: err = %v", err)
	}
	if err := k.Check(Spec{Kind: "staircase", Name: "../x"}); err == nil {
		t.Error("staircase with a path as its name: no error")
	}
}

func TestMakeWithoutFinishedRuns(t *testing.T) {
	runs := makeRuns(t, fakeRun{ID: "f", Status: results.StatusFailed, Params: map[string]any{"model": "m"}})
	for kind, opts := range validSpecs {
		k, _ := Lookup(kind)
		_, err := k.Make(runs, Spec{Kind: kind, Name: "fig", Options: opts}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "no finished runs") || !strings.Contains(err.Error(), "1 failed") {
			t.Errorf("%s with only a failed run: err = %v", kind, err)
		}
	}
}

func TestParamLookup(t *testing.T) {
	r := Run{
		Summary: &results.Summary{Params: map[string]any{"estimator": "jsd", "batch_size": float64(64)}},
		Config: map[string]any{
			"estimator": "nwj", // the swept value wins
			"lr":        5e-4,
			"critic":    map[string]any{"name": "separable", "hidden": int64(256)},
			"data":      map[string]any{"dim": int64(20), "prior": map[string]any{"kind": "uniform"}},
			"a":         map[string]any{"width": int64(1)},
			"b":         map[string]any{"width": int64(2)},
		},
	}
	for key, want := range map[string]string{
		"estimator": "jsd", "batch_size": "64", "lr": "0.0005", "critic": "separable",
		"critic.hidden": "256", "dim": "20", "kind": "uniform", "data.prior.kind": "uniform",
	} {
		v, ok := r.Param(key)
		if !ok || formatValue(v) != want {
			t.Errorf("Param(%q) = %v, %v; want %s", key, v, ok, want)
		}
	}
	// Ambiguous (a.width and b.width), missing, and a table without a name.
	for _, key := range []string{"width", "seed", "data"} {
		if v, ok := r.Param(key); ok {
			t.Errorf("Param(%q) = %v, want not found", key, v)
		}
	}
}

func TestGroupOrder(t *testing.T) {
	runs := makeRuns(t,
		fakeRun{ID: "1", Params: map[string]any{"estimator": "nwj", "batch_size": float64(64)}},
		fakeRun{ID: "2", Params: map[string]any{"estimator": "infonce", "batch_size": float64(8)}},
		fakeRun{ID: "3", Params: map[string]any{"estimator": "nwj", "batch_size": float64(16)}},
		fakeRun{ID: "4", Params: map[string]any{"estimator": "infonce", "batch_size": float64(64)}},
		fakeRun{ID: "5", Params: map[string]any{"batch_size": float64(64)}},
	)
	groups, err := groupRuns("test", Spec{Name: "t"}, runs, []string{"estimator", "batch_size"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		got = append(got, g.Label())
	}
	// Estimators in the order they first appear, batch sizes numerically; a
	// run without an estimator has it unset.
	want := "nwj, 16|nwj, 64|infonce, 8|infonce, 64|unset, 64"
	if strings.Join(got, "|") != want {
		t.Errorf("groups = %s, want %s", strings.Join(got, "|"), want)
	}
	if _, err := groupRuns("test", Spec{Name: "t"}, runs, []string{"critc"}); err == nil ||
		!strings.Contains(err.Error(), "critc") || !strings.Contains(err.Error(), "batch_size") {
		t.Errorf("grouping by a key no run has: err = %v", err)
	}
}

// TestLabelsOfAMisspeltMetric checks that a label whose metric is not among
// the metrics of y or columns fails Check, and that when one of those is
// close to it and has no label, the error names that one.
func TestLabelsOfAMisspeltMetric(t *testing.T) {
	for _, c := range []struct {
		kind string
		opts map[string]any
		want string
	}{
		{"line", map[string]any{"x": "batch_size", "y": []any{"linear_y_acs", "mlp_y_acc"},
			"labels": map[string]any{"linear_y_acc": "Y", "mlp_y_acc": "MLP"}},
			`labels "linear_y_acc", which is not among the metrics of y (linear_y_acs, mlp_y_acc); "linear_y_acs" in y is close to it: one of the two is misspelt`},
		{"curves", map[string]any{"y": []any{"loss", "mii"}, "labels": map[string]any{"mi": "MI"}},
			`labels "mi", which is not among the metrics of y (loss, mii); "mii" in y is close to it: one of the two is misspelt`},
		{"table", map[string]any{"rows": "model", "columns": []any{"acc"}, "labels": map[string]any{"zzz": "?", "acc": "A"}},
			`labels "zzz", which is not among the metrics of columns (acc) (valid`},
	} {
		k, _ := Lookup(c.kind)
		err := k.Check(Spec{Kind: c.kind, Name: "r", Options: c.opts})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check = %v, want %q", c.kind, err, c.want)
		}
	}
}

// TestFigureSizeInPixelsIsBounded checks that a panel too large to draw
// (40 × 40 inches at 1200 dpi, 2.3 billion pixels) is an error of dpi at
// Check, and that a figure whose panels together pass the bound is an
// error of writeFigure, not an allocation that ends the process.
func TestFigureSizeInPixelsIsBounded(t *testing.T) {
	k, _ := Lookup("heatmap")
	opts := map[string]any{}
	for n, v := range validSpecs["heatmap"] {
		opts[n] = v
	}
	opts["width"], opts["height"], opts["dpi"] = int64(40), int64(40), int64(1200)
	err := k.Check(Spec{Kind: "heatmap", Name: "fig", Options: opts})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "dpi" || !strings.Contains(err.Error(), "48000 × 48000 pixels, more than 50 million: lower dpi, width or height") {
		t.Errorf("Check of a 40 × 40-inch panel at 1200 dpi: %v", err)
	}
	_, err = writeFigure(t.TempDir(), "wide", 20*40*vg.Inch, 40*vg.Inch, 96, func(draw.Canvas) { t.Error("drew it") })
	if err == nil || !strings.Contains(err.Error(), `figure "wide", its panels together: 800 × 40 inches at 96 dpi`) {
		t.Errorf("writeFigure of 800 × 40 inches: %v", err)
	}
}
