package reports

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestInteractionKind checks the interaction of estimator and number of
// negatives on negativesRuns, by hand: from K = 1 to all, jsd gains 1, 1
// and 2 points and infonce 6, 5 and 7, so infonce's change minus jsd's is
// 5, 4 and 5 (mean 4.67, sd 0.577, t(0.975, 2) = 4.303, half-width 1.43:
// [+3.2, +6.1]).
func TestInteractionKind(t *testing.T) {
	spec := Spec{Kind: "interaction", Name: "negatives-interaction", Options: map[string]any{
		"metric": "linear_y_acc", "factor": "num_negatives", "from": int64(1), "to": int64(0),
		"by": "estimator", "reference": "jsd", "scale": int64(100), "precision": int64(1),
	}}
	_, paths := checkAndMake(t, "interaction", negativesRuns(t), spec, t.TempDir())
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"+1.0 / +1.0 / +2.0", "+6.0 / +5.0 / +7.0", "+5.0 / +4.0 / +5.0", "+4.7 [+3.2, +6.1]",
		"change, num_negatives 1 → 0 [95% CI]", "minus jsd's change"} {
		if !strings.Contains(string(md), cell) {
			t.Errorf("negatives-interaction.md lacks %q:\n%s", cell, md)
		}
	}
}

// TestInteractionMarksItsOwnN fails jsd's run at K = 1, seed 2: infonce's
// row keeps n = 3 for its change, but its interaction has only seeds 0 and
// 1 (5 and 4: mean 4.5, sd 0.707, t(0.975, 1) = 12.706, half-width 6.35:
// [-1.9, +10.9]), which the cell marks "(n=2)" and the CSV's
// interaction_n counts. With seed 1 failed too the interaction is seed
// 0's alone, +5.0 (n=1), with no interval.
func TestInteractionMarksItsOwnN(t *testing.T) {
	spec := Spec{Kind: "interaction", Name: "i", Options: map[string]any{
		"metric": "linear_y_acc", "factor": "num_negatives", "from": int64(1), "to": int64(0),
		"by": "estimator", "reference": "jsd", "scale": int64(100), "precision": int64(1),
	}}
	for _, tc := range []struct {
		failed []string
		cell   string
		n      string
	}{
		{[]string{"jsd-k1-s2"}, "+4.5 [-1.9, +10.9] (n=2)", "2"},
		{[]string{"jsd-k1-s1", "jsd-k1-s2"}, " +5.0 (n=1) |", "1"},
	} {
		runs := negativesRuns(t)
		for _, r := range runs {
			if slices.Contains(tc.failed, r.ID) {
				r.Summary.Status = results.StatusFailed
			}
		}
		_, paths := checkAndMake(t, "interaction", runs, spec, t.TempDir())
		md, _ := os.ReadFile(paths[0])
		if !strings.Contains(string(md), "| infonce   | 3 |") || !strings.Contains(string(md), tc.cell) {
			t.Errorf("failed %v: infonce's row lacks n = 3 or %q:\n%s", tc.failed, tc.cell, md)
		}
		rows := readCSV(t, paths[1])
		if got := csvCell(t, rows, "infonce", "interaction_n"); got != tc.n || csvCell(t, rows, "infonce", "n") != "3" {
			t.Errorf("failed %v: infonce's CSV n %s, interaction_n %s; want 3, %s", tc.failed, csvCell(t, rows, "infonce", "n"), got, tc.n)
		}
		if got := csvCell(t, rows, "jsd", "interaction_n"); got != "" {
			t.Errorf("failed %v: the reference's interaction_n %q; want empty", tc.failed, got)
		}
	}
}

// TestInteractionOptionErrors checks that the options name what is wrong.
func TestInteractionOptionErrors(t *testing.T) {
	k, _ := Lookup("interaction")
	base := func() map[string]any {
		return map[string]any{"metric": "m", "factor": "f", "from": int64(1), "to": int64(2), "by": "b", "reference": "r"}
	}
	for _, c := range []struct {
		edit func(o map[string]any)
		want string
	}{
		{func(o map[string]any) { delete(o, "reference") }, "reference"},
		{func(o map[string]any) { o["to"] = int64(1) }, "same value as from"},
		{func(o map[string]any) { o["from"] = []any{1} }, "want a parameter value"},
		{func(o map[string]any) { o["groups"] = "x" }, "groups"},
	} {
		o := base()
		c.edit(o)
		if err := k.Check(Spec{Kind: "interaction", Name: "x", Options: o}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("options %v: error %v, want one naming %q", o, err, c.want)
		}
	}
	spec := Spec{Kind: "interaction", Name: "x", Options: map[string]any{"metric": "linear_y_acc", "factor": "num_negatives",
		"from": int64(1), "to": int64(0), "by": "estimator", "reference": "dv"}}
	if _, err := k.Make(negativesRuns(t), spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), "estimator = dv") {
		t.Errorf("a reference no run has: %v", err)
	}
	// The error names the factor's levels, where the reference's runs
	// must have finished: in a sweep part done, such as the main job with
	// only batch 32 done, its runs at other levels are not missing.
	spec.Options["reference"], spec.Options["from"], spec.Options["to"] = "jsd", int64(7), int64(9)
	want := `interaction report "x": option "reference": no finished run at num_negatives = 7 or 9 has estimator = jsd (none is at either)`
	if _, err := k.Make(negativesRuns(t), spec, t.TempDir()); err == nil || err.Error() != want {
		t.Errorf("no run at the levels: %v, want %q", err, want)
	}
	runs := negativesRuns(t)
	for _, r := range runs {
		if strings.HasPrefix(r.ID, "jsd-k1-") || strings.HasPrefix(r.ID, "jsd-k0-") {
			r.Summary.Status = results.StatusFailed
		}
	}
	spec.Options["from"], spec.Options["to"] = int64(1), int64(0)
	want = `interaction report "x": option "reference": no finished run at num_negatives = 1 or 0 has estimator = jsd (groups there: infonce)`
	if _, err := k.Make(runs, spec, t.TempDir()); err == nil || err.Error() != want {
		t.Errorf("jsd's runs at K = 1 and 0 failed: %v, want %q", err, want)
	}
}

// TestInteractionWithPairAveragesEachSeed runs negativesRuns' values at
// two batch sizes, the second's those of the first plus 0.01 a seed (1, 2,
// 3 points) at K = 0 for infonce alone, with pair = batch_size: a seed then
// has a change for each batch size, which are not independent, and its
// change is their mean. infonce's changes at batch 8 are 6, 5, 7 points
// and at 32 7, 7, 10, so the seeds' means are 6.5, 6, 8.5 (n = 3, not 6).
func TestInteractionWithPairAveragesEachSeed(t *testing.T) {
	var fakes []fakeRun
	for est, byK := range negativesAcc {
		for k, seeds := range byK {
			for s, v := range seeds {
				for _, b := range []int64{8, 32} {
					if b == 32 && est == "infonce" && k == 0 {
						v += 0.01 * float64(s+1)
					}
					fakes = append(fakes, fakeRun{ID: est + "-k" + formatValue(k) + "-s" + formatValue(int64(s)) + "-b" + formatValue(b),
						Seed: int64(s), Params: map[string]any{"estimator": est, "num_negatives": k, "batch_size": b},
						Metrics: results.Values{"linear_y_acc": v}})
				}
			}
		}
	}
	spec := Spec{Kind: "interaction", Name: "i", Options: map[string]any{
		"metric": "linear_y_acc", "factor": "num_negatives", "from": int64(1), "to": int64(0),
		"by": "estimator", "reference": "jsd", "scale": int64(100), "precision": int64(1), "pair": []any{"batch_size"},
	}}
	_, paths := checkAndMake(t, "interaction", makeRuns(t, fakes...), spec, t.TempDir())
	md, _ := os.ReadFile(paths[0])
	if !strings.Contains(string(md), "| infonce   | 3 |") || !strings.Contains(string(md), "+6.5 / +6.0 / +8.5") {
		t.Errorf("infonce's row lacks n = 3 or the seeds' mean changes +6.5 / +6.0 / +8.5:\n%s", md)
	}
}

// TestInteractionIntervalsAtTheirLevel checks the CSV's interval bounds on
// negativesRuns at the levels 0.95 and 0.9, from Student's t quantiles
// read from a table: t(0.975, 2) = 4.302653 and t(0.95, 2) = 2.919986.
// infonce's changes 6, 5, 7 have mean 6 and sd 1, so half-width t/√3; its
// interaction 5, 4, 5 has mean 14/3 and sd √(1/3), so half-width t/3. The
// reference's own row has no interaction: its cells are empty.
func TestInteractionIntervalsAtTheirLevel(t *testing.T) {
	for _, c := range []struct{ level, t float64 }{{0.95, 4.302652729749464}, {0.9, 2.919985580355516}} {
		spec := Spec{Kind: "interaction", Name: "i", Options: map[string]any{
			"metric": "linear_y_acc", "factor": "num_negatives", "from": int64(1), "to": int64(0),
			"by": "estimator", "reference": "jsd", "scale": int64(100), "level": c.level,
		}}
		_, paths := checkAndMake(t, "interaction", negativesRuns(t), spec, t.TempDir())
		rows := readCSV(t, paths[1])
		for _, w := range []struct {
			column string
			want   float64
		}{
			{"change_low", 6 - c.t/math.Sqrt(3)}, {"change_high", 6 + c.t/math.Sqrt(3)},
			{"interaction_low", 14.0/3 - c.t/3}, {"interaction_high", 14.0/3 + c.t/3},
		} {
			if got := csvNumber(t, rows, "infonce", w.column); math.Abs(got-w.want) > 1e-6 {
				t.Errorf("level %g: infonce's %s %.9g, want %.9g", c.level, w.column, got, w.want)
			}
		}
		for _, column := range []string{"interaction_mean", "interaction_low", "interaction_high", "interaction_per_seed"} {
			if got := csvCell(t, rows, "jsd", column); got != "" {
				t.Errorf("level %g: the reference's %s is %q, want empty", c.level, column, got)
			}
		}
	}
}
