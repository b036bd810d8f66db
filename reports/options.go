package reports

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/infomax/infomax/internal/registry"
)

// optionReader reads a spec's options strictly: an option that the kind does
// not know, or a value of the wrong type, is an error that names the option
// and lists the valid ones. Methods return the default when the option is
// absent, and record only the first error, which Err returns.
type optionReader struct {
	spec  Spec
	kind  string
	valid []string
	err   error
}

// readOptions checks that spec names a file base and that every option of
// spec is one of valid, and returns a reader for the options' values.
func readOptions(kind string, spec Spec, valid ...string) *optionReader {
	r := &optionReader{spec: spec, kind: kind, valid: append([]string(nil), valid...)}
	slices.Sort(r.valid)
	switch {
	case spec.Name == "":
		r.err = fmt.Errorf("%s report: missing name (add name = \"...\": the base name of the files it writes)", kind)
		return r
	case strings.ContainsAny(spec.Name, `/\`) || spec.Name == "." || spec.Name == "..":
		r.err = fmt.Errorf("%s report: name %q must be a plain file base name, without a path", kind, spec.Name)
		return r
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Options)) {
		if !contains(r.valid, name) {
			if c := registry.Closest(name, r.valid); c != "" {
				r.fail(name, "unknown option; did you mean %q?", c)
			} else {
				r.fail(name, "unknown option")
			}
			return r
		}
	}
	if contains(r.valid, poolOption) {
		r.Strings(poolOption, nil) // checked here, read by declaredPool
	}
	return r
}

// poolOption is the option of every kind that groups runs (see
// [Grouping]): the settings its groups average over on purpose.
const poolOption = "pool"

// declaredPool returns the settings that the pool option of spec, which
// passed Check, names: those the report's groups average over on purpose.
func declaredPool(spec Spec) []string {
	return (&optionReader{spec: spec}).Strings(poolOption, nil)
}

// Err returns the first error found while reading options.
func (r *optionReader) Err() error { return r.err }

// OptionError reports an unknown, missing or wrong option of a report spec.
// Check returns one for any option problem, so that a caller such as the
// sweep-file decoder can find the option (with errors.As) to point at its
// line.
type OptionError struct {
	Kind, Report string // the report kind and the spec's name
	Option       string // the option at fault
	Problem      string // what is wrong with it
	Valid        []string
}

func (e *OptionError) Error() string {
	if len(e.Valid) == 0 {
		return fmt.Sprintf("%s report %q: option %q: %s", e.Kind, e.Report, e.Option, e.Problem)
	}
	return fmt.Sprintf("%s report %q: option %q: %s (valid options: %s)",
		e.Kind, e.Report, e.Option, e.Problem, strings.Join(e.Valid, ", "))
}

// fail records an error about option name unless one is already recorded.
func (r *optionReader) fail(name, format string, args ...any) {
	if r.err != nil {
		return
	}
	r.err = &OptionError{Kind: r.kind, Report: r.spec.Name, Option: name,
		Problem: fmt.Sprintf(format, args...), Valid: r.valid}
}

// labelsOf checks that every key of labels (option "labels") names one of
// names, the metrics of option what ("y", "columns") or one of extra.
// When one does not, the failure names the closest of the unlabelled
// names, since one of the two is then likely misspelt, in the list or in
// labels.
func (r *optionReader) labelsOf(labels map[string]string, what string, names []string, extra ...string) {
	if names == nil {
		return
	}
	for _, key := range slices.Sorted(maps.Keys(labels)) {
		if contains(names, key) || contains(extra, key) {
			continue
		}
		var unlabelled []string
		for _, n := range names {
			if _, ok := labels[n]; !ok {
				unlabelled = append(unlabelled, n)
			}
		}
		hint := ""
		if c := registry.Closest(key, unlabelled); c != "" {
			hint = fmt.Sprintf("; %q in %s is close to it: one of the two is misspelt", c, what)
		}
		r.fail("labels", "labels %q, which is not among the metrics of %s (%s)%s", key, what, strings.Join(names, ", "), hint)
		return
	}
}

// lookup returns the raw value of option name.
func (r *optionReader) lookup(name string) (any, bool) {
	v, ok := r.spec.Options[name]
	return v, ok && v != nil
}

// require records an error when option name is absent.
func (r *optionReader) require(name, what string) {
	if _, ok := r.lookup(name); !ok {
		r.fail(name, "missing; set it to %s", what)
	}
}

// String reads a string option.
func (r *optionReader) String(name, def string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail(name, "want a string, got %v (%T)", v, v)
		return def
	}
	if s == "" {
		r.fail(name, "must not be empty")
	}
	return s
}

// Strings reads an option that is a string or a list of strings.
func (r *optionReader) Strings(name string, def []string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	var out []string
	if s, isString := v.(string); isString {
		out = []string{s}
	} else if out, ok = listOf[string](r, name, v, "a string or a list of strings"); !ok {
		return def
	}
	if len(out) == 0 {
		r.fail(name, "must name at least one value")
		return def
	}
	for _, s := range out {
		if s == "" {
			r.fail(name, "must not contain an empty string")
			return def
		}
	}
	return out
}

// listOf returns the list v of option name as a []T: a copy of v when it
// is one, or its elements when v is a []any of T. Anything else is an
// error that says what the option wants, and listOf returns false.
func listOf[T any](r *optionReader, name string, v any, want string) ([]T, bool) {
	var out []T
	switch v := v.(type) {
	case []T:
		out = append(out, v...)
	case []any:
		for _, e := range v {
			t, ok := e.(T)
			if !ok {
				r.fail(name, "want %s, got element %v (%T)", want, e, e)
				return nil, false
			}
			out = append(out, t)
		}
	default:
		r.fail(name, "want %s, got %v (%T)", want, v, v)
		return nil, false
	}
	return out, true
}

// Bool reads a boolean option.
func (r *optionReader) Bool(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(name, "want true or false, got %v (%T)", v, v)
		return def
	}
	return b
}

// Float reads a finite number option; TOML integers are accepted.
func (r *optionReader) Float(name string, def float64) float64 {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	x, ok := asNumber(v)
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		r.fail(name, "want a finite number, got %v (%T)", v, v)
		return def
	}
	return x
}

// FloatIn reads a number option that must be greater than min and at most
// max; what says what it is, as "a size in inches".
func (r *optionReader) FloatIn(name string, def, min, max float64, what string) float64 {
	x := r.Float(name, def)
	if x <= min || x > max {
		r.fail(name, "want %s greater than %v and at most %v, got %v", what, min, max, x)
		return def
	}
	return x
}

// Smoothing reads a smoothing option for [Smooth]: an EMA factor in
// [0, 1), or a whole window of steps.
func (r *optionReader) Smoothing(name string, def float64) float64 {
	s := r.Float(name, def)
	if s < 0 || (s >= 1 && s != math.Trunc(s)) {
		r.fail(name, "want an EMA factor in [0, 1) such as 0.99, or a whole window of steps such as 200; got %v", s)
		return def
	}
	return s
}

// Int reads an integer option within [min, max].
func (r *optionReader) Int(name string, def, min, max int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	x, ok := asNumber(v)
	if !ok || x != math.Trunc(x) || math.IsInf(x, 0) {
		r.fail(name, "want an integer, got %v (%T)", v, v)
		return def
	}
	if x < float64(min) || x > float64(max) {
		r.fail(name, "want an integer from %d to %d, got %v", min, max, x)
		return def
	}
	return int(x)
}

// StringMap reads a table of string values, such as labels = {a = "A"}.
func (r *optionReader) StringMap(name string) map[string]string {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	out := map[string]string{}
	switch v := v.(type) {
	case map[string]string:
		for k, s := range v {
			out[k] = s
		}
	case map[string]any:
		for k, e := range v {
			s, ok := e.(string)
			if !ok {
				r.fail(name, "want a table of strings, got %s = %v (%T)", k, e, e)
				return nil
			}
			out[k] = s
		}
	default:
		r.fail(name, "want a table of strings such as {name = \"Label\"}, got %v (%T)", v, v)
		return nil
	}
	return out
}

// asNumber converts the numeric types a TOML or JSON decoder produces.
func asNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint32:
		return float64(v), true
	}
	return 0, false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// label returns labels[name], or name when it has no label.
func label(labels map[string]string, name string) string {
	if l, ok := labels[name]; ok {
		return l
	}
	return name
}
