package sweep

import (
	"errors"
	"fmt"
	"testing"
)

// takenByErr is a Validate error for a setting that only runs with key in
// values take, as estimators.ParamError is for an estimator's parameter.
type takenByErr struct {
	key    string
	values []string
}

func (e takenByErr) Error() string { return "x: not taken here" }

func (e takenByErr) TakenWhere() (string, []string) { return e.key, e.values }

// TestWhereHint checks the where a swept parameter's error suggests: the
// one value of the swept key that takes it, or the first of several; and
// none where the parameter has a where already, the key is not swept, no
// swept value takes it, or the error does not say who takes it.
func TestWhereHint(t *testing.T) {
	est := Param{Name: "estimator", Values: []any{"a", "b", "c"}}
	x := Param{Name: "x", Values: []any{1.0, 2.0}}
	s := &Sweep{Params: []Param{est, x}}
	wrapped := func(e error) error { return fmt.Errorf("x: %w", e) }
	for _, c := range []struct {
		name string
		s    *Sweep
		p    Param
		err  error
		want string
	}{
		{"one taker", s, x, wrapped(takenByErr{"estimator", []string{"b", "z"}}),
			`; to sweep it for estimator = "b" alone, give [parameters.x] where = { estimator = "b" }`},
		{"two takers", s, x, wrapped(takenByErr{"estimator", []string{"a", "c"}}),
			`; estimator = "a" or "c" take it: give [parameters.x] a where naming one of them, such as where = { estimator = "a" }`},
		{"no swept value takes it", s, x, wrapped(takenByErr{"estimator", []string{"z"}}), ""},
		{"a where already", s, Param{Name: "x", Values: []any{1.0, 2.0}, Where: map[string]any{"estimator": "a"}}, takenByErr{"estimator", []string{"b"}}, ""},
		{"the key not swept", &Sweep{Params: []Param{x}}, x, takenByErr{"estimator", []string{"b"}}, ""},
		{"no takers named", s, x, errors.New("x: bad"), ""},
	} {
		if got := c.s.whereHint(c.err, c.p); got != c.want {
			t.Errorf("%s: %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestBaseWhereHint checks the [[overrides]] entry a [base] setting's error
// suggests: for the one value of the swept key that takes it, or for each
// of several; none where the key is not swept, no swept value takes it or
// the error does not say who takes it.
func TestBaseWhereHint(t *testing.T) {
	s := &Sweep{Params: []Param{{Name: "estimator", Values: []any{"a", "b", "c"}}}}
	for _, c := range []struct {
		name string
		s    *Sweep
		err  error
		want string
	}{
		{"one taker", s, takenByErr{"estimator", []string{"b", "z"}},
			`; estimator = "b" takes it: move it from [base] to an [[overrides]] entry with where = { estimator = "b" }`},
		{"two takers", s, takenByErr{"estimator", []string{"c", "a"}},
			`; estimator = "a" or "c" take it: move it from [base] to [[overrides]] entries, one for each, such as where = { estimator = "a" }`},
		{"no swept value takes it", s, takenByErr{"estimator", []string{"z"}}, ""},
		{"the key not swept", &Sweep{}, takenByErr{"estimator", []string{"b"}}, ""},
		{"no takers named", s, errors.New("x: bad"), ""},
	} {
		if got := c.s.baseWhereHint(c.err); got != c.want {
			t.Errorf("%s: %q\nwant %q", c.name, got, c.want)
		}
	}
}
