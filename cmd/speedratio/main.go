// Command speedratio runs our Go benchmarks and the PyTorch reference
// scripts of ../shared/bench one after the other (A B A B ...) in one
// sitting, and prints the markdown ratio table that the README's speed
// table is regenerated from.
//
//	speedratio [--rounds N] [--only full64,full64-all,full16,full64-f32,full16-f32,enc,gauss-sep,gauss-concat]
//	           [--bench DIR] [--python PATH] [--benchtime N] [--out FILE] [--against REV]
//
// Run it from the repository root. It compiles the test binaries once,
// then in each round runs, for each setting, the reference script and
// then our benchmark, each as a subprocess, and reports medians and
// ranges over the rounds. For each row with a goal of issue 13 it also
// gives the median of the rounds' own ratios (each round's two runs are
// back to back) with an interval from their order statistics, and says
// whether the goal is met, missed or not told apart by the rounds. For
// the DIM rows it also compares the work of the two steps, the GFLOP of
// their matrix products and convolutions
// (dim_torch.py's count against ours from package blas), and the rate per
// FLOP: full64-all, our full step with the paper's global negatives,
// scores more pairs than the reference's. full64-f32 and full16-f32 are
// our steps with Adam's moments in float32 (adam_moments = "float32"), as
// the reference's torch.optim.Adam keeps them, where our default keeps
// float64 ones: the same arithmetic on both sides. In each round it also
// times the machine's peak arithmetic, an FMA loop on every thread
// (BenchmarkPeakFMA in internal/blas), and prints, for each row whose
// benchmark counts its products, the least time they take at that peak
// and the highest ratio it allows: a goal above that ratio cannot be met
// while the machine runs at that peak. With --against REV, the A side is
// our own benchmarks built from commit REV instead of PyTorch: a change's
// speed measured against the code before it, in one sitting. Exit status:
// 0 on success, 1 when a measurement failed, 2 when nothing ran (a usage
// error, or a missing python, torch or script).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
)

const usage = `speedratio runs our benchmarks and the PyTorch reference interleaved
(PyTorch then ours, for each setting, in each round) and prints a markdown
table of the ratios of the medians, and each goal against the rounds' own
ratios with an interval.

Usage: speedratio [flags]     (from the repository root)
`

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// Flag defaults.
const (
	defaultRounds    = 3
	defaultBench     = "../shared/bench"
	defaultPython    = "/usr/bin/python3"
	defaultBenchtime = "" // each setting's own steps
)

// options are the command line's flags.
type options struct {
	rounds    int
	bench     string
	python    string
	only      string
	benchtime string
	out       string
	against   string
}

// main runs the command line and exits with its status.
func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, code := parseFlags(args, stderr)
	if code >= 0 {
		return code
	}
	settings, err := selectSettings(o.only)
	if err != nil {
		fmt.Fprintf(stderr, "speedratio: %v\n", err)
		return exitUsage
	}
	if err := checkOut(o.out); err != nil {
		fmt.Fprintf(stderr, "speedratio: %v\n", err)
		return exitUsage
	}
	if err := checkAgainst(o.against, execRunner{}); err != nil {
		fmt.Fprintf(stderr, "speedratio: %v\n", err)
		return exitUsage
	}
	torch := tunedEnv(fileExists)
	if o.against == "" {
		if err := checkReference(o, settings, torch, execRunner{}); err != nil {
			fmt.Fprintf(stderr, "speedratio: %v\n", err)
			return exitUsage
		}
	}
	s := &sitting{opts: o, settings: settings, torch: torch, runner: execRunner{}, progress: stderr}
	rep, err := s.measure()
	if err != nil {
		fmt.Fprintf(stderr, "speedratio: %v\n", err)
		return exitFailed
	}
	text := rep.markdown()
	fmt.Fprint(stdout, text)
	if o.out != "" {
		if err := results.WriteFileAtomic(o.out, []byte(text)); err != nil {
			fmt.Fprintf(stderr, "speedratio: --out %s: %v\n", o.out, err)
			return exitFailed
		}
		fmt.Fprintf(stderr, "wrote %s\n", o.out)
	}
	return exitOK
}

// parseFlags parses the command line into options. code is -1 on success,
// otherwise the exit status to return.
func parseFlags(args []string, stderr io.Writer) (o *options, code int) {
	o = &options{}
	fs := flag.NewFlagSet("speedratio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.rounds, "rounds", defaultRounds, "rounds of A B A B measurement")
	fs.StringVar(&o.bench, "bench", defaultBench, "folder with dim_torch.py and gaussian_torch.py")
	fs.StringVar(&o.python, "python", defaultPython, "python with torch (Debian's python3-torch)")
	fs.StringVar(&o.only, "only", "", "comma list of settings to run, of "+strings.Join(settingKeys(), ","))
	fs.StringVar(&o.benchtime, "benchtime", defaultBenchtime, "-test.benchtime of all our benchmarks, such as 20x (default: each setting's own, 20x to 1000x)")
	fs.StringVar(&o.out, "out", "", "also write the markdown to FILE")
	fs.StringVar(&o.against, "against", "", "measure ours against our benchmarks at commit `REV` (a git worktree of it) instead of PyTorch")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "speedratio takes no arguments, got %q\n", fs.Args())
		fs.Usage()
		return nil, exitUsage
	}
	if o.rounds < 1 {
		fmt.Fprintf(stderr, "speedratio: --rounds must be at least 1, got %d\n", o.rounds)
		return nil, exitUsage
	}
	return o, -1
}

// checkOut reports, before anything is measured, why --out path could not
// be written: its folder is missing or not a folder. An empty path is
// fine (no file).
func checkOut(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("--out %s: folder %s does not exist; create it or pass another path", path, dir)
	case !fi.IsDir():
		return fmt.Errorf("--out %s: %s is not a folder; pass another path", path, dir)
	}
	return nil
}
