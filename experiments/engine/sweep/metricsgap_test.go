package sweep

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestMetricsThatLostRecordsBeforeTheCheckpointStartTheRunOver: a run
// interrupted at its checkpoint after step 20 whose metrics.jsonl then
// loses records (cut to 12 lines) does not resume with a gap: it starts
// over, says so in the log, and ends with the files of a run never
// interrupted.
func TestMetricsThatLostRecordsBeforeTheCheckpointStartTheRunOver(t *testing.T) {
	s, _, want := straightThrough(t)
	out := t.TempDir()
	oc, log := runUntilCheckpoint(t, parseFile(t, regressFile), out, 20, 1)
	if len(oc.Stopped) != 1 || oc.Stopped[0].Checkpoint != 20 {
		t.Fatalf("outcome %+v\n%s", oc, log)
	}
	path := filepath.Join(s.RunDir(out, s.Runs[0]), results.MetricsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:12], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, logBuf bytes.Buffer
	oc, err = (&Runner{Out: out, Stdout: &stdout, Log: slog.New(slog.NewTextHandler(&logBuf, nil))}).Run(context.Background(), parseFile(t, regressFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 4 || len(oc.Resumed) != 0 {
		t.Fatalf("ran %v resumed %v: the run with lost metrics resumed\n%s", oc.Ran, oc.Resumed, stdout.String())
	}
	if !strings.Contains(logBuf.String(), "metrics.jsonl lost records before the checkpoint: starting the run over") ||
		!strings.Contains(logBuf.String(), "records=12") {
		t.Fatalf("the lost records were not reported:\n%s", logBuf.String())
	}
	sameRunFiles(t, runFiles(t, s, out), want, "after losing metrics", "straight through")
}
