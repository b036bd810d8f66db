package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestShippedSweepFilesValidate keeps every sweep file in sweeps/ valid.
func TestShippedSweepFilesValidate(t *testing.T) {
	files, err := filepath.Glob("../../sweeps/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		code, out, errs := runCLI("validate", f)
		if code != exitOK || !strings.HasPrefix(out, "ok: ") {
			t.Errorf("sweep validate %s: exit %d\n%s%s", f, code, out, errs)
		}
	}
}

func TestUsageAndConfigErrorsExitWithTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nbatch_size = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run"}, "needs one sweep file"},
		{[]string{"plan", bad, bad}, "needs one sweep file, got 2"},
		{[]string{"run", bad, "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"validate", bad}, bad + ":4: base.batch_size = 0: must be at least 2"},
		{[]string{"run", filepath.Join(dir, "missing.toml")}, "no such file"},
		{[]string{"list", "extra"}, "takes no arguments"},
	} {
		code, _, errs := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("sweep %q: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestPlanPrintsRunsAndFlagsMayFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "s.toml")
	src := "name = \"s\"\ntask = \"gaussian\"\nseeds = [0, 1]\n[parameters.estimator]\nvalues = [\"jsd\", \"nwj\"]\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("plan", f, "--out", filepath.Join(dir, "runs"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "4 runs (2 configurations x 2 seeds)") || strings.Count(out, "estimator-") != 4 || !strings.Contains(out, "estimator-nwj_s1_") {
		t.Fatalf("plan output:\n%s", out)
	}
	code, out, _ = runCLI("status", f, "--out", filepath.Join(dir, "runs"))
	if code != exitOK || !strings.Contains(out, "4 runs pending") {
		t.Fatalf("status before any run: exit %d\n%s", code, out)
	}
}

func TestListShowsTheRegistries(t *testing.T) {
	code, out, _ := runCLI("list")
	for _, want := range []string{"Tasks", "gaussian", "Estimators", "infonce", "Critics", "separable", "Report kinds", "staircase", "Data sets"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep list lacks %q", want)
		}
	}
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
}
