package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/experiments/tasks/dim"
	"github.com/infomax/infomax/sweeps"
)

// TestTuningSweepsNeverScoreOnTheTestSplit reads every shipped sweep: a
// tuning sweep (named tune-*) must score every run on images held out of
// the training split (eval_split = "validation", with some held out), and
// every other DIM sweep must say which split it reports, the test split.
// That a validation run never sees a test image is checked where the
// splits are made (data.TestSplitsAreDisjointAndSized, dim's
// TestValidationSplitKeepsTheTestSplitOut).
func TestTuningSweepsNeverScoreOnTheTestSplit(t *testing.T) {
	repo, err := filepath.Abs("../../sweeps")
	if err != nil {
		t.Fatal(err)
	}
	tuning := 0
	for _, name := range sweeps.Names() {
		s, err := sweep.Load(filepath.Join(repo, name+sweeps.Ext))
		if err != nil {
			t.Fatal(err)
		}
		if s.Task != "dim" {
			continue
		}
		tune := strings.HasPrefix(name, "tune-")
		if tune {
			tuning++
		}
		for _, r := range s.Runs {
			c := r.Config.(*dim.Config)
			switch {
			case tune && (c.EvalSplit != data.SplitValidation || c.ValidationSubset == 0):
				t.Fatalf("%s: run %s scores on the %q split (validation_subset = %d); a tuning sweep must score on validation", name, r.ID, c.EvalSplit, c.ValidationSubset)
			case !tune && c.EvalSplit != data.SplitTest:
				t.Fatalf("%s: run %s reports the %q split; only tune-* sweeps may score on validation", name, r.ID, c.EvalSplit)
			}
		}
		// The file, or one it extends, says the split.
		says := false
		for _, f := range append([]string{filepath.Join(repo, name+sweeps.Ext)}, s.Extends...) {
			src, _ := os.ReadFile(f)
			says = says || strings.Contains(string(src), "eval_split")
		}
		if !tune && !says {
			t.Errorf("%s: neither the file nor one it extends says which split it reports: set eval_split = \"test\" in [base]", name)
		}
	}
	if tuning == 0 {
		t.Fatal("no tune-* sweep is shipped: the DIM sweeps' settings must be chosen by one")
	}
}
