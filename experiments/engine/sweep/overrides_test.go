package sweep

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// overrideFile is gridFile with two overrides, one inside the other.
const overrideFile = gridFile + `
[[overrides]]
where = { estimator = "dv" }
batch_size = 8
width = 2

[[overrides]]
where = { estimator = "dv", "optim.lr" = 0.2 }
steps = 9
`

// TestOverridesChangeOnlyTheRunsTheySelect checks that each override sets
// its keys in every run whose parameters match its where, and in no other,
// that two overrides apply together, and that the other runs keep the ids
// they have without any override.
func TestOverridesChangeOnlyTheRunsTheySelect(t *testing.T) {
	s := parseFile(t, overrideFile)
	plain := parseFile(t, gridFile)
	if len(s.Runs) != 12 || len(plain.Runs) != 12 {
		t.Fatalf("got %d and %d runs, want 12", len(s.Runs), len(plain.Runs))
	}
	for i, r := range s.Runs {
		cfg := r.Config.(*fakeConfig)
		dv, high := r.Values[0] == "dv", r.Values[1] == 0.2
		wantBatch, wantWidth, wantSteps := 4, 4, 6
		if dv {
			wantBatch, wantWidth = 8, 2
		}
		if dv && high {
			wantSteps = 9
		}
		if cfg.BatchSize != wantBatch || cfg.Width != wantWidth || cfg.Steps != wantSteps {
			t.Errorf("run %d %v: batch %d width %d steps %d, want %d %d %d", i, r.Values, cfg.BatchSize, cfg.Width, cfg.Steps, wantBatch, wantWidth, wantSteps)
		}
		if sameID := r.ID == plain.Runs[i].ID; sameID == dv {
			t.Errorf("run %d %v: id %s against %s without overrides; want a new id exactly for the dv runs", i, r.Values, r.ID, plain.Runs[i].ID)
		}
	}
}

// TestOverridesReachAxisCentresAndNestedSiblings checks two overrides that
// are allowed: one selecting an axis design's centre, a value its
// parameter takes from [base] rather than lists, and one setting a key
// beside a swept nested key, which keeps the parameter's value.
func TestOverridesReachAxisCentresAndNestedSiblings(t *testing.T) {
	s := parseFile(t, `name = "ax"
task = "fake"
[base]
width = 4
steps = 6
[parameters.width]
values = [2, 8]
axis = true
[parameters.steps]
values = [3, 9]
axis = true
[parameters."optim.lr"]
values = [0.1, 0.2]
[[overrides]]
where = { width = 4 }
batch_size = 16
optim.momentum = 0.5
`)
	centre := 0
	for i, r := range s.Runs {
		cfg := r.Config.(*fakeConfig)
		reached := cfg.Width == 4
		if reached {
			centre++
		}
		if (cfg.BatchSize == 16) != reached || (cfg.Optim.Momentum == 0.5) != reached || cfg.Optim.LR != r.Values[2] {
			t.Errorf("run %d %v: batch %d momentum %g lr %g; want the override exactly where width = 4, and the swept lr kept", i, r.Values, cfg.BatchSize, cfg.Optim.Momentum, cfg.Optim.LR)
		}
	}
	if centre != 6 {
		t.Errorf("%d runs at width 4, want 6 (3 points of the axes with width 4, times 2 rates)", centre)
	}
}

// TestResultsCSVShowsWhatOverridesSet runs overrideFile, with a nested key
// added to its first override, and checks that results.csv has a column
// for every setting an override sets, after the swept parameters, holding
// each run's value: the dv runs differ from the others there as in a
// parameter.
func TestResultsCSVShowsWhatOverridesSet(t *testing.T) {
	s := parseFile(t, strings.Replace(overrideFile, "width = 2\n", "width = 2\noptim.momentum = 0.5\n", 1))
	if got := strings.Join(s.OverrideKeys(), ","); got != "batch_size,optim.momentum,steps,width" {
		t.Fatalf("OverrideKeys() = %s", got)
	}
	out := t.TempDir()
	runSweep(t, s, out)
	tab, err := results.ReadResultsCSV(filepath.Join(s.Dir(out), results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Header, ","); got != "run_id,estimator,optim.lr,cubic,batch_size,optim.momentum,steps,width,seed,status,loss,mi" {
		t.Fatalf("results.csv header %s", got)
	}
	for i, row := range tab.Rows {
		cfg := s.Runs[i].Config.(*fakeConfig)
		want := []string{fmt.Sprint(cfg.BatchSize), fmt.Sprint(cfg.Optim.Momentum), fmt.Sprint(cfg.Steps), fmt.Sprint(cfg.Width)}
		if got := row[4:8]; !slices.Equal(got, want) {
			t.Errorf("results.csv row %d (%s) has %v for the overridden settings, want its config's %v", i, row[1], got, want)
		}
	}
	if col := strings.Join(resultsColumn(t, s.Dir(out), "optim.momentum"), " "); col != "0.9 0.9 0.9 0.9 0.9 0.9 0.9 0.9 0.5 0.5 0.5 0.5" {
		t.Errorf("optim.momentum column %s, want 0.5 for the dv runs only", col)
	}
}
