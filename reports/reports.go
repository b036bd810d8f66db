// Package reports makes the figures and tables a sweep file declares, from
// the results a sweep stored, and the sweep's page (WritePage), which shows
// them with every run and its training curves. Figures use gonum/plot,
// tables olekukonko/tablewriter (Markdown) and LaTeX beside CSV. Report
// kinds register themselves by name, like estimators, so that `sweep report`
// can remake any of them without training.
package reports

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"

	"github.com/infomax/infomax/experiments/engine/results"
)

// Run is one stored run as a report sees it.
type Run struct {
	ID  string
	Dir string
	// Summary is the run's summary.json: status, seed, swept parameters
	// (Summary.Params) and final metrics (Summary.Metrics).
	Summary *results.Summary
	// Config is the run's resolved config (config.toml) as a generic map,
	// with the values the run trains with where they differ from
	// config.toml's (a dim preset's weights).
	Config map[string]any
	// Derived names the settings of Config whose values follow from
	// another setting of it (a dim preset's model, alpha, beta and gamma):
	// a report does not count them among the settings its groups pool,
	// since the setting they follow from differs wherever they do.
	Derived []string
	// Warnings, when set, collects what reading the run's files worked
	// around, for the caller to print; reports of many runs share one.
	Warnings *Warnings
}

// Metrics reads the run's metrics.jsonl, skipping torn or corrupt lines,
// which it adds to Warnings with the file's path and the lines' numbers.
// A done run whose log ends before the step its summary.json ends at (its
// later records lost) is a warning too, naming the file and both steps. A
// running run's last line, still being written, is left out unwarned.
func (r Run) Metrics() ([]results.Record, error) {
	recs, _, err := r.metricsNoted()
	return recs, err
}

// metricsNoted is Metrics that also returns the warnings it added, joined
// by "; ", "" when it has none.
func (r Run) metricsNoted() (recs []results.Record, note string, err error) {
	path := filepath.Join(r.Dir, results.MetricsFile)
	read := results.ReadMetrics
	if r.Summary != nil && r.Summary.Status == results.StatusRunning {
		read = results.ReadLiveMetrics
	}
	recs, skipped, err := read(path)
	if err != nil {
		return recs, "", err
	}
	var notes []string
	if len(skipped) > 0 {
		notes = append(notes, fmt.Sprintf("%s: skipped %s that could not be read (torn or corrupt): %s",
			path, english.Plural(len(skipped), "line"), lineNumbers(skipped)))
	}
	if short := r.shortLog(path, recs); short != "" {
		notes = append(notes, short)
	}
	for _, n := range notes {
		r.Warnings.Add(n)
	}
	return recs, strings.Join(notes, "; "), nil
}

// shortLog is the warning for a done run whose log, at path, holds recs
// and ends before the step its summary ends at, "" for any other run: a
// log cut short (by hand, or by a disk that lost its end) gives curves
// that stop early, and tables read from the log that miss the last
// levels, with no other sign.
func (r Run) shortLog(path string, recs []results.Record) string {
	if r.Summary == nil || r.Summary.Status != results.StatusDone {
		return ""
	}
	last, ends := 0, "holds no record"
	if len(recs) > 0 {
		last = recs[len(recs)-1].Step
		ends = fmt.Sprintf("ends at step %d", last)
	}
	if last >= r.Summary.Step {
		return ""
	}
	return fmt.Sprintf("%s %s, but the run is done at step %d (%s): its later records are lost, so its curves (and any table read from its log) stop there; "+
		"restore the file, or delete %s so that `sweep run` runs that run again",
		path, ends, r.Summary.Step, results.SummaryFile, filepath.Join(r.Dir, results.SummaryFile))
}

// Spec is one figure or table as declared in a sweep file:
//
//	[[figures]]
//	kind = "staircase"
//	name = "staircase"
//	group = "estimator"
//
// Kind picks the report kind; Name is the base name of the files it writes;
// every other key is an option of that kind, in Options. Every kind that
// groups runs (see [Grouping]) also takes pool, the settings its groups
// average over on purpose.
type Spec struct {
	Kind    string
	Name    string
	Options map[string]any
}

// Kind describes a registered report kind.
type Kind struct {
	Name    string
	Summary string
	// Check validates a spec's options without any results, for
	// `sweep validate`: unknown options and wrong types are errors that
	// name the option.
	Check func(spec Spec) error
	// Keys, which may be nil, returns the swept parameters and config keys
	// that the options of a spec that passed Check name (see
	// [Kind.NamedKeys]). Without it `sweep validate` cannot check them,
	// and a misspelt key shows first at `sweep report`; so it is with
	// Metrics for metric names.
	Keys func(spec Spec) []KeyRef
	// Selectors, which may be nil, returns the run selectors of the
	// options of a spec that passed Check (see [Kind.NamedSelectors]).
	Selectors func(spec Spec) []Selector
	// Metrics, which may be nil, returns the metrics that the options of
	// a spec that passed Check name, defaults included (see
	// [Kind.NamedMetrics]).
	Metrics func(spec Spec) []MetricRef
	// Groups, which may be nil, returns how the report of a spec that
	// passed Check puts runs together to summarize them over seeds (see
	// [Kind.Pooled]); nil for a kind that sums over every run it reads
	// (walltime) or pairs runs itself (interaction).
	Groups func(spec Spec) Grouping
	// Make writes the report for runs into dir and returns the paths of the
	// files it wrote. Runs that are not done are ignored by most kinds.
	Make func(runs []Run, spec Spec, dir string) ([]string, error)
}

// kindRegistry holds the registered report kinds.
var kindRegistry = registry.New("report kind", func(k Kind) (string, error) {
	return k.Name, cmp.Or(registry.Require(k.Check != nil && k.Make != nil, "Check and Make"), registry.RequireSummary(k.Summary))
})

// Register makes a report kind available by name. It panics on an empty
// name, a missing function, or a name registered twice.
func Register(k Kind) { kindRegistry.Register(k) }

// Names returns the registered report kinds, sorted.
func Names() []string { return kindRegistry.Names() }

// Lookup returns the named report kind; an unknown name is an error listing
// the known kinds and the closest match.
func Lookup(name string) (Kind, error) { return kindRegistry.Lookup(name) }
