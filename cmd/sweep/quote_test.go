package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
)

// TestResumeCommandSurvivesSpacesInPaths pastes the command an interrupted
// sweep suggests into bash: a sweep file and an output folder whose names
// have spaces and a quote must come back as one word each.
func TestResumeCommandSurvivesSpacesInPaths(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	s := &sweep.Sweep{File: "dir with space/it's.toml"}
	o := &options{out: "out dir/x y", parallel: 2}
	cmd := resumeCommand(s, o)
	out, err := exec.Command(bash, "-c", "printf '%s\\0' "+cmd).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	want := []string{"sweep", "run", s.File, "--out", o.out, "--parallel", "2"}
	if !slices.Equal(got, want) {
		t.Errorf("bash reads %q as %q, want %q", cmd, got, want)
	}
}
