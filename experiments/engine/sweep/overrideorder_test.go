package sweep

import (
	"strings"
	"testing"
)

// TestLaterOverridesWinWhereTwoSetOneKey checks that every matching
// [[overrides]] entry applies in the file's order, so that where two set
// one key the later one's value holds, and in the runs of the later one
// only.
func TestLaterOverridesWinWhereTwoSetOneKey(t *testing.T) {
	s := parseFile(t, gridFile+`
[[overrides]]
where = { estimator = "dv" }
width = 2

[[overrides]]
where = { "optim.lr" = 0.2 }
width = 3
`)
	for i, r := range s.Runs {
		want := 4
		switch {
		case r.Values[1] == 0.2:
			want = 3
		case r.Values[0] == "dv":
			want = 2
		}
		if got := r.Config.(*fakeConfig).Width; got != want {
			t.Errorf("run %d %v: width %d, want %d", i, r.Values, got, want)
		}
	}
	if !strings.Contains(string(s.Runs[len(s.Runs)-1].ConfigTOML), "width = 3") {
		t.Errorf("the last run's config.toml lacks the later override's width = 3:\n%s", s.Runs[len(s.Runs)-1].ConfigTOML)
	}
}

// TestWhereSelectsExactlyTheValueItNames checks that a where selects the
// runs with the very value it names: not those of a value that differs
// only in a far digit; and a float in a where matches an integer value
// equal to it.
func TestWhereSelectsExactlyTheValueItNames(t *testing.T) {
	s := parseFile(t, `name = "near"
task = "fake"
[parameters."optim.lr"]
values = [0.1, 0.1000000001]
[parameters.steps]
values = [6, 7]

[[overrides]]
where = { "optim.lr" = 0.1, steps = 6.0 }
width = 2
`)
	changed := 0
	for i, r := range s.Runs {
		want := 4
		if r.Values[0] == 0.1 && r.Values[1] == int64(6) {
			want = 2
			changed++
		}
		if got := r.Config.(*fakeConfig).Width; got != want {
			t.Errorf("run %d %v: width %d, want %d", i, r.Values, got, want)
		}
	}
	if changed != 1 {
		t.Fatalf("%d runs have lr 0.1 and 6 steps; want 1", changed)
	}
}
