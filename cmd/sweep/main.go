// Command sweep runs the experiments a TOML sweep file declares, resumably,
// and remakes their figures and tables.
//
//	sweep run FILE [--out DIR] [--parallel P] [--shard i/N | --shards N] [--force]
//	sweep plan FILE [--out DIR] [--format slurm|k8s [--shards N] [--parallel P]]
//	sweep validate FILE             check the file without training
//	sweep report FILE [--out DIR]   remake results.csv, figures and tables from stored results
//	sweep status FILE [--out DIR]   show done, failed, running and pending runs
//	sweep list                      show tasks, estimators, critics, report kinds, data sets and shipped sweeps
//	sweep init [DIR] [--force]      copy the shipped sweep files into DIR (default sweeps)
//
// FILE is a sweep file's path or the name of a sweep shipped inside the
// binary, such as batchsize: `sweep run batchsize` runs from any folder.
//
// `sweep help` explains resuming, shards and --parallel. Exit status of
// `sweep run`: 0 when every run of the shard is done, 1 when a run of the
// shard is not done (it failed or was interrupted) or a report failed, 2 when
// nothing ran (a usage or sweep-file error, a changed sweep file without
// --force, an unusable output directory); see errorStatus and outcomeStatus.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/registry"

	// Tasks register themselves.
	_ "github.com/infomax/infomax/experiments/tasks/bmi"
	_ "github.com/infomax/infomax/experiments/tasks/consistency"
	_ "github.com/infomax/infomax/experiments/tasks/dim"
	_ "github.com/infomax/infomax/experiments/tasks/gaussian"
)

const usage = `sweep runs the experiments of a TOML sweep file, resumably.

Usage:
  sweep run FILE [flags]          run every run that is not done, then make the
                                  figures and tables; rerun to resume or retry
      --out DIR                   output directory (default runs); results go
                                  to DIR/<sweep name>/
      --parallel P                run P runs at once in this process (default 1)
      --shard i/N                 run only the i-th (from 0) of N slices of the
                                  runs (round-robin by index); all shards share DIR
      --shards N                  the shard count, with the index taken from
                                  SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX
      --force                     accept a sweep file whose runs changed since
                                  DIR was started: changed and added runs run,
                                  removed runs stay on disk but leave results.csv
      --retry-diverged            run again the runs that diverged (kept as
                                  failed otherwise: they would diverge again)
  sweep plan FILE [--out DIR]     list the runs with their ids and swept values
                                  (and which are done, when DIR has results)
  sweep plan FILE --format slurm|k8s [--shards N] [--parallel P] [--out DIR]
                                  print a Slurm job-array script or a Kubernetes
                                  Indexed Job manifest that runs the sweep in N shards
      --time T                    with slurm: each array task's time limit
      --image I                   with k8s: the image that has the sweep program
  sweep validate FILE             check the file without training
  sweep report FILE [--out DIR] [--force]
                                  remake results.csv, figures and tables from the
                                  stored results; say which runs are missing.
                                  A file whose runs changed since DIR was
                                  started, or any file while DIR's sweep.json
                                  cannot be read, is refused unless --force
  sweep status FILE [--out DIR]   show done, failed (with the reason), running and
                                  pending runs, the time spent and an estimate left
  sweep list                      show tasks (with their settings), estimators,
                                  critics, report kinds, data sets and the
                                  shipped sweeps
  sweep init [DIR] [--force]      copy the shipped sweep files into DIR (default
                                  sweeps), keeping files there that differ from
                                  them unless --force

FILE is a sweep file's path or, when no such file exists, the name of a sweep
shipped inside the binary (sweep list shows them): sweep run batchsize runs
the main experiment from any folder, and resumes as the same file would.

Resuming: a run id never changes, done runs are never rerun, failed and
interrupted runs run again, from their last checkpoint when they have one
(checkpoint_every / checkpoint_minutes in the sweep file; by default every
10 minutes). Ctrl-C (SIGINT or SIGTERM) checkpoints the running runs and
stops; a second Ctrl-C kills at once. keep_models = true in the sweep file
keeps each run's trained model in its folder (dim: encoder.safetensors).

Shards: without --shard, the shard comes from a Slurm job array
(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) or a
Kubernetes Indexed Job (JOB_COMPLETION_INDEX of --shards or SWEEP_SHARDS).

Cores: each run trains on one goroutine, except large matrix products,
which the pure-Go BLAS splits across cores, so a run of a small model uses
about one core: for sweeps of many small runs, --parallel up to the core
count uses the machine.
With an OpenBLAS build, --parallel P gives each run cores/P BLAS threads
unless OPENBLAS_NUM_THREADS is set.

A run held by another process is waited for, and taken over if that
process dies.

Exit status of run: 0 every run of the shard is done; 1 a run of the shard
failed or was interrupted, or a report failed; 2 nothing ran: a usage or
sweep-file error, a changed sweep file without --force, or an output
directory that cannot be made, read or written. report exits 2 for an
unusable --out, and for a changed sweep file or an unreadable sweep.json
without --force. status exits 0 (warning of either, as plan does), or 2
for a usage error or an unusable --out.
`

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	defaultOut  = sweep.DefaultOut
	outFlagHelp = "output `DIR`; results go to DIR/<sweep name>/"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage+shippedUsage())
		return exitOK
	case "list":
		return listCommand(rest, stdout, stderr)
	case "init":
		return initCommand(rest, stdout, stderr)
	}
	cmd, ok := fileCommands[name]
	if !ok {
		fmt.Fprintf(stderr, "sweep: unknown command %q: the commands are %s; `sweep help` says what each does%s\n",
			name, strings.Join(commandNames(), ", "), registry.DidYouMean(name, commandNames()))
		return exitUsage
	}
	return cmd.call(name, rest, stdout, stderr)
}

// commandNames returns the subcommands' names, sorted.
func commandNames() []string {
	names := append(slices.Collect(maps.Keys(fileCommands)), "help", "init", "list")
	slices.Sort(names)
	return names
}

// options are the flags of the subcommands that take a sweep file; each
// subcommand defines the ones it takes.
type options struct {
	out              string
	format           string
	parallel, shards int
	shard            string
	force            bool
	retryDiverged    bool
	time, image      string
	// shipped says that the sweep file argument was read as a shipped
	// sweep's name (set by fileCommand.call, not a flag).
	shipped bool
	// set holds the flags given on the command line, by name (set by
	// fileCommand.call).
	set map[string]bool
}

// fileCommand is a subcommand that takes a sweep file: flags defines its
// flags (nil when it has none) and run does its work on the loaded sweep,
// returning the exit status.
type fileCommand struct {
	flags func(fs *flag.FlagSet, o *options)
	run   func(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int
	// stored says that the command reads the sweep's stored runs, so
	// that it loads the sweep with sweep.ParseStored.
	stored bool
	// warn says that the command prints the sweep's pooling warnings
	// (sweep.Sweep.PoolingWarnings): those that make or check reports, not
	// plan or status, which a user may call again and again.
	warn bool
}

// fileCommands are the subcommands that take a sweep file, by name; each
// lives in the file of its name.
var fileCommands = map[string]fileCommand{
	"run":      {flags: runFlags, run: runSweep, warn: true},
	"plan":     {flags: planFlags, run: plan},
	"validate": {run: validate, warn: true},
	"report":   {flags: reportFlags, run: report, stored: true, warn: true},
	"status":   {flags: outFlag, run: status, stored: true},
}

// call parses the subcommand's flags and its one sweep file, loads the
// sweep and runs the subcommand on it.
func (c fileCommand) call(name string, args []string, stdout, stderr io.Writer) int {
	fs := newFlags(name, "FILE", stderr)
	o := &options{out: defaultOut}
	if c.flags != nil {
		c.flags(fs, o)
	}
	pos, code := parse(fs, args, 1, stderr)
	if code >= 0 {
		return code
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	parse := sweep.ParseWith
	if c.stored {
		parse = sweep.ParseStored
	}
	s, shipped, err := loadSweepWith(pos[0], stderr, parse)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if c.warn {
		for _, w := range s.Warnings() {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	if c.stored {
		if code := checkRecord(s, o, name == "report" && !o.force, stderr); code >= 0 {
			return code
		}
	}
	o.shipped = shipped
	return c.run(s, o, stdout, stderr)
}

// checkRecord compares, for report, status and plan, the sweep file with the
// runs recorded in sweep.json (see recordMismatch). Where the file no
// longer describes them, or the record cannot be read, so that nothing
// tells whether it does, it refuses with exitUsage when refuse (report
// without --force: its results.csv and reports would show this file's runs
// in place of those recorded), and warns otherwise. It returns -1 to go on.
func checkRecord(s *sweep.Sweep, o *options, refuse bool, stderr io.Writer) int {
	w, err := recordMismatch(s, o.out)
	switch {
	case err != nil && refuse:
		fmt.Fprintf(stderr, "sweep: %v; report cannot tell whether %s still describes the recorded runs, and would replace results.csv and the reports with its runs: "+
			"rerun with --force to report its runs as they stand, or `sweep run` it with --force to replace the record\n", err, s.File)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "warning: %v; this shows the runs of %s, which may not be those recorded, and `sweep run` refuses it until --force replaces the record\n", err, s.File)
	case w != "" && refuse:
		fmt.Fprintf(stderr, "sweep: %s; reporting it would replace results.csv and the reports of the recorded runs: "+
			"restore the file, or `sweep run` it (with --force) to run its new runs, or add --force to report its runs as they stand\n", w)
		return exitUsage
	case w != "":
		fmt.Fprintf(stderr, "warning: %s: this shows the file's runs, and leaves the others out\n", w)
	}
	return -1
}

// recordMismatch says, for report, status and plan, which read the stored runs
// by the file as it is, that the file no longer describes the runs its
// last `sweep run` recorded in sweep.json (which run refuses without
// --force). It returns "" where they agree, where there is no record, and
// where the sweep's directory cannot be read (the command says so itself);
// err is the record's read error, such as a corrupt sweep.json.
func recordMismatch(s *sweep.Sweep, out string) (string, error) {
	if ok, serr := s.Started(out); serr != nil || !ok {
		return "", nil
	}
	rec, ok, err := sweep.ReadRecord(s.Dir(out))
	if err != nil || !ok {
		return "", err
	}
	c := s.Diff(rec)
	if c.None() {
		return "", nil
	}
	return fmt.Sprintf("%s no longer describes the runs recorded in %s (%d changed, %d added, %d removed; `sweep run` lists them and refuses it without --force)",
		s.File, filepath.Join(s.Dir(out), sweep.RecordFile), len(c.Changed), len(c.Added), len(c.Removed)), nil
}

// outFlag defines --out, the output directory, which must not be empty.
func outFlag(fs *flag.FlagSet, o *options) {
	fs.Func("out", outFlagHelp+" (default \""+defaultOut+"\")", func(v string) error {
		if v == "" {
			return errors.New("is empty: give a folder, or leave --out out for " + defaultOut)
		}
		o.out = v
		return nil
	})
}

// newFlags returns the flag set of subcommand cmd, whose usage line shows
// its arguments args.
func newFlags(cmd, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sweep "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		line := strings.TrimSpace("sweep " + cmd + " " + args)
		flags := 0
		fs.VisitAll(func(*flag.Flag) { flags++ })
		if flags > 0 {
			line += " [flags]"
		}
		fmt.Fprintf(stderr, "Usage: %s\n", line)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before or after the positional
// arguments, of which there must be exactly n. code is -1 on success.
func parse(fs *flag.FlagSet, args []string, n int, stderr io.Writer) (pos []string, code int) {
	pos, code = positional(fs, args, stderr)
	if code >= 0 {
		return nil, code
	}
	if len(pos) != n {
		if n == 0 {
			fmt.Fprintf(stderr, "%s takes no arguments, got %q; %s\n", fs.Name(), pos, helpHint(fs))
		} else {
			fmt.Fprintf(stderr, "%s needs one sweep file, got %d arguments%s; %s\n", fs.Name(), len(pos), folderHint(fs, pos), helpHint(fs))
		}
		return nil, exitUsage
	}
	return pos, -1
}

// folderHint returns, for a subcommand with --out given a sweep file and a
// second argument that is not a sweep file, a hint that the second is
// meant as the results folder: " (for the results folder, write --out
// runs)"; "" otherwise.
func folderHint(fs *flag.FlagSet, pos []string) string {
	if fs.Lookup("out") == nil || len(pos) != 2 || strings.HasSuffix(pos[1], ".toml") {
		return ""
	}
	return " (for the results folder, write --out " + sweep.ShellQuote(pos[1]) + ")"
}

// helpHint says how to list a subcommand's flags, for the end of a usage
// error's one line.
func helpHint(fs *flag.FlagSet) string {
	return "`" + fs.Name() + " --help` lists its arguments and flags"
}

// flagHint returns, for err, flag's error for a flag fs does not define,
// `; did you mean --x?` when one of fs's flags is near enough to be meant
// ("--paralel" for --parallel), and "" otherwise.
func flagHint(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return ""
	}
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	if c := registry.Closest(name, known); c != "" {
		return "; did you mean --" + c + "?"
	}
	return ""
}

// positional parses flags that may come before or after the positional
// arguments, and returns those. code is -1 on success. A bad flag is one
// line on stderr, with how to list the flags; --help prints the usage.
func positional(fs *flag.FlagSet, args []string, stderr io.Writer) (pos []string, code int) {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, exitOK
			}
			fmt.Fprintf(stderr, "%s: %v%s; %s\n", fs.Name(), err, flagHint(fs, err), helpHint(fs))
			return nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, -1
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// stateText writes a run's state for a table cell, saying, as `sweep
// status` does, where a failed or interrupted run will resume from (see
// stateReason).
func stateText(s *sweep.Sweep, out string, st sweep.State) string {
	switch {
	case st.Status == results.StatusRunning && st.Holder != nil:
		return "running (" + st.Holder.String() + ")"
	case st.Status == results.StatusInterrupted:
		return cmp.Or(st.Reason, "interrupted") + cmp.Or(resumeNote(s, out, st), " (will start over)")
	case st.Status == results.StatusFailed:
		return "failed: " + stateReason(s, out, st)
	}
	return string(st.Status)
}
