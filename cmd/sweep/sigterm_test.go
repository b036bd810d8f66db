package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestSIGTERMDuringSetupStopsTheRun sends SIGTERM to a sweep whose one run
// is still building a 20000-layer critic (a setup of many minutes that
// gorgonia cannot interrupt, and that ignored SIGTERM): the process must
// exit with the interrupted status, without finishing the setup.
func TestSIGTERMDuringSetupStopsTheRun(t *testing.T) {
	f := gaussianFile(t, "max_memory_gb = 0\n", "layers = 20000")
	dir := filepath.Dir(f)
	cmd, out := sweepCmd(t, dir, filepath.Join(dir, "completions"), "run", "c.toml", "--out", "runs")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to start", func() bool {
		sums, _ := filepath.Glob(filepath.Join(dir, "runs", "c", "*", results.SummaryFile))
		return len(sums) == 1
	})
	time.Sleep(200 * time.Millisecond) // into the graph's construction
	signalled := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute): // a hang, not a timing assertion
		cmd.Process.Kill()
		t.Fatalf("the sweep did not stop within 2 minutes of SIGTERM; its setup takes far longer\n%s", out)
	}
	t.Logf("exited %v after SIGTERM:\n%s", time.Since(signalled).Round(time.Millisecond), out)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailed {
		t.Fatalf("exit after SIGTERM: %v, want status %d\n%s", err, exitFailed, out)
	}
	if s := out.String(); !strings.Contains(s, "interrupted") || strings.Contains(s, "gaussian run starting") {
		t.Errorf("want the run interrupted before its setup finished:\n%s", s)
	}
}
