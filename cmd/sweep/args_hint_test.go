package main

import "testing"

// TestTwoSweepFilesGetNoFolderHint checks the usage error of two sweep
// files: the second, ending in .toml, is not taken for a results folder,
// and a command without --out (validate) gives no such hint either.
func TestTwoSweepFilesGetNoFolderHint(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "a.toml", "b.toml"},
		{"validate", "a.toml", "runs"},
	} {
		code, out, errs := runCLI(args...)
		want := "sweep " + args[0] + " needs one sweep file, got 2 arguments; `sweep " + args[0] + " --help` lists its arguments and flags\n"
		if code != exitUsage || errs != want || out != "" {
			t.Errorf("sweep %q: exit %d, stderr %q; want 2 and %q", args, code, errs, want)
		}
	}
}
