package reports

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestMetricsWarnsOfSkippedLinesOnce: a run's torn lines are a warning
// naming the file and the lines, given once however many reports read them.
func TestMetricsWarnsOfSkippedLinesOnce(t *testing.T) {
	runs := makeRuns(t, fakeRun{ID: "r", Log: func(log func(int, results.Values)) {
		for step := range 14 {
			log(step, results.Values{"mi": 1})
		}
	}})
	path := filepath.Join(runs[0].Dir, results.MetricsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	for i := 1; i < 12; i++ { // all but the first line and the last two
		lines[i] = "[" + lines[i][1:]
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &Warnings{}
	runs[0].Warnings = w
	for range 2 {
		if recs, err := runs[0].Metrics(); err != nil || len(recs) != 3 {
			t.Fatalf("%d records, %v", len(recs), err)
		}
	}
	want := []string{path + ": skipped 11 lines that could not be read (torn or corrupt): lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 1 more"}
	if got := w.List(); !slices.Equal(got, want) {
		t.Fatalf("warnings %q, want %q", got, want)
	}
	if got := lineNumbers([]int{7}); got != "line 7" {
		t.Fatalf("one line: %q", got)
	}
}

// TestMetricsWarnsOfADoneRunsShortLog: a done run whose log ends before
// the step its summary ends at is a warning naming the file, the step the
// log ends at and the run's final step; a done run logged to its end, and
// a run that is not done, are not.
func TestMetricsWarnsOfADoneRunsShortLog(t *testing.T) {
	logTo := func(last int) func(func(int, results.Values)) {
		return func(log func(int, results.Values)) {
			for step := 1; step <= last; step++ {
				log(step, results.Values{"mi": 1})
			}
		}
	}
	runs := makeRuns(t,
		fakeRun{ID: "short", Log: logTo(13)},
		fakeRun{ID: "whole", Log: logTo(20)},
		fakeRun{ID: "empty", Log: logTo(0)},
		fakeRun{ID: "failed", Status: results.StatusFailed, Log: logTo(5)},
	)
	w := &Warnings{}
	for i := range runs {
		runs[i].Summary.Step = 20
		runs[i].Warnings = w
		if _, err := runs[i].Metrics(); err != nil {
			t.Fatal(err)
		}
	}
	advice := func(r Run) string {
		return ": its later records are lost, so its curves (and any table read from its log) stop there; restore the file, or delete " +
			filepath.Join(r.Dir, results.SummaryFile) + " so that `sweep run` runs that run again"
	}
	want := []string{
		filepath.Join(runs[0].Dir, results.MetricsFile) + " ends at step 13, but the run is done at step 20 (summary.json)" + advice(runs[0]),
		filepath.Join(runs[2].Dir, results.MetricsFile) + " holds no record, but the run is done at step 20 (summary.json)" + advice(runs[2]),
	}
	if got := w.List(); !slices.Equal(got, want) {
		t.Fatalf("warnings\n%q\nwant\n%q", got, want)
	}
}

// TestMetricsOfARunningRunSkipsItsUnfinishedLine: a running run's log
// read while its writer is mid-line (`sweep report` during `sweep run`)
// gives its whole records and no warning; the same cut-off line in a done
// run's log is a torn line, warned of.
func TestMetricsOfARunningRunSkipsItsUnfinishedLine(t *testing.T) {
	log := func(log func(int, results.Values)) {
		for step := 1; step <= 3; step++ {
			log(step, results.Values{"mi": 1})
		}
	}
	runs := makeRuns(t,
		fakeRun{ID: "running", Status: results.StatusRunning, Log: log},
		fakeRun{ID: "done", Log: log},
	)
	w := &Warnings{}
	for i, r := range runs {
		path := filepath.Join(r.Dir, results.MetricsFile)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(`{"step":4,"values":{"m`); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r.Summary.Step = 3
		r.Warnings = w
		recs, err := r.Metrics()
		if err != nil || len(recs) != 3 {
			t.Fatalf("run %d: %d records, %v", i, len(recs), err)
		}
	}
	want := []string{filepath.Join(runs[1].Dir, results.MetricsFile) + ": skipped 1 line that could not be read (torn or corrupt): line 4"}
	if got := w.List(); !slices.Equal(got, want) {
		t.Fatalf("warnings\n%q\nwant\n%q", got, want)
	}
}
