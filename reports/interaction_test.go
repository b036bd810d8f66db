package reports

import (
	"os"
	"strings"
	"testing"
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
}
