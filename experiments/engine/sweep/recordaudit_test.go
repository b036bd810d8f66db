package sweep

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestRemovingRunsAloneIsAChange checks that a file that only drops a
// run (a seed) is refused as a changed sweep, and that --force then says
// that the dropped run stays on disk and leaves it out of results.csv.
func TestRemovingRunsAloneIsAChange(t *testing.T) {
	out := t.TempDir()
	one := strings.Replace(runFile, `values = ["jsd", "dv"]`, `values = ["jsd"]`, 1)
	runSweep(t, parseFile(t, one), out)
	fewer := parseFile(t, strings.Replace(one, "seeds = [0, 1]", "seeds = [0]", 1))
	_, err := (&Runner{Out: out}).Run(context.Background(), fewer)
	var ce *ChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "1 run removed") {
		t.Fatalf("a file that removes a run: %v, want a ChangedError naming it", err)
	}
	var log strings.Builder
	oc, err := (&Runner{Out: out, Stdout: &log, Force: true}).Run(context.Background(), fewer)
	if err != nil || len(oc.Ran) != 0 || len(oc.Skipped) != 1 {
		t.Fatalf("--force: %+v %v; want the kept run skipped", oc, err)
	}
	if !strings.Contains(log.String(), "removed run no longer in the file stay") {
		t.Errorf("--force does not say where the removed run stays:\n%s", log.String())
	}
	if ids := resultsColumn(t, fewer.Dir(out), "run_id"); !slices.Equal(ids, []string{fewer.Runs[0].ID}) {
		t.Fatalf("results.csv rows %v, want only the file's run %s", ids, fewer.Runs[0].ID)
	}
}

// TestRecordNamesNestedSettingsByTheirDottedKeys checks that sweep.json
// records a nested setting as "table.key", and that a change to it is
// described under that key.
func TestRecordNamesNestedSettingsByTheirDottedKeys(t *testing.T) {
	s := parseFile(t, gridFile)
	settings := s.Record().Runs[0].Settings
	if settings["optim.lr"] != "0.1" || settings["optim.momentum"] != "0.9" || settings["estimator_params.tau"] != "1" {
		t.Fatalf("recorded settings %v; want optim.lr = 0.1, optim.momentum = 0.9, estimator_params.tau = 1", settings)
	}
	c := parseFile(t, gridFile+"\n[base.optim]\nmomentum = 0.5\n").Diff(s.Record())
	if len(c.Changed) != len(s.Runs) || c.Keys["optim.momentum: 0.9 -> 0.5"] != len(s.Runs) {
		t.Fatalf("changed momentum: %d runs changed, keys %v", len(c.Changed), c.Keys)
	}
}

// TestRunsSharingAnIDPrefixPairWithTheirOwn: two runs whose ids read the
// same but for their hash (learning rates equal to four digits) are, when
// a base setting changes, each paired with its own old run: two changed
// runs, only the base setting among the differences, nothing added or
// removed. Paired by prefix alone, one of them was described as changed
// in its learning rate and the other as added and removed.
func TestRunsSharingAnIDPrefixPairWithTheirOwn(t *testing.T) {
	file := "name = \"p\"\ntask = \"fake\"\nseeds = [0]\n[base]\nsteps = 4\n[parameters.\"optim.lr\"]\nvalues = [0.10001, 0.10002]\n"
	s := parseFile(t, file)
	if a, b := s.Runs[0].ID, s.Runs[1].ID; idStem(a) != idStem(b) || a == b {
		t.Fatalf("ids %s and %s: want the same prefix and different hashes", a, b)
	}
	c := parseFile(t, strings.Replace(file, "steps = 4", "steps = 5", 1)).Diff(s.Record())
	if len(c.Changed) != 2 || len(c.Added)+len(c.Removed) != 0 || len(c.Keys) != 1 || c.Keys["steps: 4 -> 5"] != 2 {
		t.Fatalf("changed %v, added %v, removed %v, keys %v; want both runs changed in steps alone", c.Changed, c.Added, c.Removed, c.Keys)
	}
	for i, p := range c.Changed {
		if p[0] != s.Runs[i].ID {
			t.Errorf("changed run %d paired with %s, want %s", i, p[0], s.Runs[i].ID)
		}
	}
}
