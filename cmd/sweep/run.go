package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/blas"
)

// runFlags defines the flags of `sweep run`.
func runFlags(fs *flag.FlagSet, o *options) {
	outFlag(fs, o)
	fs.IntVar(&o.parallel, "parallel", 1, "how many runs to run at once in this process")
	fs.StringVar(&o.shard, "shard", "", "run only shard `i/N`: the runs whose index modulo N is i")
	shardsFlag(fs, o, "the shard count `N`, the index coming from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	fs.BoolVar(&o.force, "force", false, "accept a sweep file whose runs changed since the output directory was started")
	fs.BoolVar(&o.retryDiverged, "retry-diverged", false, "run again the runs that diverged before (kept as failed otherwise: being deterministic, they would diverge again unless the code changed)")
}

// runSweep runs the sweep until done or interrupted by SIGINT or SIGTERM;
// the Runner makes the reports once every run of the sweep is done.
func runSweep(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	if o.parallel < 1 {
		fmt.Fprintf(stderr, "sweep run: --parallel %d must be at least 1\n", o.parallel)
		return exitUsage
	}
	shard, source, err := sweep.ShardFrom(o.shard, o.shards, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sweep run: %v\n", err)
		return exitUsage
	}
	unfinished := s.Unfinished(o.out, shard, o.retryDiverged)
	if err := s.CheckParallel(unfinished, o.parallel); err != nil {
		fmt.Fprintf(stderr, "sweep run: %v\n", err)
		return exitUsage
	}
	if err := s.CheckDisk(unfinished); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if !shard.All() && source != "--shard" {
		fmt.Fprintf(stdout, "shard %s from the %s\n", shard, source)
	}
	if o.parallel > 1 && blas.Name() == "openblas" && os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		blas.SetThreads(max(1, runtime.NumCPU()/o.parallel))
	}
	ctx, stop := interruptContext()
	defer stop()
	r := &sweep.Runner{
		Out:           o.out,
		Stdout:        stdout,
		Log:           slog.New(slog.NewTextHandler(stderr, nil)),
		Terminal:      stdout == io.Writer(os.Stdout) && sweep.IsTerminal(os.Stdout),
		Shard:         shard,
		Parallel:      o.parallel,
		Force:         o.force,
		RetryDiverged: o.retryDiverged,
		Resume:        resumeCommand(s, o),
		Report: func(s *sweep.Sweep, out string) ([]string, []sweep.State, error) {
			return makeReports(s, out, stderr)
		},
	}
	// Timings in metrics.jsonl depend on it: say which BLAS this build uses.
	r.Log.Info("matrix products", "blas", blas.Name(), "threads", blas.Threads())
	oc, err := r.Run(ctx, s)
	if oc != nil {
		printPage(stdout, oc.Reports)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sweep: %v%s\n", err, outHint(err))
		return errorStatus(err)
	}
	return outcomeStatus(oc)
}

// interruptContext returns a context cancelled by the first SIGINT or
// SIGTERM; after it, a second signal kills the process at once.
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// resumeCommand is the command that continues the sweep as o runs it, for
// the message printed on an interrupt.
func resumeCommand(s *sweep.Sweep, o *options) string {
	resume := "sweep run " + sweep.ShellQuote(s.File) + " --out " + sweep.ShellQuote(o.out)
	if o.shard != "" {
		resume += " --shard " + sweep.ShellQuote(o.shard)
	}
	if o.shards > 0 {
		resume += fmt.Sprintf(" --shards %d", o.shards)
	}
	if o.parallel > 1 {
		resume += fmt.Sprintf(" --parallel %d", o.parallel)
	}
	if o.retryDiverged {
		resume += " --retry-diverged"
	}
	return resume
}
