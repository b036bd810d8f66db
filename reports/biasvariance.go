package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/infomax/infomax/internal/english"
)

func init() {
	Register(Kind{
		Name: "bias_variance",
		Summary: "table of mean estimate (with its 95% interval over seeds), bias, variance and MSE per estimator, " +
			"critic and true MI level, averaged over seeds (Markdown, CSV and LaTeX)",
		Check: func(spec Spec) error { _, err := readBiasVarianceOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readBiasVarianceOptions(spec)
			return givenKeys(spec, map[string][]string{"rows": o.Rows})
		},
		// With source = "auto" a run's summary levels stand in for its
		// log: metric and truth are needed only where no run writes them.
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readBiasVarianceOptions(spec)
			if o.Source == "summary" {
				return nil
			}
			refs := append(loggedRefs("metric", o.Metric), loggedRefs("truth", o.Truth)...)
			if o.Source == "auto" {
				for i := range refs {
					refs[i].UnlessSummary = levelPrefix
				}
			}
			return refs
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readBiasVarianceOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "row", Option: "rows", Keys: o.Rows, PerSeed: true}
		},
		Make: makeBiasVariance,
	})
}

// biasVarianceOptions are the options of a bias_variance table:
//
//	rows       parameter or list of parameters, one row group per value
//	           (default ["estimator", "critic"])
//	source     "auto" (default: the summary's level_<L>_* metrics, or the
//	           metrics log when a run has none, or when metric or truth
//	           is set), "summary" or "metrics"
//	metric     logged estimate (default "mi"); truth: logged true MI ("true_mi"),
//	           read when the statistics come from the metrics log: setting
//	           either makes source = "auto" read the log, and is an error
//	           with source = "summary", which would not read it
//	precision  decimals in the Markdown table (default 3)
//
// A row is a row group at one level: each statistic's mean over the
// seeds that have the level, where a seed's value is the mean over its
// runs (several where the row pools configurations; see [perSeed]), and
// the 95% t-interval of the mean estimate over those seeds; n is the
// seeds. A run whose four statistics at a level are not all there and
// finite (an estimate that overflowed) is left out of that level's row,
// every column alike, and its n says so: "2 (1 run left out)".
type biasVarianceOptions struct {
	Rows          []string
	Source        string
	Metric, Truth string
	Precision     int
}

func readBiasVarianceOptions(spec Spec) (biasVarianceOptions, error) {
	r := readOptions("bias_variance", spec, poolOption, "rows", "source", "metric", "truth", "precision")
	o := biasVarianceOptions{
		Rows:      r.Strings("rows", []string{"estimator", "critic"}),
		Source:    r.String("source", "auto"),
		Metric:    r.String("metric", "mi"),
		Truth:     r.String("truth", "true_mi"),
		Precision: r.Int("precision", 3, 0, 12),
	}
	if !contains([]string{"auto", "summary", "metrics"}, o.Source) {
		r.fail("source", "want \"auto\", \"summary\" or \"metrics\", got %q", o.Source)
	}
	for _, option := range []string{"metric", "truth"} {
		if _, set := spec.Options[option]; !set {
			continue
		}
		switch o.Source {
		case "auto":
			// A metric named is the one to read: the summary's levels
			// are the task's own estimate, whatever metric says.
			o.Source = "metrics"
		case "summary":
			r.fail(option, "is read from the metrics log, which source = \"summary\" does not read: leave %s out, or set source = \"metrics\"", option)
		}
	}
	return o, r.Err()
}

// levelStatNames are the per-level summary statistics, in column order.
var levelStatNames = []string{"mean", "bias", "variance", "mse"}

// runLevel is one run's statistics at one level, by name as in
// levelStatNames.
type runLevel struct {
	Label string // the level as written in the metric name, e.g. "2"
	Value float64
	Stats map[string]float64
}

// levelPrefix begins the names of the per-level summary statistics,
// level_<L>_<stat>.
const levelPrefix = "level_"

// summaryLevels reads the level_<L>_<stat> metrics of r's summary.
func summaryLevels(r Run) []runLevel {
	byLabel := map[string]*runLevel{}
	for name, v := range r.Summary.Metrics {
		rest, ok := strings.CutPrefix(name, levelPrefix)
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, '_')
		if i < 0 {
			continue
		}
		lbl, stat := rest[:i], rest[i+1:]
		if !contains(levelStatNames, stat) {
			continue
		}
		x, err := strconv.ParseFloat(lbl, 64)
		if err != nil {
			continue
		}
		l, ok := byLabel[lbl]
		if !ok {
			l = &runLevel{Label: lbl, Value: x, Stats: map[string]float64{}}
			byLabel[lbl] = l
		}
		l.Stats[stat] = v
	}
	out := make([]runLevel, 0, len(byLabel))
	for _, l := range byLabel {
		out = append(out, *l)
	}
	return out
}

// logLevels computes r's level statistics from its metrics log.
func logLevels(r Run, metric, truth string) ([]runLevel, error) {
	recs, err := r.Metrics()
	if err != nil {
		return nil, err
	}
	var out []runLevel
	for _, s := range StaircaseStats(recs, metric, truth) {
		out = append(out, runLevel{
			Label: strconv.FormatFloat(s.Level, 'g', -1, 64),
			Value: s.Level,
			Stats: map[string]float64{"mean": s.Mean, "bias": s.Bias, "variance": s.Variance, "mse": s.MSE},
		})
	}
	return out, nil
}

func makeBiasVariance(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("bias_variance", spec, runs, readBiasVarianceOptions)
	if err != nil {
		return nil, err
	}
	groups, err := groupRuns("bias_variance", spec, done, o.Rows)
	if err != nil {
		return nil, err
	}
	t := groupTable(joinNotes(leftOutNote(out), pooledNote("bias_variance", spec, done)), o.Rows, []string{"true MI", "mean", "95% CI of mean", "bias", "variance", "MSE", "n"},
		[]string{"true_mi", "mean", "mean_ci_low", "mean_ci_high", "bias", "variance", "mse", "n"})
	leftOut := 0
	for _, g := range groups {
		levels, err := groupLevels(spec, o, g.Runs)
		if err != nil {
			return nil, err
		}
		for _, a := range levels {
			addLevelRows(&t, g, a, o.Precision)
			leftOut += a.leftOut
		}
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("bias_variance report %q: no run has level statistics: neither level_<L>_bias "+
			"metrics in its summary nor %q and %q values in its metrics log", spec.Name, o.Metric, o.Truth)
	}
	if leftOut > 0 {
		t.Note = joinNotes(t.Note, "A run whose mean, bias, variance and MSE at a level are not all finite is left out of "+
			"that level's row, in every column; its n says how many were: \"2 (1 run left out)\".")
	}
	return writeTable(dir, spec.Name, t)
}

// levelAcc gathers the statistics of one level over the runs of a row
// group.
type levelAcc struct {
	label string
	value float64
	runs  []Run                         // the runs that have the level, its statistics all finite
	stats map[string]map[string]float64 // each run's statistics, by run ID, then by name
	// leftOut counts the runs that have the level, but not every statistic
	// of it finite.
	leftOut int
}

// allFinite reports whether stats has every one of levelStatNames, finite.
func allFinite(stats map[string]float64) bool {
	for _, name := range levelStatNames {
		if v, ok := stats[name]; !ok || !finite(v) {
			return false
		}
	}
	return true
}

// perSeed returns the per-seed means of statistic name over a's runs (see
// [perSeed]).
func (a *levelAcc) perSeed(name string) []float64 {
	return seedValues(perSeed(a.runs, func(r Run) (float64, bool) {
		v, ok := a.stats[r.ID][name]
		return v, ok
	}))
}

// groupLevels returns the levels of runs with their statistics gathered
// over the runs, in increasing level. A run's statistics come from its
// summary or its metrics log, as option source says.
func groupLevels(spec Spec, o biasVarianceOptions, runs []Run) ([]*levelAcc, error) {
	levels := map[string]*levelAcc{}
	for _, r := range runs {
		var rl []runLevel
		var err error
		if o.Source != "metrics" {
			rl = summaryLevels(r)
		}
		if len(rl) == 0 && o.Source != "summary" {
			if rl, err = logLevels(r, o.Metric, o.Truth); err != nil {
				return nil, fmt.Errorf("bias_variance report %q: run %s: %w", spec.Name, r.ID, err)
			}
		}
		for _, l := range rl {
			a, ok := levels[l.Label]
			if !ok {
				a = &levelAcc{label: l.Label, value: l.Value, stats: map[string]map[string]float64{}}
				levels[l.Label] = a
			}
			if !allFinite(l.Stats) {
				a.leftOut++
				continue
			}
			a.runs = append(a.runs, r)
			a.stats[r.ID] = l.Stats
		}
	}
	sorted := make([]*levelAcc, 0, len(levels))
	for _, a := range levels {
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].value < sorted[j].value })
	return sorted, nil
}

// addLevelRows adds the Markdown and CSV rows of level a of row group g to
// t: the mean of each statistic over the seeds, the 95% Student-t interval
// of the mean estimate over them (n/a, and empty CSV cells, under two finite
// mean estimates), and the number of seeds that have the level, with the
// runs left out (see [levelAcc]) in the Markdown cell: "2 (1 run left out)".
func addLevelRows(t *tableData, g *group, a *levelAcc, prec int) {
	row, csvRow := groupRow(g, a.label), groupRow(g, a.label)
	for _, name := range levelStatNames {
		xs := a.perSeed(name)
		m, _ := MeanSD(xs)
		row = append(row, fixed(m, prec))
		csvRow = append(csvRow, exact(m))
		if name == "mean" {
			mean, half := TInterval(xs, 0.95)
			lo, hi := mean-half, mean+half // NaN under two finite means
			cell := missingValue
			if finite(half) {
				cell = "[" + fixed(lo, prec) + ", " + fixed(hi, prec) + "]"
			}
			row = append(row, cell)
			csvRow = append(csvRow, exact(lo), exact(hi))
		}
	}
	n := strconv.Itoa(seedCount(a.runs))
	csvRow = append(csvRow, n)
	if a.leftOut > 0 {
		n += " (" + english.Plural(a.leftOut, "run") + " left out)"
	}
	row = append(row, n)
	t.Rows = append(t.Rows, row)
	t.CSVRows = append(t.CSVRows, csvRow)
}
