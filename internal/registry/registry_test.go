package registry

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// widget is a plug-in for the tests: a name and a factory, which a
// complete widget must have.
type widget struct {
	name string
	make func() int
}

func newWidgets() *Registry[widget] {
	return New("widget", func(w widget) (string, error) { return w.name, Require(w.make != nil, "a factory") })
}

func w(name string, v int) widget { return widget{name, func() int { return v }} }

func TestRegisterLookupNames(t *testing.T) {
	r := newWidgets()
	r.Register(w("gamma", 3))
	r.Register(w("alpha", 1))
	r.Register(w("beta", 2))
	if got := strings.Join(r.Names(), ","); got != "alpha,beta,gamma" {
		t.Errorf("Names() = %s; want alpha,beta,gamma (sorted)", got)
	}
	if v, err := r.Lookup("beta"); err != nil || v.make() != 2 {
		t.Errorf("Lookup(beta) = %+v, %v; want the widget making 2, nil", v, err)
	}
	if r.Kind() != "widget" {
		t.Errorf("Kind() = %q", r.Kind())
	}
}

func TestLookupUnknownListsAndSuggests(t *testing.T) {
	r := newWidgets()
	r.Register(w("alpha", 1))
	r.Register(w("beta", 2))
	_, err := r.Lookup("alpah")
	want := `unknown widget "alpah" (known: alpha, beta); did you mean "alpha"?`
	if err == nil || err.Error() != want {
		t.Errorf("Lookup(alpah) error = %v; want %s", err, want)
	}
	_, err = r.Lookup("zzzzzzzz")
	want = `unknown widget "zzzzzzzz" (known: alpha, beta)`
	if err == nil || err.Error() != want {
		t.Errorf("Lookup(zzzzzzzz) error = %v; want %s (no suggestion when nothing is near)", err, want)
	}
	// An empty name is two insertions from a two-letter name such as "ab",
	// within the typo limit, but it is a missing value, not a typo; a
	// one-letter name is no more a misspelling of it.
	r.Register(w("ab", 3))
	for _, name := range []string{"", "x"} {
		_, err = r.Lookup(name)
		want = fmt.Sprintf(`unknown widget %q (known: ab, alpha, beta)`, name)
		if err == nil || err.Error() != want {
			t.Errorf("Lookup(%q) error = %v; want %s (no suggestion for an empty or one-letter name)", name, err, want)
		}
	}
}

func TestRegisterPanicsOnEmptyNameIncompletePluginOrDuplicate(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second widget
		want          string
	}{
		{"empty", widget{}, w("", 2), "registered without a name, at registry/registry_test.go:"},
		{"incomplete", widget{}, widget{name: "a"}, `widget "a" (at registry/registry_test.go:`},
		{"incomplete's reason", widget{}, widget{name: "a"}, `needs a factory`},
		{"duplicate", w("a", 1), w("a", 2), `widget "a" registered twice, at registry/registry_test.go:`},
		{"case", w("a", 1), w("A", 2), `widget "A" (at registry/registry_test.go:`},
		{"upper case", widget{}, w("Tuba", 2), `has 'T' at byte 0: a name is lowercase letters, digits and '-', '_', '.' or '+'`},
		{"tab and newline", widget{}, w("tab\tnew\nline", 2), `has '\t' at byte 3`},
		{"slash", widget{}, w("a/b", 2), `has '/' at byte 1`},
		{"markup", widget{}, w("<b>", 2), `has '<' at byte 0`},
		{"leading separator", widget{}, w("-x", 2), `has '-' at byte 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newWidgets()
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q; want one containing %q", msg, tc.want)
				}
			}()
			if tc.first.name != "" {
				r.Register(tc.first)
			}
			r.Register(tc.second)
		})
	}
}

func TestClosest(t *testing.T) {
	known := []string{"infonce", "jsd", "dv", "encode-and-dot"}
	for _, tc := range []struct{ name, want string }{
		{"jsdd", "jsd"},
		{"JSD", "jsd"},         // case is ignored
		{"infonec", "infonce"}, // a transposition is two edits
		{"encode-and-dott", "encode-and-dot"},
		{"xyz", ""}, // three edits from every name, too far for three letters
		{"completely-different", ""},
	} {
		if got := Closest(tc.name, known); got != tc.want {
			t.Errorf("Closest(%q) = %q; want %q", tc.name, got, tc.want)
		}
	}
	if got := DidYouMean("jsdd", known); got != `; did you mean "jsd"?` {
		t.Errorf("DidYouMean(jsdd) = %q", got)
	}
	if got := DidYouMean("xyz", known); got != "" {
		t.Errorf("DidYouMean(xyz) = %q; want empty", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"same", "same", 0},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestClosestIgnoresFarLongerNames checks that a name far longer than the
// known ones suggests nothing (and costs no edit distance, which for a
// pasted megabyte took seconds).
func TestClosestIgnoresFarLongerNames(t *testing.T) {
	if c := Closest(strings.Repeat("jsd", 1<<18), []string{"jsd", "dv"}); c != "" {
		t.Errorf("Closest of a long name = %q, want none", c)
	}
	if c := Closest("jsdd", []string{"jsd", "dv"}); c != "jsd" {
		t.Errorf("Closest(jsdd) = %q, want jsd", c)
	}
}

// earlyWidgets is registered to from an init function, as plug-ins are;
// earlyLine is the line of that call.
var (
	earlyWidgets = newWidgets()
	earlyLine    int
)

func init() {
	_, _, earlyLine, _ = runtime.Caller(0)
	earlyWidgets.Register(w("early", 1))
}

// TestDuplicatePanicNamesBothSites registers a name that an init function
// registered: the panic gives the init's line first, then this one's.
func TestDuplicatePanicNamesBothSites(t *testing.T) {
	var line int
	defer func() {
		msg, _ := recover().(string)
		want := fmt.Sprintf(`widget "early" registered twice, at registry/registry_test.go:%d and at registry/registry_test.go:%d; give one of them another name`, earlyLine+1, line+1)
		if msg != "registry: "+want {
			t.Errorf("panic %q\nwant %q", msg, "registry: "+want)
		}
	}()
	_, _, line, _ = runtime.Caller(0)
	earlyWidgets.Register(w("early", 2))
}

// TestNamesOfEveryShape checks names that checkName takes: the shapes the
// shipped plug-ins have.
func TestNamesOfEveryShape(t *testing.T) {
	for _, name := range []string{"jsd", "encode-and-dot", "bias_variance", "cifar10", "a.b", "x+y", "0a"} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q) = %v, want nil", name, err)
		}
	}
}

// TestRequireSummary checks that a blank summary is refused and any other
// taken.
func TestRequireSummary(t *testing.T) {
	for _, blank := range []string{"", " ", "\t\n"} {
		if err := RequireSummary(blank); err == nil || !strings.Contains(err.Error(), "needs a Summary") {
			t.Errorf("RequireSummary(%q) = %v, want needs a Summary", blank, err)
		}
	}
	if err := RequireSummary("one line"); err != nil {
		t.Errorf("RequireSummary(one line) = %v", err)
	}
}
