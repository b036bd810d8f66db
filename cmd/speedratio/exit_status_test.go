package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorMessages checks the one-line error of each bad command
// line, each with exit status 2, before any python or script is looked at.
func TestUsageErrorMessages(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rounds", "0"}, "speedratio: --rounds must be at least 1, got 0\n"},
		{[]string{"extra"}, "speedratio takes no arguments, got [\"extra\"]\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit status %d, want %d", c.args, code, exitUsage)
		}
		if !strings.HasPrefix(stderr.String(), c.want) || stdout.Len() != 0 {
			t.Errorf("%q: stderr %q, want it to start %q, and stdout empty", c.args, stderr.String(), c.want)
		}
	}
}

// TestHelpExitsZero checks that -h prints the usage on stderr and exits 0.
func TestHelpExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != exitOK {
		t.Errorf("exit status %d, want %d", code, exitOK)
	}
	if !strings.HasPrefix(stderr.String(), usage) || !strings.Contains(stderr.String(), "-rounds") || stdout.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want the usage and flags on stderr", stderr.String(), stdout.String())
	}
}

// TestMeasurementFailureExitsOne checks that a failure once measuring has
// begun exits 1, not 2: against HEAD (which needs neither python nor the
// scripts) with a go on PATH that fails to compile.
func TestMeasurementFailureExitsOne(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	if err := checkAgainst("HEAD", execRunner{}); err != nil {
		t.Skipf("not in a git repository: %v", err)
	}
	bin := t.TempDir()
	if err := os.Symlink(git, filepath.Join(bin, "git")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\necho no compiler here\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	var stdout, stderr bytes.Buffer
	code := run([]string{"--against", "HEAD", "--only", "enc"}, &stdout, &stderr)
	if code != exitFailed {
		t.Errorf("exit status %d, want %d; stderr %q", code, exitFailed, stderr.String())
	}
	for _, w := range []string{"speedratio: go test -c -o ", "failed: exit status 3", "no compiler here"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr %q lacks %q", stderr.String(), w)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}
