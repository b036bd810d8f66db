package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
)

// cliMainEnv makes the test binary act as the sweep command (with the walk
// task registered), so that tests can start, signal and kill real sweep
// processes.
const cliMainEnv = "SWEEP_TEST_CLI_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(cliMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const walkFile = `name = "walk"
task = "walk"
seeds = [0, 1, 2]
checkpoint_every = 10
checkpoint_minutes = 0
[base]
steps = 60
sleep_ms = 2
[parameters.scale]
values = [0.5, 2.0]
`

// sweepCmd is a sweep process on the walk sweep in dir.
func sweepCmd(t *testing.T, dir string, completions string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), cliMainEnv+"=1", completionsEnv+"="+completions)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func writeWalkFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(walkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// uninterrupted runs the walk sweep in one process and returns its
// results.csv.
func uninterrupted(t *testing.T) []byte {
	t.Helper()
	dir := writeWalkFile(t)
	cmd, out := sweepCmd(t, dir, filepath.Join(dir, "completions"), "run", "walk.toml", "--out", "runs")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep run: %v\n%s", err, out)
	}
	return resultsCSV(t, dir)
}

// resultsCSV returns the results.csv of the walk sweep in dir.
func resultsCSV(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "runs", "walk", results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameResults checks that the walk sweep in dir wrote the results.csv
// want; what and than name the two sweeps in the message.
func sameResults(t *testing.T, dir string, want []byte, what, than string) {
	t.Helper()
	if got := resultsCSV(t, dir); !bytes.Equal(got, want) {
		t.Fatalf("results.csv %s:\n%s\n%s:\n%s", what, got, than, want)
	}
}

// eachDoneOnce checks, by the completions file, that each of the 6 runs of
// the walk sweep was done to the end once.
func eachDoneOnce(t *testing.T, completions string) {
	t.Helper()
	if done := readLines(t, completions); len(done) != 6 || len(slices.Compact(slices.Clone(done))) != 6 {
		t.Fatalf("runs done to the end: %v; want each of the 6 once", done)
	}
}

// waitFor polls until cond holds, failing after a generous limit (a hang,
// not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// midRun reports whether some run in the sweep directory has a checkpoint
// but is not done: a process killed now dies in the middle of a run.
func midRun(sweepDir string) bool {
	dirs, _ := filepath.Glob(filepath.Join(sweepDir, "*", checkpoint.FileName))
	for _, p := range dirs {
		if sum, err := results.ReadSummary(filepath.Dir(p)); err == nil && sum.Status == results.StatusRunning && sum.Step >= 20 {
			return true
		}
	}
	return false
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	sort.Strings(lines)
	return lines
}

// TestSIGKILLMidRunThenRestartGivesTheUninterruptedResults is the issue's
// test: a sweep killed with SIGKILL in the middle of a run and restarted
// ends with the results.csv of an uninterrupted sweep, and no run is done
// twice to the end.
func TestSIGKILLMidRunThenRestartGivesTheUninterruptedResults(t *testing.T) {
	want := uninterrupted(t)

	dir := writeWalkFile(t)
	completions := filepath.Join(dir, "completions")
	cmd, out := sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a run past its second checkpoint", func() bool { return midRun(filepath.Join(dir, "runs", "walk")) })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd, out = sweepCmd(t, dir, completions, "status", "walk.toml", "--out", "runs")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep status: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "interrupted: its process is gone (will resume from step") {
		t.Fatalf("status after the kill does not show the interrupted run and its checkpoint:\n%s", out)
	}
	// report's list of the runs it left out says the same.
	cmd, out = sweepCmd(t, dir, completions, "report", "walk.toml", "--out", "runs")
	cmd.Run()
	if !strings.Contains(out.String(), ": interrupted: its process is gone (will resume from step") {
		t.Fatalf("report after the kill does not say where the interrupted run resumes:\n%s", out)
	}

	cmd, out = sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep run after the kill: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "(resumed from the checkpoint at step") {
		t.Fatalf("the killed run did not resume from its checkpoint:\n%s", out)
	}
	sameResults(t, dir, want, "after kill and restart", "uninterrupted")
	eachDoneOnce(t, completions)
}

func TestCtrlCCheckpointsAndSaysHowToContinue(t *testing.T) {
	want := uninterrupted(t)
	dir := writeWalkFile(t)
	completions := filepath.Join(dir, "completions")
	cmd, out := sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs", "--parallel", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a run past its second checkpoint", func() bool { return midRun(filepath.Join(dir, "runs", "walk")) })
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailed {
		t.Fatalf("exit after SIGINT: %v\n%s", err, out)
	}
	for _, w := range []string{"interrupted at step", "it will resume from the checkpoint at step", "To continue, run `sweep run walk.toml --out runs --parallel 2`"} {
		if !strings.Contains(out.String(), w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
	cmd, out = sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs", "--parallel", "2")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep run after SIGINT: %v\n%s", err, out)
	}
	sameResults(t, dir, want, "after Ctrl-C and rerun", "uninterrupted")
	eachDoneOnce(t, completions)
}

func TestTwoShardProcessesGiveTheResultsOfOne(t *testing.T) {
	want := uninterrupted(t)
	dir := writeWalkFile(t)
	completions := filepath.Join(dir, "completions")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 2 {
		cmd, out := sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs", "--shard", []string{"0/2", "1/2"}[i])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i])
		}
	}
	sameResults(t, dir, want, "of two shards", "of one process")
	eachDoneOnce(t, completions)
	// The same with the index from a Kubernetes Indexed Job's environment.
	dir = writeWalkFile(t)
	for i := range 2 {
		cmd, out := sweepCmd(t, dir, completions+"2", "run", "walk.toml", "--out", "runs", "--shards", "2")
		cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX="+[]string{"0", "1"}[i])
		if err := cmd.Run(); err != nil {
			t.Fatalf("k8s shard %d: %v\n%s", i, err, out)
		}
		if !strings.Contains(out.String(), "from the Kubernetes Indexed Job") {
			t.Fatalf("shard source not reported:\n%s", out)
		}
	}
	sameResults(t, dir, want, "of two indexed-job shards", "of one process")
}
