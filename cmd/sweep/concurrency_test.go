package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
