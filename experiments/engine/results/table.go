package results

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/internal/english"
)

// StatusPending marks a run that has not started, in results.csv and in
// status listings. It is never stored in a summary.json.
const StatusPending Status = "pending"

// LockFile is the name of a run's lock file, present while a process runs
// the run.
const LockFile = "run.lock"

// ResultsRow is one row of results.csv: a run, its values of the parameter
// columns (its swept parameters and the settings that overrides set), its
// seed, its status and its final metrics.
type ResultsRow struct {
	RunID string
	// Params holds the run's values of the parameter columns, already
	// formatted, in their order.
	Params  []string
	Seed    int64
	Status  Status
	Metrics Values
}

// EncodeResultsCSV writes results.csv's content: a header of run_id, the
// parameter columns, seed, status and then every metric any row has (the
// union of their names, in natural order: level_2_mean before
// level_10_mean), then one line per row. A metric a row lacks
// is an empty cell; a non-finite metric is NaN, +Inf or -Inf.
func EncodeResultsCSV(params []string, rows []ResultsRow) ([]byte, error) {
	metricSet := map[string]bool{}
	for _, r := range rows {
		if len(r.Params) != len(params) {
			return nil, fmt.Errorf("results: run %s has %d parameter values for %d columns", r.RunID, len(r.Params), len(params))
		}
		for k := range r.Metrics {
			metricSet[k] = true
		}
	}
	metrics := slices.SortedFunc(maps.Keys(metricSet), english.NaturalCompare)

	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := append(append(append([]string{"run_id"}, params...), "seed", "status"), metrics...)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rec := append(append([]string{r.RunID}, r.Params...), strconv.FormatInt(r.Seed, 10), string(r.Status))
		for _, m := range metrics {
			x, ok := r.Metrics[m]
			if !ok {
				rec = append(rec, "")
				continue
			}
			rec = append(rec, FormatMetric(x))
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// FormatMetric writes a metric value in its shortest exact form.
func FormatMetric(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// WriteResultsCSV writes results.csv at path atomically; see
// [EncodeResultsCSV] for its columns.
func WriteResultsCSV(path string, params []string, rows []ResultsRow) error {
	b, err := EncodeResultsCSV(params, rows)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return WriteFileAtomic(path, b)
}

// ResultsTable is results.csv as read back: its header and its rows, each
// as long as the header.
type ResultsTable struct {
	Header []string
	Rows   [][]string
}

// Column returns the index of the named column, or -1.
func (t *ResultsTable) Column(name string) int {
	for i, h := range t.Header {
		if h == name {
			return i
		}
	}
	return -1
}

// ParseResultsCSV reads results.csv from r. A file that is not CSV, whose
// rows differ in length from the header, or whose header lacks run_id, seed
// or status is an error.
func ParseResultsCSV(r io.Reader) (*ResultsTable, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("results.csv: %v", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("results.csv: empty, with no header")
	}
	t := &ResultsTable{Header: recs[0], Rows: recs[1:]}
	if len(t.Header) == 0 || t.Header[0] != "run_id" {
		return nil, fmt.Errorf("results.csv: the first column must be run_id")
	}
	for _, col := range []string{"seed", "status"} {
		if t.Column(col) < 0 {
			return nil, fmt.Errorf("results.csv: no %s column", col)
		}
	}
	return t, nil
}

// ReadResultsCSV reads the results.csv at path; see [ParseResultsCSV].
func ReadResultsCSV(path string) (*ResultsTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseResultsCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return t, nil
}

// ReadConfig reads a run's config.toml from dir as a generic map.
func ReadConfig(dir string) (map[string]any, error) {
	path := filepath.Join(dir, ConfigFile)
	var m map[string]any
	if _, err := toml.DecodeFile(path, &m); err != nil {
		return nil, fmt.Errorf("%s: corrupt config (%v); delete the run directory to rerun the run", path, err)
	}
	return m, nil
}
