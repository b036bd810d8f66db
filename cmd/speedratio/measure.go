package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// runner runs a command in folder dir (the current one when empty) with
// extra environment variables and returns its combined output; tests
// replace it.
type runner interface {
	run(dir, name string, args, env []string) ([]byte, error)
}

// execRunner runs commands as subprocesses.
type execRunner struct{}

// run runs name with args in dir, with env added to this process's
// environment, and returns its combined output.
func (execRunner) run(dir, name string, args, env []string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// cmdError is a subprocess that failed, or whose output could not be read.
type cmdError struct {
	cmd string
	err error
	out []byte
}

// tailLines is how many lines of a failed command's output are shown.
const tailLines = 15

// Error names the command and the failure, then shows the last lines of
// the command's output.
func (e *cmdError) Error() string {
	s := fmt.Sprintf("%s failed: %v", e.cmd, e.err)
	lines := lastLines(e.out, tailLines)
	if len(lines) == 0 {
		return s + " (no output)"
	}
	return s + "; the last lines of its output:\n    " + strings.Join(lines, "\n    ")
}

// commandLine is the shell command line of name with args and env.
func commandLine(name string, args, env []string) string {
	var parts []string
	parts = append(parts, env...)
	parts = append(parts, name)
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sitting is one run of the program: its options, settings and where
// measurements and progress go.
type sitting struct {
	opts     *options
	settings []setting
	torch    torchEnv
	runner   runner
	progress io.Writer
	tmp      string
	bins     map[string]string // test binary by package
	now      func() time.Time
	// With --against: the worktree of that commit and its test binaries.
	baseDir  string
	baseBins map[string]string
}

// measure compiles the test binaries, runs the rounds and returns the
// report.
func (s *sitting) measure() (*report, error) {
	if s.now == nil {
		s.now = time.Now
	}
	tmp, err := os.MkdirTemp("", "speedratio-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Our benchmarks run in their packages' folders: the binaries'
	// paths must not depend on the current one.
	if s.tmp, err = filepath.Abs(tmp); err != nil {
		return nil, err
	}
	if err := s.compile(); err != nil {
		return nil, err
	}
	if s.opts.against != "" {
		defer s.removeBaseline()
		if err := s.addBaseline(); err != nil {
			return nil, err
		}
	}
	rep := &report{
		date: s.now(), cpu: cpuModel(readFile("/proc/cpuinfo"), runtime.NumCPU()), torch: s.torch,
		rounds: s.opts.rounds, benchtime: s.opts.benchtime, command: reproduceCommand(s.opts),
		against: s.opts.against,
	}
	for _, st := range s.settings {
		rep.rows = append(rep.rows, row{setting: st})
	}
	for r := 1; r <= s.opts.rounds; r++ {
		if s.opts.against == "" {
			if err := s.measurePeak(r, rep); err != nil {
				return nil, err
			}
		}
		for i := range rep.rows {
			if err := s.measureRow(r, &rep.rows[i], rep); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// compile builds the test binary of each package the settings need, and
// against PyTorch the peak benchmark's, once.
func (s *sitting) compile() error {
	s.bins = map[string]string{}
	var pkgs []string
	for _, st := range s.settings {
		pkgs = append(pkgs, st.pkg)
	}
	if s.opts.against == "" {
		pkgs = append(pkgs, peakPkg)
	}
	for _, pkg := range pkgs {
		if _, ok := s.bins[pkg]; ok {
			continue
		}
		bin := filepath.Join(s.tmp, filepath.Base(pkg)+".test")
		args := []string{"test", "-c", "-o", bin, pkg}
		fmt.Fprintf(s.progress, "compiling %s\n", pkg)
		if out, err := s.runner.run("", "go", args, nil); err != nil {
			return &cmdError{cmd: commandLine("go", args, nil), err: err, out: out}
		}
		s.bins[pkg] = bin
	}
	return nil
}

// measureRow runs round r of a row: the reference (each variant), then
// ours, and adds the measurements to the row.
func (s *sitting) measureRow(r int, rw *row, rep *report) error {
	st := rw.setting
	if s.opts.against != "" {
		if err := s.measureBaseline(r, rw); err != nil {
			return err
		}
		return s.measureOurs(r, rw, rep)
	}
	rates := make([]float64, len(st.variants))
	labels := make([]string, len(st.variants))
	gflops := map[string]float64{}
	for i, v := range st.variants {
		start := time.Now()
		rate, gflop, err := s.runTorch(st, v)
		if err != nil {
			return err
		}
		rates[i], labels[i], gflops[v.label] = rate, v.label, gflop
		fmt.Fprintf(s.progress, "round %d/%d  %-12s PyTorch %s%.1f %s (%.0f s)\n",
			r, s.opts.rounds, st.key, strings.TrimPrefix(v.label+" ", " "), rate, st.unit, time.Since(start).Seconds())
	}
	best, label := bestOf(rates, labels)
	rw.torch = append(rw.torch, best)
	rw.winners = append(rw.winners, label)
	rw.torchGFLOP = append(rw.torchGFLOP, gflops[label])
	return s.measureOurs(r, rw, rep)
}

// measureOurs runs round r of a row's B side, ours, and adds it to the row.
func (s *sitting) measureOurs(r int, rw *row, rep *report) error {
	st := rw.setting
	start := time.Now()
	m, err := s.runOurs(st)
	if err != nil {
		return err
	}
	if rep.blas == "" {
		rep.blas = m.blas
	}
	rw.ours = append(rw.ours, m.rate)
	rw.bytes = append(rw.bytes, m.bytesPerOp)
	rw.allocs = append(rw.allocs, m.allocsPerOp)
	rw.oursGFLOP = append(rw.oursGFLOP, m.gflop)
	fmt.Fprintf(s.progress, "round %d/%d  %-12s ours %.1f %s, %.2f MB/op, %.0f allocs/op (%.0f s)\n",
		r, s.opts.rounds, st.key, m.rate, st.unit, m.bytesPerOp/1e6, m.allocsPerOp, time.Since(start).Seconds())
	return nil
}

// bestOf returns the highest rate and its label; the first on a tie.
func bestOf(rates []float64, labels []string) (float64, string) {
	best := 0
	for i, r := range rates {
		if r > rates[best] {
			best = i
		}
	}
	return rates[best], labels[best]
}

// runTorch runs one variant of a setting's reference script and returns
// its rate and, for dim_torch.py, the GFLOP of its step's products (0
// otherwise).
func (s *sitting) runTorch(st setting, v torchVariant) (rate, gflop float64, err error) {
	args := append([]string{filepath.Join(s.opts.bench, st.script)}, v.args...)
	jsonFile := ""
	if st.script == dimScript {
		jsonFile = filepath.Join(s.tmp, "dim_torch.json")
		os.Remove(jsonFile)
		args = append(args, "--json", jsonFile)
	}
	line := commandLine(s.opts.python, args, s.torch.env)
	out, err := s.runner.run("", s.opts.python, args, s.torch.env)
	if err != nil {
		return 0, 0, &cmdError{cmd: line, err: err, out: out}
	}
	if jsonFile != "" {
		data, rerr := os.ReadFile(jsonFile)
		if rerr == nil {
			rate, gflop, rerr = parseDimJSON(data, st.dimName, st.batch)
		}
		err = rerr
	} else {
		rate, err = parseGaussian(string(out), st.critic)
	}
	if err != nil {
		return 0, 0, &cmdError{cmd: line, err: err, out: out}
	}
	return rate, gflop, nil
}

// runOurs runs a setting's benchmark from its compiled test binary, in
// its package's folder as go test would.
func (s *sitting) runOurs(st setting) (goMeasurement, error) {
	return s.runBench(s.bins[st.pkg], st.pkg, st)
}

// runBench runs a setting's benchmark from the test binary bin in the
// package's folder dir.
func (s *sitting) runBench(bin, dir string, st setting) (goMeasurement, error) {
	args := []string{"-test.run", "^$", "-test.bench", benchRegex(st.bench),
		"-test.benchtime", st.benchtime(s.opts.benchtime), "-test.cpu", strconv.Itoa(threads), "-test.benchmem"}
	line := "cd " + shellQuote(dir) + " && " + commandLine(bin, args, nil)
	out, err := s.runner.run(dir, bin, args, nil)
	if err != nil {
		return goMeasurement{}, &cmdError{cmd: line, err: err, out: out}
	}
	m, err := goMeasure(string(out), st.bench, st.unit)
	if err != nil {
		return goMeasurement{}, &cmdError{cmd: line, err: err, out: out}
	}
	return m, nil
}

// readFile returns the file's text, or "" when it cannot be read.
func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
