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
	// Numeric says that the report needs the key's value to be a number
	// (line's x), so that a sweep refuses a key that no run gives a
	// number.
	Numeric bool
}

// NamedKeys returns the parameter and config keys that spec's options
// name, by the kind's Keys (none when it has no Keys), so that a sweep can
// check them against its parameters and its task's config before any run:
// a report that groups by a key no run has fails only after the sweep.
// Only options that spec sets count: a default that no run has is fine
// (the staircase kind then draws one panel or one line). Metrics are not
// keys: see [Kind.NamedMetrics].
func (k Kind) NamedKeys(spec Spec) []KeyRef {
	var refs []KeyRef
	if k.Keys != nil {
		refs = k.Keys(spec)
	}
	if k.Groups != nil {
		refs = append(refs, givenKeys(spec, map[string][]string{poolOption: declaredPool(spec)})...)
	}
	return refs
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

// MetricRef is a metric that an option of a report names, such as the
// "linear_y_acc" of y = ["linear_y_acc"]: a summary metric (summary.json,
// the metric columns of results.csv) or, with Logged, one that runs log
// during training (metrics.jsonl).
type MetricRef struct {
	// Option is the option that names the metric, such as "y".
	Option, Metric string
	Logged         bool
	// Where, unless nil, selects the runs the report reads the metric
	// from, as a [Selector]'s Where: some run it selects must write it.
	Where map[string][]string
	// UnlessSummary, unless "", is the prefix of the summary metrics that
	// the report reads instead where a run writes them (bias_variance's
	// level_<L>_* with source = "auto"): the metric is needed only when no
	// run writes one.
	UnlessSummary string
}

// NamedMetrics returns the metrics that spec's options name, by the kind's
// Metrics (none when it has none), for a spec that passed Check, so that a
// sweep whose task names the metrics its runs write
// (tasks.MetricsNamer) checks them before any run: a report whose metric
// no run writes fails only after the sweep. Unlike keys, a default counts
// (the staircase's metric = "mi"): the report fails without it.
func (k Kind) NamedMetrics(spec Spec) []MetricRef {
	if k.Metrics == nil {
		return nil
	}
	return k.Metrics(spec)
}

// summaryRefs returns the MetricRefs of the summary metric names that
// option names, leaving out "".
func summaryRefs(option string, names ...string) []MetricRef {
	var refs []MetricRef
	for _, n := range names {
		if n != "" {
			refs = append(refs, MetricRef{Option: option, Metric: n})
		}
	}
	return refs
}

// selectedBy returns refs, each read from the runs that where selects.
func selectedBy(where map[string][]string, refs []MetricRef) []MetricRef {
	for i := range refs {
		refs[i].Where = where
	}
	return refs
}

// loggedRefs is summaryRefs for metrics logged during training.
func loggedRefs(option string, names ...string) []MetricRef {
	refs := summaryRefs(option, names...)
	for i := range refs {
		refs[i].Logged = true
	}
	return refs
}

// numeric returns refs with those of option marked Numeric.
func numeric(option string, refs []KeyRef) []KeyRef {
	for i := range refs {
		if refs[i].Option == option {
			refs[i].Numeric = true
		}
	}
	return refs
}

// IsNumber reports whether v, a parameter's or config key's value as a
// report reads it, is a number.
func IsNumber(v any) bool {
	_, ok := asNumber(v)
	return ok
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
