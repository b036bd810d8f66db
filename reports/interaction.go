package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

func init() {
	Register(Kind{
		Name: "interaction",
		Summary: "table of how much a metric changes when one parameter goes from one value to another, for each group " +
			"(e.g. each estimator), paired by seed, and how that change differs from a reference group's: " +
			"the interaction, with t-intervals (Markdown, CSV and LaTeX)",
		Check:     func(spec Spec) error { _, err := readInteractionOptions(spec); return err },
		Keys:      func(spec Spec) []KeyRef { o, _ := readInteractionOptions(spec); return givenKeys(spec, o.keys()) },
		Selectors: func(spec Spec) []Selector { o, _ := readInteractionOptions(spec); return o.selectors() },
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readInteractionOptions(spec)
			return selectedBy(o.Where, summaryRefs("metric", o.Metric))
		},
		Make: makeInteraction,
	})
}

// interactionOptions are the options of an interaction table:
//
//	metric     the summary metric (required)
//	factor     the parameter whose change is measured, e.g. "num_negatives" (required)
//	from, to   its two values; the change is the metric at to minus at from (required)
//	by         the parameter whose groups are compared, e.g. "estimator" (required)
//	reference  the group the others' changes are compared with, e.g. "jsd" (required)
//	where      which runs take part, by parameter value (default: all)
//	pair       parameters, besides the seed, that paired runs share (default: none)
//	scale      factor applied to every value, e.g. 100 for percentages (default 1)
//	precision  decimals in the Markdown table (default 2)
//	level      confidence level of the intervals (default 0.95)
//
// For each group and seed the change is the run at to minus the run at
// from (with pair, the mean of those changes over the seed's pair values,
// which are not independent); the interaction at that seed is the group's
// change minus the reference group's. Each is summarized as "mean [low, high]" with a
// two-sided Student-t interval over the seeds that have every run needed,
// and listed seed by seed. A row's n is the seeds that have its change;
// the interaction, which needs the reference's change at the seed too,
// says "(n=k)" where fewer seeds have it. Runs of one group, seed and
// factor value that disagree (a parameter not in where or pair tells
// them apart) are an error. The CSV file has n, change_mean, change_low,
// change_high, change_per_seed, interaction_mean, interaction_low,
// interaction_high, interaction_per_seed and interaction_n (empty for the
// reference row, which has no interaction).
type interactionOptions struct {
	Metric, Factor, From, To, By, Reference string
	Where                                   map[string][]string
	Pair                                    []string
	Scale                                   float64
	Precision                               int
	Level                                   float64
}

func readInteractionOptions(spec Spec) (interactionOptions, error) {
	r := readOptions("interaction", spec, "metric", "factor", "from", "to", "by", "reference", "where", "pair", "scale", "precision", "level")
	for name, what := range map[string]string{"metric": `a summary metric such as "linear_y_acc"`, "factor": `a parameter such as "num_negatives"`,
		"from": "the factor's first value", "to": "the factor's second value", "by": `a parameter such as "estimator"`, "reference": `a value of by, such as "jsd"`} {
		r.require(name, what)
	}
	o := interactionOptions{
		Metric: r.String("metric", ""), Factor: r.String("factor", ""), By: r.String("by", ""),
		From: r.value("from"), To: r.value("to"), Reference: r.value("reference"),
		Where: r.selector("where", nil), Pair: r.Strings("pair", nil),
		Scale: r.Float("scale", 1), Precision: r.Int("precision", 2, 0, 12), Level: r.Float("level", 0.95),
	}
	if o.From != "" && o.From == o.To {
		r.fail("to", "is the same value as from (%s): the change would be 0", o.To)
	}
	for _, v := range o.namedValues() {
		if allowed, ok := o.Where[v.key]; ok && v.value != "" && !slices.Contains(allowed, v.value) {
			r.fail(v.option, "%s = %s is left out by where %s, so the table would have no runs", v.key, v.value, formatWhere(o.Where))
		}
	}
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	if o.Level <= 0 || o.Level >= 1 {
		r.fail("level", "want a confidence level between 0 and 1 such as 0.95, got %v", o.Level)
	}
	return o, r.Err()
}

// value reads an option that is one parameter value (a string, a number or
// a boolean), formatted as a table cell shows it; "" when it is missing.
func (r *optionReader) value(name string) string {
	v, ok := r.lookup(name)
	if !ok {
		return ""
	}
	switch v.(type) {
	case string, bool:
	default:
		if _, isNum := asNumber(v); !isNum {
			r.fail(name, "want a parameter value (a string, a number or a boolean), got %v (%T)", v, v)
			return ""
		}
	}
	return formatValue(v)
}

// namedValue is an option that names one value of a parameter.
type namedValue struct{ option, key, value string }

// namedValues returns the options that name a parameter value: from and
// to, values of the factor, and reference, a value of by.
func (o interactionOptions) namedValues() []namedValue {
	return []namedValue{{"from", o.Factor, o.From}, {"to", o.Factor, o.To}, {"reference", o.By, o.Reference}}
}

// selectors returns the runs the table needs, each of which some run of
// the sweep must match: where's, and within it the factor at from and at
// to, and the reference group; a misspelt value then fails validation
// rather than leaving the table empty.
func (o interactionOptions) selectors() []Selector {
	sels := whereSelector(o.Where)
	for _, v := range o.namedValues() {
		if v.key == "" || v.value == "" {
			continue
		}
		where := maps.Clone(o.Where)
		if where == nil {
			where = map[string][]string{}
		}
		where[v.key] = []string{v.value}
		sels = append(sels, Selector{Option: v.option, Where: where})
	}
	return sels
}

// keys returns the parameters the options name, by option.
func (o interactionOptions) keys() map[string][]string {
	return map[string][]string{"factor": {o.Factor}, "by": {o.By}, "where": slices.Sorted(maps.Keys(o.Where)), "pair": o.Pair}
}

// interactionCell is one run's value, found by group, factor value and
// pairing key.
type interactionCell struct{ group, level, key string }

func makeInteraction(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("interaction", spec, runs, readInteractionOptions)
	if err != nil {
		return nil, err
	}
	sel, err := selectRuns(spec, "where", done, o.Where)
	if err != nil {
		return nil, err
	}
	if err := requireParams(spec, "factor, by and pair", done, append([]string{o.Factor, o.By}, o.Pair...)); err != nil {
		return nil, err
	}
	if err := checkMetrics("interaction", spec, "metric", sel, []string{o.Metric}); err != nil {
		return nil, err
	}
	vals, groups, err := interactionValues(spec, o, sel)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(groups, o.Reference) {
		there := "none is at either"
		if len(groups) > 0 {
			there = "groups there: " + strings.Join(groups, ", ")
		}
		return nil, fmt.Errorf("interaction report %q: option \"reference\": no finished run at %s = %s or %s has %s = %s (%s)",
			spec.Name, o.Factor, o.From, o.To, o.By, o.Reference, there)
	}
	return writeTable(dir, spec.Name, interactionTable(o, vals, groups, leftOutNote(out.matching(o.Where))))
}

// interactionValues returns the runs' values (times scale) by cell, and the
// groups in order; runs at other factor values are skipped.
func interactionValues(spec Spec, o interactionOptions, runs []Run) (map[interactionCell]float64, []string, error) {
	vals := map[interactionCell]float64{}
	from := map[interactionCell]string{}
	var groups []string
	for _, r := range runs {
		lv, _ := r.Param(o.Factor)
		gv, _ := r.Param(o.By)
		level, group := formatValue(lv), formatValue(gv)
		v, ok := metric(r, o.Metric)
		if !ok || (level != o.From && level != o.To) {
			continue
		}
		c := interactionCell{group, level, pairKey(r, o.Pair)}
		if prev, seen := vals[c]; seen && prev != v*o.Scale {
			return nil, nil, fmt.Errorf("interaction report %q: runs %s and %s are both %s = %s, %s = %s at seed %d but differ in %s: add the parameter that tells them apart to where or pair",
				spec.Name, from[c], r.ID, o.By, group, o.Factor, level, r.Summary.Seed, o.Metric)
		}
		vals[c], from[c] = v*o.Scale, r.ID
		if !slices.Contains(groups, group) {
			groups = append(groups, group)
		}
	}
	slices.Sort(groups)
	return vals, groups, nil
}

// interactionTable lays out each group's change and its difference from
// the reference's.
func interactionTable(o interactionOptions, vals map[interactionCell]float64, groups []string, note string) tableData {
	change := func(group, key string) (float64, bool) {
		a, okA := vals[interactionCell{group, o.To, key}]
		b, okB := vals[interactionCell{group, o.From, key}]
		return a - b, okA && okB
	}
	var keys []string
	for c := range vals {
		if !slices.Contains(keys, c.key) {
			keys = append(keys, c.key)
		}
	}
	slices.SortFunc(keys, comparePairKeys)
	ci := strconv.FormatFloat(100*o.Level, 'g', -1, 64)
	what := fmt.Sprintf("%s %s → %s", o.Factor, o.From, o.To)
	t := groupTable(note, []string{o.By}, []string{"n", "change, " + what + " [" + ci + "% CI]", "per seed",
		"minus " + o.Reference + "'s change [" + ci + "% CI]", "per seed"},
		[]string{"n", "change_mean", "change_low", "change_high", "change_per_seed", "interaction_mean", "interaction_low", "interaction_high",
			"interaction_per_seed", "interaction_n"})
	for _, g := range groups {
		var ch, in []pairedDiff
		for _, k := range keys {
			seed, _ := strconv.ParseInt(strings.SplitN(k, "|", 2)[0], 10, 64)
			d, ok := change(g, k)
			if !ok {
				continue
			}
			ch = append(ch, pairedDiff{Seed: seed, Diff: d})
			if r, ok := change(o.Reference, k); ok && g != o.Reference {
				in = append(in, pairedDiff{Seed: seed, Diff: d - r})
			}
		}
		// With pair keys, a seed has a change for each: they are not
		// independent, so a seed's difference is their mean.
		ch, in = meanBySeed(ch), meanBySeed(in)
		row, csvRow := []string{g, strconv.Itoa(len(ch))}, []string{g, strconv.Itoa(len(ch))}
		for _, diffs := range [][]pairedDiff{ch, in} {
			md, csvCells := summarizeDiffs(diffs, len(ch), o.Level, o.Precision)
			row, csvRow = append(row, md...), append(csvRow, csvCells...)
		}
		interactionN := strconv.Itoa(len(in))
		if g == o.Reference {
			interactionN = ""
		}
		t.Rows, t.CSVRows = append(t.Rows, row), append(t.CSVRows, append(csvRow, interactionN))
	}
	return t
}

// meanBySeed returns diffs with those of one seed replaced by their mean,
// in the order the seeds first appear: one difference a seed, however
// many pair keys a seed has.
func meanBySeed(diffs []pairedDiff) []pairedDiff {
	means := meansBySeed(len(diffs), func(i int) (int64, float64, bool) { return diffs[i].Seed, diffs[i].Diff, true })
	out := make([]pairedDiff, len(means))
	for k, m := range means {
		out[k] = pairedDiff{Seed: m.Seed, Diff: m.Value}
	}
	return out
}

// summarizeDiffs returns the Markdown cells (mean and interval, per seed)
// and the CSV cells (mean, low, high, per seed) of paired differences in
// a row of n seeds: the interval says "(n=k)" where the differences are
// fewer.
func summarizeDiffs(diffs []pairedDiff, n int, level float64, prec int) (md, csvCells []string) {
	if len(diffs) == 0 {
		return []string{missingValue, missingValue}, []string{"", "", "", ""}
	}
	xs := make([]float64, len(diffs))
	perMD, perCSV := make([]string, len(diffs)), make([]string, len(diffs))
	for i, d := range diffs {
		xs[i] = d.Diff
		perMD[i] = signed(d.Diff, prec)
		perCSV[i] = strconv.FormatInt(d.Seed, 10) + ":" + exact(d.Diff)
	}
	mean, _ := MeanSD(xs)
	_, half := TInterval(xs, level)
	md = []string{intervalCell(mean, half, len(xs), n, prec), strings.Join(perMD, " / ")}
	csvCells = []string{exact(mean), exact(mean - half), exact(mean + half), strings.Join(perCSV, " ")}
	return md, csvCells
}

// comparePairKeys orders pairing keys by seed, then by the rest.
func comparePairKeys(a, b string) int {
	sa, ra, _ := strings.Cut(a, "|")
	sb, rb, _ := strings.Cut(b, "|")
	na, _ := strconv.ParseInt(sa, 10, 64)
	nb, _ := strconv.ParseInt(sb, 10, 64)
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(ra, rb)
}
