package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPeakOfTakesTheHighest checks that the peak is the highest width's
// GFLOP/s wherever its line comes, not the last line's.
func TestPeakOfTakesTheHighest(t *testing.T) {
	out := "BenchmarkPeakFMA/avx512-2  5000  28729 ns/op  230.5 GFLOP/s\n" +
		"BenchmarkPeakFMA/avx2-2    5000  57245 ns/op  120.0 GFLOP/s\n"
	if p, w := peakOf(out); p != 230.5 || w != "avx512" {
		t.Errorf("peakOf = %v %q, want 230.5 avx512", p, w)
	}
}

// TestCeilingRowWithoutAGoal checks that a row with no goal (every global
// pair) shows "-" in the ceiling table's goal column.
func TestCeilingRowWithoutAGoal(t *testing.T) {
	r := fixedReport()
	all, _ := selectSettings("full64-all")
	r.rows[0].setting = all[0]
	r.rows = r.rows[:1]
	r.peaks = []float64{210}
	r.rows[0].oursGFLOP = []float64{21, 21, 21}
	// 64 images at 435 images/s take 147.13 ms; 21 GFLOP at 210 GFLOP/s, 100 ms.
	want := "| full step, batch 64, every global pair | 21.000 | 100.00 ms | 147.13 ms | 1.47× | - |\n"
	if got := r.ceilingText(); !strings.HasSuffix(got, want) {
		t.Errorf("ceiling:\n%s\nwant the last line:\n%s", got, want)
	}
}

// TestPythonMustBeExecutable checks that a --python that is a file
// without the execute bit, or a folder, is not taken for a python.
func TestPythonMustBeExecutable(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "python3")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pythonExists(plain) || pythonExists(dir) {
		t.Error("a file without the execute bit, or a folder, passed for python")
	}
	if err := os.Chmod(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	if !pythonExists(plain) {
		t.Error("an executable file did not pass for python")
	}
}

// TestLastLines checks that the last n non-empty lines are kept, in order.
func TestLastLines(t *testing.T) {
	out := []byte("one\n\ntwo\n   \nthree\nfour\n")
	if got, want := lastLines(out, 2), []string{"three", "four"}; !slices.Equal(got, want) {
		t.Errorf("lastLines(2) = %q, want %q", got, want)
	}
	if got, want := lastLines(out, 3), []string{"two", "three", "four"}; !slices.Equal(got, want) {
		t.Errorf("lastLines(3) = %q, want %q", got, want)
	}
	if got, want := lastLines(out, 9), []string{"one", "two", "three", "four"}; !slices.Equal(got, want) {
		t.Errorf("lastLines(9) = %q, want %q", got, want)
	}
}
