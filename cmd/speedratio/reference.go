package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The libraries that make Debian's torch fast: OpenBLAS's OpenMP build
// (whose threads do not fight torch's) and tcmalloc.
const (
	openblasOpenMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
	tcmalloc       = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
	installHint    = "apt-get install -y python3-torch libopenblas0-openmp libtcmalloc-minimal4"
)

// torchEnv is the environment the reference scripts run in: env holds the
// variables to add, tuned whether both tuning libraries were found, and
// missing the paths of those that were not.
type torchEnv struct {
	env     []string
	tuned   bool
	missing []string
}

// tunedEnv returns the tuned environment, setting each variable only when
// exists reports its path present.
func tunedEnv(exists func(string) bool) torchEnv {
	var t torchEnv
	if exists(openblasOpenMP) {
		t.env = append(t.env, "LD_LIBRARY_PATH="+openblasOpenMP)
	} else {
		t.missing = append(t.missing, openblasOpenMP)
	}
	if exists(tcmalloc) {
		t.env = append(t.env, "LD_PRELOAD="+tcmalloc)
	} else {
		t.missing = append(t.missing, tcmalloc)
	}
	t.tuned = len(t.missing) == 0
	return t
}

// describe says in words how the reference ran.
func (t torchEnv) describe() string {
	if t.tuned {
		return "tuned (OpenMP OpenBLAS and tcmalloc: " + strings.Join(t.env, " ") + ")"
	}
	s := "not tuned, missing " + strings.Join(t.missing, " and ") + " (install with " + installHint + ")"
	if len(t.env) > 0 {
		s += "; ran with " + strings.Join(t.env, " ")
	}
	return s
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkReference checks, before anything runs, that the python, the
// scripts the settings need and torch are there, and returns one line
// naming what is missing and the fix.
func checkReference(o *options, settings []setting, t torchEnv, r runner) error {
	if !pythonExists(o.python) {
		return fmt.Errorf("no python at %s: pass --python, or install python3-torch: %s", o.python, installHint)
	}
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.script] {
			continue
		}
		seen[s.script] = true
		path := filepath.Join(o.bench, s.script)
		if !fileExists(path) {
			return fmt.Errorf("no PyTorch reference script at %s: pass --bench DIR, the folder with %s and %s (default %s, from the repository root)",
				path, dimScript, gaussianScript, defaultBench)
		}
	}
	if out, err := r.run("", o.python, []string{"-c", "import torch"}, t.env); err != nil {
		return fmt.Errorf("%s cannot import torch (%s): install python3-torch: %s",
			o.python, lastLine(out, err), installHint)
	}
	return nil
}

// pythonExists reports whether python names an executable file, by path
// or, without a slash, on PATH.
func pythonExists(python string) bool {
	if !strings.Contains(python, "/") {
		_, err := exec.LookPath(python)
		return err == nil
	}
	fi, err := os.Stat(python)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// lastLine returns the last non-empty line of out, or err's text when out
// has none.
func lastLine(out []byte, err error) string {
	lines := lastLines(out, 1)
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.TrimSpace(lines[0])
}

// lastLines returns the last n non-empty lines of out.
func lastLines(out []byte, n int) []string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
