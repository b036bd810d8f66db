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
