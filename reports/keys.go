package reports

import (
	"maps"
	"slices"
)

// KeyRef is a swept parameter or config key that an option of a report
// names, such as the "estimator" of panel = "estimator".
type KeyRef struct {
	// Option is the option that names the key, such as "panel"; Key is the
	// key.
	Option, Key string
}

// NamedKeys returns the parameter and config keys that spec's options
// name, by the kind's Keys (none when it has no Keys), so that a sweep can
// check them against its parameters and its task's config before any run:
// a report that groups by a key no run has fails only after the sweep.
// Only options that spec sets count: a default that no run has is fine
// (the staircase kind then draws one panel or one line). Metrics are not
// keys: they are known only once runs have finished.
func (k Kind) NamedKeys(spec Spec) []KeyRef {
	if k.Keys == nil {
		return nil
	}
	return k.Keys(spec)
}

// givenKeys returns the KeyRefs of the keys of each option in options
// (pairs of an option name and its keys) that spec sets.
func givenKeys(spec Spec, options map[string][]string) []KeyRef {
	var refs []KeyRef
	for _, option := range slices.Sorted(maps.Keys(options)) {
		if _, set := spec.Options[option]; !set {
			continue
		}
		for _, key := range options[option] {
			refs = append(refs, KeyRef{Option: option, Key: key})
		}
	}
	return refs
}

// Selector is a set of runs that an option of a spec picks by parameter
// value, such as where = {preset = "dim-l"}: the report fails when no
// finished run matches it, so a sweep checks, before any run, that some run
// of the sweep would.
type Selector struct {
	// Option is the option that holds it ("where", "baselines"); Label
	// tells it apart within the option ("" for the option itself).
	Option, Label string
	// Where maps each parameter to the values it may take.
	Where map[string][]string
}

// NamedSelectors returns the run selectors of spec's options, by the kind's
// Selectors (none when it has none), for a spec that passed Check.
func (k Kind) NamedSelectors(spec Spec) []Selector {
	if k.Selectors == nil {
		return nil
	}
	return k.Selectors(spec)
}

// Matches reports whether run r has, for every parameter of where, one of
// its values, as a report selects runs.
func (s Selector) Matches(r Run) bool { return matches(r, s.Where) }

// String writes the selector as a sweep file would, keys sorted.
func (s Selector) String() string { return formatWhere(s.Where) }

// whereSelector is the selector of a spec's where option, none when the
// spec does not set it.
func whereSelector(where map[string][]string) []Selector {
	if where == nil {
		return nil
	}
	return []Selector{{Option: "where", Where: where}}
}
