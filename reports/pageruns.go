package reports

import (
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/internal/english"
)

// runTable is the page's table of every run: its swept values, seed,
// state, wall time and final metrics, and links to its files.
type runTable struct {
	Params  []string
	Metrics []string
	Rows    []runRow
}

// runRow is one run in the run table.
type runRow struct {
	Anchor, ID string
	Number     int
	Href       string
	Values     []string
	Seed       int64
	State      string
	Detail     string
	Step       string
	Time       string
	Seconds    string
	Metrics    []metricCell
	Files      []link
}

// metricCell is a final metric as shown, and its full value to sort by.
type metricCell struct{ Text, Sort string }

// runFiles are the files of a run directory the page links to.
var runFiles = []string{results.ConfigFile, results.MetricsFile, results.SummaryFile}

// newRunTable builds the run table of p; links are relative to dir.
func newRunTable(dir string, p Page) runTable {
	t := runTable{Params: p.Params, Metrics: pageMetrics(p)}
	for _, r := range p.Runs {
		row := runRow{
			Anchor: runAnchor(r.ID), ID: r.ID, Number: r.Index + 1, Values: r.Values, Seed: r.Seed,
			State: r.State, Detail: r.Detail, Time: r.Time, Seconds: strconv.FormatFloat(r.Seconds, 'f', 3, 64),
		}
		if r.Dir != "" {
			row.Href = relLink(dir, r.Dir)
			for _, f := range runFiles {
				if href := relLink(dir, filepath.Join(r.Dir, f)); href != "" {
					row.Files = append(row.Files, link{Text: f, Href: href})
				}
			}
		}
		if r.Summary != nil && r.Summary.Step > 0 {
			row.Step = strconv.Itoa(r.Summary.Step)
		}
		for _, m := range t.Metrics {
			var c metricCell // empty where the run has no finite value
			if v, ok := metric(r.Run, m); ok {
				c = metricCell{Text: sigFigs(v), Sort: strconv.FormatFloat(v, 'g', -1, 64)}
			}
			row.Metrics = append(row.Metrics, c)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// runAnchor is the id of a run's row on the page.
func runAnchor(id string) string { return "run-" + id }

// pageMetrics returns the final metrics of p's runs in the order the run
// table shows them: those the declared reports name first, then the others
// in natural order (level_2_bias before level_10_bias).
func pageMetrics(p Page) []string {
	set := map[string]bool{}
	for _, r := range p.Runs {
		if r.Summary != nil {
			for k := range r.Summary.Metrics {
				set[k] = true
			}
		}
	}
	var named []string
	for _, rep := range p.Reports {
		for _, k := range slices.Sorted(maps.Keys(rep.Spec.Options)) {
			for _, s := range optionStrings(rep.Spec.Options[k]) {
				if set[s] && !contains(named, s) {
					named = append(named, s)
				}
			}
		}
	}
	rest := slices.DeleteFunc(slices.Sorted(maps.Keys(set)), func(s string) bool { return contains(named, s) })
	slices.SortStableFunc(rest, english.NaturalCompare)
	return append(named, rest...)
}

// optionStrings returns the strings in an option's value: the value
// itself, or the strings of a list.
func optionStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// sharedSettings returns, sorted by key, the settings that every run with
// a config has with the same value, leaving out the seed and the swept
// parameters: what the runs have in common.
func sharedSettings(runs []PageRun, params []string) [][2]string {
	var shared map[string]string
	for _, r := range runs {
		if r.Config == nil {
			continue
		}
		flat := map[string]string{}
		flattenConfig("", r.Config, flat)
		if shared == nil {
			shared = flat
			continue
		}
		for k, v := range shared {
			if flat[k] != v {
				delete(shared, k)
			}
		}
	}
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(shared)) {
		if k != "seed" && !contains(params, k) {
			out = append(out, [2]string{k, shared[k]})
		}
	}
	return out
}

// flattenConfig adds the settings of table m to flat under dotted keys.
func flattenConfig(prefix string, m map[string]any, flat map[string]string) {
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			flattenConfig(prefix+k+".", v, flat)
		default: // a list too: formatValue writes it as [a, b]
			flat[prefix+k] = formatValue(v)
		}
	}
}
