package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/reports"
)

// report remakes the sweep's figures and tables from what is stored.
func report(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	if !started(s, o.out) {
		fmt.Fprintf(stderr, "sweep: no results for sweep %s under %s: run `sweep run %s --out %s` first\n", s.Name, o.out, s.File, o.out)
		return exitFailed
	}
	if len(s.Figures)+len(s.Tables) == 0 {
		fmt.Fprintf(stdout, "%s declares no [[figures]] or [[tables]]\n", s.File)
	}
	if werr := s.WriteResults(o.out); werr != nil {
		fmt.Fprintf(stderr, "sweep: writing results.csv: %v\n", werr)
		return exitFailed
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(s.Dir(o.out), results.ResultsFile))
	files, missing, err := makeReports(s, o.out, stderr)
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	if len(missing) > 0 {
		fmt.Fprintf(stdout, "%d of %d runs are not done and are left out:\n", len(missing), len(s.Runs))
		for _, st := range missing {
			fmt.Fprintf(stdout, "  %s: %s\n", st.Run.ID, stateText(st))
		}
	} else {
		fmt.Fprintf(stdout, "all %d runs are done\n", len(s.Runs))
	}
	if err != nil {
		fmt.Fprintln(stderr, "sweep:", err)
		return exitFailed
	}
	return exitOK
}

// makeReports makes every figure and table the sweep declares from the
// stored runs, into <out>/<sweep>/reports/. It returns the files written and
// the runs that are not done; a report that fails does not stop the others,
// and their errors are joined. What the reports worked around (torn lines in
// a metrics.jsonl) it prints to stderr as warnings. `sweep report` calls it,
// and `sweep run` once every run of the sweep is done (as the
// [sweep.Runner]'s Report).
func makeReports(s *sweep.Sweep, out string, stderr io.Writer) (files []string, missing []sweep.State, err error) {
	runs, missing := s.LoadRuns(out)
	warnings := &reports.Warnings{}
	for i := range runs {
		runs[i].Warnings = warnings
	}
	defer func() {
		for _, w := range warnings.List() {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}()
	specs := append(append([]reports.Spec(nil), s.Figures...), s.Tables...)
	if len(specs) == 0 {
		return nil, missing, nil
	}
	dir := filepath.Join(s.Dir(out), sweep.ReportsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, missing, err
	}
	var errs []error
	for _, spec := range specs {
		kind, lerr := reports.Lookup(spec.Kind)
		if lerr != nil {
			errs = append(errs, lerr)
			continue
		}
		written, merr := makeReport(kind, runs, spec, dir)
		files = append(files, written...)
		if merr != nil {
			errs = append(errs, fmt.Errorf("report %s (%s): %w", spec.Name, spec.Kind, merr))
		}
	}
	return files, missing, errors.Join(errs...)
}

// makeReport calls a report kind's Make, turning a panic into an error.
func makeReport(kind reports.Kind, runs []reports.Run, spec reports.Spec, dir string) (files []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic (a bug in report kind %q): %v\n%s", kind.Name, r, debug.Stack())
		}
	}()
	return kind.Make(runs, spec, dir)
}
