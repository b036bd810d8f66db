package sweep

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAnotherFileOfTheSameNameIsRefusedAsAnother: a file other than the
// one that started the sweep's folder, with the same name (a copy whose
// name was left as it was), is refused naming the file that started it and
// the fix of a name of its own, not as an edit to undo; the same file
// named by another path, or a shipped sweep's copy, is an edit.
func TestAnotherFileOfTheSameNameIsRefusedAsAnother(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	runSweep(t, s, out)
	changed := strings.Replace(runFile, "steps = 4", "steps = 5", 1)
	other := parseFile(t, changed)
	other.File = "copy.toml"
	_, err := (&Runner{Out: out}).Run(context.Background(), other)
	var ce *ChangedError
	if !errors.As(err, &ce) {
		t.Fatalf("another file of the same name was not refused: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"copy.toml does not describe the sweep in " + s.Dir(out) + ", which e2e.toml started (recorded in ",
		"4 runs changed:\n    steps: 4 -> 5 (4 runs)",
		"give copy.toml a name of its own (name = ...) or another --out; or, for it to replace e2e.toml's runs, rerun with --force: ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Undo the change") {
		t.Errorf("message says to undo an edit of another file:\n%s", msg)
	}
	for _, same := range []string{"./e2e.toml", "sweeps/e2e.toml", "e2e"} {
		edited := parseFile(t, changed)
		edited.File = same
		_, err := (&Runner{Out: out}).Run(context.Background(), edited)
		if err == nil || !strings.Contains(err.Error(), same+" no longer describes the sweep in") {
			t.Errorf("%s, the same file's name: %v", same, err)
		}
	}
}

func TestChangedSweepFileIsRefusedWithWhatChanged(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	runSweep(t, s, out)
	rec, ok, err := ReadRecord(s.Dir(out))
	if err != nil || !ok || rec.FileSHA256 != s.FileSHA256 || len(rec.Runs) != 4 || rec.Runs[0].Settings["steps"] != "4" {
		t.Fatalf("sweep.json: %+v %v %v", rec, ok, err)
	}

	// A comment changes the file but no run: accepted, with a note.
	oc, log := runSweep(t, parseFile(t, "# tuned\n"+runFile), out)
	if len(oc.Skipped) != 4 || !strings.Contains(log, "describes the same runs") {
		t.Fatalf("comment-only change: %+v\n%s", oc, log)
	}

	changed := strings.Replace(runFile, "steps = 4", "steps = 5", 1)
	changed = strings.Replace(changed, "seeds = [0, 1]", "seeds = [0, 1, 2]", 1)
	changed = strings.Replace(changed, `values = ["jsd", "dv"]`, `values = ["jsd", "infonce"]`, 1)
	_, err = (&Runner{Out: out}).Run(context.Background(), parseFile(t, changed))
	var ce *ChangedError
	if !errors.As(err, &ce) {
		t.Fatalf("a changed file was not refused: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"e2e.toml no longer describes the sweep in " + s.Dir(out),
		"2 runs changed:\n    steps: 4 -> 5 (2 runs)",
		"4 runs added: estimator-jsd_s2_",
		"2 runs removed: estimator-dv_s0_",
		"rerun with --force",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}

	// --force runs what changed and keeps removed runs on disk only.
	var buf strings.Builder
	fs := parseFile(t, changed)
	oc, err = (&Runner{Out: out, Stdout: &buf, Force: true}).Run(context.Background(), fs)
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 6 || len(oc.Skipped) != 0 || !strings.Contains(buf.String(), "the 2 removed runs no longer in the file stay in") {
		t.Fatalf("--force: ran %v skipped %v\n%s", oc.Ran, oc.Skipped, buf.String())
	}
	if _, err := os.Stat(s.RunDir(out, s.Runs[1])); err != nil {
		t.Fatalf("a removed run's directory is gone: %v", err)
	}
	ids := resultsColumn(t, s.Dir(out), "run_id")
	var want []string
	for _, r := range fs.Runs {
		want = append(want, r.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("results.csv rows %v, want the new file's runs %v", ids, want)
	}
	// Now the record is the new file's: it runs without --force.
	if oc, _ := runSweep(t, parseFile(t, changed), out); len(oc.Skipped) != 6 {
		t.Fatalf("after --force the new file is not accepted: %+v", oc)
	}
	// Going back to the first file is a change too; with --force its runs,
	// all still on disk and done, are kept rather than run again.
	if _, err := (&Runner{Out: out}).Run(context.Background(), parseFile(t, runFile)); !errors.As(err, &ce) {
		t.Fatalf("going back to the first file was not refused: %v", err)
	}
	oc, err = (&Runner{Out: out, Force: true}).Run(context.Background(), parseFile(t, runFile))
	if err != nil || len(oc.Ran) != 0 || len(oc.Skipped) != 4 {
		t.Fatalf("--force back to the first file: %+v %v", oc, err)
	}
}
