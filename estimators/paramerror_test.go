package estimators

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestUnknownParamNamesItsOwners checks the error for a parameter an
// estimator does not take: it names the registered estimators that do,
// and its TakenWhere gives them under the key estimator, for a sweep to
// say which where sets the parameter for them alone; a parameter no
// estimator takes gets neither.
func TestUnknownParamNamesItsOwners(t *testing.T) {
	_, err := New("nwj", Params{"tau": 5})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Param != "tau" {
		t.Fatalf("nwj with tau: %v; want a ParamError for tau", err)
	}
	if want := `estimator "nwj" has no parameter "tau" (it takes none); tau is a parameter of "smile"`; err.Error() != want {
		t.Errorf("nwj with tau:\n got %s\nwant %s", err, want)
	}
	if key, values := pe.TakenWhere(); key != "estimator" || !slices.Equal(values, []string{"smile"}) {
		t.Errorf("nwj with tau: TakenWhere = %q, %q; want estimator, [smile]", key, values)
	}
	_, err = New("smile", Params{"tua": 5})
	if !errors.As(err, &pe) || !strings.HasSuffix(err.Error(), `(it takes tau); did you mean "tau"?`) {
		t.Errorf("smile with tua: %v; want the parameters smile takes, no owner and the suggestion of tau", err)
	}
	if key, values := pe.TakenWhere(); key != "" || values != nil {
		t.Errorf("smile with tua: TakenWhere = %q, %q; want none", key, values)
	}
}

// TestUnknownParamSuggestionIsDeterministic checks that a misspelt
// parameter as near to two that an estimator takes is met with the same
// one every time, the first in sorted order, not whichever a map's order
// gives first.
func TestUnknownParamSuggestionIsDeterministic(t *testing.T) {
	f := rejectUnknownParams("two", Params{"ab": 1, "aa": 1, "ad": 1, "ae": 1}, func(Params) (int, error) { return 0, nil })
	for range 50 {
		_, err := f(Params{"ac": 1})
		if err == nil || !strings.Contains(err.Error(), `did you mean "aa"?`) {
			t.Fatalf("a parameter one edit from aa, ab, ad and ae: %v, want the suggestion aa", err)
		}
	}
}
