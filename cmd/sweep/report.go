package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/reports"
)

// reportFlags defines report's flags: --out, and --force to report a
// sweep file whose runs changed since the output directory was started.
func reportFlags(fs *flag.FlagSet, o *options) {
	outFlag(fs, o)
	fs.BoolVar(&o.force, "force", false, "report a sweep file whose runs changed since the output directory was started (its results.csv and reports then show the file's runs)")
}

// report remakes the sweep's figures and tables from what is stored. An
// output directory that cannot be used (an --out that is a file) is a
// usage error, as for status and run; one with nothing stored yet is not.
func report(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	if ok, err := s.Started(o.out); err != nil {
		fmt.Fprintf(stderr, "sweep report: %v%s\n", err, outHint(err))
		return exitUsage
	} else if !ok {
		fmt.Fprintf(stderr, "sweep: no results for sweep %s under %s: run `sweep run %s --out %s` first\n", s.Name, o.out, sweep.ShellQuote(s.File), sweep.ShellQuote(o.out))
		return exitFailed
	}
	if len(s.Figures)+len(s.Tables) == 0 {
		fmt.Fprintf(stdout, "%s declares no [[figures]] or [[tables]]\n", s.File)
	}
	if werr := s.WriteResults(o.out); werr != nil {
		fmt.Fprintf(stderr, "sweep: %v\n", werr) // it names results.csv
		return exitFailed
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(s.Dir(o.out), results.ResultsFile))
	files, missing, err := makeReports(s, o.out, stderr)
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	fmt.Fprintln(stdout, doneLine(len(missing), len(s.Runs)))
	for _, st := range missing {
		fmt.Fprintf(stdout, "  %s: %s\n", st.Run.ID, stateText(s, o.out, st))
	}
	printPage(stdout, files)
	if err != nil {
		fmt.Fprintln(stderr, "sweep:", err)
		return exitFailed
	}
	return exitOK
}

// doneLine is the line `sweep report` counts the runs not done with, of
// the sweep's runs: "2 of 6 runs are not done and are left out:" (the runs
// follow), "1 of 6 runs is not done ...", "all 6 runs are done" or "the
// sweep's 1 run is done".
func doneLine(missing, runs int) string {
	switch {
	case missing == 1:
		return fmt.Sprintf("1 of %s is not done and is left out:", english.Plural(runs, "run"))
	case missing > 1:
		return fmt.Sprintf("%d of %s are not done and are left out:", missing, english.Plural(runs, "run"))
	case runs == 1:
		return "the sweep's 1 run is done"
	}
	return fmt.Sprintf("all %d runs are done", runs)
}

// printPage says where the sweep's page is, when files has it: the last
// line of `sweep report`, and of `sweep run` once it made the reports.
func printPage(stdout io.Writer, files []string) {
	for _, f := range files {
		if filepath.Base(f) == reports.PageFile {
			fmt.Fprintf(stdout, "page: %s (every figure, table and run, with training curves; open it in a browser)\n", f)
		}
	}
}

// makeReports makes every figure and table the sweep declares from the
// stored runs, into <out>/<sweep>/reports/, and then the sweep's page,
// index.html, which shows them with every run, its state and its training
// curves. It returns the files written, the page last, and the runs that
// are not done; a report that fails does not stop the others, and their
// errors are joined. What the reports worked around (torn lines in a
// metrics.jsonl) it prints to stderr as warnings. `sweep report` calls it,
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
	dir := filepath.Join(s.Dir(out), sweep.ReportsDir)
	if err := sweep.MakeFolder(dir); err != nil {
		return nil, missing, err
	}
	var errs []error
	var made []reports.PageReport
	var unwritten []string // reports whose files could not be written: they keep their earlier ones
	for i, spec := range append(append([]reports.Spec(nil), s.Figures...), s.Tables...) {
		rep := reports.PageReport{Spec: spec, Figure: i < len(s.Figures)}
		kind, lerr := reports.Lookup(spec.Kind)
		if lerr == nil {
			rep.Files, rep.Err = makeReport(kind, runs, spec, dir)
		} else {
			rep.Err = lerr
		}
		files = append(files, rep.Files...)
		if rep.Err != nil {
			errs = append(errs, reportError(dir, spec, rep.Err))
		}
		made = append(made, rep)
		if _, failed := errors.AsType[*reports.WriteError](rep.Err); failed {
			unwritten = append(unwritten, spec.Name)
		}
	}
	if removed, rerr := reports.RemoveStale(dir, files, unwritten); rerr != nil {
		errs = append(errs, rerr)
	} else if len(removed) > 0 {
		fmt.Fprintf(stderr, "removed %s of reports the sweep file no longer declares: %s\n",
			english.Plural(len(removed), "file"), strings.Join(baseNames(removed), ", "))
	}
	page, perr := reports.WritePage(dir, newPage(s, out, runs, made))
	if perr != nil {
		errs = append(errs, fmt.Errorf("the sweep's page: %w", perr))
	} else {
		files = append(files, page)
	}
	return files, missing, errors.Join(errs...)
}

// reportError is the error of the report of spec, in dir, that failed with
// err. Where its files could not be written (a *reports.WriteError), its
// files from an earlier call stay as they were; where it could not be
// made, they are removed (see reports.RemoveOutputs), as they would read
// as this call's. It says which.
func reportError(dir string, spec reports.Spec, err error) error {
	note := ""
	if we := (*reports.WriteError)(nil); errors.As(err, &we) {
		if kept, _ := reports.Outputs(dir, spec.Name); len(kept) > 0 {
			note = " (its files from an earlier call are kept as they were)"
		}
	} else if removed, rerr := reports.RemoveOutputs(dir, spec.Name); rerr != nil {
		note = fmt.Sprintf(" (and its files from an earlier call could not be removed: %v)", rerr)
	} else if len(removed) > 0 {
		note = " (its files from an earlier call removed)"
	}
	return fmt.Errorf("report %s (%s): %w%s%s", spec.Name, spec.Kind, err, missingRunFile(err), note)
}

// baseNames returns the base names of paths.
func baseNames(paths []string) []string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

// newPage gathers what the sweep's page shows: the sweep, every run with
// its state as `sweep status` reports it (with its config where runs has
// it) and its values of the swept parameters and of the settings that
// overrides set, and the reports made.
func newPage(s *sweep.Sweep, out string, runs []reports.Run, made []reports.PageReport) reports.Page {
	stored := map[string]reports.Run{}
	for _, r := range runs {
		stored[r.ID] = r
	}
	var swept []int
	p := reports.Page{
		Sweep: s.Name, Description: s.Description, Task: s.Task, File: s.File, Extends: s.Extends, Reports: made,
		Commands: pageCommands(s, out),
	}
	for i, prm := range s.Params {
		if prm.Swept() {
			swept = append(swept, i)
			p.Params = append(p.Params, prm.Name)
		}
	}
	p.Params = append(p.Params, s.OverrideKeys()...)
	states := s.States(out)
	p.Status = statusSummary(states)
	for _, st := range states {
		r, ok := stored[st.Run.ID]
		if !ok {
			r = reports.Run{ID: st.Run.ID, Dir: s.RunDir(out, st.Run), Summary: st.Summary}
		}
		pr := reports.PageRun{Run: r, Index: st.Run.Index, Seed: st.Run.Seed,
			State: stateLabel(st), Detail: stateReason(s, out, st), Seconds: runSeconds(st)}
		if st.Summary != nil {
			pr.Time = formatSeconds(pr.Seconds)
		}
		for _, i := range swept {
			pr.Values = append(pr.Values, sweep.FormatValue(st.Run.Values[i]))
		}
		pr.Values = append(pr.Values, s.OverrideValues(st.Run)...)
		p.Runs = append(p.Runs, pr)
	}
	return p
}

// pageCommands are the commands the page gives: to run or resume the
// sweep and to remake its reports. Where the sweep file or out is a
// relative path, they start with the cd to the folder both are relative
// to (the one this process runs in), so that they work from any shell.
func pageCommands(s *sweep.Sweep, out string) [][2]string {
	file, dir := sweep.ShellQuote(s.File), sweep.ShellQuote(out)
	cmds := [][2]string{
		{"run or resume the sweep", "sweep run " + file + " --out " + dir},
		{"remake the reports and this page", "sweep report " + file + " --out " + dir},
	}
	if filepath.IsAbs(s.File) && filepath.IsAbs(out) {
		return cmds
	}
	if wd, err := os.Getwd(); err == nil {
		cmds = append([][2]string{{"from the folder", "cd " + sweep.ShellQuote(wd)}}, cmds...)
	}
	return cmds
}

// missingRunFile is the advice for a report that failed on a file of a
// done run that is gone (a metrics.jsonl deleted by hand, say): `sweep
// run` does not remake a done run's files, so it says how to have the run
// made again; "" for any other error.
func missingRunFile(err error) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	summary := filepath.Join(filepath.Dir(pe.Path), results.SummaryFile)
	if _, serr := os.Stat(summary); serr != nil {
		return ""
	}
	return fmt.Sprintf("; restore that file, or delete %s so that `sweep run` runs that run again", summary)
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
