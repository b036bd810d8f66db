package reports

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"

	"github.com/infomax/infomax/experiments/engine/results"
)

// Warnings collects what reports worked around rather than failed on, such
// as the torn lines skipped in a run's metrics.jsonl, each once, in the
// order found. It is safe for concurrent use; a nil *Warnings drops them.
type Warnings struct {
	mu   sync.Mutex
	seen map[string]bool
	list []string
}

// Add records the warning msg, unless it was recorded before.
func (w *Warnings) Add(msg string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[msg] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[msg] = true
	w.list = append(w.list, msg)
}

// List returns the warnings recorded, in the order found.
func (w *Warnings) List() []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}

// maxLines bounds the line numbers a warning lists.
const maxLines = 10

// lineNumbers writes line numbers for a warning: "lines 3, 7 and 9", the
// first maxLines of them.
func lineNumbers(lines []int) string {
	var parts []string
	for i, n := range lines {
		if i == maxLines {
			parts = append(parts, fmt.Sprintf("%d more", len(lines)-maxLines))
			break
		}
		parts = append(parts, strconv.Itoa(n))
	}
	if len(parts) == 1 {
		return "line " + parts[0]
	}
	return "lines " + english.And(parts)
}

// missingValue stands for a value there is none of: a metric no run of a
// row has, a mean of no runs, a cell of a heat map without runs.
const missingValue = "n/a"

// unsetValue stands for a setting that a run does not have when other runs
// of the same report do (a conditional parameter the run leaves out): a
// grouping key's value in tables, among a setting's values in the notes on
// pooled runs, and on the page, so that "unset" is never confused with a
// value that is missing ("n/a").
const unsetValue = "unset"

// leftOut counts the runs a report ignored because they are not done.
type leftOut struct {
	// NoSummary counts runs without a summary; ByStatus counts the others
	// by status, and Diverged those of the failed ones that diverged.
	NoSummary int
	ByStatus  map[results.Status]int
	Diverged  int
	// Runs are the runs left out, in their order.
	Runs []Run
}

// Total returns the number of runs left out.
func (l leftOut) Total() int {
	n := l.NoSummary
	for _, c := range l.ByStatus {
		n += c
	}
	return n
}

// String describes the runs left out, such as "3 runs not done (2 failed,
// 1 running)", or "" when none were.
func (l leftOut) String() string {
	total := l.Total()
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%s not done (%s)", english.Plural(total, "run"), l.counts())
}

// counts lists the runs left out by status, "2 failed, 1 running", saying
// how many of the failed ones diverged: "3 failed, 2 of them diverged".
func (l leftOut) counts() string {
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(l.ByStatus)) {
		part := fmt.Sprintf("%d %s", l.ByStatus[s], s)
		switch {
		case s != results.StatusFailed || l.Diverged == 0:
		case l.Diverged == l.ByStatus[s]:
			part += ", diverged"
		default:
			part += fmt.Sprintf(", %d of them diverged", l.Diverged)
		}
		parts = append(parts, part)
	}
	if l.NoSummary > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", l.NoSummary))
	}
	return strings.Join(parts, ", ")
}

// matching returns the part of l whose runs match one of wheres (see
// [matches]; an empty where matches every run): what a report that draws
// only those runs leaves out.
func (l leftOut) matching(wheres ...map[string][]string) leftOut {
	if slices.ContainsFunc(wheres, func(w map[string][]string) bool { return len(w) == 0 }) {
		return l
	}
	var runs []Run
	for _, r := range l.Runs {
		if slices.ContainsFunc(wheres, func(w map[string][]string) bool { return matches(r, w) }) {
			runs = append(runs, r)
		}
	}
	_, out := doneRuns(runs)
	return out
}

// doneRuns returns the runs whose summary says done, in their order, and
// counts the others.
func doneRuns(runs []Run) ([]Run, leftOut) {
	var done []Run
	out := leftOut{ByStatus: map[results.Status]int{}}
	for _, r := range runs {
		switch {
		case r.Summary == nil:
			out.NoSummary++
		case r.Summary.Status != results.StatusDone:
			status := r.Summary.Status
			if status == "" {
				status = "unknown"
			}
			out.ByStatus[status]++
			if status == results.StatusFailed && r.Summary.Diverged {
				out.Diverged++
			}
		default:
			done = append(done, r)
			continue
		}
		out.Runs = append(out.Runs, r)
	}
	return done, out
}

// startReport reads a report's options from spec with read, and picks the
// runs it reports on: the done ones, in their order (done), counting the
// others (out). A report without a done run is an error.
func startReport[O any](kind string, spec Spec, runs []Run, read func(Spec) (O, error)) (o O, done []Run, out leftOut, err error) {
	if o, err = read(spec); err != nil {
		return o, nil, out, err
	}
	done, out = doneRuns(runs)
	if len(done) == 0 {
		return o, nil, out, noDoneRunsError(kind, spec, out)
	}
	return o, done, out, nil
}

// noDoneRunsError is what Make returns when there is nothing to draw.
func noDoneRunsError(kind string, spec Spec, out leftOut) error {
	msg := fmt.Sprintf("%s report %q: no finished runs to report", kind, spec.Name)
	if s := out.String(); s != "" {
		msg += "; " + s
	}
	return fmt.Errorf("%s", msg)
}

// Param returns the value of key for run r: its swept value in
// Summary.Params if it was swept, else its value in the resolved config.
// A config key is found at the top level, by a dotted path ("critic.hidden"),
// or, failing both, as the only key of that name in a nested table. A key
// whose value is a table with a name, such as [critic] name = "concat",
// stands for that name.
func (r Run) Param(key string) (any, bool) {
	if r.Summary != nil {
		if v, ok := r.Summary.Params[key]; ok {
			return v, true
		}
	}
	if r.Config == nil {
		return nil, false
	}
	if v, ok := r.Config[key]; ok {
		if v, ok := tableName(v); ok {
			return v, true
		}
	}
	if strings.Contains(key, ".") {
		var cur any = r.Config
		for _, part := range strings.Split(key, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[part]; !ok {
				return nil, false
			}
		}
		return tableName(cur)
	}
	var found []any
	findNested(r.Config, key, &found)
	if len(found) == 1 {
		return tableName(found[0])
	}
	return nil, false
}

// tableName returns v itself, or for a config table such as
// [critic] name = "concat" the table's name; a table without a string name
// is no usable value.
func tableName(v any) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, true
	}
	if name, ok := m["name"].(string); ok {
		return name, true
	}
	return nil, false
}

// findNested collects the values of key in every table nested in m.
func findNested(m map[string]any, key string, found *[]any) {
	for _, v := range m {
		if sub, ok := v.(map[string]any); ok {
			if x, ok := sub[key]; ok {
				*found = append(*found, x)
			}
			findNested(sub, key, found)
		}
	}
}

// FormatValue writes a parameter value as reports show it and match it
// against a selector's values (see formatValue).
func FormatValue(v any) string { return formatValue(v) }

// formatValue writes a parameter value for a label or table cell: integral
// numbers without a decimal point (a batch size decoded from JSON as 64.0
// prints as 64), other numbers in the shortest form that reads back, and
// lists as [4, 8], each item so written.
func formatValue(v any) string {
	if x, ok := asNumber(v); ok {
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return missingValue
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		items := make([]string, rv.Len())
		for i := range items {
			items[i] = formatValue(rv.Index(i).Interface())
		}
		return "[" + strings.Join(items, ", ") + "]" // as TOML writes a list of numbers (strings unquoted)
	}
	return fmt.Sprint(v)
}

// group is a set of runs that share the values of some keys.
type group struct {
	// Values are the formatted values of the keys, in key order.
	Values []string
	Runs   []Run
	// Keys are the keys the group was made by (nil for all runs in one).
	Keys []string
}

// Label joins the group's values: the group's name for colours and
// tables, whose columns name the keys.
func (g *group) Label() string { return strings.Join(g.Values, ", ") }

// Caption is the group's name in a figure, where no column names the
// keys: Label, but a value that is a number or a boolean, which says
// nothing alone, comes with its key's last part ("smile, tau = 5"), and a
// key the group's runs lack (a conditional parameter) is left out ("nwj",
// not "nwj, tau unset"), unless no key is left: then the group is named by
// what its runs lack ("tau unset"), as jsd's line is in a figure whose
// lines are smile's values of tau.
func (g *group) Caption() string {
	var parts, unset []string
	for i, v := range g.Values {
		switch {
		case i >= len(g.Keys):
			parts = append(parts, v)
		case v == unsetValue:
			unset = append(unset, lastPart(g.Keys[i]))
		case isNumberOrBool(v):
			parts = append(parts, lastPart(g.Keys[i])+" = "+v)
		default:
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 && len(unset) > 0 {
		return strings.Join(unset, ", ") + " " + unsetValue
	}
	return strings.Join(parts, ", ")
}

// lastPart returns the last dotted part of key: "tau" of
// "estimator_params.tau".
func lastPart(key string) string { return key[strings.LastIndex(key, ".")+1:] }

// isNumberOrBool reports whether a formatted value is a number or a
// boolean.
func isNumberOrBool(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil || v == "true" || v == "false"
}

// groupRuns splits runs by the values of keys. Groups are ordered key by key:
// numerically when every value of that key is a number, else in the order the
// values first appear in runs (the order of the sweep file). A key that no run
// has is an error naming it; a run lacking a key that others have gets the
// value "unset".
func groupRuns(kind string, spec Spec, runs []Run, keys []string) ([]*group, error) {
	rawValues := make([][]string, len(runs))
	for i := range runs {
		rawValues[i] = make([]string, len(keys))
	}
	ranks := make([]map[string]int, len(keys))
	for k, key := range keys {
		var seen []string
		allNumeric := true
		nums := map[string]float64{}
		found := false
		for i, r := range runs {
			v, ok := r.Param(key)
			s := unsetValue
			if ok {
				found = true
				s = formatValue(v)
				if x, isNum := asNumber(v); isNum {
					nums[s] = x
				} else {
					allNumeric = false
				}
			} else {
				allNumeric = false
			}
			rawValues[i][k] = s
			if !contains(seen, s) {
				seen = append(seen, s)
			}
		}
		if !found && kind != subsetKind {
			return nil, fmt.Errorf("%s report %q: no run has a parameter or config key %q (%s)",
				kind, spec.Name, key, knownKeys(runs))
		}
		if allNumeric {
			sort.SliceStable(seen, func(a, b int) bool { return nums[seen[a]] < nums[seen[b]] })
		}
		ranks[k] = map[string]int{}
		for i, s := range seen {
			ranks[k][s] = i
		}
	}
	byKey := map[string]*group{}
	var groups []*group
	for i, r := range runs {
		id := strings.Join(rawValues[i], "\x00")
		g, ok := byKey[id]
		if !ok {
			g = &group{Values: rawValues[i], Keys: keys}
			byKey[id] = g
			groups = append(groups, g)
		}
		g.Runs = append(g.Runs, r)
	}
	sort.SliceStable(groups, func(a, b int) bool {
		for k := range keys {
			ra, rb := ranks[k][groups[a].Values[k]], ranks[k][groups[b].Values[k]]
			if ra != rb {
				return ra < rb
			}
		}
		return false
	})
	return groups, nil
}

// knownKeys lists the swept parameters of runs, to help fix a wrong key.
func knownKeys(runs []Run) string {
	keys := summaryKeys(runs, func(s *results.Summary) map[string]any { return s.Params })
	if len(keys) == 0 {
		return "the runs have no swept parameters"
	}
	return "swept parameters: " + strings.Join(keys, ", ")
}

// summaryKeys returns, sorted, the keys of the map that field picks from
// the summary of each run that has one.
func summaryKeys[V any](runs []Run, field func(*results.Summary) map[string]V) []string {
	set := map[string]bool{}
	for _, r := range runs {
		if r.Summary != nil {
			for k := range field(r.Summary) {
				set[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// metric returns run r's final metric name when it is present and finite.
func metric(r Run, name string) (float64, bool) {
	if r.Summary == nil {
		return 0, false
	}
	v, ok := r.Summary.Metrics[name]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// metricValues returns the finite values of metric name over runs, times
// scale.
func metricValues(runs []Run, name string, scale float64) []float64 {
	var xs []float64
	for _, r := range runs {
		if v, ok := metric(r, name); ok {
			xs = append(xs, v*scale)
		}
	}
	return xs
}

// anyRunHasMetric reports whether some run's summary has metric name, to tell
// a misspelled metric from one that every run failed to produce.
func anyRunHasMetric(runs []Run, name string) bool {
	for _, r := range runs {
		if r.Summary != nil {
			if _, ok := r.Summary.Metrics[name]; ok {
				return true
			}
		}
	}
	return false
}

// knownMetrics lists names, the summary metrics of runs, at most 30 of
// them.
func knownMetrics(names []string) string {
	if len(names) > 30 {
		names = append(names[:30], "...")
	}
	return strings.Join(names, ", ")
}

// checkMetrics returns an error naming the first of names that no run has.
func checkMetrics(kind string, spec Spec, option string, runs []Run, names []string) error {
	for _, n := range names {
		if !anyRunHasMetric(runs, n) {
			known := summaryKeys(runs, func(s *results.Summary) map[string]float64 { return s.Metrics })
			return fmt.Errorf("%s report %q: option %q: no finished run has the summary metric %q (metrics: %s)%s",
				kind, spec.Name, option, n, knownMetrics(known), registry.DidYouMean(n, known))
		}
	}
	return nil
}

// subsetKind, as groupRuns' kind, groups a subset of a report's runs (a
// panel's), which may lack a key that the report's other runs have, such
// as a conditional parameter: there a key no run has is unset in every
// run, not an error.
const subsetKind = "\x00subset"

// subGroups groups runs, a subset of a report's runs (a panel's), by keys,
// as groupOrAll does, but with a key none of them has unset in each.
func subGroups(runs []Run, keys []string) []*group {
	groups, _ := groupOrAll(subsetKind, Spec{}, runs, keys)
	return groups
}

// groupOrAll groups runs by keys as groupRuns does, or puts them all in one
// group with the value "" when there are no keys.
func groupOrAll(kind string, spec Spec, runs []Run, keys []string) ([]*group, error) {
	if len(keys) == 0 {
		return []*group{{Values: []string{""}, Runs: runs}}, nil
	}
	return groupRuns(kind, spec, runs, keys)
}

// groupColors numbers the groups of runs by keys, as groupOrAll orders
// them, by label: the series colour of each. Given all of a sweep's
// finished runs, before a figure's where picks some of them, it gives a
// group the same colour in every figure of the sweep, whichever other
// groups a figure leaves out.
func groupColors(kind string, spec Spec, runs []Run, keys []string) (map[string]int, error) {
	groups, err := groupOrAll(kind, spec, runs, keys)
	if err != nil {
		return nil, err
	}
	colors := make(map[string]int, len(groups))
	for i, g := range groups {
		colors[g.Label()] = i
	}
	return colors, nil
}

// anyRunHasParam reports whether some run has a parameter or config key.
func anyRunHasParam(runs []Run, key string) bool {
	for _, r := range runs {
		if _, ok := r.Param(key); ok {
			return true
		}
	}
	return false
}
