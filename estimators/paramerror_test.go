package estimators

import (
	"errors"
	"strings"
	"testing"
)

// TestUnknownParamNamesItsOwners checks the error for a parameter an
// estimator does not take: it names the registered estimators that take
// it and the where that sets it for them alone in a sweep, and says
// nothing more for a parameter no estimator takes.
func TestUnknownParamNamesItsOwners(t *testing.T) {
	_, err := New("nwj", Params{"tau": 5})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Param != "tau" {
		t.Fatalf("nwj with tau: %v; want a ParamError for tau", err)
	}
	want := `estimator "nwj" has no parameter "tau" (it takes none); "smile" takes it: to sweep it beside other estimators, ` +
		`give its [parameters."estimator_params.tau"] where = { estimator = "smile" }`
	if err.Error() != want {
		t.Errorf("nwj with tau:\n got %s\nwant %s", err, want)
	}
	_, err = New("smile", Params{"tua": 5})
	if err == nil || strings.Contains(err.Error(), "takes it") || !strings.HasSuffix(err.Error(), "(it takes tau)") {
		t.Errorf("smile with tua: %v; want the parameters smile takes and no owner", err)
	}
	if got := quotedList([]string{"a", "b"}); got != `["a", "b"]` {
		t.Errorf("quotedList of two names: %s", got)
	}
}
