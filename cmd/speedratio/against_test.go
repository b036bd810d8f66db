package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAgainstACommitFigures checks that the baseline's own measurements
// fill the A side: its rate and its GFLOP a step (the fake's benchmark
// prints 158.5 images/s and 26.76 GFLOP for the full step), one per
// round, so that both sides alike give a ratio of 1.
func TestAgainstACommitFigures(t *testing.T) {
	s := fakeSitting(&fakeRunner{})
	s.opts.against = "d00b844"
	rep, err := s.measure()
	if err != nil {
		t.Fatal(err)
	}
	full := rep.rows[0]
	if full.key != "full64" || !slices.Equal(full.torch, []float64{158.5, 158.5}) || !slices.Equal(full.torchGFLOP, []float64{26.76, 26.76}) {
		t.Errorf("full64 against the commit: rates %v, GFLOP %v; want 158.5 and 26.76 in each of 2 rounds", full.torch, full.torchGFLOP)
	}
	if !strings.Contains(rep.markdown(), "| 1.00× |") {
		t.Errorf("no ratio of 1 for the same benchmark on both sides:\n%s", rep.markdown())
	}
}

// TestAgainstCompilesEachPackageOnce checks that two settings of one
// package compile one baseline test binary, as they compile one of ours.
func TestAgainstCompilesEachPackageOnce(t *testing.T) {
	f := &fakeRunner{}
	s := fakeSitting(f)
	s.settings, _ = selectSettings("full64,full16")
	s.opts.against = "d00b844"
	s.tmp = t.TempDir()
	if err := s.compile(); err != nil {
		t.Fatal(err)
	}
	if err := s.addBaseline(); err != nil {
		t.Fatal(err)
	}
	var compiles []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "go test -c") {
			compiles = append(compiles, c)
		}
	}
	if len(compiles) != 2 || !strings.Contains(compiles[1], "baseline-dim.test") {
		t.Errorf("compiled %q; want dim's test binary once for ours and once at the commit", compiles)
	}
}

// TestAgainstWorktreeAddFails checks that when the worktree cannot be
// added, the sitting fails naming git's command, and no worktree removal
// is attempted for it.
func TestAgainstWorktreeAddFails(t *testing.T) {
	f := &fakeRunner{fail: "git"}
	s := fakeSitting(f)
	s.opts.against = "d00b844"
	_, err := s.measure()
	if err == nil || !strings.Contains(err.Error(), "git worktree add --detach") {
		t.Fatalf("err = %v, want the failed git worktree add", err)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "worktree remove") {
			t.Errorf("removed a worktree that was never added: %q", f.calls)
		}
	}
}

// TestCheckAgainstWantsACommit checks that --against takes only a commit:
// the tree of HEAD, which git can name but not check out, is refused.
func TestCheckAgainstWantsACommit(t *testing.T) {
	if err := checkAgainst("HEAD", execRunner{}); err != nil {
		t.Skipf("not in a git repository: %v", err)
	}
	if err := checkAgainst("HEAD^{tree}", execRunner{}); err == nil {
		t.Error("HEAD's tree passed as a commit")
	}
}

// noBLASRunner is fakeRunner whose Gaussian benchmark logs no BLAS line.
type noBLASRunner struct{ fakeRunner }

func (f *noBLASRunner) run(dir, name string, args, env []string) ([]byte, error) {
	out, err := f.fakeRunner.run(dir, name, args, env)
	if strings.HasSuffix(name, "gaussian.test") {
		var kept []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.Contains(l, "BLAS:") {
				kept = append(kept, l)
			}
		}
		out = []byte(strings.Join(kept, "\n"))
	}
	return out, err
}

// TestReportKeepsFirstBLAS checks that the BLAS a benchmark logged is
// kept when a later one, run after it, logs none.
func TestReportKeepsFirstBLAS(t *testing.T) {
	f := &noBLASRunner{}
	s := fakeSitting(&f.fakeRunner)
	s.runner = f
	rep, err := s.measure()
	if err != nil {
		t.Fatal(err)
	}
	if rep.blas != "go-avx2" {
		t.Errorf("blas = %q, want go-avx2 from the full step's benchmark", rep.blas)
	}
}

// silentRunner is a python that succeeds without writing its --json file.
type silentRunner struct{}

func (silentRunner) run(dir, name string, args, env []string) ([]byte, error) { return nil, nil }

// TestRunTorchStaleJSON checks that a dim_torch.py run that writes no
// --json file fails, rather than reading an earlier round's file.
func TestRunTorchStaleJSON(t *testing.T) {
	tmp := t.TempDir()
	stale := strings.Replace(dimJSONOutput, `"batch": 16`, `"batch": 64`, 1)
	if err := os.WriteFile(filepath.Join(tmp, "dim_torch.json"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	s := fakeSitting(&fakeRunner{})
	s.runner, s.tmp = silentRunner{}, tmp
	st, _ := selectSettings("full64")
	if rate, _, err := s.runTorch(st[0], st[0].variants[0]); err == nil {
		t.Errorf("read %v images/s from the previous round's file", rate)
	}
}
