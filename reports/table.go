package reports

import (
	"fmt"
	"strconv"
)

func init() {
	Register(Kind{
		Name: "table",
		Summary: "table of summary metrics (columns) per parameter value (rows), each cell the mean ± " +
			"standard deviation over seeds (Markdown, CSV and LaTeX); e.g. the DIM paper's Table 1",
		Check: func(spec Spec) error { _, err := readTableOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readTableOptions(spec)
			return givenKeys(spec, map[string][]string{"rows": o.Rows})
		},
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readTableOptions(spec)
			return summaryRefs("columns", o.Columns...)
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readTableOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "row", Option: "rows", Keys: o.Rows, PerSeed: true}
		},
		Make: makeTable,
	})
}

// tableOptions are the options of a table:
//
//	rows       parameter or list of parameters, one row per value (required)
//	columns    list of summary metrics, one column each (required)
//	labels     column headings by metric name, e.g. {mlp_y_acc = "Y (MLP)"}
//	scale      factor applied to every value, e.g. 100 for percentages (default 1)
//	precision  decimals in the Markdown table (default 2)
//
// A row's n is its seeds. A Markdown cell is "mean ± sd" over them
// (sample standard deviation), just "mean" for a single seed, with "(n=k)"
// added where fewer seeds than the row's n have the metric, and "n/a"
// where none has. Where a row pools runs that share a seed (pool, or a
// key its rows leave out), a seed's value is the mean of its runs' finite
// values (see [perSeed]). The CSV file has, after the row parameters and
// n, the columns <metric>_mean, <metric>_sd and <metric>_n for each
// metric, at full precision.
type tableOptions struct {
	Rows, Columns []string
	Labels        map[string]string
	Scale         float64
	Precision     int
}

func readTableOptions(spec Spec) (tableOptions, error) {
	r := readOptions("table", spec, poolOption, "rows", "columns", "labels", "scale", "precision")
	r.require("rows", `a parameter such as "model", or a list of them`)
	r.require("columns", `a list of summary metrics such as ["linear_y_acc", "mlp_y_acc"]`)
	o := tableOptions{
		Rows:      r.Strings("rows", nil),
		Columns:   r.Strings("columns", nil),
		Labels:    r.StringMap("labels"),
		Scale:     r.Float("scale", 1),
		Precision: r.Int("precision", 2, 0, 12),
	}
	r.labelsOf(o.Labels, "columns", o.Columns)
	if o.Scale == 0 {
		r.fail("scale", "must not be 0")
	}
	return o, r.Err()
}

func makeTable(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("table", spec, runs, readTableOptions)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics("table", spec, "columns", done, o.Columns); err != nil {
		return nil, err
	}
	groups, err := groupRuns("table", spec, done, o.Rows)
	if err != nil {
		return nil, err
	}

	header, csvHeader := []string{"n"}, []string{"n"}
	for _, c := range o.Columns {
		header = append(header, label(o.Labels, c))
		csvHeader = append(csvHeader, c+"_mean", c+"_sd", c+"_n")
	}
	grouping, _ := pooledKeys("table", spec, done)
	t := groupTable(joinNotes(tableCellsNote(o.Scale, mostRunsAtASeed(grouping, done) > 1), leftOutNote(out), pooledNote("table", spec, done)),
		o.Rows, header, csvHeader)
	for _, g := range groups {
		n := seedCount(g.Runs)
		row, csvRow := groupRow(g, strconv.Itoa(n)), groupRow(g, strconv.Itoa(n))
		for _, c := range o.Columns {
			xs := seedValues(perSeed(g.Runs, metricOf(c, o.Scale)))
			mean, sd := MeanSD(xs)
			row = append(row, meanSDCell(mean, sd, len(xs), n, o.Precision))
			csvRow = append(csvRow, exact(mean), exact(sd), strconv.Itoa(len(xs)))
		}
		t.Rows = append(t.Rows, row)
		t.CSVRows = append(t.CSVRows, csvRow)
	}
	return writeTable(dir, spec.Name, t)
}

// tableCellsNote says what a table's cells are, under it: "Each cell is
// the mean ± sample standard deviation over the row's runs (times 100).",
// or over its seeds where a row pools several runs at one seed.
func tableCellsNote(scale float64, pooled bool) string {
	times := ""
	if scale != 1 {
		times = " (times " + strconv.FormatFloat(scale, 'g', -1, 64) + ")"
	}
	over := "runs"
	if pooled {
		over = "seeds"
	}
	return "Each cell is the mean ± sample standard deviation over the row's " + over + times + "."
}

// meanSDCell formats a table cell of k values in a row of n seeds.
func meanSDCell(mean, sd float64, k, n, prec int) string {
	if k == 0 {
		return missingValue
	}
	s := fixed(mean, prec)
	if k > 1 {
		s += " ± " + fixed(sd, prec)
	}
	if k != n {
		s += fmt.Sprintf(" (n=%d)", k)
	}
	return s
}
