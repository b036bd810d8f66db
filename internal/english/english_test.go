package english

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{{0, "run", "0 runs"}, {1, "run", "1 run"}, {2, "removed run", "2 removed runs"}, {-1, "table", "-1 tables"}} {
		if got := Plural(tc.n, tc.noun); got != tc.want {
			t.Errorf("Plural(%d, %q) = %q; want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

func TestClipAndQuoteCutLongValues(t *testing.T) {
	short := "estimator"
	if Clip(short) != short || Quote(short) != `"estimator"` {
		t.Errorf("short values change: %q, %q", Clip(short), Quote(short))
	}
	long := strings.Repeat("é", 1<<20) // 2 MB
	for _, got := range []string{Clip(long), Quote(long)} {
		if len(got) > MaxEcho+40 || !utf8.ValidString(got) || !strings.HasSuffix(got, "… (2097152 bytes)") {
			t.Errorf("clipped to %d bytes: %q", len(got), got)
		}
	}
	if q := Quote(long); !strings.HasPrefix(q, `"éé`) || !strings.Contains(q, `"…`) {
		t.Errorf("Quote(long) = %q, want a quoted head then …", q)
	}
}

func TestClipQuotesCutsQuotedValuesAndLongMessages(t *testing.T) {
	long := strings.Repeat("x", 500)
	msg := `estimator = "` + long + `": unknown (known: "dv", "jsd"); a "stray quote`
	got := ClipQuotes(msg)
	want := `estimator = "` + long[:MaxEcho] + `"… (500 bytes): unknown (known: "dv", "jsd"); a "stray quote`
	if got != want {
		t.Errorf("ClipQuotes:\n got %q\nwant %q", got, want)
	}
	huge := "value " + strings.Repeat("é", 5000) + " fix: do this"
	got = ClipQuotes(huge)
	if len(got) > MaxMessage+40 || !utf8.ValidString(got) || !strings.HasPrefix(got, "value éé") || !strings.HasSuffix(got, " fix: do this") || !strings.Contains(got, " bytes cut) … ") {
		t.Errorf("a long message without quotes became %d bytes: %.120q … %.60q", len(got), got, got[max(0, len(got)-60):])
	}
}

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		b    float64
		want string
	}{{512, "512 B"}, {1500, "1.5 kB"}, {999.6e6, "1 GB"}, {23.5e9, "23.5 GB"}, {1.84e25, "1.84e+07 EB"}} {
		if got := Bytes(c.b); got != c.want {
			t.Errorf("Bytes(%g) = %q, want %q", c.b, got, c.want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	names := []string{"level_10_mean", "mi", "level_2_mean", "level_02_mean", "level_2_bias", "a10b2", "a10b10", "a9"}
	slices.SortFunc(names, NaturalCompare)
	want := []string{"a9", "a10b2", "a10b10", "level_2_bias", "level_02_mean", "level_2_mean", "level_10_mean", "mi"}
	if !slices.Equal(names, want) {
		t.Fatalf("sorted %v, want %v", names, want)
	}
}

func TestQuotedOr(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, `"a"`},
		{[]string{"a", "b"}, `"a" or "b"`},
		{[]string{"a", "b", "c"}, `"a", "b" or "c"`},
	} {
		if got := QuotedOr(tc.in); got != tc.want {
			t.Errorf("QuotedOr(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := And([]string{"test", "rows", "seed"}); got != "test, rows and seed" {
		t.Errorf("And = %q", got)
	}
	for in, want := range map[string]string{"1": "1", "1 2": "1 or 2", "1 2 4": "1, 2 or 4"} {
		if got := Or(strings.Fields(in)); got != want {
			t.Errorf("Or(%s) = %q, want %q", in, got, want)
		}
	}
}
