package main

import (
	"testing"
)

// TestParseBenchLineRejects checks the lines parseBenchLine refuses: a
// name with its count and nothing else (as -v prints before a result), a
// value without its unit, and a value that is not a number.
func TestParseBenchLineRejects(t *testing.T) {
	for _, line := range []string{
		"BenchmarkStep/separable/hidden=256-2   20",
		"BenchmarkStep/separable/hidden=256-2   20   104579500 ns/op   9.562",
		"BenchmarkStep/separable/hidden=256-2   20   104579500 ns/op   fast steps/s",
		"BenchmarkStep 20 abc ns/op",
	} {
		if r, ok := parseBenchLine(line); ok {
			t.Errorf("parseBenchLine(%q) = %+v, true; want no result", line, r)
		}
	}
}

// TestParseBenchLineProcsSuffix checks that only the trailing -GOMAXPROCS
// suffix is cut from a name: a sub-benchmark's own -64 stays.
func TestParseBenchLineProcsSuffix(t *testing.T) {
	r, ok := parseBenchLine("BenchmarkDIM/batch-64-2   20   1000 ns/op   64.0 images/s")
	if !ok || r.name != "BenchmarkDIM/batch-64" || r.values["images/s"] != 64 {
		t.Errorf("got %+v, %v; want the name BenchmarkDIM/batch-64 at 64 images/s", r, ok)
	}
}

// TestParseGoBenchBLAS checks that the first BLAS line logged is the one
// reported, without the spaces that end its line.
func TestParseGoBenchBLAS(t *testing.T) {
	out := "    bench_test.go:44: BLAS: go-avx2   \n    bench_test.go:44: BLAS: go-generic\n"
	if _, blas := parseGoBench(out); blas != "go-avx2" {
		t.Errorf("blas = %q, want go-avx2 (the first, trimmed)", blas)
	}
}

// TestParseGaussianLineShape checks that gaussian_torch.py's line is
// read with the indentation a log may give it, and that a line merely
// holding it (a message quoting it) is not taken for it.
func TestParseGaussianLineShape(t *testing.T) {
	indented := "  gaussian_step critic=concat hidden=256 estimator=jsd batch=64 threads=2: 77.5 steps/s (min 70.0, max 80.0)\n"
	if got, err := parseGaussian(indented, "concat"); err != nil || got != 77.5 {
		t.Errorf("indented: %v, %v; want 77.5", got, err)
	}
	quoted := "expected gaussian_step critic=concat hidden=256 estimator=jsd batch=64 threads=2: 77.5 steps/s\n"
	if got, err := parseGaussian(quoted, "concat"); err == nil {
		t.Errorf("a line quoting the result was read as %v", got)
	}
}

// TestBenchRegexQuotesMeta checks that characters special to a regexp in
// a benchmark's name are matched literally.
func TestBenchRegexQuotesMeta(t *testing.T) {
	if got, want := benchRegex("BenchmarkX/lr=1e-3+b.c"), `^BenchmarkX$/^lr=1e-3\+b\.c$`; got != want {
		t.Errorf("benchRegex = %q, want %q", got, want)
	}
}

// TestShellQuote checks that a plain word stays as it is, and that an
// empty one and one with a space or a quote are quoted for a POSIX shell.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                "''",
		"20x":             "20x",
		"../shared/bench": "../shared/bench",
		"a b":             "'a b'",
		"it's":            `'it'\''s'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
