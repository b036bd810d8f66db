package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateCountsFiguresAndTables checks validate's line by hand: the
// small walk sweep (2 scales x 3 seeds) with two figures and no table.
func TestValidateCountsFiguresAndTables(t *testing.T) {
	fig := "[[figures]]\nkind = \"curves\"\nname = \"walk%s\"\ny = [\"x\"]\ngroup = [\"scale\"]\n"
	f, _, _ := writeSmallWalk(t, strings.ReplaceAll(fig, "%s", "1")+strings.ReplaceAll(fig, "%s", "2"))
	code, out, errs := runCLI("validate", f)
	if want := "ok: 6 runs (sweep walk, task walk, grid; 2 figures, 0 tables)\n"; code != exitOK || out != want {
		t.Errorf("exit %d, stdout %q (stderr %q); want 0 and %q", code, out, errs, want)
	}
}

// TestValidateNotesAShortRandomSweep checks that validate passes on the
// note of a random sweep whose space holds fewer configurations than its
// run_cap: 2 scales, run_cap 5.
func TestValidateNotesAShortRandomSweep(t *testing.T) {
	src := "name = \"walk\"\ntask = \"walk\"\nmethod = \"random\"\nrun_cap = 5\nseeds = [0]\n[base]\nsteps = 3\nsleep_ms = 0\n[parameters.scale]\nvalues = [0.5, 2.0]\n"
	f := filepath.Join(t.TempDir(), "walk.toml")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("validate", f)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "ok: 2 runs (sweep walk, task walk, random;") ||
		!strings.HasPrefix(lines[1], "note: run_cap = 5, but the draws gave 2 distinct configurations") {
		t.Errorf("exit %d, stdout %q (stderr %q); want the ok line and the run_cap note", code, out, errs)
	}
}
