package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
)

// exitCode is the exit status of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestTwoFilesOfOneNameStartedTogether: of two sweep processes started at
// once on one --out with different files of the same sweep name, one runs
// and the other exits with 2, and the directory holds the runs, sweep.json
// and results.csv of the one that ran.
func TestTwoFilesOfOneNameStartedTogether(t *testing.T) {
	for trial := range 3 {
		f, out, small := writeSmallWalk(t, "")
		g := filepath.Join(filepath.Dir(f), "walk4.toml")
		if err := os.WriteFile(g, []byte(strings.Replace(small, "steps = 3", "steps = 4", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		files := []string{f, g}
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for _, file := range files {
			cmd, buf := sweepCmd(t, filepath.Dir(f), filepath.Join(filepath.Dir(f), "completions"), "run", file, "--out", out)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, buf)
		}
		var codes []int
		for _, cmd := range cmds {
			codes = append(codes, exitCode(t, cmd.Wait()))
		}
		winner := slices.Index(codes, exitOK)
		if winner < 0 || codes[1-winner] != exitUsage {
			t.Fatalf("trial %d: exit statuses %v, want one 0 and one 2\n%s\n%s", trial, codes, outs[0], outs[1])
		}
		s, err := sweep.Load(files[winner])
		if err != nil {
			t.Fatal(err)
		}
		rec, _, err := sweep.ReadRecord(s.Dir(out))
		if err != nil || rec.FileSHA256 != s.FileSHA256 {
			t.Fatalf("trial %d: sweep.json is not the file that ran: %v", trial, err)
		}
		var want []string
		for _, r := range s.Runs {
			want = append(want, r.ID)
		}
		tab, err := results.ReadResultsCSV(filepath.Join(s.Dir(out), results.ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, row := range tab.Rows {
			ids = append(ids, row[0])
		}
		entries, _ := filepath.Glob(filepath.Join(s.Dir(out), "scale-*"))
		if !slices.Equal(ids, want) || len(entries) != len(want) {
			t.Fatalf("trial %d: results.csv rows %v and %d run directories, want the %d runs %v", trial, ids, len(entries), len(want), want)
		}
	}
}

// writeSlowWalk writes the walk sweep with 5 ms steps to walk.toml in a new
// directory, which it returns: slow enough for a second process to find a
// run held by the first.
func writeSlowWalk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := strings.Replace(walkFile, "sleep_ms = 2", "sleep_ms = 5", 1)
	if err := os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestASecondProcessTakesOverTheRunOfAKilledOne is the repro: a
// second process on the same --out finds a run held by the first, which is
// then killed with SIGKILL. The second waits for the run, takes it over
// once its process is gone, and exits with 0 only with every run done,
// with the results of one uninterrupted process.
func TestASecondProcessTakesOverTheRunOfAKilledOne(t *testing.T) {
	ref := writeSlowWalk(t)
	cmd, out := sweepCmd(t, ref, filepath.Join(ref, "completions"), "run", "walk.toml", "--out", "runs", "--parallel", "6")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep run: %v\n%s", err, out)
	}
	want := resultsCSV(t, ref)

	dir := writeSlowWalk(t)
	completions := filepath.Join(dir, "completions")
	first, firstOut := sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	waitFor(t, "a run past its second checkpoint", func() bool { return midRun(filepath.Join(dir, "runs", "walk")) })
	second, _ := sweepCmd(t, dir, completions, "run", "walk.toml", "--out", "runs", "--parallel", "3")
	log := filepath.Join(dir, "second.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	second.Stdout, second.Stderr = f, f
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	waited := fmt.Sprintf(": running in pid %d on ", first.Process.Pid)
	held := ""
	waitFor(t, "the second process to wait for a run of the first", func() bool {
		b, _ := os.ReadFile(log)
		held = heldRun(string(b), waited)
		return held != ""
	})
	// The run midRun saw may have ended while the second process started
	// (on a loaded machine), and the one it waits for may have none yet:
	// kill the first only once that run has a checkpoint to take over.
	waitFor(t, held+"'s first checkpoint", func() bool { return checkpointed(filepath.Join(dir, "runs", "walk", held)) })
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	err = second.Wait()
	b, _ := os.ReadFile(log)
	if code := exitCode(t, err); code != exitOK {
		t.Fatalf("the second process exited with %d\n%s\nfirst:\n%s", code, b, firstOut)
	}
	if !strings.Contains(string(b), "(resumed from the checkpoint at step") {
		t.Fatalf("the killed run was not taken over from its checkpoint:\n%s", b)
	}
	sameResults(t, dir, want, "after a takeover", "of one process")
	eachDoneOnce(t, completions)
}

// heldRun returns the id of the run that a sweep's output says is held by
// another process, from its line "[i/n] <id><held>...", "" when none.
func heldRun(output, held string) string {
	for line := range strings.Lines(output) {
		before, _, found := strings.Cut(line, held)
		if _, id, ok := strings.Cut(before, "] "); found && ok {
			return strings.TrimSpace(id)
		}
	}
	return ""
}

// checkpointed reports whether the run in runDir has a checkpoint and is
// still running.
func checkpointed(runDir string) bool {
	_, ok := checkpoint.Peek(runDir)
	sum, err := results.ReadSummary(runDir)
	return ok && err == nil && sum.Status == results.StatusRunning
}
