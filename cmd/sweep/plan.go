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
			fmt.Fprintf(stderr, "sweep plan: --%s is a setting of the job script: add %s, or leave --%s out for the run list\n", flag, formatsOf(flag), flag)
			return exitUsage
		}
	}
	checkRecord(s, o, false, stderr) // warns only: a run list changes nothing
	haveResults, err := s.Started(o.out)
	if err != nil && o.set["out"] {
		// A run list needs no results folder, but one given that cannot be
		// read as one (a file, say) would silently show no run's state.
		fmt.Fprintf(stderr, "sweep plan: %v%s; the list below shows no run's state\n", err, outHint(err))
	}
	return runTable(s, o.out, haveResults, stdout)
}

// runTable prints the runs, with their swept values, their values of the
// settings that overrides set, and, when haveResults (the output directory
// has the sweep's folder; see Sweep.Started), their state.
func runTable(s *sweep.Sweep, out string, haveResults bool, stdout io.Writer) int {
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
	format, ok := jobFormats[o.format]
	if !ok {
		fmt.Fprintf(stderr, "sweep plan: --format %q: use slurm (a job-array script for sbatch) or k8s (an Indexed Job manifest for kubectl apply)\n", o.format)
		return exitUsage
	}
	if code := checkFormatFlags(format, o, stderr); code >= 0 {
		return code
	}
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
	if format == "slurm" {
		io.WriteString(stdout, s.SlurmScript(p))
	} else {
		io.WriteString(stdout, s.K8sJob(p))
	}
	return exitOK
}

// jobFormats maps the values --format takes to the job file they print:
// slurm or k8s.
var jobFormats = map[string]string{"slurm": "slurm", "k8s": "k8s", "kubernetes": "k8s"}

// formatOnlyFlags are the flags of `sweep plan` that one job format
// alone uses: the format, what the flag sets in its job file, and what
// to do instead under the other format. The other flags (--shards,
// --parallel, --out) go into both.
//
// A Kubernetes Job has no equivalent of Slurm's per-task time limit:
// the Job's activeDeadlineSeconds bounds every pod together, time spent
// waiting for a node included, and fails the Job for good, and a pod's
// kills the pod only for the Job to start another that resumes. So
// --format k8s refuses --time rather than give it either meaning.
var formatOnlyFlags = []struct{ flag, format, sets, instead string }{
	{"time", "slurm", "each array task's time limit",
		"a Kubernetes Job has no per-task time limit; leave --time out, or add activeDeadlineSeconds to the manifest by hand for a limit on the whole Job"},
	{"image", "k8s", "the pods' container image",
		"the Slurm script runs the sweep program on the nodes' PATH; leave --image out"},
}

// formatsOf names the --format values that use the job script's flag:
// "--format slurm or --format k8s", or the one format of a flag of
// formatOnlyFlags.
func formatsOf(flag string) string {
	for _, f := range formatOnlyFlags {
		if f.flag == flag {
			return "--format " + f.format
		}
	}
	return "--format slurm or --format k8s"
}

// checkFormatFlags refuses, with one line naming the flag and the
// format, a flag given on the command line that the job format does not
// use (see formatOnlyFlags), which would otherwise be ignored. It
// returns -1 to go on.
func checkFormatFlags(format string, o *options, stderr io.Writer) int {
	for _, f := range formatOnlyFlags {
		if o.set[f.flag] && f.format != format {
			fmt.Fprintf(stderr, "sweep plan: --%s is for --format %s (%s), not --format %s: %s\n", f.flag, f.format, f.sets, o.format, f.instead)
			return exitUsage
		}
	}
	return -1
}
