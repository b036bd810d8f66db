package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/english"
)

// planFlags defines the flags of `sweep plan`.
func planFlags(fs *flag.FlagSet, o *options) {
	outFlag(fs, o)
	fs.StringVar(&o.format, "format", "", "print a job script instead of the run list: slurm or k8s")
	shardsFlag(fs, o, fmt.Sprintf("with --format: the number `N` of array tasks (default: one per run, up to %d)", sweep.DefaultShards))
	fs.IntVar(&o.parallel, "parallel", 1, "with --format: runs each array task runs at once (and the CPUs it asks for)")
	fs.StringVar(&o.time, "time", sweep.DefaultSlurmTime, "with --format slurm: the time limit of each array task")
	fs.StringVar(&o.image, "image", sweep.DefaultImage, "with --format k8s: the container image that has the sweep program")
}

// shardsFlag defines --shards N, the shard count, with the usage text
// usage. Left out, o.shards stays 0 (a default the subcommand chooses); given,
// N must be at least 1, so that --shards 0 is an error rather than the
// default.
func shardsFlag(fs *flag.FlagSet, o *options, usage string) {
	fs.Func("shards", usage, func(v string) error {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return fmt.Errorf("want a whole number of shards")
		case n < 1:
			return fmt.Errorf("must be at least 1")
		}
		o.shards = n
		return nil
	})
}

// plan prints the runs of the sweep, or with --format a job-array script or
// manifest that runs them.
func plan(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	if o.format != "" {
		return clusterPlan(s, o, stdout, stderr)
	}
	for _, flag := range []string{"shards", "parallel", "time", "image"} {
		if o.set[flag] {
			fmt.Fprintf(stderr, "sweep plan: --%s is a setting of the job script: add --format slurm or --format k8s, or leave --%s out for the run list\n", flag, flag)
			return exitUsage
		}
	}
	return runTable(s, o.out, stdout)
}

// runTable prints the runs, with their swept values, their values of the
// settings that overrides set, and their state when the output directory
// has the sweep.
func runTable(s *sweep.Sweep, out string, stdout io.Writer) int {
	haveResults := started(s, out)
	configs := len(s.Runs) / max(1, len(s.Seeds))
	fmt.Fprintf(stdout, "sweep %s: task %s, %s, %s (%s x %s)\n", s.Name, s.Task, s.Method,
		english.Plural(len(s.Runs), "run"), english.Plural(configs, "configuration"), english.Plural(len(s.Seeds), "seed"))
	if s.Description != "" {
		fmt.Fprintf(stdout, "%s\n", s.Description)
	}
	if note := s.RunCapNote(); note != "" {
		fmt.Fprintf(stdout, "note: %s\n", note)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	header := append(append([]string{"#", "run id"}, s.Columns()...), "seed")
	var states []sweep.State
	if haveResults {
		header = append(header, "status")
		states = s.States(out)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, r := range s.Runs {
		row := append(append([]string{fmt.Sprint(i + 1), r.ID}, s.ColumnValues(r)...), fmt.Sprint(r.Seed))
		if haveResults {
			row = append(row, stateText(s, out, states[i]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if haveResults {
		fmt.Fprintf(stdout, "\nresults in %s\n", s.Dir(out))
	}
	return exitOK
}

// clusterPlan prints a job-array script or manifest.
func clusterPlan(s *sweep.Sweep, o *options, stdout, stderr io.Writer) int {
	p := sweep.ClusterPlan{File: s.File, Out: o.out, Shards: o.shards, Parallel: o.parallel, Time: o.time, Image: o.image, Shipped: o.shipped}
	for _, f := range s.Extends {
		// A file on disk, which the jobs must find; the rest are shipped
		// sweeps, which the program carries.
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			p.Extends = append(p.Extends, f)
		}
	}
	if o.parallel < 1 {
		fmt.Fprintf(stderr, "sweep plan: --parallel %d must be at least 1\n", o.parallel)
		return exitUsage
	}
	if err := s.CheckClusterPlan(p); err != nil {
		fmt.Fprintf(stderr, "sweep plan: %v\n", err)
		return exitUsage
	}
	switch o.format {
	case "slurm":
		io.WriteString(stdout, s.SlurmScript(p))
	case "k8s", "kubernetes":
		io.WriteString(stdout, s.K8sJob(p))
	default:
		fmt.Fprintf(stderr, "sweep plan: --format %q: use slurm (a job-array script for sbatch) or k8s (an Indexed Job manifest for kubectl apply)\n", o.format)
		return exitUsage
	}
	return exitOK
}
