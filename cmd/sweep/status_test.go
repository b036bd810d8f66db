package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
)

// TestStatusSummaryEstimatesTimeLeftAtTheRunsRunningNow checks the closing
// line's estimate: the mean time of the done runs times the runs left,
// divided by the runs running now, as under --parallel.
func TestStatusSummaryEstimatesTimeLeftAtTheRunsRunningNow(t *testing.T) {
	state := func(status results.Status, secs float64) sweep.State {
		return sweep.State{Status: status, Summary: &results.Summary{Status: status, Seconds: secs}}
	}
	done := []sweep.State{state(results.StatusDone, 20), state(results.StatusDone, 40)}
	for _, tc := range []struct {
		others []sweep.State
		want   string
	}{
		{[]sweep.State{{Status: results.StatusPending}, {Status: results.StatusPending}},
			"4 runs: 2 done, 2 pending; 1m0s spent, about 1m0s left at 30s a run"},
		{[]sweep.State{state(results.StatusFailed, 5), {Status: results.StatusPending}},
			"4 runs: 2 done, 1 failed, 1 pending; 1m5s spent, about 1m0s left at 30s a run"},
		// Two running at once: the two runs left take one run's time.
		{[]sweep.State{state(results.StatusRunning, 0), state(results.StatusRunning, 0)},
			"4 runs: 2 done, 2 running; 1m0s spent, about 30s left at 30s a run, 2 at a time"},
	} {
		if got := statusSummary(append(done, tc.others...)); got != tc.want {
			t.Errorf("statusSummary = %q\nwant %q", got, tc.want)
		}
	}
}

// TestOneRunIsCountedInTheSingular: the counts that status, report and
// plan print for a sweep of one run say "1 run", and report's count of
// the runs not done agrees with its number.
func TestOneRunIsCountedInTheSingular(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "")
	editFile(t, f, func(src string) string {
		return strings.NewReplacer("seeds = [0, 1, 2]", "seeds = [0]", "values = [0.5, 2.0]", "values = [0.5]").Replace(src)
	})
	if code, stdout, errs := runCLI("status", f, "--out", out); code != exitOK || !strings.Contains(stdout, "; 1 run pending (") {
		t.Errorf("status before the run: exit %d\n%s%s", code, stdout, errs)
	}
	checkUsageErrors(t, []usageError{
		{[]string{"plan", f, "--format", "slurm", "--shards", "2"}, "--shards 2 is more than the sweep's 1 run: "},
	})
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errs)
	}
	if code, stdout, errs := runCLI("status", f, "--out", out); code != exitOK || !strings.Contains(stdout, "\n1 run: 1 done; ") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, errs)
	}
	if code, stdout, errs := runCLI("report", f, "--out", out); code != exitOK || !strings.Contains(stdout, "\nthe sweep's 1 run is done\n") {
		t.Errorf("report: exit %d\n%s%s", code, stdout, errs)
	}
	for _, tc := range []struct {
		missing, runs int
		want          string
	}{
		{1, 1, "1 of 1 run is not done and is left out:"},
		{1, 6, "1 of 6 runs is not done and is left out:"},
		{3, 6, "3 of 6 runs are not done and are left out:"},
		{0, 6, "all 6 runs are done"},
	} {
		if got := doneLine(tc.missing, tc.runs); got != tc.want {
			t.Errorf("doneLine(%d, %d) = %q, want %q", tc.missing, tc.runs, got, tc.want)
		}
	}
}

// TestStatusNamesDoneRunsThatKeptNoModel runs a walk sweep, then sets
// keep_models = true: `sweep run`, running nothing, counts the done runs
// that kept no model, and `sweep status` names each, done before the key
// was set.
func TestStatusNamesDoneRunsThatKeptNoModel(t *testing.T) {
	keep := func(src string) string {
		return strings.Replace(src, "seeds = [0, 1, 2]", "seeds = [0, 1, 2]\nkeep_models = true", 1)
	}
	f, out, s := ranSmallWalk(t, "")
	editFile(t, f, keep)
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK || !strings.Contains(stdout, "6 runs done before keep_models was set kept no model") {
		t.Fatalf("run with keep_models over 6 done runs: exit %d\n%s%s", code, stdout, errs)
	}
	code, stdout, _ := runCLI("status", f, "--out", out)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	if n := strings.Count(stdout, "kept no model: done before keep_models was set"); n != 6 {
		t.Errorf("status names %d done runs without their model, want the 6 done before keep_models:\n%s", n, stdout)
	}
	for _, r := range s.Runs {
		if _, err := os.Stat(filepath.Join(s.RunDir(out, r), walkModel)); err == nil {
			t.Errorf("%s, done before keep_models, has a model", r.ID)
		}
	}
	// Run with the key from the start, every run keeps its model, and
	// status names none.
	f, out, s = ranSmallWalk(t, "")
	editFile(t, f, keep)
	os.RemoveAll(out)
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK || strings.Contains(stdout, "kept no model") {
		t.Fatalf("run with keep_models: exit %d\n%s%s", code, stdout, errs)
	}
	if _, stdout, _ := runCLI("status", f, "--out", out); strings.Contains(stdout, "kept no model") {
		t.Errorf("status names runs without their model where every run kept one:\n%s", stdout)
	}
	for _, r := range s.Runs {
		if _, err := os.Stat(filepath.Join(s.RunDir(out, r), walkModel)); err != nil {
			t.Errorf("%s, run with keep_models, kept no model: %v", r.ID, err)
		}
	}
}

// TestStatusOfAKilledRunShowsHowFarItGot: a run whose process was killed
// between a checkpoint and the summary that records it (its summary.json
// still at an earlier step) shows the step its metrics.jsonl reached, not
// one short of the checkpoint it will resume from.
func TestStatusOfAKilledRunShowsHowFarItGot(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	dir := s.RunDir(out, s.Runs[0])
	sum, err := results.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	last, ok := results.LastStep(filepath.Join(dir, results.MetricsFile))
	if !ok || last < 2 {
		t.Fatalf("the run logged up to step %d (%v); the test needs 2 or more", last, ok)
	}
	sum.Status, sum.Step = results.StatusRunning, 1
	if err := results.WriteSummary(dir, sum); err != nil {
		t.Fatal(err)
	}
	_, stdout, errs := runCLI("status", f, "--out", out)
	row := regexp.MustCompile(`(?m)^1\s+` + regexp.QuoteMeta(s.Runs[0].ID) + `\s+interrupted\s+(\d+)\s`).FindStringSubmatch(stdout)
	if row == nil || row[1] != strconv.Itoa(last) {
		t.Errorf("status of a killed run: want step %d\n%s%s", last, stdout, errs)
	}
}
