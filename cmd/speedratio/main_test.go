package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// executable returns a file that exists and can be executed: the test
// binary, standing in for python where the check must get past python.
func executable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// oneLine fails unless s is exactly one line.
func oneLine(t *testing.T, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("want one line, got %q", s)
	}
}

func TestMissingScript(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"--bench", dir, "--python", executable(t), "--only", "gauss-sep"}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	want := "speedratio: no PyTorch reference script at " + filepath.Join(dir, gaussianScript) + ": pass --bench DIR, the folder with dim_torch.py and gaussian_torch.py (default ../shared/bench, from the repository root)\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n got %q\nwant %q", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}

func TestMissingPython(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "python3")
	code := run([]string{"--python", missing}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	oneLine(t, stderr.String())
	for _, w := range []string{missing, "--python", "apt-get install -y python3-torch libopenblas0-openmp libtcmalloc-minimal4"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr %q lacks %q", stderr.String(), w)
		}
	}
}

// fakeRunner answers commands from canned outputs: go test -c succeeds,
// python prints or writes the reference's figures, and a test binary
// prints a benchmark line; fail makes commands whose name has it as a
// suffix fail.
type fakeRunner struct {
	calls []string
	dirs  []string
	fail  string
	// peak is what the peak benchmark prints; peakOutput when empty.
	peak string
}

func (f *fakeRunner) run(dir, name string, args, env []string) ([]byte, error) {
	f.calls = append(f.calls, filepath.Base(name)+" "+strings.Join(args, " "))
	f.dirs = append(f.dirs, dir)
	if f.fail != "" && strings.HasSuffix(name, f.fail) {
		return []byte("line 1\nline 2\npanic: boom\n"), errors.New("exit status 2")
	}
	switch {
	case name == "go", name == "git":
		return nil, nil
	case strings.HasSuffix(name, ".test") && slices.Contains(args, "^"+peakBench+"$"):
		if f.peak != "" {
			return []byte(f.peak), nil
		}
		return []byte(peakOutput), nil
	case strings.HasSuffix(name, ".test"):
		return []byte(goBenchOutput), nil
	case slices.Contains(args, "--json"):
		i := slices.Index(args, "--json")
		return nil, os.WriteFile(args[i+1], []byte(strings.Replace(dimJSONOutput, `"batch": 16`, `"batch": 64`, 1)), 0o644)
	case slices.Contains(args, "1"): // --threads 1
		return []byte("gaussian_step critic=separable hidden=256 estimator=jsd batch=64 threads=1: 30.0 steps/s (min 29.0, max 31.0)\n"), nil
	}
	return []byte("gaussian_step critic=separable hidden=256 estimator=jsd batch=64 threads=2: 20.0 steps/s (min 19.0, max 21.0)\n"), nil
}

// fakeSitting is a two-round sitting of full64 and gauss-sep on f.
func fakeSitting(f *fakeRunner) *sitting {
	settings, _ := selectSettings("gauss-sep,full64")
	o := &options{rounds: 2, bench: "bench", python: "/usr/bin/python3", benchtime: "20x"}
	return &sitting{opts: o, settings: settings, torch: tunedEnv(func(string) bool { return true }),
		runner: f, progress: &bytes.Buffer{}}
}

func TestSittingInterleaves(t *testing.T) {
	f := &fakeRunner{}
	rep, err := fakeSitting(f).measure()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range f.calls {
		kinds = append(kinds, strings.Fields(c)[0])
	}
	want := []string{"go", "go", "go", // compiled once each, the peak's package last
		"blas.test", "python3", "dim.test", "python3", "python3", "gaussian.test", // round 1: the peak, then A B, A A B
		"blas.test", "python3", "dim.test", "python3", "python3", "gaussian.test"} // round 2
	if !slices.Equal(kinds, want) {
		t.Errorf("calls %q, want %q", f.calls, want)
	}
	if len(rep.rows) != 2 || rep.rows[0].key != "full64" || rep.rows[1].key != "gauss-sep" {
		t.Fatalf("rows not in table order: %+v", rep.rows)
	}
	full, gauss := rep.rows[0], rep.rows[1]
	if !slices.Equal(full.torch, []float64{0.23600296577265287, 0.23600296577265287}) || !slices.Equal(full.ours, []float64{158.5, 158.5}) {
		t.Errorf("full64: torch %v ours %v", full.torch, full.ours)
	}
	if !slices.Equal(gauss.torch, []float64{30, 30}) || !slices.Equal(gauss.winners, []string{"threads=1", "threads=1"}) {
		t.Errorf("gauss-sep: torch %v winners %v", gauss.torch, gauss.winners)
	}
	if !slices.Equal(gauss.ours, []float64{9.562, 9.562}) || gauss.bytes[0] != 788938 || gauss.allocs[0] != 1607 {
		t.Errorf("gauss-sep ours: %v %v %v", gauss.ours, gauss.bytes, gauss.allocs)
	}
	if rep.blas != "go-avx2" {
		t.Errorf("blas %q", rep.blas)
	}
	if !slices.Equal(rep.peaks, []float64{219.8, 219.8}) {
		t.Errorf("peaks %v, want the better width's 219.8 in each round", rep.peaks)
	}
}

// TestPeakSkippedOrFailed checks a machine where the peak benchmark
// skips (it then prints only PASS): the sitting measures every row and its
// report has no ceiling; and a peak benchmark that fails: the sitting
// stops with an error naming its command.
func TestPeakSkippedOrFailed(t *testing.T) {
	rep, err := fakeSitting(&fakeRunner{peak: "PASS\n"}).measure()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.peaks) != 0 || len(rep.rows[0].ours) != 2 || strings.Contains(rep.markdown(), "ceiling") {
		t.Errorf("skipped peak: peaks %v, rows %+v, markdown:\n%s", rep.peaks, rep.rows, rep.markdown())
	}
	_, err = fakeSitting(&fakeRunner{fail: "blas.test"}).measure()
	if err == nil || !strings.Contains(err.Error(), "cd ./internal/blas && ") || !strings.Contains(err.Error(), "blas.test -test.run '^$' -test.bench '^BenchmarkPeakFMA$'") {
		t.Errorf("failed peak: %v", err)
	}
}

func TestSubprocessFailure(t *testing.T) {
	f := &fakeRunner{fail: "dim.test"}
	_, err := fakeSitting(f).measure()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{"cd ./experiments/tasks/dim && ", "dim.test -test.run '^$' -test.bench '^BenchmarkDIMStepTorchReference$' -test.benchtime 20x -test.cpu 2 -test.benchmem failed: exit status 2",
		"the last lines of its output:\n    line 1\n    line 2\n    panic: boom"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	missingDir := filepath.Join(t.TempDir(), "nope", "speed.md")
	for _, tc := range []struct {
		args []string
		want string // in the one-line error, when not empty
	}{
		{[]string{"--only", "full32"}, `unknown setting "full32"`},
		{[]string{"--only", " , "}, "names no setting; give some of full64,full64-all,full16,full64-f32,full16-f32,enc,gauss-sep,gauss-concat"},
		{[]string{"--out", missingDir}, "does not exist; create it or pass another path"},
		{[]string{"--rounds", "0"}, ""},
		{[]string{"extra"}, ""},
		{[]string{"--nosuchflag"}, ""},
		{[]string{"--against", "no-such-commit-0"}, "--against no-such-commit-0: not a commit of this repository"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit status %d, want %d; stderr %q", tc.args, code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%q: stderr %q, want it to say %q and nothing on stdout", tc.args, stderr.String(), tc.want)
		}
	}
}

// TestEachSettingHasItsOwnSteps checks that our benchmarks run on the
// reference's thread count for at least 20 steps each, the setting's own
// count unless --benchtime overrides it.
func TestEachSettingHasItsOwnSteps(t *testing.T) {
	for _, st := range allSettings {
		n, err := strconv.Atoi(strings.TrimSuffix(st.steps, "x"))
		if err != nil || n < 20 {
			t.Errorf("%s: steps %q, want at least 20x", st.key, st.steps)
		}
		if got := st.benchtime("5s"); got != "5s" {
			t.Errorf("%s: benchtime with an override = %q", st.key, got)
		}
	}
	f := &fakeRunner{}
	s := fakeSitting(f)
	s.opts.benchtime = ""
	if _, err := s.measure(); err != nil {
		t.Fatal(err)
	}
	var sawGauss bool
	for _, c := range f.calls {
		if strings.HasPrefix(c, "gaussian.test") {
			sawGauss = true
			if !strings.Contains(c, "-test.benchtime 1000x -test.cpu 2") {
				t.Errorf("gauss-sep ran as %q, want its own 1000x on 2 threads", c)
			}
		}
	}
	if !sawGauss {
		t.Errorf("no Gaussian benchmark among %q", f.calls)
	}
}

func TestOutIsWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "speed.md")
	for _, text := range []string{"first\n", "second\n"} {
		if err := results.WriteFileAtomic(path, []byte(text)); err != nil {
			t.Fatal(err)
		}
		if got := readFile(path); got != text {
			t.Errorf("got %q, want %q", got, text)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("mode: %v, %v; want 0644", fi.Mode(), err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "no", "such", "dir.md"), nil); err == nil {
		t.Error("no error for a missing folder")
	}
}

// TestAgainstACommit checks --against: the baseline is checked out into a
// worktree and compiled there, each round runs its benchmark (in its own
// package folder) then ours, the worktree is removed, and the table names
// the commit where PyTorch would be.
func TestAgainstACommit(t *testing.T) {
	f := &fakeRunner{}
	s := fakeSitting(f)
	s.opts.against = "d00b844"
	rep, err := s.measure()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range f.calls {
		kinds = append(kinds, strings.Join(strings.Fields(c)[:2], " "))
	}
	want := []string{"go test", "go test", "git worktree", "go test", "go test",
		"baseline-dim.test -test.run", "dim.test -test.run", "baseline-gaussian.test -test.run", "gaussian.test -test.run",
		"baseline-dim.test -test.run", "dim.test -test.run", "baseline-gaussian.test -test.run", "gaussian.test -test.run",
		"git worktree"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("calls %q, want the kinds %q", f.calls, want)
	}
	if !strings.Contains(f.calls[2], "add --detach") || !strings.HasSuffix(f.calls[2], " d00b844") || !strings.Contains(f.calls[len(f.calls)-1], "remove --force") {
		t.Errorf("worktree commands %q and %q", f.calls[2], f.calls[len(f.calls)-1])
	}
	worktree := strings.Fields(f.calls[2])[4]
	if f.dirs[3] != worktree || f.dirs[5] != filepath.Join(worktree, "experiments/tasks/dim") || f.dirs[6] != "./experiments/tasks/dim" {
		t.Errorf("ran in %q; want the baseline compiled in %s and run in its package folder", f.dirs, worktree)
	}
	md := rep.markdown()
	for _, w := range []string{"## Speed against commit d00b844", "| setting | d00b844 (median, min-max over rounds) |", "(ours / d00b844)", "--against d00b844"} {
		if !strings.Contains(md, w) {
			t.Errorf("markdown lacks %q:\n%s", w, md)
		}
	}
	if strings.Contains(md, "PyTorch") {
		t.Errorf("markdown of a sitting against a commit mentions PyTorch:\n%s", md)
	}
}
