package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnusableOutIsAUsageError: an --out that cannot hold the sweep (under
// a regular file, or, when not root, in a read-only directory) is for the
// user to fix: run and status exit with 2 and say why.
func TestUnusableOutIsAUsageError(t *testing.T) {
	f, _, _ := writeSmallWalk(t, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []string{filepath.Join(file, "runs")}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, filepath.Join(ro, "runs"))
	}
	for _, out := range outs {
		for _, cmd := range []string{"run", "status"} {
			code, stdout, errs := runCLI(cmd, f, "--out", out)
			if code != exitUsage || !strings.Contains(errs, "output directory "+filepath.Join(out, "walk")) {
				t.Errorf("sweep %s --out %s: exit %d, want 2\n%s%s", cmd, out, code, stdout, errs)
			}
		}
	}
}
