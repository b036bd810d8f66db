package results

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestValuesStoreNonFiniteAsNullAndReadThemAsNaN checks summary.json's
// metrics: NaN and both infinities are written as null, keys sorted, and
// read back as NaN, as Stored says.
func TestValuesStoreNonFiniteAsNullAndReadThemAsNaN(t *testing.T) {
	v := Values{"z": 1.5, "nan": math.NaN(), "inf": math.Inf(1), "minus_inf": math.Inf(-1), "a": -2}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":-2,"inf":null,"minus_inf":null,"nan":null,"z":1.5}`; string(b) != want {
		t.Fatalf("Values encode as %s, want %s", b, want)
	}
	var back Values
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	stored := v.Stored()
	for k, x := range stored {
		if y := back[k]; !(x == y || math.IsNaN(x) && math.IsNaN(y)) {
			t.Errorf("%s: read back %v, Stored says %v", k, y, x)
		}
	}
	for _, k := range []string{"nan", "inf", "minus_inf"} {
		if !math.IsNaN(back[k]) || !math.IsNaN(stored[k]) {
			t.Errorf("%s: read back %v, stored %v; want NaN", k, back[k], stored[k])
		}
	}
}

// TestParseSummaryTakesEveryStoredStatus checks that a summary of each
// status a run can store reads back with it.
func TestParseSummaryTakesEveryStoredStatus(t *testing.T) {
	dir := t.TempDir()
	for _, st := range []Status{StatusRunning, StatusDone, StatusFailed, StatusInterrupted} {
		if err := WriteSummary(dir, &Summary{RunID: "r", Status: st}); err != nil {
			t.Fatal(err)
		}
		if s, err := ReadSummary(dir); err != nil || s.Status != st {
			t.Errorf("status %s reads back as %v, %v", st, s, err)
		}
	}
}

// TestAppendMetricsCutsATornLine checks that appending to a metrics file
// that a crash left with half a line keeps its whole records and puts the
// new one on a line of its own, and that a corrupt line is reported by
// its line number.
func TestAppendMetricsCutsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	torn := `{"step":1,"values":{"x":1}}` + "\n" + `{"step":2,"values":{"x":2}}` + "\n" + `{"step":3,"val`
	if err := os.WriteFile(path, []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := AppendMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Log(3, Values{"x": 3}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := ReadMetrics(path)
	var steps []int
	for _, r := range recs {
		steps = append(steps, r.Step)
	}
	if err != nil || len(skipped) != 0 || !slices.Equal(steps, []int{1, 2, 3}) {
		t.Fatalf("after appending to a torn file: steps %v, skipped %v, %v; want 1 2 3", steps, skipped, err)
	}
	_, skipped, _ = ParseMetrics(strings.NewReader(`{"step":1,"values":{}}` + "\n\n" + "{bad\n" + `{"step":2,"values":{}}` + "\n"))
	if !slices.Equal(skipped, []int{3}) {
		t.Errorf("a corrupt third line: skipped %v, want [3]", skipped)
	}
}

// TestFormatMetricIsExactAndReadable checks that a metric is written in a
// form that parses back to the same float, and the infinities as +Inf and
// -Inf.
func TestFormatMetricIsExactAndReadable(t *testing.T) {
	for _, x := range []float64{0.1 + 0.2, 1.0 / 3, 123456789.123456789, 5e-324, -2.5} {
		s := FormatMetric(x)
		if y, err := strconv.ParseFloat(s, 64); err != nil || y != x {
			t.Errorf("FormatMetric(%v) = %q reads back as %v", x, s, y)
		}
	}
	if FormatMetric(math.Inf(1)) != "+Inf" || FormatMetric(math.Inf(-1)) != "-Inf" || FormatMetric(math.NaN()) != "NaN" {
		t.Errorf("non-finite metrics write as %s, %s, %s", FormatMetric(math.Inf(1)), FormatMetric(math.Inf(-1)), FormatMetric(math.NaN()))
	}
}

// TestParseResultsCSVWantsRunIDFirst checks that a table whose first
// column is not run_id is refused, even when it has one.
func TestParseResultsCSVWantsRunIDFirst(t *testing.T) {
	if _, err := ParseResultsCSV(strings.NewReader("seed,run_id,status\n0,a,done\n")); err == nil {
		t.Fatal("a results.csv with run_id second was read")
	}
}

// TestWrittenFilesAreReadableByAll checks that an atomically written file
// has mode 0644, not the 0600 of a temporary file.
func TestWrittenFilesAreReadableByAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := WriteFileAtomic(path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", st.Mode().Perm(), err)
	}
}
