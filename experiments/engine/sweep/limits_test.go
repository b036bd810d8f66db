package sweep

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
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

// TestTenMegabyteFilesValidateOrAreRefused builds sweep files of 10 MB of
// what makes validation slow: a [parameters] table per key of a map (the
// map was copied once per key, and each key's line looked up through the
// whole file: minutes), a table of a million keys (sorted by their place
// in the file on every decoding), and a long list in [base] times 20000
// runs (every run's config built and encoded: hours). Each must validate,
// or be refused with the reason; validate takes under 5 s for each (by
// hand: `sweep validate` on such files), which a test does not assert.
func TestTenMegabyteFilesValidateOrAreRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("10 MB files")
	}
	const size = 10 << 20
	head := "name = \"big\"\ntask = \"fake\"\n"
	grow := func(b *strings.Builder, format string) {
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(b, format, i)
		}
	}
	var params strings.Builder
	params.WriteString(head)
	grow(&params, "[parameters.\"estimator_params.k%d\"]\nvalue = 1.0\n")
	s := parseFile(t, params.String())
	if n := len(s.Runs[0].Config.(*fakeConfig).EstimatorParams); n != len(s.Params)+1 {
		t.Errorf("the run's estimator_params has %d keys, want the %d parameters and tau", n, len(s.Params))
	}

	var table strings.Builder
	table.WriteString(head + "[base.estimator_params]\n")
	grow(&table, "k%d = 1.0\n")
	table.WriteString("tau = -1.0\n")
	fe := parseErr(t, table.String())
	if !strings.HasPrefix(fe.Msg, "base.estimator_params.tau = -1: must not be negative") {
		t.Errorf("a bad key at the end of a huge table: %v", fe)
	}

	var list strings.Builder
	list.WriteString(head + "seeds = " + intList(0, MaxRuns) + "\n[base]\nhidden = [")
	grow(&list, "1%d, ")
	list.WriteString("1]\n")
	fe = parseErr(t, list.String())
	if fe.Key != "base" || !strings.Contains(fe.Msg, "and 20000 runs of them make more than 64 MB") {
		t.Errorf("a huge [base] times 20000 runs: %v", fe)
	}
}

// TestLocatorIndexAgreesWithScan looks up keys of a file with tables,
// arrays of tables, an array of tables written inline and dotted keys,
// found and not, both ways the locator can: by scanning its entries and by
// its index.
func TestLocatorIndexAgreesWithScan(t *testing.T) {
	src := gridFile + "[base.optim]\nlr = 0.1\n\"a.b\".c = 1\n[[figures]]\nkind = \"x\"\n[figures.labels]\na = \"A\"\n[[figures]]\nkind = \"y\"\n[[tables]]\nkind = \"z\"\n"
	src = "overrides = [{ where = { estimator = \"dv\" }, steps = 3 }]\n" + src
	l := newLocator(src)
	if got := l.line([]string{"overrides", "steps"}, "overrides", 0); got != 1 {
		t.Errorf("a key inside the inline overrides array: line %d, want 1, where the array starts", got)
	}
	keys := [][]string{{"name"}, {"base", "steps"}, {"base", "optim", "lr"}, {"base", "optim", "momentum"}, {"base", "a.b", "c"},
		{"parameters", "optim.lr", "values"}, {"parameters", "nope"}, {"figures", "kind"}, {"figures", "labels", "a"}, {"tables", "kind"}, {"overrides", "steps"}, {"nothing"}}
	for _, key := range keys {
		for _, at := range []struct {
			aot string
			idx int
		}{{"", 0}, {"figures", 0}, {"figures", 1}, {"tables", 0}, {"overrides", 0}} {
			l.lookups = 0 // the next lookups scan
			want := l.line(key, at.aot, at.idx)
			l.lookups = scanLookups // the next lookups use the index
			if got := l.line(key, at.aot, at.idx); got != want {
				t.Errorf("line(%q, %q, %d) = %d by the index, %d by a scan", key, at.aot, at.idx, got, want)
			}
		}
	}
}

// TestLocatorFindsEachElementOfAnArray finds the line where each element
// of arrays written over several lines starts, past strings that hold
// brackets, commas, quotes and hashes, comments, nested arrays, inline
// tables and multi-line strings, and the keys after the arrays.
func TestLocatorFindsEachElementOfAnArray(t *testing.T) {
	src := `values = [ # 1
  "a,]",   # 2: a string holding a comma and a bracket
  'b"#',   # 3
  [1, [2]], "c\"", # 4: two elements on one line
  # 5: a comment
  { x = "}" },     # 6
  """
d]""",             # 7-8: a multi-line string
]
after = 1          # 10
one = [1, 2]       # 11
empty = [          # 12
]
last = 2           # 14
`
	l := newLocator(src)
	for elem, want := range []int{2, 3, 4, 4, 6, 7} {
		if got := l.elementLine([]string{"values"}, "", 0, elem); got != want {
			t.Errorf("values[%d]: line %d, want %d", elem, got, want)
		}
	}
	for _, c := range []struct {
		key  string
		elem int
		want int
	}{{"values", 6, 1}, {"after", 0, 10}, {"one", 1, 11}, {"empty", 0, 12}, {"last", 0, 14}} {
		if got := l.elementLine([]string{c.key}, "", 0, c.elem); got != c.want {
			t.Errorf("%s[%d]: line %d, want %d", c.key, c.elem, got, c.want)
		}
	}
	var m map[string]any
	if _, err := toml.Decode(src, &m); err != nil {
		t.Fatalf("the test's source is not TOML: %v", err)
	}
}
