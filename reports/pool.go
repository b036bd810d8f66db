package reports

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/infomax/infomax/internal/english"
)

// Grouping is how a report puts runs together to summarize them over
// seeds: a table's row, a line figure's point. Runs of one group are
// meant to differ in their seed alone.
type Grouping struct {
	// Unit names a group in messages: "row", "point", "line", "cell".
	Unit string
	// Option is the option whose keys tell groups apart, where a setting
	// that should tell them apart too goes ("rows", "group", a heat map's
	// "x"); "" for a kind whose keys are fixed.
	Option string
	// Selectable says that the kind has a where option to pick runs by.
	Selectable bool
	// FirstOnly says that the report draws one run of each group (the
	// staircase's seeds = "first"), not a summary of them all.
	FirstOnly bool
	// Keys tell groups apart, the kind's defaults included.
	Keys []string
	// Metric, unless "", tells groups apart too by its value in each run's
	// summary (line's xmetric); a run without it is left out.
	Metric string
	// Where, unless nil, selects the runs the report groups.
	Where map[string][]string
	// Pool names the settings that groups average over on purpose (the
	// pool option), such as a learning rate's table averaging over the
	// estimators: a marginal mean.
	Pool []string
	// PerSeed says that the report averages the runs of a group that
	// share a seed before it summarizes the group over seeds (see
	// [perSeed]), so that its n counts seeds; a kind without it treats
	// each run as a seed.
	PerSeed bool
}

// PooledKey is a setting whose values differ among runs that a report puts
// in one group, as though they were seeds.
type PooledKey struct {
	Key string
	// Values are the values it takes in such groups, sorted.
	Values []string
	// Declared says that the report's pool option names it: the groups
	// average over it on purpose.
	Declared bool
}

// Pooled returns, for a spec that passed Check, the unit and option of the
// kind's grouping and the settings that tell apart runs which the report
// puts in one group as though they were seeds: two runs of one group with
// the same seed that differ in a setting of their configs (or, for a run
// without one, a swept parameter). A report that pools them averages
// different configurations, and its intervals treat them as seeds. The
// runs are taken as given: pass the done runs to check what a report
// draws, or every planned run to check a sweep before it runs.
func (k Kind) Pooled(spec Spec, runs []Run) (g Grouping, keys []PooledKey) {
	if k.Groups == nil {
		return Grouping{}, nil
	}
	g = k.Groups(spec)
	values := map[string]map[string]bool{}
	for _, same := range sameSeedGroups(g, runs) {
		for i := 1; i < len(same); i++ {
			for key, pair := range settingsDiff(same[0], same[i]) {
				if values[key] == nil {
					values[key] = map[string]bool{}
				}
				values[key][pair[0]], values[key][pair[1]] = true, true
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		keys = append(keys, PooledKey{Key: key, Values: sortedValues(values[key]), Declared: slices.ContainsFunc(g.Pool, func(p string) bool {
			return key == p || strings.HasSuffix(key, "."+p) // a nested key by its last part, as Run.Param finds it
		})})
	}
	return g, keys
}

// CheckPool reports a pool option, of a spec that passed k.Check, that
// names a key telling k's groups apart (a table's rows, a heat map's x or
// y): no group averages over such a key, so naming it in pool is a
// mistake, one that would otherwise change nothing and say nothing.
func CheckPool(k Kind, spec Spec) error {
	if k.Groups == nil {
		return nil
	}
	g := k.Groups(spec)
	for _, p := range g.Pool {
		for _, key := range g.Keys {
			if key != p && !strings.HasSuffix(key, "."+p) && !strings.HasSuffix(p, "."+key) {
				continue
			}
			return &OptionError{Kind: k.Name, Report: spec.Name, Option: poolOption,
				Problem: fmt.Sprintf("names %s, a key that tells the %ss apart: no %s averages over it; drop it from pool", p, g.Unit, g.Unit)}
		}
	}
	return nil
}

// sameSeedGroups returns the runs that g puts in one group with one seed,
// each set of two or more.
func sameSeedGroups(g Grouping, runs []Run) [][]Run {
	byLabel := map[string][]Run{}
	var labels []string
	for _, r := range runs {
		if r.Summary == nil || (g.Where != nil && !matches(r, g.Where)) {
			continue
		}
		parts := []string{fmt.Sprint(r.Summary.Seed)}
		if g.Metric != "" {
			v, ok := metric(r, g.Metric)
			if !ok {
				continue
			}
			parts = append(parts, formatValue(v))
		}
		for _, key := range g.Keys {
			v, _ := r.Param(key)
			parts = append(parts, formatValue(v))
		}
		label := strings.Join(parts, "\x00")
		if _, seen := byLabel[label]; !seen {
			labels = append(labels, label)
		}
		byLabel[label] = append(byLabel[label], r)
	}
	var out [][]Run
	for _, label := range labels {
		if len(byLabel[label]) > 1 {
			out = append(out, byLabel[label])
		}
	}
	return out
}

// settingsDiff returns the settings in which runs a and b differ, each
// with a's and b's value ("" where one lacks it): their configs' leaves
// but the seed, the task and the settings either derives from another
// (Run.Derived), or their swept parameters where either has no config.
func settingsDiff(a, b Run) map[string][2]string {
	fa, fb := runSettings(a), runSettings(b)
	for _, key := range slices.Concat(a.Derived, b.Derived) {
		delete(fa, key)
		delete(fb, key)
	}
	diff := map[string][2]string{}
	for key := range fa {
		if fa[key] != fb[key] {
			diff[key] = [2]string{fa[key], fb[key]}
		}
	}
	for key := range fb {
		if _, ok := fa[key]; !ok {
			diff[key] = [2]string{unsetValue, fb[key]}
		}
	}
	for key, pair := range diff {
		if _, ok := fa[key]; !ok {
			pair[0] = unsetValue
		}
		if _, ok := fb[key]; !ok {
			pair[1] = unsetValue
		}
		diff[key] = pair
	}
	return diff
}

// runSettings flattens the settings of r that settingsDiff compares.
func runSettings(r Run) map[string]string {
	flat := map[string]string{}
	if r.Config != nil {
		flattenConfig("", r.Config, flat)
		delete(flat, "seed")
		delete(flat, "task")
		return flat
	}
	if r.Summary != nil {
		for k, v := range r.Summary.Params {
			flat[k] = formatValue(v)
		}
	}
	return flat
}

// sortedValues returns the set's values sorted, numbers by value.
func sortedValues(set map[string]bool) []string {
	vals := slices.Collect(maps.Keys(set))
	slices.SortFunc(vals, func(a, b string) int {
		x, aerr := strconv.ParseFloat(a, 64)
		y, berr := strconv.ParseFloat(b, 64)
		aok, bok := aerr == nil, berr == nil
		switch {
		case aok && bok && x < y:
			return -1
		case aok && bok && x > y:
			return 1
		}
		return strings.Compare(a, b)
	})
	return vals
}

// PooledMessage says what Pooled found, for a sweep's warning or a
// report's note: "each row pools runs that differ in
// estimator_params.tau (1, 5, 10), as though they were seeds; add it to
// rows, or name it in pool to average over it on purpose" ("averaging
// them within each seed" for a kind that does, g.PerSeed); "" when keys
// holds none but those pool names.
func PooledMessage(g Grouping, keys []PooledKey) string {
	keys = slices.DeleteFunc(slices.Clone(keys), func(k PooledKey) bool { return k.Declared })
	if len(keys) == 0 {
		return ""
	}
	parts := keyValues(keys)
	them := "it"
	if len(keys) > 1 {
		them = "them"
	}
	var fixes []string
	if g.Option != "" {
		fixes = append(fixes, fmt.Sprintf("add %s to %s", them, g.Option))
	}
	if g.Selectable {
		fixes = append(fixes, "select one value with where")
	}
	if g.FirstOnly {
		fixes = append(fixes, fmt.Sprintf("name %s in pool to draw one of them on purpose", them))
	} else {
		fixes = append(fixes, fmt.Sprintf("name %s in pool to average over %s on purpose", them, them))
	}
	switch {
	case g.FirstOnly:
		return fmt.Sprintf("each %s draws one of several runs that differ in %s, not only in their seed; %s",
			g.Unit, strings.Join(parts, ", "), strings.Join(fixes, ", or "))
	case g.PerSeed:
		return fmt.Sprintf("each %s pools runs that differ in %s, averaging them within each seed; %s",
			g.Unit, strings.Join(parts, ", "), strings.Join(fixes, ", or "))
	}
	return fmt.Sprintf("each %s pools runs that differ in %s, as though they were seeds; %s",
		g.Unit, strings.Join(parts, ", "), strings.Join(fixes, ", or "))
}

// pooledKeys returns what Kind.Pooled finds for the report of the named
// kind of spec over runs.
func pooledKeys(kind string, spec Spec, runs []Run) (Grouping, []PooledKey) {
	k, err := Lookup(kind)
	if err != nil {
		return Grouping{}, nil
	}
	return k.Pooled(spec, runs)
}

// pooledNote is the sentences under a table of the named kind saying that
// its rows average over settings on purpose (pool), and that they pool
// runs of different configurations otherwise (see [Kind.Pooled]); ""
// when they do neither.
func pooledNote(kind string, spec Spec, runs []Run) string {
	g, keys := pooledKeys(kind, spec, runs)
	var notes []string
	if declared := slices.DeleteFunc(slices.Clone(keys), func(k PooledKey) bool { return !k.Declared }); len(declared) > 0 {
		note := fmt.Sprintf("The %ss average over %s, as pool asks", g.Unit, strings.Join(keyValues(declared), ", "))
		if !g.PerSeed {
			note += fmt.Sprintf(": where a %s's runs differ in them, its spread is over them as well as the seeds", g.Unit)
		}
		notes = append(notes, note+".")
	}
	if msg := PooledMessage(g, keys); msg != "" {
		notes = append(notes, "Pooled: "+msg+".")
	}
	if most := mostRunsAtASeed(g, runs); g.PerSeed && most > 1 {
		differ := ""
		if len(keys) > 0 {
			differ = ", differing in " + english.And(keyNames(keys))
		}
		notes = append(notes, fmt.Sprintf("n counts seeds: where a %s has several runs at one seed (up to %d%s), "+
			"the seed's value is their mean, and the %s's statistics are over those per-seed values.", g.Unit, most, differ, g.Unit))
	}
	return strings.Join(notes, " ")
}

// mostRunsAtASeed returns the most runs that g puts in one group with one
// seed: 1 (or 0 for no runs) where no group pools runs.
func mostRunsAtASeed(g Grouping, runs []Run) int {
	most := min(len(runs), 1)
	for _, same := range sameSeedGroups(g, runs) {
		most = max(most, len(same))
	}
	return most
}

// keyNames returns the names of keys.
func keyNames(keys []PooledKey) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	return names
}

// keyValues writes each key with its values, "tau (1, 5, 10)", or with
// the first maxListedValues and their number where there are more, "lr
// (1e-05, 2e-05, ..., 40 values)": a random sweep's drawn values are many.
// A key without values is its name alone.
func keyValues(keys []PooledKey) []string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		if len(k.Values) == 0 {
			parts[i] = k.Key
			continue
		}
		vals := k.Values
		if len(vals) > maxListedValues {
			vals = append(slices.Clone(vals[:maxListedValues]), fmt.Sprintf("..., %d values", len(k.Values)))
		}
		parts[i] = fmt.Sprintf("%s (%s)", k.Key, strings.Join(vals, ", "))
	}
	return parts
}

// maxListedValues bounds the values keyValues lists of one key.
const maxListedValues = 6

// withPooled returns legend (a new one where it is nil and there is
// something to say) with a line naming the settings that the figure's
// groups average over on purpose (pool), "averaged over: lr (1e-3, 4e-3)",
// and one naming those they pool otherwise, as though they were seeds:
// "pooled as seeds: tau (1, 5)".
func withPooled(legend *figureLegend, kind string, spec Spec, runs []Run) *figureLegend {
	g, keys := pooledKeys(kind, spec, runs)
	return withLines(legend, pooledLines(g, keys)...)
}

// pooledLines are a figure's lines of text on keys: the settings its groups
// average over on purpose (pool), "averaged over: lr (0.001, 0.004)", and
// those they pool otherwise, "pooled as seeds: tau (1, 5)" ("pooled,
// averaged within seeds: tau (1, 5)" where g.PerSeed); for a figure
// that draws one run of each group (g.FirstOnly), one line, "one run drawn
// of several in: tau (1, 5)".
func pooledLines(g Grouping, keys []PooledKey) []string {
	switch {
	case len(keys) == 0:
		return nil
	case g.FirstOnly:
		return []string{"one run drawn of several in: " + strings.Join(keyValues(keys), ", ")}
	}
	var lines []string
	for _, declared := range []bool{true, false} {
		part := slices.DeleteFunc(slices.Clone(keys), func(k PooledKey) bool { return k.Declared != declared })
		switch {
		case len(part) == 0:
		case declared:
			lines = append(lines, "averaged over: "+strings.Join(keyValues(part), ", "))
		case g.PerSeed:
			lines = append(lines, "pooled, averaged within seeds: "+strings.Join(keyValues(part), ", "))
		default:
			lines = append(lines, "pooled as seeds: "+strings.Join(keyValues(part), ", "))
		}
	}
	return lines
}

// joinNotes joins the non-empty notes under a table with a space.
func joinNotes(notes ...string) string {
	return strings.Join(slices.DeleteFunc(notes, func(s string) bool { return s == "" }), " ")
}

// seedMean is the mean of a value over the runs of a group at one seed.
type seedMean struct {
	Seed  int64
	Value float64
	// Runs counts the runs whose values Value averages.
	Runs int
}

// perSeed returns, for the runs of one group, the mean at each seed of the
// finite values that value gives them, in the order the seeds first
// appear. A seed with fewer finite values than the seed with the most is
// left out, as is one with none: its mean would be over another set of the
// pooled configurations (a missing run, an estimate that overflowed),
// which can move it by more than the configurations' noise; a cell with
// fewer seeds than its row's says "(n=k)".
// These per-seed means, not the runs, are what a group's mean, sd,
// interval and n are over: runs of a group that share a seed differ in a
// setting the group pools (see [Kind.Pooled]), not in their noise, and are
// not independent. Where every seed has one run, the values are the runs'
// own, in their order.
func perSeed(runs []Run, value func(Run) (float64, bool)) []seedMean {
	means := meansBySeed(len(runs), func(i int) (int64, float64, bool) {
		v, ok := value(runs[i])
		return runs[i].Summary.Seed, v, ok && finite(v)
	})
	most := 0
	for _, m := range means {
		most = max(most, m.Runs)
	}
	return slices.DeleteFunc(means, func(m seedMean) bool { return m.Runs < most })
}

// meansBySeed averages the n values that at gives (a seed, a value, and
// whether to count it) by seed, in the order the seeds first appear: the
// grouping perSeed and the interaction's pair values share.
func meansBySeed(n int, at func(i int) (seed int64, v float64, ok bool)) []seedMean {
	index := map[int64]int{}
	var out []seedMean
	for i := range n {
		seed, v, ok := at(i)
		if !ok {
			continue
		}
		k, seen := index[seed]
		if !seen {
			k = len(out)
			index[seed] = k
			out = append(out, seedMean{Seed: seed})
		}
		out[k].Value += v
		out[k].Runs++
	}
	for k := range out {
		out[k].Value /= float64(out[k].Runs)
	}
	return out
}

// runsRange returns the fewest and the most runs that one of means
// averages; 0, 0 for none.
func runsRange(means []seedMean) (lo, hi int) {
	for _, m := range means {
		if hi == 0 || m.Runs < lo {
			lo = m.Runs
		}
		hi = max(hi, m.Runs)
	}
	return lo, hi
}

// perSeedLine says how many runs make a seed's value, for a figure that
// averages up to hi runs at a seed (lo at the fewest): "each the mean of
// 2 runs", "each the mean of 1-2 runs"; "" where hi is 1 or less.
func perSeedLine(lo, hi int) string {
	switch {
	case hi <= 1:
		return ""
	case lo == hi:
		return fmt.Sprintf("each the mean of %d runs", hi)
	}
	return fmt.Sprintf("each the mean of %d-%d runs", lo, hi)
}

// seedValues returns the values of means, in their order.
func seedValues(means []seedMean) []float64 {
	xs := make([]float64, len(means))
	for i, m := range means {
		xs[i] = m.Value
	}
	return xs
}

// metricOf returns the function that gives a run's finite summary metric
// name times scale, for perSeed.
func metricOf(name string, scale float64) func(Run) (float64, bool) {
	return func(r Run) (float64, bool) {
		v, ok := metric(r, name)
		return v * scale, ok
	}
}

// seedCount returns the number of distinct seeds of runs: a group's n.
func seedCount(runs []Run) int {
	seeds := map[int64]bool{}
	for _, r := range runs {
		seeds[r.Summary.Seed] = true
	}
	return len(seeds)
}
