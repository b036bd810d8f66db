package sweep

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// intList writes [from, from+1, ..., to-1] as a TOML array, with extra
// appended.
func intList(from, to int, extra ...int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%d, ", i)
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "%d, ", e)
	}
	b.WriteByte(']')
	return b.String()
}

// parseErr parses src and returns its *FileError, failing when there is
// none.
func parseErr(t *testing.T, src string) *FileError {
	t.Helper()
	_, err := Parse("x.toml", []byte(src))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v, want a *FileError", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 600 {
		t.Errorf("error is not one short line (%d bytes): %.300q", len(msg), msg)
	}
	return fe
}

// TestTooManySeedsAreBlamedOnSeeds gives more seeds than a sweep has runs:
// the error must point at seeds (it pointed at the first parameter, or
// there was none and validate accepted 200000 runs).
func TestTooManySeedsAreBlamedOnSeeds(t *testing.T) {
	head := "name = \"s\"\ntask = \"fake\"\nseeds = " + intList(0, MaxRuns+1) + "\n"
	for _, rest := range []string{"", "[parameters.estimator]\nvalue = \"jsd\"\n"} {
		fe := parseErr(t, head+rest)
		if fe.Key != "seeds" || fe.Line != 3 || !strings.Contains(fe.Msg, fmt.Sprintf("lists %d seeds", MaxRuns+1)) {
			t.Errorf("with %q: got %v, want it at seeds, line 3", rest, fe)
		}
	}
	fe := parseErr(t, "name = \"s\"\ntask = \"fake\"\nseeds = "+intList(0, MaxRuns/2)+"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\", \"infonce\"]\n")
	if !strings.Contains(fe.Msg, "(3 configurations x 10000 seeds)") {
		t.Errorf("a grid too large with its seeds: %v, want the seeds counted", fe)
	}
}

// TestLongListsAreRefusedByLengthAndRepeatsFound checks the limits and the
// repeat checks of long lists: of seeds, of values and of report names.
func TestLongListsAreRefusedByLengthAndRepeatsFound(t *testing.T) {
	head := "name = \"s\"\ntask = \"fake\"\n"
	fe := parseErr(t, head+"[parameters.width]\nvalues = "+intList(1, MaxRuns+2)+"\n")
	if fe.Line != 4 || !strings.Contains(fe.Msg, fmt.Sprintf("lists %d values", MaxRuns+1)) {
		t.Errorf("too many values: %v", fe)
	}
	fe = parseErr(t, head+"seeds = "+intList(0, MaxRuns-1, 7)+"\n")
	if fe.Key != "seeds" || !strings.Contains(fe.Msg, "seed 7 is listed twice") {
		t.Errorf("a repeated seed: %v", fe)
	}
	fe = parseErr(t, head+"[parameters.width]\nvalues = "+intList(1, 5000, 4321)+"\n")
	if fe.Line != 4 || !strings.Contains(fe.Msg, "lists 4321 twice") {
		t.Errorf("a repeated value: %v", fe)
	}
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "[[tables]]\nkind = \"fake_table\"\nname = \"t%d\"\n", i%4999)
	}
	fe = parseErr(t, head+b.String())
	if fe.Key != "tables[4999].name" || fe.Line != 3+3*4999+2 || !strings.Contains(fe.Msg, `"t0" is already the name`) {
		t.Errorf("a repeated report name: %v", fe)
	}
}

// TestRepeatedValuesAreTheSameValueOfTheSameType checks what counts as a
// repeat: 1 and 1.0 are different TOML values, 0.0 and -0.0 the same, and
// tables with the same keys and values the same whatever their order.
func TestRepeatedValuesAreTheSameValueOfTheSameType(t *testing.T) {
	for _, c := range []struct {
		a, b any
		same bool
	}{
		{int64(1), 1.0, false},
		{0.0, math.Copysign(0, -1), true},
		{[]any{int64(1), "a"}, []any{int64(1), "a"}, true},
		{[]any{int64(1)}, []any{1.0}, false},
		{map[string]any{"a": int64(1), "b": "x"}, map[string]any{"b": "x", "a": int64(1)}, true},
		{map[string]any{"a": int64(1)}, map[string]any{"a": "1"}, false},
		{"1", int64(1), false},
	} {
		if same := valueKey(c.a) == valueKey(c.b); same != c.same {
			t.Errorf("%#v and %#v: same = %t, want %t", c.a, c.b, same, c.same)
		}
	}
}

// TestErrorsCutLongValues gives a megabyte where a short value belongs:
// the error must still be one short line (it repeated the value whole, or
// twice), and say how long the value was.
func TestErrorsCutLongValues(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	head := "name = \"s\"\ntask = \"fake\"\n"
	for _, src := range []string{
		head + "[base]\nestimator = \"" + long + "\"\n",
		head + "[base]\nbatch_size = \"" + long + "\"\n",
		head + "[parameters.estimator]\nvalues = [\"jsd\", \"" + long + "\"]\n",
		head + "[base]\n" + long + " = 1\n",
		"name = \"" + long + "\"\ntask = \"fake\"\n",
		"name = \"s\"\ntask = \"" + long + "\"\n",
		head + "[[tables]]\nkind = \"" + long + "\"\n",
	} {
		fe := parseErr(t, src)
		if msg := fe.Error(); !strings.Contains(msg, "… (10485") {
			t.Errorf("error %.200q does not say how long the value was", msg)
		}
	}
	_, err := Parse("dir\nname/s.toml", []byte("name = \"s\"\n"))
	if msg := err.Error(); !strings.HasPrefix(msg, `"dir\nname/s.toml": task: missing`) {
		t.Errorf("a file name with a line break: %q", msg)
	}
}
