package sweep

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestForceKeepsTheRunsWhoseIDsAreWrittenAnew checks that --force on a
// file that both adds runs and writes some ids anew (a negative value,
// once written without its sign) moves the renamed runs' folders and keeps
// them as done, running only the added runs.
func TestForceKeepsTheRunsWhoseIDsAreWrittenAnew(t *testing.T) {
	out := t.TempDir()
	src := strings.Replace(runFile, "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]", "[parameters.\"optim.momentum\"]\nvalues = [-0.5, 0.9]", 1)
	s := parseFile(t, src)
	runSweep(t, s, out)
	if n := unsignRunIDs(t, s, out); n != 2 {
		t.Fatalf("%d runs with a negative momentum; want 2", n)
	}
	changed := parseFile(t, strings.Replace(src, "values = [-0.5, 0.9]", "values = [-0.5, 0.9, 0.95]", 1))
	var log bytes.Buffer
	oc, err := (&Runner{Out: out, Stdout: &log, Force: true}).Run(t.Context(), changed)
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 2 || len(oc.Skipped) != 4 || strings.Count(log.String(), "its folder is renamed") != 2 {
		t.Fatalf("--force: ran %v skipped %v\n%s", oc.Ran, oc.Skipped, log.String())
	}
	for _, r := range s.Runs {
		if sum, err := results.ReadSummary(s.RunDir(out, r)); err != nil || sum.RunID != r.ID || sum.Status != results.StatusDone {
			t.Errorf("%s after --force: %+v, %v", r.ID, sum, err)
		}
	}
}

// unsignRunIDs rewrites the sweep directory of s under out as code that
// wrote -0.5 as 0.5 in an id left it: the runs' folders and sweep.json
// name them so. It returns how many runs it renamed.
func unsignRunIDs(t *testing.T, s *Sweep, out string) int {
	t.Helper()
	dir := s.Dir(out)
	record, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, r := range s.Runs {
		oldID := strings.Replace(r.ID, "momentum-m0.5", "momentum-0.5", 1)
		if oldID == r.ID {
			continue
		}
		if err := os.Rename(filepath.Join(dir, r.ID), filepath.Join(dir, oldID)); err != nil {
			t.Fatal(err)
		}
		record = bytes.ReplaceAll(record, []byte(r.ID), []byte(oldID))
		moved++
	}
	if err := os.WriteFile(filepath.Join(dir, RecordFile), record, 0o644); err != nil {
		t.Fatal(err)
	}
	return moved
}
