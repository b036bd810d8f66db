// Command sweep runs the experiments a TOML sweep file declares, resumably,
// and remakes their figures and tables.
//
//	sweep run FILE [--out DIR] [--parallel P] [--shard i/N | --shards N] [--force]
//	sweep plan FILE [--out DIR] [--format slurm|k8s [--shards N] [--parallel P]]
//	sweep validate FILE             check the file without training
//	sweep report FILE [--out DIR]   remake results.csv, figures and tables from stored results
//	sweep status FILE [--out DIR]   show done, failed, running and pending runs
//	sweep list                      show tasks, estimators, critics, report kinds and data sets
//
// `sweep help` explains resuming, shards and --parallel. Exit status: 0 when
// all went well, 1 when a run or report failed or the sweep was
// interrupted, 2 for a usage or sweep-file error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/infomax/infomax/internal/english"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/blas"
	"github.com/infomax/infomax/reports"

	// Tasks register themselves.
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
  sweep plan FILE [--out DIR]     list the runs with their ids and swept values
                                  (and which are done, when DIR has results)
  sweep plan FILE --format slurm|k8s [--shards N] [--parallel P] [--out DIR]
                                  print a Slurm job-array script or a Kubernetes
                                  Indexed Job manifest that runs the sweep in N shards
  sweep validate FILE             check the file without training
  sweep report FILE [--out DIR]   remake results.csv, figures and tables from the
                                  stored results; say which runs are missing
  sweep status FILE [--out DIR]   show done, failed (with the reason), running and
                                  pending runs, the time spent and an estimate left
  sweep list                      show tasks (with their settings), estimators,
                                  critics, report kinds and data sets

Resuming: a run id never changes, done runs are never rerun, failed and
interrupted runs run again, from their last checkpoint when they have one
(checkpoint_every / checkpoint_minutes in the sweep file; by default every
10 minutes). Ctrl-C (SIGINT or SIGTERM) checkpoints the running runs and
stops; a second Ctrl-C kills at once.

Shards: without --shard, the shard comes from a Slurm job array
(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) or a
Kubernetes Indexed Job (JOB_COMPLETION_INDEX of --shards or SWEEP_SHARDS).

Cores: each run trains on one goroutine, except large matrix products,
which the pure-Go BLAS splits across cores, so a run of a small model uses
about one core: for sweeps of many small runs, --parallel up to the core
count uses the machine.
With an OpenBLAS build, --parallel P gives each run cores/P BLAS threads
unless OPENBLAS_NUM_THREADS is set.

Exit status: 0 ok, 1 a run or report failed or the sweep was interrupted,
2 a usage or sweep-file error (or a changed sweep file without --force).
`

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	defaultOut  = sweep.DefaultOut
	outFlagHelp = "output directory; results go to DIR/<sweep name>/"
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
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "list":
		fs := newFlags("list", "", stderr)
		if _, code := parse(fs, rest, 0, stderr); code >= 0 {
			return code
		}
		return list(stdout)
	case "run", "plan", "validate", "report", "status":
	default:
		fmt.Fprintf(stderr, "sweep: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}

	fs := newFlags(cmd, "FILE", stderr)
	out := defaultOut
	var opts runOptions
	var format string
	if cmd != "validate" {
		fs.StringVar(&out, "out", defaultOut, outFlagHelp)
	}
	switch cmd {
	case "run":
		fs.IntVar(&opts.parallel, "parallel", 1, "how many runs to run at once in this process")
		fs.StringVar(&opts.shard, "shard", "", "run only shard `i/N`: the runs whose index modulo N is i")
		fs.IntVar(&opts.shards, "shards", 0, "the shard count `N`, the index coming from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
		fs.BoolVar(&opts.force, "force", false, "accept a sweep file whose runs changed since the output directory was started")
	case "plan":
		fs.StringVar(&format, "format", "", "print a job script instead of the run list: slurm or k8s")
		fs.IntVar(&opts.shards, "shards", 0, fmt.Sprintf("with --format: the number of array tasks (default: one per run, up to %d)", sweep.DefaultShards))
		fs.IntVar(&opts.parallel, "parallel", 1, "with --format: runs each array task runs at once (and the CPUs it asks for)")
		fs.StringVar(&opts.time, "time", sweep.DefaultSlurmTime, "with --format slurm: the time limit of each array task")
		fs.StringVar(&opts.image, "image", sweep.DefaultImage, "with --format k8s: the container image that has the sweep program")
	}
	pos, code := parse(fs, rest, 1, stderr)
	if code >= 0 {
		return code
	}
	s, err := sweep.Load(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	switch cmd {
	case "validate":
		fmt.Fprintf(stdout, "ok: %d runs (sweep %s, task %s, %s; %s, %s)\n",
			len(s.Runs), s.Name, s.Task, s.Method, english.Plural(len(s.Figures), "figure"), english.Plural(len(s.Tables), "table"))
		return exitOK
	case "plan":
		if format != "" {
			return clusterPlan(s, format, out, opts, stdout, stderr)
		}
		return plan(s, out, stdout)
	case "status":
		return status(s, out, stdout)
	case "report":
		return report(s, out, stdout, stderr)
	}
	return runSweep(s, out, opts, stdout, stderr)
}

// runOptions are the flags of `sweep run` (and of `sweep plan --format`).
type runOptions struct {
	parallel, shards int
	shard            string
	force            bool
	time, image      string
}

// clusterPlan prints a job-array script or manifest.
func clusterPlan(s *sweep.Sweep, format, out string, opts runOptions, stdout, stderr io.Writer) int {
	p := sweep.ClusterPlan{File: s.File, Out: out, Shards: opts.shards, Parallel: opts.parallel, Time: opts.time, Image: opts.image}
	if opts.parallel < 1 {
		fmt.Fprintf(stderr, "sweep plan: --parallel %d must be at least 1\n", opts.parallel)
		return exitUsage
	}
	if err := s.CheckClusterPlan(p); err != nil {
		fmt.Fprintf(stderr, "sweep plan: %v\n", err)
		return exitUsage
	}
	switch format {
	case "slurm":
		io.WriteString(stdout, s.SlurmScript(p))
	case "k8s", "kubernetes":
		io.WriteString(stdout, s.K8sJob(p))
	default:
		fmt.Fprintf(stderr, "sweep plan: --format %q: use slurm (a job-array script for sbatch) or k8s (an Indexed Job manifest for kubectl apply)\n", format)
		return exitUsage
	}
	return exitOK
}

func newFlags(cmd, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sweep "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sweep %s %s [flags]\n", cmd, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before or after the positional
// arguments, of which there must be exactly n. code is -1 on success.
func parse(fs *flag.FlagSet, args []string, n int, stderr io.Writer) (pos []string, code int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != n {
		if n == 0 {
			fmt.Fprintf(stderr, "%s takes no arguments, got %q\n", fs.Name(), pos)
		} else {
			fmt.Fprintf(stderr, "%s needs one sweep file, got %d arguments\n", fs.Name(), len(pos))
		}
		fs.Usage()
		return nil, exitUsage
	}
	return pos, -1
}

// runSweep runs the sweep until done or interrupted by SIGINT or SIGTERM.
func runSweep(s *sweep.Sweep, out string, opts runOptions, stdout, stderr io.Writer) int {
	if opts.parallel < 1 {
		fmt.Fprintf(stderr, "sweep run: --parallel %d must be at least 1\n", opts.parallel)
		return exitUsage
	}
	shard, source, err := sweep.ShardFrom(opts.shard, opts.shards, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sweep run: %v\n", err)
		return exitUsage
	}
	if !shard.All() && source != "--shard" {
		fmt.Fprintf(stdout, "shard %s from the %s\n", shard, source)
	}
	if opts.parallel > 1 && blas.Name() == "openblas" && os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		blas.SetThreads(max(1, runtime.NumCPU()/opts.parallel))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	resume := fmt.Sprintf("sweep run %s --out %s", s.File, out)
	if opts.shard != "" {
		resume += " --shard " + opts.shard
	}
	if opts.shards > 0 {
		resume += fmt.Sprintf(" --shards %d", opts.shards)
	}
	if opts.parallel > 1 {
		resume += fmt.Sprintf(" --parallel %d", opts.parallel)
	}
	r := &sweep.Runner{
		Out:      out,
		Stdout:   stdout,
		Log:      slog.New(slog.NewTextHandler(stderr, nil)),
		Terminal: stdout == io.Writer(os.Stdout) && sweep.IsTerminal(os.Stdout),
		Shard:    shard,
		Parallel: opts.parallel,
		Force:    opts.force,
		Resume:   resume,
		Report:   makeReports,
	}
	// Timings in metrics.jsonl depend on it: say which BLAS this build uses.
	r.Log.Info("matrix products", "blas", blas.Name(), "threads", blas.Threads())
	oc, err := r.Run(ctx, s)
	if err != nil {
		fmt.Fprintln(stderr, "sweep:", err)
		var ce *sweep.ChangedError
		if errors.As(err, &ce) {
			return exitUsage
		}
		return exitFailed
	}
	if oc.Interrupted || len(oc.Failed) > 0 || oc.ReportErr != nil {
		return exitFailed
	}
	return exitOK
}

// plan prints the runs, with their state when the output directory has the
// sweep.
func plan(s *sweep.Sweep, out string, stdout io.Writer) int {
	_, err := os.Stat(s.Dir(out))
	haveResults := err == nil
	configs := len(s.Runs) / max(1, len(s.Seeds))
	fmt.Fprintf(stdout, "sweep %s: task %s, %s, %d runs (%d configurations x %d seeds)\n",
		s.Name, s.Task, s.Method, len(s.Runs), configs, len(s.Seeds))
	if s.Description != "" {
		fmt.Fprintf(stdout, "%s\n", s.Description)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	header := append(append([]string{"#", "run id"}, s.ParamNames()...), "seed")
	var states []sweep.State
	if haveResults {
		header = append(header, "status")
		states = s.States(out)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, r := range s.Runs {
		row := []string{fmt.Sprint(i + 1), r.ID}
		for _, v := range r.Values {
			row = append(row, sweep.FormatValue(v))
		}
		row = append(row, fmt.Sprint(r.Seed))
		if haveResults {
			row = append(row, stateText(states[i]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if haveResults {
		fmt.Fprintf(stdout, "\nresults in %s\n", s.Dir(out))
	}
	return exitOK
}

// stateText writes a run's state for a table cell.
func stateText(st sweep.State) string {
	switch {
	case st.Status == results.StatusRunning && st.Holder != nil:
		return "running (" + st.Holder.String() + ")"
	case st.Interrupted:
		return "interrupted (will rerun)"
	case st.Status == results.StatusFailed:
		return "failed: " + st.Reason
	}
	return string(st.Status)
}

// status prints every run's state, the time spent and an estimate of the
// time left.
func status(s *sweep.Sweep, out string, stdout io.Writer) int {
	if _, err := os.Stat(s.Dir(out)); err != nil {
		fmt.Fprintf(stdout, "sweep %s: nothing under %s yet; %d runs pending (start with `sweep run %s --out %s`)\n", s.Name, s.Dir(out), len(s.Runs), s.File, out)
		return exitOK
	}
	states := s.States(out)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\trun id\tstatus\tstep\ttime\treason")
	counts := map[string]int{}
	var spent, doneTime float64
	var done int
	for i, st := range states {
		label := string(st.Status)
		if st.Interrupted {
			label = "interrupted"
		}
		counts[label]++
		step, took := "", ""
		if st.Summary != nil {
			step = fmt.Sprint(st.Summary.Step)
			secs := st.Summary.Seconds
			if st.Status == results.StatusRunning && !st.Summary.Started.IsZero() {
				secs = time.Since(st.Summary.Started).Seconds()
			}
			took = formatSeconds(secs)
			spent += secs
			if st.Status == results.StatusDone {
				done++
				doneTime += st.Summary.Seconds
			}
		}
		reason := st.Reason
		if st.Holder != nil {
			reason = st.Holder.String()
		}
		if st.Status == results.StatusFailed {
			if cs, ok := checkpoint.Peek(s.RunDir(out, st.Run)); ok {
				reason += fmt.Sprintf(" (will resume from step %d)", cs)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, st.Run.ID, label, step, took, reason)
	}
	tw.Flush()
	var parts []string
	for _, label := range []string{"done", "failed", "interrupted", "running", "pending"} {
		if counts[label] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[label], label))
		}
	}
	fmt.Fprintf(stdout, "\n%d runs: %s; %s spent", len(states), strings.Join(parts, ", "), formatSeconds(spent))
	if left := len(states) - done; left > 0 && done > 0 {
		fmt.Fprintf(stdout, ", about %s left at %s a run", formatSeconds(doneTime/float64(done)*float64(left)), formatSeconds(doneTime/float64(done)))
	}
	fmt.Fprintln(stdout)
	return exitOK
}

// list prints everything a sweep file can name.
func list(stdout io.Writer) int {
	fmt.Fprintln(stdout, "Tasks (task = \"...\"; their settings, with defaults, go in [base] or [parameters]):")
	for _, name := range tasks.Names() {
		info, _ := tasks.Lookup(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, info.Summary)
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(info.Task.NewConfig()); err == nil {
			for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
				if line == "" {
					fmt.Fprintln(stdout)
					continue
				}
				fmt.Fprintf(stdout, "      %s\n", line)
			}
		}
	}

	fmt.Fprintln(stdout, "\nEstimators (estimator = \"...\"; parameters in estimator_params):")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, name := range estimators.Names() {
		info, _ := estimators.Lookup(name)
		var params []string
		for _, k := range slices.Sorted(maps.Keys(info.Params)) {
			params = append(params, fmt.Sprintf("%s = %g", k, info.Params[k]))
		}
		p := ""
		if len(params) > 0 {
			p = " [" + strings.Join(params, ", ") + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", name, info.Summary, p)
	}
	tw.Flush()

	listSummaries(stdout, "Critics (critic = \"...\"):", architectures.PairCriticNames(), func(n string) string {
		info, _ := architectures.LookupPairCritic(n)
		return info.Summary
	})
	listSummaries(stdout, "Report kinds ([[figures]] or [[tables]] with kind = \"...\"):", reports.Names(), func(n string) string {
		k, _ := reports.Lookup(n)
		return k.Summary
	})
	listSummaries(stdout, "Data sets:", data.Names(), func(n string) string {
		info, _ := data.Lookup(n)
		return info.Summary
	})
	return exitOK
}

// listSummaries prints a titled, aligned list of registered names with
// their one-line summaries, as `sweep list` shows each registry.
func listSummaries(w io.Writer, title string, names []string, summary func(string) string) {
	fmt.Fprintln(w, "\n"+title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, name := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", name, summary(name))
	}
	tw.Flush()
}

// formatSeconds writes a duration in seconds to a sensible precision.
func formatSeconds(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
