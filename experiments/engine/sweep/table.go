package sweep

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// resultsEvery is how often, at most, a process rewrites results.csv from
// its resultsTable while its runs run.
const resultsEvery = 5 * time.Second

// resultsTable is results.csv as one process keeps it while its runs run:
// a row per run of the sweep, in plan order, made from the runs' states when
// the process starts and set from each of its runs' summary as the run
// ends, so that a run's bookkeeping costs the same whatever the number of
// runs. It is written out at most every resultsEvery; [Runner.Run] rewrites
// results.csv from every run's summary.json once its runs have ended, so
// the rows of runs that other processes ran meanwhile are right then, and a
// crash leaves nothing that the next call does not rewrite. Its workers
// share it under mu.
type resultsTable struct {
	s   *Sweep
	out string

	mu      sync.Mutex
	rows    []results.ResultsRow
	changed bool
	written time.Time
}

// newResultsTable returns the table of the runs in these states, as
// [Sweep.States] read them under out.
func (s *Sweep) newResultsTable(out string, states []State) *resultsTable {
	t := &resultsTable{s: s, out: out, rows: make([]results.ResultsRow, len(states)), written: time.Now()}
	for i, st := range states {
		t.rows[i] = s.resultsRow(st.Run, st.Status, st.Summary)
	}
	return t
}

// set makes the row of the run with index i say what its summary, as just
// written, says.
func (t *resultsTable) set(i int, sum *results.Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows[i] = t.s.resultsRow(t.s.Runs[i], sum.Status, sum)
	t.changed = true
}

// writeIfDue writes results.csv when a row changed and resultsEvery has
// passed since the last write, under the sweep directory's lock.
func (t *resultsTable) writeIfDue() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.changed || time.Since(t.written) < resultsEvery {
		return nil
	}
	unlock, err := t.s.lockResults(t.out)
	if err != nil {
		return err
	}
	defer unlock()
	if err := t.s.writeResultsCSV(t.out, t.rows); err != nil {
		return err
	}
	t.changed, t.written = false, time.Now()
	return nil
}

// resultsRow is the row of results.csv for run r, with this status and
// summary (nil when it has none). The metrics are as summary.json stores
// them, so that a row made from a summary in memory is the row made from
// the file.
func (s *Sweep) resultsRow(r *RunSpec, status results.Status, sum *results.Summary) results.ResultsRow {
	row := results.ResultsRow{RunID: r.ID, Seed: r.Seed, Status: status}
	row.Params = s.ColumnValues(r)
	if sum != nil {
		row.Metrics = sum.Metrics.Stored()
	}
	return row
}

// lockResults takes the lock of the sweep's directory under out to write
// its results.csv; its error names results.csv, as the write's does.
func (s *Sweep) lockResults(out string) (unlock func(), err error) {
	unlock, err = s.lockDir(out)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", filepath.Join(s.Dir(out), results.ResultsFile), err)
	}
	return unlock, nil
}

// writeResultsCSV writes the sweep's results.csv under out from rows, with
// [Sweep.Columns] as its parameter columns; the caller holds the sweep
// directory's lock.
func (s *Sweep) writeResultsCSV(out string, rows []results.ResultsRow) error {
	return results.WriteResultsCSV(filepath.Join(s.Dir(out), results.ResultsFile), s.Columns(), rows)
}

// Columns names the settings in which the sweep's runs differ, as
// results.csv and `sweep plan` show them: the parameters, then the
// settings that overrides set ([Sweep.OverrideKeys]).
func (s *Sweep) Columns() []string { return append(s.ParamNames(), s.OverrideKeys()...) }

// ColumnValues returns run r's values of [Sweep.Columns], formatted.
func (s *Sweep) ColumnValues(r *RunSpec) []string {
	var cells []string
	for _, v := range r.Values {
		cells = append(cells, FormatValue(v))
	}
	return append(cells, s.OverrideValues(r)...)
}

// configMap returns the run's resolved config as config.toml holds it,
// decoded into tables.
func (r *RunSpec) configMap() map[string]any {
	var cfg map[string]any
	// The engine wrote ConfigTOML; it decodes.
	_, _ = toml.Decode(string(r.ConfigTOML), &cfg)
	return cfg
}

// reportConfig returns cfg, a config.toml of run r decoded into tables,
// with the settings that r's config says it trains with in place of the
// ones config.toml keeps (see [tasks.Effective]): the settings a report or
// the sweep's page shows. cfg is changed in place; nil stays nil.
func (r *RunSpec) reportConfig(cfg map[string]any) map[string]any {
	e, ok := r.Config.(tasks.Effective)
	if !ok || cfg == nil {
		return cfg
	}
	maps.Copy(cfg, e.EffectiveSettings())
	return cfg
}

// derivedKeys returns the settings that r's config derives from another
// of its settings (see [tasks.Effective]), sorted, for reports.Run.Derived.
func (r *RunSpec) derivedKeys() []string {
	e, ok := r.Config.(tasks.Effective)
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(e.EffectiveSettings()))
}

// OverrideKeys returns the settings that some [[overrides]] entry sets, as
// dotted paths to their values ("optim.lr"), sorted. results.csv has a
// column for each, beside the swept parameters, since the runs differ in
// them as they do in a parameter.
func (s *Sweep) OverrideKeys() []string {
	var keys []string
	for _, o := range s.Overrides {
		keys = append(keys, leafPaths(o.Set, "")...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// OverrideValues returns run r's value of each of [Sweep.OverrideKeys], as
// its config.toml holds it, formatted as a parameter's: "" where the config
// leaves the setting to a default that the task or the estimator fills in
// (an estimator_params entry not given, an adam_moments = "").
func (s *Sweep) OverrideValues(r *RunSpec) []string {
	keys := s.OverrideKeys()
	if len(keys) == 0 {
		return nil
	}
	cfg := r.configMap()
	cells := make([]string, len(keys))
	for i, k := range keys {
		var v any = cfg
		for _, part := range strings.Split(k, ".") {
			m, _ := v.(map[string]any)
			v = m[part]
		}
		if v != nil {
			cells[i] = FormatValue(v)
		}
	}
	return cells
}
