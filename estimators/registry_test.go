package estimators

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestRegistryNames(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	for _, want := range []string{"dv", "infonce", "jsd", "mine", "nwj", "smile"} {
		i := sort.SearchStrings(names, want)
		if i == len(names) || names[i] != want {
			t.Errorf("Names() = %v lacks %q", names, want)
		}
		info, err := Lookup(want)
		if err != nil || info.Summary == "" {
			t.Errorf("Lookup(%q) = %+v, %v; want a summary", want, info, err)
		}
	}
}

func TestRegistryUnknownNameSuggests(t *testing.T) {
	_, err := New("jsdd", nil)
	if err == nil || !strings.Contains(err.Error(), `did you mean "jsd"?`) || !strings.Contains(err.Error(), "infonce") {
		t.Errorf("New(jsdd) error = %v; want the known names and a suggestion of jsd", err)
	}
}

// TestRegistryUnknownNameSaysHowToRegister checks that a name close to no
// registered one, as that of an estimator whose file forgot Register or a
// binary built before the file was added, is an error that says both
// fixes.
func TestRegistryUnknownNameSaysHowToRegister(t *testing.T) {
	_, err := New("poole-alpha", nil)
	for _, want := range []string{`unknown estimator "poole-alpha"`, "Register in its init()", "go install ./cmd/sweep"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(poole-alpha) error = %v; want it to say %q", err, want)
		}
	}
	if _, err := New("jsdd", nil); err == nil || strings.Contains(err.Error(), "Register") {
		t.Errorf("New(jsdd) error = %v; want the suggestion of jsd alone", err)
	}
	// An empty name is no estimator of the user's own: the list of known
	// names is the fix.
	if _, err := New("", nil); err == nil || strings.Contains(err.Error(), "Register") || !strings.Contains(err.Error(), "known: ") {
		t.Errorf("New(\"\") error = %v; want the known names alone", err)
	}
}

// TestRegistryUnknownParamSuggests checks that a misspelt parameter is an
// error that suggests the estimator's parameter it is closest to.
func TestRegistryUnknownParamSuggests(t *testing.T) {
	_, err := New("smile", Params{"tua": 5})
	if err == nil || !strings.Contains(err.Error(), `did you mean "tau"?`) {
		t.Errorf("New(smile, tua) error = %v; want a suggestion of tau", err)
	}
}

// TestSharedTestsCoverTestParams checks that the shared tests hold an
// estimator to their rules at each setting of its Info.TestParams, as
// example-tuba's log_baseline = 2, not at its defaults alone.
func TestSharedTestsCoverTestParams(t *testing.T) {
	var names []string
	for _, v := range criticVariants() {
		names = append(names, v.Name)
	}
	for _, want := range []string{"example-tuba", "example-tuba map[log_baseline:2]"} {
		if !slices.Contains(names, want) {
			t.Errorf("the shared tests run %v; want %q among them", names, want)
		}
	}
}

func TestRegistryUnknownParamRejected(t *testing.T) {
	for _, name := range []string{"jsd", "infonce", "dv", "mine", "nwj", "smile"} {
		_, err := New(name, Params{"temperature": 1})
		if err == nil || !strings.Contains(err.Error(), "temperature") {
			t.Errorf("New(%s, temperature) error = %v; want one naming the parameter", name, err)
		}
		// The factory itself rejects unknown names too, when called directly.
		info, _ := Lookup(name)
		if _, err := info.New(Params{"temperature": 1}); err == nil {
			t.Errorf("%s factory accepted an unknown parameter", name)
		}
	}
}

func TestBuildRejectsMismatchedMask(t *testing.T) {
	for _, v := range criticVariants() {
		name := v.Name
		var bp *buildPanic
		_, err := runGraphOnShape(v.New(t), Diagonal(3), 3, 4)
		switch {
		case errors.As(err, &bp):
			t.Errorf("%s on 3x4 scores with a 3x3 mask: %v", name, err)
		case err == nil:
			t.Errorf("%s built on 3x4 scores with a 3x3 mask", name)
		}
		bad := &Mask{Rows: 2, Cols: 2, Roles: []Role{Positive, Ignored, Negative, Ignored}}
		_, err = runGraphOnShape(v.New(t), bad, 2, 2)
		switch {
		case errors.As(err, &bp):
			t.Errorf("%s on a mask whose positive row has no negative: %v", name, err)
		case err == nil:
			t.Errorf("%s accepted a mask whose positive row has no negative", name)
		}
	}
}

// init registers test-nil-factory, whose factory returns neither an
// estimator nor an error when its parameter nil is set (nwj's estimator
// otherwise, so that it passes the tests every estimator takes).
func init() {
	Register(Info{Name: "test-nil-factory", Summary: "nwj, or nothing at all with nil = 1 (for the tests)", Params: Params{"nil": 0},
		New: func(p Params) (Estimator, error) {
			if p["nil"] != 0 {
				return nil, nil
			}
			nwj, _ := Lookup("nwj")
			return nwj.New(Params{})
		}})
}

// TestFactoryReturningNothingIsAnError builds an estimator whose factory
// returns nothing: New must say so, naming it, where a run would
// otherwise panic at its first step.
func TestFactoryReturningNothingIsAnError(t *testing.T) {
	e, err := New("test-nil-factory", Params{"nil": 1})
	if e != nil || err == nil || !strings.Contains(err.Error(), `estimator "test-nil-factory": its factory returned no estimator and no error`) {
		t.Errorf("New = %v, %v; want the error naming the estimator", e, err)
	}
}

// TestNonFiniteParamsAreRejected: every estimator, of both kinds, the
// tests' own whose factories check nothing included, refuses NaN and ±Inf
// for each of its parameters through New or NewSample, naming it.
func TestNonFiniteParamsAreRejected(t *testing.T) {
	checked := 0
	for _, name := range Names() {
		info, _ := Lookup(name)
		for param := range info.Params {
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				p := Params{param: v}
				var err error
				if info.New != nil {
					_, err = New(name, p)
				} else {
					_, err = NewSample(name, p)
				}
				want := fmt.Sprintf("estimator %q: parameter %s = %v: must be a finite number", name, param, v)
				if err == nil || err.Error() != want {
					t.Errorf("%s with %s = %v: %v; want %q", name, param, v, err, want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no estimator has a parameter")
	}
}

// TestFactoryErrorsNameTheParameter checks that a shipped factory's
// refusal of a parameter's value is a *ParamError naming it, so that a
// sweep file's error points at the parameter's own line.
func TestFactoryErrorsNameTheParameter(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		value       float64
	}{{"smile", "tau", -1}, {"mine", "momentum", 1}, {"ksg", "k", 0.5}} {
		var err error
		if tc.name == "ksg" {
			_, err = NewSample(tc.name, Params{tc.param: tc.value})
		} else {
			_, err = New(tc.name, Params{tc.param: tc.value})
		}
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s with %s = %g: error %v, want a *ParamError naming %s", tc.name, tc.param, tc.value, err, tc.param)
		}
	}
}

// TestParamHintPlacesAnEstimatorsParameter: a key some estimator takes is
// placed in the table named, with its owners; any other key gets no hint.
func TestParamHintPlacesAnEstimatorsParameter(t *testing.T) {
	want := `; tau is a parameter of "smile": it goes in the table estimator_params, as estimator_params.tau = ... in [base] or an [[overrides]] entry, or [parameters."estimator_params.tau"] to sweep it`
	if got := ParamHint("tau", "estimator_params"); got != want {
		t.Errorf("ParamHint(tau) = %q, want %q", got, want)
	}
	if got := ParamHint("batch_size", "estimator_params"); got != "" {
		t.Errorf("ParamHint(batch_size) = %q, want none", got)
	}
}
