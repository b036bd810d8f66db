package sweep

import (
	"fmt"
	"strings"
	"testing"
)

const axesFile = `name = "axes"
task = "fake"
seeds = [0, 1]

[base]
batch_size = 4
steps = 6

[parameters.estimator]
values = ["jsd", "infonce"]

[parameters.batch_size]
values = [2, 4, 8]
axis = true

[parameters.steps]
values = [3, 12]
axis = true
`

// TestAxesSweepOneFactorAtATime checks a one-factor-at-a-time grid: the
// two axes (batch_size around 4, steps around 6) give the centre, two
// more batch sizes and two more step counts, 5 points, each crossed with
// both estimators and both seeds, in that order.
func TestAxesSweepOneFactorAtATime(t *testing.T) {
	s := parseFile(t, axesFile)
	points := []string{"4/6", "2/6", "8/6", "4/3", "4/12"}
	if len(s.Runs) != 2*len(points)*2 {
		t.Fatalf("got %d runs, want 20", len(s.Runs))
	}
	i := 0
	for _, est := range []string{"jsd", "infonce"} {
		for _, pt := range points {
			for _, seed := range []int64{0, 1} {
				r := s.Runs[i]
				cfg := r.Config.(*fakeConfig)
				got := fmt.Sprintf("%d/%d", cfg.BatchSize, cfg.Steps)
				if r.Seed != seed || cfg.Estimator != est || got != pt || fmt.Sprint(r.Values) != fmt.Sprintf("[%s %s]", est, strings.Replace(pt, "/", " ", 1)) {
					t.Fatalf("run %d: seed %d, estimator %s, batch/steps %s, values %v; want seed %d, %s, %s", i, r.Seed, cfg.Estimator, got, r.Values, seed, est, pt)
				}
				i++
			}
		}
	}
}

// TestAxisNeedsABaseValue checks the errors of axis.
func TestAxisNeedsABaseValue(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{strings.Replace(axesFile, "steps = 6\n", "", 1), "add steps = ... to [base]"},
		{strings.Replace(axesFile, "axis = true\n", "axis = 1\n", 1), "want true or false"},
		{strings.Replace(axesFile, `seeds = [0, 1]`, "seeds = [0, 1]\nmethod = \"random\"\nrun_cap = 3", 1), "only a grid parameter"},
	} {
		if _, err := Parse("axes.toml", []byte(c.file)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
