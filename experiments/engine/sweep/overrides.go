package sweep

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"
)

// Override is one [[overrides]] entry: settings that replace the [base] and
// parameter values of the runs whose swept parameters match Where, such as
// a baseline's own probe settings in a sweep that crosses it with models:
//
//	[[overrides]]
//	where = { preset = "pixels" }
//	probe_epochs = 30
//
// An override is part of the runs it reaches: it changes their configs and
// so their ids, and leaves every other run as it was.
type Override struct {
	// Where maps parameter names to the value each must have.
	Where map[string]any
	// Set holds the settings, keyed as in [base].
	Set map[string]any
	// Index is the entry's position among the [[overrides]].
	Index int
}

// overrides decodes the [[overrides]] entries; it runs after parameters.
func (p *parser) overrides(root map[string]any, s *Sweep) error {
	v, ok := root["overrides"]
	if !ok {
		return nil
	}
	arr, isArr := asArray(v)
	if !isArr {
		return p.errAt([]string{"overrides"}, "%s: want [[overrides]] entries, each with where = {...} and the settings to change", describe(v))
	}
	for i, x := range arr {
		m, isMap := x.(map[string]any)
		if !isMap {
			return &FileError{File: p.file, Line: p.loc.line([]string{"overrides"}, "", 0), Key: fmt.Sprintf("overrides[%d]", i), Msg: describe(x) + ": want a table"}
		}
		o, err := p.override(s, m, i)
		if err != nil {
			return err
		}
		s.Overrides = append(s.Overrides, o)
	}
	return nil
}

// override decodes and checks one [[overrides]] entry.
func (p *parser) override(s *Sweep, m map[string]any, i int) (Override, error) {
	entry := fmt.Sprintf("overrides[%d]", i)
	fail := func(key, format string, args ...any) (Override, error) {
		k := entry
		if key != "" {
			k += "." + keyPart(key)
		}
		return Override{}, &FileError{File: p.file, Line: p.loc.line([]string{"overrides", key}, "overrides", i), Key: k, Msg: fmt.Sprintf(format, args...)}
	}
	wv, present := m["where"]
	where, ok := wv.(map[string]any)
	switch {
	case !present || (ok && len(where) == 0):
		return fail("where", "missing or empty: an override needs where = { parameter = value } to say which runs it changes")
	case !ok:
		return fail("where", "%s: want a table, such as where = { preset = \"pixels\" }", describe(wv))
	}
	if msg := s.whereProblem(where); msg != "" {
		return Override{}, p.whereError(s, where, entry+".where", p.loc.line([]string{"overrides", "where"}, "overrides", i), msg)
	}
	set := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "where" {
			set[k] = m[k]
		}
	}
	for _, leaf := range leafPaths(set, "") {
		for _, prm := range s.Params {
			if leaf == prm.Name || strings.HasPrefix(leaf, prm.Name+".") {
				return fail(strings.SplitN(leaf, ".", 2)[0], "%s is set in [parameters.%s]: an override changes settings the parameters leave alone", leaf, keyPart(prm.Name))
			}
		}
	}
	if len(set) == 0 {
		return fail("", "sets nothing: list the settings to change beside where")
	}
	return Override{Where: where, Set: set, Index: i}, nil
}

// whereProblem says what is wrong with a where = { parameter = value }
// (an override's or a conditional parameter's), "" when nothing: each
// name must be a parameter with values, each value one of them.
func (s *Sweep) whereProblem(where map[string]any) string {
	for _, name := range slices.Sorted(maps.Keys(where)) {
		want := where[name]
		param, found := s.param(name)
		if !found {
			hint := ""
			if _, nested := want.(map[string]any); nested {
				hint = "; quote a dotted name, as in where = { \"optim.lr\" = 0.1 }"
			}
			return fmt.Sprintf("%q is not a parameter of this sweep (its parameters: %s): where can only name a swept parameter%s", name, strings.Join(s.ParamNames(), ", "), hint)
		}
		if param.Distribution != "" && param.Distribution != DistCategorical {
			return fmt.Sprintf("%q is drawn from a distribution: where can only name a parameter with values", name)
		}
		vals := param.Values
		if param.Axis {
			vals = append([]any{param.Base}, vals...)
		}
		if !slices.ContainsFunc(vals, func(v any) bool { return sameValue(v, want) }) {
			return fmt.Sprintf("%s = %s is not one of the parameter's values (%s)", name, quoteValue(want), formatValues(vals))
		}
	}
	return ""
}

// whereTypo returns, where where's value for a parameter is not one of the
// parameter's values but a likely misspelling of one of them (or one of
// them of it, as "smiel" in values for a where naming "smile"), that
// parameter's name and the value in its values; "" when there is none.
// The values are then as likely wrong as the where, and the sweep's
// other checks, which would name a misspelt estimator in values, come
// only after where's.
func (s *Sweep) whereTypo(where map[string]any) (name string, value any) {
	for _, n := range slices.Sorted(maps.Keys(where)) {
		want, isString := where[n].(string)
		param, found := s.param(n)
		if !found || !isString || slices.ContainsFunc(param.Values, func(v any) bool { return sameValue(v, want) }) {
			continue
		}
		var strs []string
		for _, v := range param.Values {
			if str, ok := v.(string); ok {
				strs = append(strs, str)
			}
		}
		if c := registry.Closest(want, strs); c != "" && (s.rejects(n, want) || s.rejects(n, c)) {
			return n, c
		}
	}
	return "", nil
}

// rejects reports whether the task refuses value for the parameter name
// in a run of its own: Validate's error names that key, as in "estimator
// = \"smiel\": unknown estimator". Of two close spellings, one the task
// refuses is a misspelling; two it takes (presets "dim-l" and "dim-g")
// are two settings, and neither is blamed.
func (s *Sweep) rejects(name string, value any) (refused bool) {
	defer func() {
		if recover() != nil {
			refused = false // a task's panic is reported where the runs are validated
		}
	}()
	cfg, err := s.configWith(name, value)
	if cfg == nil {
		return false
	}
	if err != nil {
		return true
	}
	err = cfg.Validate()
	if err == nil {
		return false
	}
	m := validateKeyRe.FindStringSubmatch(err.Error())
	return m != nil && strings.Trim(m[1], `"'`) == name
}

// whereError builds the error, under key at whereLine, for a where with a
// problem (msg, from whereProblem), or where one of a parameter's values
// looks misspelt against the where (see whereTypo), for the two spellings,
// with the values' line.
func (p *parser) whereError(s *Sweep, where map[string]any, key string, whereLine int, msg string) error {
	if name, v := s.whereTypo(where); name != "" {
		path := []string{"parameters", name, "values"}
		msg = fmt.Sprintf("%s = %s here, but %s (line %d) has %s: one of the two is misspelt; correct it",
			name, quoteValue(where[name]), keyString(path), p.loc.line(path, "", 0), quoteValue(v))
	}
	return &FileError{File: p.file, Line: whereLine, Key: key, Msg: msg}
}

// param returns the parameter with the given name.
func (s *Sweep) param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// sameValue reports whether two TOML values are the same setting: equal
// values of one type, or equal numbers.
func sameValue(a, b any) bool {
	if valueKey(a) == valueKey(b) {
		return true
	}
	x, okA := number(a)
	y, okB := number(b)
	return okA && okB && x == y
}

// formatValues writes a parameter's values for a message.
func formatValues(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = quoteValue(v)
	}
	return strings.Join(parts, ", ")
}

// quoteValue writes a value for a one-line message: strings quoted and
// clipped by english.Quote, so that none can break or flood the line.
func quoteValue(v any) string {
	if str, ok := v.(string); ok {
		return english.Quote(str)
	}
	return FormatValue(v)
}

// leafPaths returns the dotted paths of the values in m, going into
// tables; an empty table is a leaf.
func leafPaths(m map[string]any, prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		path := prefix + k
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			out = append(out, leafPaths(sub, path+".")...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// matches reports whether the run with the given parameter values is one
// the override changes.
func (o Override) matches(s *Sweep, vals []any) bool {
	return s.whereMatches(o.Where, vals)
}

// whereMatches reports whether the parameter values vals have the values
// that where names.
func (s *Sweep) whereMatches(where map[string]any, vals []any) bool {
	for name, want := range where {
		i := slices.IndexFunc(s.Params, func(p Param) bool { return p.Name == name })
		if i < 0 || !sameValue(vals[i], want) {
			return false
		}
	}
	return true
}

// checkOverridesReachRuns reports an override that changes no run, as a
// where whose values no configuration of an axis design combines. A random
// sweep's runs depend on its draws, so there an override may reach none.
func (s *Sweep) checkOverridesReachRuns() error {
	if s.Method == MethodRandom {
		return nil
	}
	for _, o := range s.Overrides {
		if !slices.ContainsFunc(s.Runs, func(r *RunSpec) bool { return o.matches(s, r.Values) }) {
			return &FileError{File: s.File, Line: s.loc.line([]string{"overrides", "where"}, "overrides", o.Index), Key: fmt.Sprintf("overrides[%d].where", o.Index),
				Msg: "selects no run of the sweep: no configuration has all of these values together"}
		}
	}
	return nil
}

// overrideErr places an error in assigning an override's settings at its
// entry, named with its index.
func (s *Sweep) overrideErr(err error, idx int) error {
	fe, ok := s.fieldErr(err, []string{"overrides"}, "overrides", idx).(*FileError)
	if ok && strings.HasPrefix(fe.Key, "overrides.") {
		fe.Key = fmt.Sprintf("overrides[%d].%s", idx, strings.TrimPrefix(fe.Key, "overrides."))
		fe.entry = idx + 1
	}
	return fe
}
