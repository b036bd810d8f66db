package sweep

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestFormatValueWritesATablesKeysSorted checks that a table value is
// written with its keys in sorted order, every time: the form goes into
// results.csv, which must not depend on a map's iteration order.
func TestFormatValueWritesATablesKeysSorted(t *testing.T) {
	m := map[string]any{"h": int64(8), "b": int64(2), "f": int64(6), "a": int64(1), "g": int64(7), "c": int64(3), "e": int64(5), "d": int64(4)}
	want := "{a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8}"
	for range 20 {
		if got := FormatValue(m); got != want {
			t.Fatalf("FormatValue = %q, want %q", got, want)
		}
	}
}

// TestIntUniformDrawsBothBounds checks that int_uniform draws every
// integer from min to max, both included: a small range with a large
// run_cap gives each of its values once.
func TestIntUniformDrawsBothBounds(t *testing.T) {
	s := parseFile(t, `name = "ints"
task = "fake"
method = "random"
run_cap = 20
[parameters.width]
distribution = "int_uniform"
min = 1
max = 3
`)
	var widths []int64
	for _, r := range s.Runs {
		widths = append(widths, r.Values[0].(int64))
	}
	slices.Sort(widths)
	if !slices.Equal(widths, []int64{1, 2, 3}) {
		t.Fatalf("int_uniform 1..3 with run_cap 20 drew %v, want 1, 2 and 3 once each", widths)
	}
}

// TestAGridOfMaxRunsIsTakenAndOneMoreRefused checks the grid's size limit
// at its edge: MaxRuns runs are a sweep, MaxRuns plus a seed's runs are
// refused at the parameter that takes the grid past the limit.
func TestAGridOfMaxRunsIsTakenAndOneMoreRefused(t *testing.T) {
	grid := func(widths int) string {
		return fmt.Sprintf("name = \"big\"\ntask = \"fake\"\nseeds = [0, 1]\n[parameters.width]\nvalues = %s\n", intList(1, widths+1))
	}
	if s, err := Parse("big.toml", []byte(grid(MaxRuns/2))); err != nil || len(s.Runs) != MaxRuns {
		t.Fatalf("a grid of MaxRuns runs: %v", err)
	}
	_, err := Parse("big.toml", []byte(grid(MaxRuns/2+1)))
	if err == nil || !strings.Contains(err.Error(), "parameters.width: the grid grows past") {
		t.Fatalf("a grid of MaxRuns+2 runs: %v", err)
	}
}
