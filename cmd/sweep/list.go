package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/bmi"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/reports"
)

// listCommand runs `sweep list`, which takes no arguments.
func listCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", "", stderr)
	if _, code := parse(fs, args, 0, stderr); code >= 0 {
		return code
	}
	return list(stdout)
}

// list prints everything a sweep file can name.
func list(stdout io.Writer) int {
	fmt.Fprintln(stdout, "Tasks (task = \"...\"; their settings, with defaults, go in [base] or [parameters]):")
	for _, name := range tasks.Names() {
		info, _ := tasks.Lookup(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, info.Summary)
		if namer, ok := info.Task.(tasks.MetricsNamer); ok {
			m := namer.Metrics(info.Task.NewConfig())
			fmt.Fprintf(stdout, "    metrics of a run with these defaults (they change with the settings; `sweep validate` checks a report's):\n"+
				"      summary (results.csv): %s\n      logged (metrics.jsonl): %s\n", listOrNone(m.Summary), listOrNone(m.Logged))
		}
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

	fmt.Fprintln(stdout, "\nEstimators (estimator = \"...\"; parameters in estimator_params). Neural ones train a critic"+
		" (gaussian, bmi, consistency and dim tasks); classic ones estimate from a whole sample (bmi task):")
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
		kind := "neural"
		if info.Classic() {
			kind = "classic"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s%s\n", name, kind, info.Summary, p)
	}
	tw.Flush()

	listSummaries(stdout, "Critics (critic = \"...\": gaussian, bmi and consistency tasks; mi_xy_critic, dim):", architectures.PairCriticNames(), func(n string) string {
		info, _ := architectures.LookupPairCritic(n)
		if info.Images {
			return info.Summary + "; images only: the consistency task"
		}
		return info.Summary
	})
	listSummaries(stdout, "Local critics (local_critic = \"...\", dim task):", architectures.LocalCriticNames(), func(n string) string {
		info, _ := architectures.LookupLocalCritic(n)
		return info.Summary
	})
	listSummaries(stdout, "Global critics (global_critic = \"...\", dim task):", architectures.GlobalCriticNames(), func(n string) string {
		info, _ := architectures.LookupGlobalCritic(n)
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
	listSummaries(stdout, "Transforms (problem = \"<family>-<M>x<N>+<transform>...\", bmi task):", bmi.TransformNames(), func(n string) string {
		t, _ := bmi.LookupTransform(n)
		return t.Summary
	})
	listShipped(stdout)
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

// listOrNone joins names in natural order (level_2 before level_10) with
// commas, or says "none".
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(slices.SortedFunc(slices.Values(names), english.NaturalCompare), ", ")
}
