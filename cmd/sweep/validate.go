package main

import (
	"fmt"
	"io"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/english"
)

// validate says that the sweep file is valid (loading it checked it
// without training, and every run's settings that name something on disk
// are there: sweep.Sweep.CheckDisk) and what it holds.
func validate(s *sweep.Sweep, _ *options, stdout, stderr io.Writer) int {
	if err := s.CheckDisk(s.ShardRuns(sweep.Shard{})); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "ok: %s (sweep %s, task %s, %s; %s, %s)\n",
		english.Plural(len(s.Runs), "run"), s.Name, s.Task, s.Method, english.Plural(len(s.Figures), "figure"), english.Plural(len(s.Tables), "table"))
	if note := s.RunCapNote(); note != "" {
		fmt.Fprintf(stdout, "note: %s\n", note)
	}
	return exitOK
}
