package english

import "testing"

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
