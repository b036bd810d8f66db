package sweep

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"
	"github.com/infomax/infomax/reports"
)

// checkReportKeys checks that every parameter or config key a report's
// options name (panel, line, rows, x, y, group, where: see
// reports.Kind.NamedKeys) is a swept parameter or a key of some run's
// config, as the report will look it up, so that a misspelt key fails
// validation rather than the report after the sweep has run; that some run
// matches each of their selectors; and, when checkMetrics is set and the
// task names the metrics its runs write (tasks.MetricsNamer), that some run
// writes each metric they name.
func (s *Sweep) checkReportKeys(checkMetrics bool) error {
	keys := &runKeys{s: s, skipMetrics: !checkMetrics}
	return s.eachReport(func(list string, i int, kind reports.Kind, spec reports.Spec) error {
		if option, name, msg := keys.problem(kind, spec); msg != "" {
			line := s.loc.elementLine([]string{list, option}, list, i, elementNaming(spec.Options[option], name))
			return &FileError{File: s.File, Line: line, Key: fmt.Sprintf("%s[%d].%s", list, i, keyPart(option)), Msg: msg}
		}
		return nil
	})
}

// eachReport calls f with each figure and table of the sweep whose kind is
// known (reportSpecs has refused the others), its list ("figures" or
// "tables") and index in it, in the file's order, until f returns an
// error, which it returns.
func (s *Sweep) eachReport(f func(list string, i int, kind reports.Kind, spec reports.Spec) error) error {
	for _, list := range []struct {
		name  string
		specs []reports.Spec
	}{{"figures", s.Figures}, {"tables", s.Tables}} {
		for i, spec := range list.specs {
			kind, err := reports.Lookup(spec.Kind)
			if err != nil {
				continue
			}
			if err := f(list.name, i, kind, spec); err != nil {
				return err
			}
		}
	}
	return nil
}

// Warnings returns the warnings about the file: a key that changes
// nothing (the checkpoint keys of a task that keeps no checkpoints), then
// PoolingWarnings'. Each names the file, line and key, and the fix.
func (s *Sweep) Warnings() []string {
	return append(slices.Clone(s.warnings), s.PoolingWarnings()...)
}

// PoolingWarnings returns a warning for each report that would put runs of
// different configurations in one group (see reports.Kind.Pooled): a
// table whose rows leave out a swept parameter averages over its values,
// within each seed, and a kind that does not average within seeds counts
// them as seeds in its intervals. Each names the file, line and option,
// the settings and their values, and the fix. It is a warning, not an
// error: the report says so too, under the table or in the figure's
// legend.
func (s *Sweep) PoolingWarnings() []string {
	var out []string
	s.eachReport(func(list string, i int, kind reports.Kind, spec reports.Spec) error {
		g, pooled := kind.Pooled(spec, s.plannedRuns(len(s.Runs)))
		msg := reports.PooledMessage(g, pooled)
		if msg == "" {
			return nil
		}
		path, key := []string{list}, fmt.Sprintf("%s[%d]", list, i)
		if _, set := spec.Options[g.Option]; set {
			path, key = []string{list, g.Option}, key+"."+keyPart(g.Option)
		}
		err := &FileError{File: s.File, Line: s.loc.line(path, list, i), Key: key,
			Msg: fmt.Sprintf("%s report %s: %s", spec.Kind, english.Quote(spec.Name), msg)}
		out = append(out, err.Error())
		return nil
	})
	return out
}

// CheckMetrics checks that some run of the sweep writes each metric that
// a report names, when the task names the metrics its runs write
// (tasks.MetricsNamer): the check that ParseStored leaves out and Parse
// makes (with the checks of keys and selectors, which pass again).
func (s *Sweep) CheckMetrics() error {
	return s.checkReportKeys(true)
}

// problem returns the first of spec's problems that the runs show, the
// option at fault and the name in it at fault (a key, a selector's label or
// a metric): a key no run has or, where a number is needed, gives a number;
// a selector no run matches; a metric no run it selects writes. It returns
// msg == "" when there is none.
func (k *runKeys) problem(kind reports.Kind, spec reports.Spec) (option, name, msg string) {
	for _, ref := range kind.NamedKeys(spec) {
		switch {
		case !k.has(ref.Key):
			return ref.Option, ref.Key, k.unknown(spec, ref.Key)
		case ref.Numeric:
			if msg := k.notNumeric(spec, ref); msg != "" {
				return ref.Option, ref.Key, msg
			}
		}
	}
	for _, sel := range kind.NamedSelectors(spec) {
		if !k.matchesSome(sel) {
			return sel.Option, sel.Label, k.unmatched(spec, sel)
		}
	}
	if k.skipMetrics {
		return "", "", ""
	}
	for _, ref := range kind.NamedMetrics(spec) {
		if msg := k.unwritten(spec, ref); msg != "" {
			return ref.Option, ref.Metric, msg
		}
	}
	return "", "", ""
}

// elementNaming returns the index of the first element of an option's list
// value that is name or a table holding name as a value (a baseline's
// label or metric), so that an error about name points at its line; -1
// when value is not a list or no element names it.
func elementNaming(value any, name string) int {
	list, ok := value.([]any)
	if !ok || name == "" {
		return -1
	}
	is := func(v any) bool { s, ok := v.(string); return ok && s == name }
	return slices.IndexFunc(list, func(e any) bool {
		if m, ok := e.(map[string]any); ok {
			for _, v := range m {
				if is(v) {
					return true
				}
			}
			return false
		}
		return is(e)
	})
}

// runKeys looks keys up in the sweep's runs as a report does
// (reports.Run.Param), decoding the runs' configs only when needed.
type runKeys struct {
	s *Sweep
	// metrics are the metrics the task names for each run, once
	// metricsOf has asked it.
	metrics []tasks.Metrics
	// skipMetrics says not to check the metrics that reports name.
	skipMetrics bool
}

// has reports whether key is a swept parameter or a key of some run's
// config.
func (k *runKeys) has(key string) bool {
	if slices.Contains(k.s.ParamNames(), key) {
		return true
	}
	for i := range k.s.Runs {
		if _, ok := k.run(i).Param(key); ok {
			return true
		}
	}
	return false
}

// run returns run i as a report will see it.
func (k *runKeys) run(i int) reports.Run { return k.s.plannedRuns(i + 1)[i] }

// plannedRuns returns the first n runs of the sweep as reports will see
// them, before any is run: their configs (decoded now, once for every
// check that asks), swept values and seeds.
func (s *Sweep) plannedRuns(n int) []reports.Run {
	for len(s.planned) < n {
		r := s.Runs[len(s.planned)]
		s.planned = append(s.planned, reports.Run{ID: r.ID, Config: r.reportConfig(r.configMap()), Derived: r.derivedKeys(),
			Summary: &results.Summary{Params: s.ParamMap(r), Seed: r.Seed}})
	}
	return s.planned[:n]
}

// unknown is the message for a key that spec names and no run has.
func (k *runKeys) unknown(spec reports.Spec, key string) string {
	known := k.s.ParamNames()
	if len(k.s.Runs) > 0 {
		known = append(known, slices.Sorted(maps.Keys(k.run(0).Config))...)
	}
	// Nested keys too, by their dotted paths and their last parts, as a
	// report finds them: "tau" for estimator_params.tau, which only some
	// runs may have (a conditional parameter).
	nested := map[string]bool{}
	for _, r := range k.s.Runs {
		for path := range flatSettings(r.ConfigTOML) {
			if i := strings.LastIndexByte(path, '.'); i >= 0 {
				nested[path], nested[path[i+1:]] = true, true
			}
		}
	}
	known = append(known, slices.Sorted(maps.Keys(nested))...)
	swept := "no parameter is swept"
	if names := k.s.ParamNames(); len(names) > 0 {
		swept = "swept: " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s report %s: %s is neither a swept parameter nor a config key of task %q (%s; `sweep list` shows the config keys)%s",
		spec.Kind, english.Quote(spec.Name), english.Quote(key), k.s.Task, swept, registry.DidYouMean(key, known))
}

// notNumeric is the message for a key that a report needs as a number and
// that no run of the sweep gives a number, or "" when some run does.
func (k *runKeys) notNumeric(spec reports.Spec, ref reports.KeyRef) string {
	seen := map[string]bool{}
	for i := range k.s.Runs {
		v, ok := k.run(i).Param(ref.Key)
		if ok && reports.IsNumber(v) {
			return ""
		}
		if ok {
			seen[reports.FormatValue(v)] = true
		}
	}
	return fmt.Sprintf("%s report %s: %s = %s takes %s in the runs, not numbers: the %s kind needs a numeric %s (a table or heatmap shows a categorical one)",
		spec.Kind, english.Quote(spec.Name), ref.Option, english.Quote(ref.Key), strings.Join(slices.Sorted(maps.Keys(seen)), ", "), spec.Kind, ref.Option)
}

// matchesSome reports whether some run of the sweep has the values that
// sel selects, as a report will look them up.
func (k *runKeys) matchesSome(sel reports.Selector) bool {
	for i := range k.s.Runs {
		if sel.Matches(k.run(i)) {
			return true
		}
	}
	return false
}

// unmatched is the message for a selector that no run of the sweep matches:
// it gives, for each parameter of the selector, the values the runs have.
func (k *runKeys) unmatched(spec reports.Spec, sel reports.Selector) string {
	var have []string
	for _, key := range slices.Sorted(maps.Keys(sel.Where)) {
		seen := map[string]bool{}
		for i := range k.s.Runs {
			if v, ok := k.run(i).Param(key); ok {
				seen[reports.FormatValue(v)] = true
			}
		}
		have = append(have, fmt.Sprintf("%s takes %s", key, strings.Join(slices.Sorted(maps.Keys(seen)), ", ")))
	}
	at := ""
	if sel.Label != "" {
		at = " (" + sel.Label + ")"
	}
	return fmt.Sprintf("%s report %s: no run of the sweep matches %s%s, so the report would have no runs (%s)",
		spec.Kind, english.Quote(spec.Name), sel, at, strings.Join(have, "; "))
}

// metricsOf returns the metrics the task names for each run of the sweep,
// or nil when the task does not name them.
func (k *runKeys) metricsOf() []tasks.Metrics {
	namer, ok := k.s.task.Task.(tasks.MetricsNamer)
	if !ok {
		return nil
	}
	if k.metrics == nil {
		k.metrics = make([]tasks.Metrics, len(k.s.Runs))
		for i, r := range k.s.Runs {
			k.metrics[i] = namer.Metrics(r.Config)
		}
	}
	return k.metrics
}

// writtenBy returns the summary and the logged metrics that some run of
// the sweep writes among those that where selects (all, when it is nil),
// and how many runs it selects.
func (k *runKeys) writtenBy(where map[string][]string) (summary, logged map[string]bool, runs int) {
	summary, logged = map[string]bool{}, map[string]bool{}
	for i, m := range k.metricsOf() {
		if where != nil && !(reports.Selector{Where: where}).Matches(k.run(i)) {
			continue
		}
		runs++
		for _, n := range m.Summary {
			summary[n] = true
		}
		for _, n := range m.Logged {
			logged[n] = true
		}
	}
	return summary, logged, runs
}

// unwritten is the message for a metric that spec names and that no run
// the report reads it from writes, or "" when some run writes it, when the
// report reads it from no run (which the selectors' check reports), or
// when the task does not name its metrics.
func (k *runKeys) unwritten(spec reports.Spec, ref reports.MetricRef) string {
	have, other, runs := k.writtenBy(ref.Where)
	if runs == 0 || ref.UnlessSummary != "" && anyHasPrefix(have, ref.UnlessSummary) {
		return ""
	}
	kind, otherKind := "summary metric", "metric logged during training (metrics.jsonl)"
	if ref.Logged {
		have, other, kind, otherKind = other, have, otherKind, kind
	}
	if have[ref.Metric] {
		return ""
	}
	names := slices.SortedFunc(maps.Keys(have), english.NaturalCompare)
	hint := registry.DidYouMean(ref.Metric, names)
	if other[ref.Metric] {
		hint = fmt.Sprintf("; %s is a %s, which this option does not read", english.Quote(ref.Metric), otherKind)
	}
	if _, set := spec.Options[ref.Option]; !set {
		hint += fmt.Sprintf("; %s is the default of %s: set %s to a metric the runs write", english.Quote(ref.Metric), ref.Option, ref.Option)
	}
	runsDesc, writers := "of the sweep", fmt.Sprintf("task %q writes", k.s.Task)
	if ref.Where != nil {
		runsDesc, writers = "of the sweep with "+(reports.Selector{Where: ref.Where}).String(), "those runs write"
	}
	return fmt.Sprintf("%s report %s: no run %s writes the %s %s (%s %s)%s",
		spec.Kind, english.Quote(spec.Name), runsDesc, kind, english.Quote(ref.Metric), writers, namesList(names), hint)
}

// anyHasPrefix reports whether some name in names begins with prefix.
func anyHasPrefix(names map[string]bool, prefix string) bool {
	for n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// namesList lists names for an error, at most maxNamesShown of them, or
// says there are none.
func namesList(names []string) string {
	switch {
	case len(names) == 0:
		return "none"
	case len(names) > maxNamesShown:
		return strings.Join(names[:maxNamesShown], ", ") + fmt.Sprintf(", and %d more", len(names)-maxNamesShown)
	}
	return strings.Join(names, ", ")
}

// maxNamesShown is the most metric names an error lists.
const maxNamesShown = 24
