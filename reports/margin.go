package reports

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infomax/infomax/internal/english"
)

func init() {
	Register(Kind{
		Name: "margin",
		Summary: "table of how far a metric of each row's runs is above each baseline's, paired by seed: " +
			"mean difference with its t-interval, and the difference at every seed (Markdown, CSV and LaTeX); " +
			"e.g. DIM(L) against the pixel and random-encoder baselines",
		Check: func(spec Spec) error { _, err := readMarginOptions(spec); return err },
		Keys:  func(spec Spec) []KeyRef { o, _ := readMarginOptions(spec); return givenKeys(spec, o.keys()) },
		Selectors: func(spec Spec) []Selector {
			o, _ := readMarginOptions(spec)
			sels := whereSelector(o.Where)
			for _, b := range o.Baselines {
				sels = append(sels, Selector{Option: "baselines", Label: b.Label, Where: b.Where})
			}
			return sels
		},
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readMarginOptions(spec)
			refs := selectedBy(o.Where, summaryRefs("metric", o.Metric))
			for _, b := range o.Baselines {
				refs = append(refs, selectedBy(b.Where, summaryRefs("baselines", b.Metric))...)
			}
			return refs
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readMarginOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "row", Option: "rows", Keys: o.Rows, Where: o.Where, Selectable: true, PerSeed: true}
		},
		Make: makeMargin,
	})
}

// marginOptions are the options of a margin table:
//
//	rows       parameter or list of parameters, one row per value (required)
//	metric     the summary metric compared (required)
//	where      which runs make the rows, by parameter value, e.g.
//	           {preset = "dim-l"} or {preset = ["dim-l", "dim-g"]} (default: all)
//	baselines  list of baselines (required), each a table with
//	             label   the column heading (required)
//	             where   which runs are the baseline (required), as above
//	             metric  the baseline's metric (default: the rows' metric)
//	pair       parameters a row's run and its baseline's run must share
//	           besides the seed, e.g. ["num_negatives"] to compare two
//	           estimators at each number of negatives (default: none, and
//	           row parameters where the baseline needs them: see below)
//	scale      factor applied to every value, e.g. 100 for percentages (default 1)
//	precision  decimals in the Markdown table (default 2)
//	level      confidence level of the interval (default 0.95)
//
// A run of a row is paired with the baseline's run of the same seed; the
// difference is the row's value minus the baseline's. Several baseline runs
// at one seed must agree on the value (a baseline repeated under a
// parameter it does not use, such as the estimator of an untrained
// encoder), unless they differ in row parameters, such as a baseline
// critic run at every test and rows of the table: then those row
// parameters are added to pair for that baseline, where every row's run
// finds its baseline run so (the table's note says so). Otherwise the
// table is an error that asks for a narrower where or a longer pair.
// Where a row pools runs that share a seed (pool, or a key its rows leave
// out), each run is paired as above and a seed's difference is the mean
// of its runs' differences (see [perSeed]): a row's n is its seeds. The
// Markdown cell for a baseline is "mean [low, high]", the mean difference
// over the paired seeds and its two-sided Student-t interval, with
// "(n=k)" where fewer than the row's seeds found a partner; a second
// column lists the difference at each seed, in seed order. The CSV file has, for
// each baseline, <label>_mean, <label>_sd, <label>_low, <label>_high,
// <label>_n, <label>_ahead (how many seeds have a positive difference) and
// <label>_per_seed (seed:difference pairs separated by spaces).
type marginOptions struct {
	Rows      []string
	Metric    string
	Where     map[string][]string
	Baselines []marginBaseline
	Pair      []string
	Scale     float64
	Precision int
	Level     float64
}

// marginBaseline is one baseline of a margin table.
type marginBaseline struct {
	Label  string
	Where  map[string][]string
	Metric string
}

// wheres returns the selections of the runs the margin table reads: the
// compared runs' and each baseline's.
func (o marginOptions) wheres() []map[string][]string {
	w := []map[string][]string{o.Where}
	for _, b := range o.Baselines {
		w = append(w, b.Where)
	}
	return w
}

func readMarginOptions(spec Spec) (marginOptions, error) {
	r := readOptions("margin", spec, poolOption, "rows", "metric", "where", "baselines", "pair", "scale", "precision", "level")
	r.require("rows", `a parameter such as "preset", or a list of them`)
	r.require("metric", `a summary metric such as "linear_y_acc"`)
	r.require("baselines", `a list such as [{label = "pixels", where = {preset = "pixels"}, metric = "linear_input_acc"}]`)
	o := marginOptions{
		Rows:      r.Strings("rows", nil),
		Metric:    r.String("metric", ""),
		Where:     r.selector("where", nil),
		Pair:      r.Strings("pair", nil),
		Scale:     r.Float("scale", 1),
		Precision: r.Int("precision", 2, 0, 12),
		Level:     r.Float("level", 0.95),
	}
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	if o.Level <= 0 || o.Level >= 1 {
		r.fail("level", "want a confidence level between 0 and 1 such as 0.95, got %v", o.Level)
	}
	o.Baselines = r.baselines("baselines", o.Metric)
	return o, r.Err()
}

// keys returns the parameters the options name, by option: rows, the keys
// of where, and the keys of every baseline's where.
func (o marginOptions) keys() map[string][]string {
	keys := map[string][]string{"rows": o.Rows, "where": slices.Sorted(maps.Keys(o.Where)), "pair": o.Pair}
	for _, b := range o.Baselines {
		keys["baselines"] = append(keys["baselines"], slices.Sorted(maps.Keys(b.Where))...)
	}
	return keys
}

// selector reads a table of parameter values, each a string, a number or a
// list of them, such as {preset = ["dim-l", "dim-g"], batch_size = 64}; a
// list-valued parameter's value is a list in that list, {conv_channels =
// [[32, 64]]}.
// Values are kept formatted as a table cell shows them, so that 64 matches
// a batch size stored as 64.0.
func (r *optionReader) selector(name string, v any) map[string][]string {
	if v == nil {
		var ok bool
		if v, ok = r.lookup(name); !ok {
			return nil
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(name, "want a table of parameter values such as {preset = \"dim-l\"}, got %v (%T)", v, v)
		return nil
	}
	if len(m) == 0 {
		r.fail(name, "must name at least one parameter")
		return nil
	}
	out := map[string][]string{}
	for key, val := range m {
		items := []any{val}
		if list, isList := val.([]any); isList {
			items = list
		}
		if len(items) == 0 {
			r.fail(name, "%s: want at least one value", key)
			return nil
		}
		for _, it := range items {
			if !selectable(it) {
				r.fail(name, "%s: want a string, a number or a list of them (a list-valued parameter's value in a list of its own: [[32, 64]]), got %s",
					key, formatValue(it))
				return nil
			}
			out[key] = append(out[key], formatValue(it))
		}
	}
	return out
}

// selectable reports whether a selector may hold v: a string, a bool, a
// number, or a list of those (the value of a list-valued parameter, such
// as conv_channels = [32, 64], which a selector writes [[32, 64]]).
func selectable(v any) bool {
	switch v := v.(type) {
	case string, bool:
		return true
	case []any:
		for _, it := range v {
			if _, isList := it.([]any); isList || !selectable(it) {
				return false
			}
		}
		return len(v) > 0
	}
	_, isNum := asNumber(v)
	return isNum
}

// baselines reads the list of baselines of a margin table.
func (r *optionReader) baselines(name, defMetric string) []marginBaseline {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	entries, ok := listOf[map[string]any](r, name, v, `a list of tables such as {label = "pixels", where = {preset = "pixels"}}`)
	if !ok {
		return nil
	}
	if len(entries) == 0 {
		r.fail(name, "must list at least one baseline")
		return nil
	}
	var out []marginBaseline
	for i, e := range entries {
		at := fmt.Sprintf("baseline %d", i+1)
		for k := range e {
			if k != "label" && k != "where" && k != "metric" {
				r.fail(name, "%s: unknown key %q (a baseline has label, where and metric)", at, k)
				return nil
			}
		}
		label, _ := e["label"].(string)
		if label == "" {
			r.fail(name, "%s: want label = \"...\", the column heading", at)
			return nil
		}
		for _, prev := range out {
			if prev.Label == label {
				r.fail(name, "%s: the label %q is used twice", at, label)
				return nil
			}
		}
		if e["where"] == nil {
			r.fail(name, "%s (%s): want where = {...}, the parameter values of the baseline's runs", at, label)
			return nil
		}
		where := r.selector(name, e["where"])
		if where == nil {
			return nil
		}
		metric := defMetric
		if mv, ok := e["metric"]; ok {
			s, isStr := mv.(string)
			if !isStr || s == "" {
				r.fail(name, "%s (%s): metric: want a metric name, got %v (%T)", at, label, mv, mv)
				return nil
			}
			metric = s
		}
		out = append(out, marginBaseline{Label: label, Where: where, Metric: metric})
	}
	return out
}

// matches reports whether run r has one of the listed values of every
// parameter of where.
func matches(r Run, where map[string][]string) bool {
	for key, values := range where {
		v, ok := r.Param(key)
		if !ok || !contains(values, formatValue(v)) {
			return false
		}
	}
	return true
}

// selectRuns returns the runs that match where, all of them when where is
// nil; a parameter that no run has is an error naming it.
func selectRuns(spec Spec, option string, runs []Run, where map[string][]string) ([]Run, error) {
	if err := requireParams(spec, option, runs, slices.Sorted(maps.Keys(where))); err != nil {
		return nil, err
	}
	var out []Run
	for _, r := range runs {
		if matches(r, where) {
			out = append(out, r)
		}
	}
	return out, nil
}

// pairKey is what pairs a row's run with a baseline's run: the seed and
// the values of the pair parameters.
func pairKey(r Run, pair []string) string {
	k := strconv.FormatInt(r.Summary.Seed, 10)
	for _, p := range pair {
		v, _ := r.Param(p)
		k += "|" + formatValue(v)
	}
	return k
}

// baselineBySeed returns the baseline's value at each seed (and values of
// the pair parameters; see pairKey), times scale. Runs of one key that
// disagree are an error.
func baselineBySeed(spec Spec, b marginBaseline, runs []Run, scale float64, pair []string) (map[string]float64, error) {
	sel, err := selectRuns(spec, "baselines", runs, b.Where)
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("margin report %q: baseline %q: no finished run matches where %s", spec.Name, b.Label, formatWhere(b.Where))
	}
	if err := checkMetrics("margin", spec, "baselines", sel, []string{b.Metric}); err != nil {
		return nil, fmt.Errorf("%w (baseline %q)", err, b.Label)
	}
	out := map[string]float64{}
	from := map[string]string{}
	for _, r := range sel {
		v, ok := metric(r, b.Metric)
		if !ok {
			continue
		}
		v *= scale
		k := pairKey(r, pair)
		if prev, seen := out[k]; seen && prev != v {
			return nil, fmt.Errorf("margin report %q: baseline %q: runs %s and %s both match where %s at seed %d but differ in %s (%g, %g): add the parameter that tells them apart to its where, or to pair",
				spec.Name, b.Label, from[k], r.ID, formatWhere(b.Where), r.Summary.Seed, b.Metric, prev, v)
		}
		out[k], from[k] = v, r.ID
	}
	return out, nil
}

// baselinePaired returns baselineBySeed's values of b paired by o.Pair,
// and that pair; or, where b's runs at one seed disagree and differ in row
// parameters that o.Pair leaves out, paired by o.Pair and those
// parameters, and that longer pair, provided every compared run then
// finds its baseline run. Otherwise it returns the error of the shorter
// pair.
func baselinePaired(spec Spec, b marginBaseline, runs, compared []Run, o marginOptions) (map[string]float64, []string, error) {
	vals, err := baselineBySeed(spec, b, runs, o.Scale, o.Pair)
	if err == nil {
		return vals, o.Pair, nil
	}
	sel, _ := selectRuns(spec, "baselines", runs, b.Where)
	var added []string
	for _, k := range o.Rows {
		if !slices.Contains(o.Pair, k) && variesAtASeed(sel, k) {
			added = append(added, k)
		}
	}
	if len(added) == 0 {
		return nil, nil, err
	}
	pair := append(slices.Clone(o.Pair), added...)
	longer, lerr := baselineBySeed(spec, b, runs, o.Scale, pair)
	if lerr != nil {
		return nil, nil, lerr
	}
	for _, r := range compared {
		if _, ok := longer[pairKey(r, pair)]; !ok {
			return nil, nil, fmt.Errorf("%w (paired by %s as well, run %s has no baseline run)", err, english.And(added), r.ID)
		}
	}
	return longer, pair, nil
}

// variesAtASeed reports whether two of runs with one seed differ in the
// value of parameter k.
func variesAtASeed(runs []Run, k string) bool {
	seen := map[int64]string{}
	for _, r := range runs {
		v, _ := r.Param(k)
		s := formatValue(v)
		if prev, ok := seen[r.Summary.Seed]; ok && prev != s {
			return true
		}
		seen[r.Summary.Seed] = s
	}
	return false
}

// requireParams returns an error naming option and the first of keys that
// no run has as a parameter or config key, or nil.
func requireParams(spec Spec, option string, runs []Run, keys []string) error {
	for _, k := range keys {
		if !anyRunHasParam(runs, k) {
			return fmt.Errorf("%s report %q: option %q: no run has a parameter or config key %q (%s)",
				spec.Kind, spec.Name, option, k, knownKeys(runs))
		}
	}
	return nil
}

// formatWhere writes a selector as a sweep file would, keys sorted.
func formatWhere(where map[string][]string) string {
	keys := slices.Sorted(maps.Keys(where))
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := strings.Join(where[k], "|")
		if strings.HasPrefix(where[k][0], "[") { // a list-valued parameter's values, as the file lists them
			v = "[" + strings.Join(where[k], ", ") + "]"
		}
		parts[i] = k + " = " + v
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// pairedDiff is one seed's difference between a row's run and a baseline.
type pairedDiff struct {
	Seed int64
	Diff float64
}

func makeMargin(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("margin", spec, runs, readMarginOptions)
	if err != nil {
		return nil, err
	}
	if err := requireParams(spec, "pair", done, o.Pair); err != nil {
		return nil, err
	}
	compared, err := selectRuns(spec, "where", done, o.Where)
	if err != nil {
		return nil, err
	}
	baseVals, pairs := make([]map[string]float64, len(o.Baselines)), make([][]string, len(o.Baselines))
	var pairNotes []string
	for i, b := range o.Baselines {
		if baseVals[i], pairs[i], err = baselinePaired(spec, b, done, compared, o); err != nil {
			return nil, err
		}
		if added := pairs[i][len(o.Pair):]; len(added) > 0 {
			pronoun := "them"
			if len(added) == 1 {
				pronoun = "it"
			}
			pairNotes = append(pairNotes, fmt.Sprintf("Baseline %q is paired by %s: %s added, as its runs differ in %s.",
				b.Label, english.And(append([]string{"seed"}, pairs[i]...)), english.And(added), pronoun))
		}
	}
	if len(compared) == 0 {
		return nil, fmt.Errorf("margin report %q: option \"where\": no finished run matches %s", spec.Name, formatWhere(o.Where))
	}
	if err := checkMetrics("margin", spec, "metric", compared, []string{o.Metric}); err != nil {
		return nil, err
	}
	groups, err := groupRuns("margin", spec, compared, o.Rows)
	if err != nil {
		return nil, err
	}

	header, csvHeader := []string{"n"}, []string{"n"}
	for _, b := range o.Baselines {
		header = append(header, fmt.Sprintf("vs %s [%s%% CI]", b.Label, strconv.FormatFloat(100*o.Level, 'g', -1, 64)), "vs "+b.Label+", per seed")
		for _, c := range []string{"mean", "sd", "low", "high", "n", "ahead", "per_seed"} {
			csvHeader = append(csvHeader, b.Label+"_"+c)
		}
	}
	t := groupTable(joinNotes(leftOutNote(out.matching(o.wheres()...)), pooledNote("margin", spec, done), strings.Join(pairNotes, " ")),
		o.Rows, header, csvHeader)
	for _, g := range groups {
		n := seedCount(g.Runs)
		row, csvRow := groupRow(g, strconv.Itoa(n)), groupRow(g, strconv.Itoa(n))
		for i := range o.Baselines {
			diffs := pairDiffs(g.Runs, o.Metric, o.Scale, baseVals[i], pairs[i])
			xs := make([]float64, len(diffs))
			ahead := 0
			perSeedMD := make([]string, len(diffs))
			perSeedCSV := make([]string, len(diffs))
			for j, d := range diffs {
				xs[j] = d.Diff
				if d.Diff > 0 {
					ahead++
				}
				perSeedMD[j] = signed(d.Diff, o.Precision)
				perSeedCSV[j] = strconv.FormatInt(d.Seed, 10) + ":" + exact(d.Diff)
			}
			mean, sd := MeanSD(xs)
			_, half := TInterval(xs, o.Level)
			row = append(row, intervalCell(mean, half, len(xs), n, o.Precision), cellOrMissing(strings.Join(perSeedMD, " / ")))
			csvRow = append(csvRow, exact(mean), exact(sd), exact(mean-half), exact(mean+half),
				strconv.Itoa(len(xs)), strconv.Itoa(ahead), strings.Join(perSeedCSV, " "))
		}
		t.Rows = append(t.Rows, row)
		t.CSVRows = append(t.CSVRows, csvRow)
	}
	return writeTable(dir, spec.Name, t)
}

// pairDiffs returns, in seed order, the difference at each seed between
// the runs' metric and the baseline's value at their seed (and pair
// values): the mean over the seed's runs that have both (see [perSeed]),
// one difference a seed however many configurations the runs pool.
func pairDiffs(runs []Run, name string, scale float64, base map[string]float64, pair []string) []pairedDiff {
	means := perSeed(runs, func(r Run) (float64, bool) {
		v, ok := metric(r, name)
		b, paired := base[pairKey(r, pair)]
		return v*scale - b, ok && paired
	})
	out := make([]pairedDiff, len(means))
	for i, m := range means {
		out[i] = pairedDiff{Seed: m.Seed, Diff: m.Value}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Seed < out[b].Seed })
	return out
}

// signed formats x with prec decimals and an explicit sign.
func signed(x float64, prec int) string {
	s := fixed(x, prec)
	if finite(x) && !strings.HasPrefix(s, "-") && strings.Trim(s, "0.") != "" {
		s = "+" + s
	}
	return s
}

// intervalCell formats a mean difference and its interval over k paired
// seeds in a row of n seeds.
func intervalCell(mean, half float64, k, n, prec int) string {
	if k == 0 {
		return missingValue
	}
	s := signed(mean, prec)
	if k > 1 && !math.IsNaN(half) {
		s += " [" + signed(mean-half, prec) + ", " + signed(mean+half, prec) + "]"
	}
	if k != n {
		s += fmt.Sprintf(" (n=%d)", k)
	}
	return s
}

// cellOrMissing returns s, or "n/a" when it is empty.
func cellOrMissing(s string) string {
	if s == "" {
		return missingValue
	}
	return s
}
