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
