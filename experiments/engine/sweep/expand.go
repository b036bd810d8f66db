package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/english"
)

// gridConfigs returns the configurations of a grid: every combination of
// the parameters' values, the last parameter varying fastest. Axis
// parameters (see Param.Axis) count as one parameter whose values are the
// points of a one-factor-at-a-time design: first the centre, every axis
// at its [base] value, then each axis's other values in turn, the other
// axes at the centre. A conditional parameter (see Param.Where) is unset
// in the combinations its where does not select, and each combination then
// comes once, where it first came in the product: in the order of its
// choices with each unset parameter at its first value.
func (s *Sweep) gridConfigs() ([][]any, error) {
	dims := s.gridDims()
	if err := s.checkGridSize(dims); err != nil {
		return nil, err
	}
	type config struct {
		vals  []any
		order []int // its choice in each dimension
	}
	var kept []config
	fixed := func(k int) bool { return dims[k].where == nil }
	forEachChoice(dims, fixed, func(idx []int) bool {
		selected := s.selectedDims(dims, idx)
		swept := func(k int) bool { return dims[k].where != nil && selected[k] }
		forEachChoice(dims, swept, func(cidx []int) bool {
			all := make([]int, len(dims))
			for k := range dims {
				all[k] = idx[k] + cidx[k]
			}
			kept = append(kept, config{s.gridValues(dims, all, selected), all})
			return true
		})
		return true
	})
	// Without conditional parameters the order is already the product's.
	slices.SortStableFunc(kept, func(a, b config) int { return slices.Compare(a.order, b.order) })
	configs := make([][]any, len(kept))
	for i, c := range kept {
		configs[i] = c.vals
	}
	return configs, nil
}

// gridDim is one dimension of a grid: a parameter with values, or the
// axes together. Each of its choices sets the values at slots, the
// indices of its parameters in Sweep.Params; where is a conditional
// parameter's where, nil otherwise.
type gridDim struct {
	choices [][]any
	slots   []int
	where   map[string]any
	line    int
}

// gridDims returns the dimensions of the grid, in the parameters' order;
// the axes take the place of the first axis.
func (s *Sweep) gridDims() []gridDim {
	points := s.axisPoints()
	var dims []gridDim
	for i, p := range s.Params {
		switch {
		case !p.Axis:
			choices := make([][]any, len(p.Values))
			for k, v := range p.Values {
				choices[k] = []any{v}
			}
			dims = append(dims, gridDim{choices: choices, slots: []int{i}, where: p.Where, line: p.Line})
		case len(points) > 0:
			dims = append(dims, gridDim{choices: points, slots: s.axisIndices(), line: p.Line})
			points = nil
		}
	}
	return dims
}

// forEachChoice calls f with every combination of the choices of the
// dimensions k for which vary(k), the others at their first choice, the
// last dimension varying fastest, until f returns false.
func forEachChoice(dims []gridDim, vary func(k int) bool, f func(idx []int) bool) {
	idx := make([]int, len(dims))
	for {
		if !f(idx) {
			return
		}
		d := len(idx) - 1
		for ; d >= 0; d-- {
			if !vary(d) {
				continue
			}
			if idx[d]++; idx[d] < len(dims[d].choices) {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// gridValues returns the parameter values of the choices idx, with the
// conditional parameters that selected leaves out unset.
func (s *Sweep) gridValues(dims []gridDim, idx []int, selected []bool) []any {
	vals := make([]any, len(s.Params))
	for k, d := range dims {
		for j, slot := range d.slots {
			vals[slot] = d.choices[idx[k]][j]
			if !selected[k] {
				vals[slot] = unset{}
			}
		}
	}
	return vals
}

// selectedDims reports, per dimension, whether the combination idx of the
// other parameters sweeps it: every dimension but the conditional
// parameters whose where it does not meet (a where names only parameters
// that are not conditional).
func (s *Sweep) selectedDims(dims []gridDim, idx []int) []bool {
	all := make([]bool, len(dims))
	for k := range all {
		all[k] = true
	}
	vals := s.gridValues(dims, idx, all)
	selected := make([]bool, len(dims))
	for k, d := range dims {
		selected[k] = d.where == nil || s.whereMatches(d.where, vals)
	}
	return selected
}

// checkGridSize reports a grid of more than MaxRuns runs, at the parameter
// whose values take it past: first the product of the parameters that
// every run has, then with the conditional ones, counted in the
// configurations their where selects only.
func (s *Sweep) checkGridSize(dims []gridDim) error {
	tooMany := func(line int, key string, configs, what string) error {
		return &FileError{File: s.File, Line: line, Key: key,
			Msg: fmt.Sprintf("the grid grows past %d runs here (%s configurations x %s%s): sweep fewer values or seeds, or use method = \"random\" with a run_cap",
				MaxRuns, configs, english.Plural(len(s.Seeds), "seed"), what)}
	}
	n := 1
	for k, d := range dims {
		if d.where != nil {
			continue
		}
		if n *= len(d.choices); n*len(s.Seeds) > MaxRuns {
			return tooMany(d.line, dimKey(s, dims, k), strconv.Itoa(n), "")
		}
	}
	first := slices.IndexFunc(dims, func(d gridDim) bool { return d.where != nil })
	if first < 0 {
		return nil
	}
	// The count stops once past the limit, and each product saturates
	// there, so that no sum or product of many large lists overflows.
	n, limit := 0, MaxRuns/len(s.Seeds)
	forEachChoice(dims, func(k int) bool { return dims[k].where == nil }, func(idx []int) bool {
		c := 1
		for k, sel := range s.selectedDims(dims, idx) {
			if sel && dims[k].where != nil {
				c = min(c*len(dims[k].choices), limit+1)
			}
		}
		n += c
		return n <= limit
	})
	if n > limit {
		return tooMany(dims[first].line, dimKey(s, dims, first), fmt.Sprintf("at least %d", n), ", each conditional parameter counted where its where selects it")
	}
	return nil
}

// dimKey is the key of dimension k for an error: its parameter's.
func dimKey(s *Sweep, dims []gridDim, k int) string {
	return keyString([]string{"parameters", s.Params[dims[k].slots[0]].Name})
}

// unset is the value of a conditional parameter (see Param.Where) in a
// configuration its where does not select: the run leaves the setting as
// [base] has it.
type unset struct{}

// axisIndices returns the indices of the axis parameters.
func (s *Sweep) axisIndices() []int {
	var out []int
	for i, p := range s.Params {
		if p.Axis {
			out = append(out, i)
		}
	}
	return out
}

// axisPoints returns the points of the axes, each the values of the axis
// parameters in axisIndices order: the centre, then each axis's values
// other than its base value. It is nil without axes.
func (s *Sweep) axisPoints() [][]any {
	axes := s.axisIndices()
	if len(axes) == 0 {
		return nil
	}
	centre := make([]any, len(axes))
	for k, i := range axes {
		centre[k] = s.Params[i].Base
	}
	points := [][]any{centre}
	for k, i := range axes {
		for _, v := range s.Params[i].Values {
			if valueKey(v) == valueKey(centre[k]) {
				continue
			}
			pt := slices.Clone(centre)
			pt[k] = v
			points = append(points, pt)
		}
	}
	return points
}

// maxIDPrefix bounds the human-readable part of a run id.
const maxIDPrefix = 80

// expand fills s.Runs: every configuration (the grid's Cartesian product, or
// run_cap sampled ones) once per seed, configuration-major. Every run's
// config is resolved, validated and given its id.
func (s *Sweep) expand() error {
	var configs [][]any
	switch s.Method {
	case MethodGrid:
		var err error
		if configs, err = s.gridConfigs(); err != nil {
			return err
		}
	case MethodRandom:
		if s.RunCap*len(s.Seeds) > MaxRuns {
			return &FileError{File: s.File, Line: s.loc.line([]string{"run_cap"}, "", 0), Key: "run_cap",
				Msg: fmt.Sprintf("%d configurations times %d seeds is more than %d runs", s.RunCap, len(s.Seeds), MaxRuns)}
		}
		rng := rand.New(rand.NewPCG(uint64(s.SamplerSeed), 0x5eed5eed))
		seen := map[string]bool{}
		// Identical draws are dropped, so a small space may give fewer
		// than run_cap configurations; the attempts are bounded.
		for attempt := 0; len(configs) < s.RunCap && attempt < 10*s.RunCap+100; attempt++ {
			vals := make([]any, len(s.Params))
			for i, p := range s.Params {
				vals[i] = p.sample(rng)
			}
			key := fmt.Sprintf("%#v", vals)
			if seen[key] {
				continue
			}
			seen[key] = true
			configs = append(configs, vals)
		}
	}

	return s.resolveAll(configs)
}

// maxConfigBytes bounds the resolved configs (config.toml) of a sweep's
// runs together: each is built, checked, encoded and kept, so a long list
// in [base] times many runs would take hours to validate.
const maxConfigBytes = 64e6

// resolveAll fills s.Runs with every configuration once per seed, each
// resolved, validated and named, and refuses two runs with one config.
func (s *Sweep) resolveAll(configs [][]any) error {
	ids := map[string]int{}
	total, runs := 0, len(configs)*len(s.Seeds)
	for _, vals := range configs {
		for _, seed := range s.Seeds {
			run, err := s.resolve(vals, seed)
			if err != nil {
				return s.earlierOverrideErr(err, configs)
			}
			run.Index = len(s.Runs)
			if prev, dup := ids[run.ID]; dup {
				return &FileError{File: s.File, Key: "parameters",
					Msg: fmt.Sprintf("runs %d (%s) and %d (%s) resolve to the same config: remove values that mean the same setting, such as 1 and 1.0",
						prev+1, s.describeRun(s.Runs[prev].Values, seed), run.Index+1, s.describeRun(vals, seed))}
			}
			// The first run's size, times the runs, refuses a sweep at
			// once; the sum refuses one whose later runs grow.
			if total += len(run.ConfigTOML); total > maxConfigBytes || len(run.ConfigTOML)*runs > maxConfigBytes {
				return &FileError{File: s.File, Line: s.loc.line([]string{"base"}, "", 0), Key: "base",
					Msg: fmt.Sprintf("a run's config is %s, and %s of them make more than %s: shorten the lists in [base] or sweep fewer runs",
						english.Bytes(float64(len(run.ConfigTOML))), english.Plural(runs, "run"), english.Bytes(maxConfigBytes))}
			}
			ids[run.ID] = run.Index
			s.Runs = append(s.Runs, run)
		}
	}
	return nil
}

// sample draws the parameter's value for one configuration.
func (p Param) sample(rng *rand.Rand) any {
	switch p.Distribution {
	case DistUniform:
		return p.Min + (p.Max-p.Min)*rng.Float64()
	case DistLogUniform:
		lo, hi := math.Log(p.Min), math.Log(p.Max)
		return math.Min(p.Max, math.Max(p.Min, math.Exp(lo+(hi-lo)*rng.Float64())))
	case DistIntUniform:
		return p.IntMin + int64(rng.Uint64N(uint64(p.IntMax-p.IntMin)+1))
	}
	return p.Values[rng.IntN(len(p.Values))]
}

// valueIndex returns the index of v among p's values, or -1 when it is
// none of them (an axis parameter's base value, or a drawn one).
func (p Param) valueIndex(v any) int {
	return slices.IndexFunc(p.Values, func(x any) bool { return sameValue(x, v) })
}

// resolve builds, validates and names the run with the given parameter
// values and seed.
func (s *Sweep) resolve(vals []any, seed int64) (*RunSpec, error) {
	cfg, err := s.newConfig()
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(cfg).Elem()
	d := *s.dec
	d.owned = map[uintptr]bool{}
	for i, p := range s.Params {
		if vals[i] == (unset{}) {
			continue
		}
		if err := d.setPath(rv, strings.Split(p.Name, "."), vals[i], nil); err != nil {
			return nil, s.paramErr(err, p.Name, "values", p.valueIndex(vals[i]))
		}
	}
	var overridden []string
	for _, o := range s.Overrides {
		if !o.matches(s, vals) {
			continue
		}
		od := *s.dec
		od.owned = d.owned
		od.prefix = []string{"overrides"}
		if err := od.assign(rv, o.Set, nil); err != nil {
			return nil, s.overrideErr(err, o.Index)
		}
		overridden = append(overridden, slices.Sorted(maps.Keys(o.Set))...)
	}
	if ks, ok := cfg.(tasks.KeysSetter); ok {
		ks.SetKeys(append(s.setKeys(vals), overridden...))
	}
	if err := s.validate(cfg); err != nil {
		return nil, s.validateErr(err, vals, seed)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "task = %q\nseed = %d\n", s.Task, seed)
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, &FileError{File: s.File, Msg: fmt.Sprintf("task %q: its config cannot be written as TOML (a bug in the task): %v", s.Task, err)}
	}
	sum := sha256.Sum256(buf.Bytes())
	return &RunSpec{
		ID:         s.idPrefix(vals, seed) + "_" + hex.EncodeToString(sum[:])[:8],
		Seed:       seed,
		Values:     vals,
		Config:     cfg,
		ConfigTOML: buf.Bytes(),
	}, nil
}

// earlierOverrideErr returns, for an error that an override's entry
// caused, the error of an earlier entry in the file where there is one, so
// that of several faulty entries the first in the file is reported rather
// than the first that a run in the sweep's order meets. It resolves the
// first configuration each earlier entry reaches; an error that only
// later runs of an entry show is not looked for. Any other error is
// returned as it is.
func (s *Sweep) earlierOverrideErr(err error, configs [][]any) error {
	k, ok := overrideIndex(err)
	if !ok {
		return err
	}
	checked := map[int]bool{}
	for _, o := range s.Overrides[:min(k, len(s.Overrides))] {
		i := slices.IndexFunc(configs, func(vals []any) bool { return o.matches(s, vals) })
		if i < 0 || checked[i] {
			continue
		}
		checked[i] = true
		if _, e := s.resolve(configs[i], s.Seeds[0]); e != nil {
			if j, isOverride := overrideIndex(e); isOverride && j < k {
				return e
			}
		}
	}
	return err
}

// overrideIndex returns the index of the [[overrides]] entry that err is
// about.
func overrideIndex(err error) (int, bool) {
	fe, ok := err.(*FileError)
	if !ok || fe.entry == 0 {
		return 0, false
	}
	return fe.entry - 1, true
}

// setKeys returns the keys the sweep file sets for the run with parameter
// values vals, for [tasks.KeysSetter]: the keys of [base], sorted, then
// the parameters' names in their order, but for a conditional parameter
// the run leaves out.
func (s *Sweep) setKeys(vals []any) []string {
	keys := slices.Sorted(maps.Keys(s.base))
	for i, p := range s.Params {
		if vals[i] != (unset{}) {
			keys = append(keys, p.Name)
		}
	}
	return keys
}

// validate calls cfg.Validate, then checks the run's memory estimate
// against the sweep's limit, turning a panic into an error.
func (s *Sweep) validate(cfg tasks.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Validate or EstimateMemory panicked (a bug in the task): %v", r)
		}
	}()
	if err := cfg.Validate(); err != nil {
		return err
	}
	return s.checkMemory(cfg)
}

// CheckDisk calls CheckDisk on the config of each of the runs with
// indices runs whose task config has one (tasks.DiskChecker), and returns
// the first error, placed in the file as a Validate error is: a data path
// that is missing on this machine fails here, once, rather than every run
// at its start. Parsing does not look at the disk, so that a sweep can be
// planned on another machine; `sweep validate` calls it for every run,
// `sweep run` for those it will run.
func (s *Sweep) CheckDisk(runs []int) error {
	for _, i := range runs {
		run := s.Runs[i]
		dc, ok := run.Config.(tasks.DiskChecker)
		if !ok {
			continue
		}
		if err := dc.CheckDisk(); err != nil {
			return s.validateErr(err, run.Values, run.Seed)
		}
	}
	return nil
}

// validateErr places an error from a config's Validate in the file: at the
// parameter or [base] key it names when it starts with a key, as in
// "batch_size = 0: must be at least 2".
func (s *Sweep) validateErr(err error, vals []any, seed int64) error {
	if fe, placed := errors.AsType[*FileError](err); placed {
		return fe // placed already, as checkMemory places a limit no run fits
	}
	msg := err.Error()
	m := validateKeyRe.FindStringSubmatch(msg)
	if m == nil {
		return &FileError{File: s.File, Msg: fmt.Sprintf("task %q rejects the run with %s: %s", s.Task, s.describeRun(vals, seed), msg)}
	}
	key := strings.Trim(m[1], `"'`)
	for i, p := range s.Params {
		if vals[i] == (unset{}) {
			continue // the run has [base]'s setting, placed below
		}
		if p.Name == key || strings.HasPrefix(key, p.Name+".") || strings.HasPrefix(p.Name, key+".") {
			field, elem := "values", p.valueIndex(vals[i])
			if len(p.Values) == 1 {
				field = "value"
			} else if p.Distribution != "" && p.Distribution != DistCategorical {
				field, elem = "min", -1
			}
			return &FileError{File: s.File, Line: s.loc.elementLine([]string{"parameters", p.Name, field}, "", 0, elem),
				Key: keyString([]string{"parameters", p.Name}), Msg: strings.TrimPrefix(msg, p.Name+": ") + s.whereHint(err, p)} // the key is named once
		}
	}
	segs := strings.Split(key, ".")
	for _, o := range slices.Backward(s.Overrides) {
		if _, set := o.Set[segs[0]]; set && o.matches(s, vals) {
			return &FileError{File: s.File, Line: s.loc.line([]string{"overrides", segs[0]}, "overrides", o.Index),
				Msg:   fmt.Sprintf("overrides[%d].%s (in the run with %s)", o.Index, msg, s.describeRun(vals, seed)),
				entry: o.Index + 1, place: fmt.Sprintf("overrides[%d].%s", o.Index, keyPart(segs[0]))}
		}
	}
	if _, set := s.dec.order[strings.Join(append([]string{"base"}, segs...), "\x00")]; set {
		path := append([]string{"base"}, segs...)
		return &FileError{File: s.File, Line: s.loc.elementLine(path, "", 0, indexOr(m[2], -1)), Msg: "base." + msg + s.unsetHint(err) + s.baseWhereHint(err), place: keyString(path)}
	}
	return &FileError{File: s.File, Line: s.loc.line([]string{"base"}, "", 0),
		Msg: fmt.Sprintf("base.%s (the task's default; set %s in [base])", msg, key)}
}

// takenWhere is an error, from a task's Validate, for a setting that the
// run's configuration does not take but others do: where the config key
// it names has one of values (an estimator's parameter that only some
// estimators take: estimators.ParamError).
type takenWhere interface {
	TakenWhere() (key string, values []string)
}

// takers returns the key and values that err says take its setting
// (takenWhere), or "" and none.
func takers(err error) (key string, values []string) {
	var tw takenWhere
	if !errors.As(err, &tw) {
		return "", nil
	}
	if key, values = tw.TakenWhere(); len(values) == 0 {
		return "", nil
	}
	return key, values
}

// whereHint returns, for err about parameter p that some of another swept
// parameter's values would take (takenWhere), the where that sweeps p
// for those alone, as "; give [parameters.p] where = { estimator = "smile"
// }"; "" where p already has a where, the other key is not swept, or none
// of its values would take p.
func (s *Sweep) whereHint(err error, p Param) string {
	key, values := takers(err)
	if p.Where != nil || key == "" {
		return ""
	}
	for _, q := range s.Params {
		if q.Name != key || !q.Swept() || q.Where != nil {
			continue
		}
		takers := q.valuesAmong(values)
		if len(takers) == 0 {
			return ""
		}
		at := keyString([]string{"parameters", p.Name})
		if len(takers) == 1 {
			return fmt.Sprintf("; to sweep it for %s = %q alone, give [%s] where = { %s = %q }", key, takers[0], at, key, takers[0])
		}
		return fmt.Sprintf("; %s = %s take it: give [%s] a where naming one of them, such as where = { %s = %q }",
			key, english.QuotedOr(takers), at, key, takers[0])
	}
	return ""
}

// valuesAmong returns p's values, formatted, that are among values.
func (p Param) valuesAmong(values []string) []string {
	var in []string
	for _, v := range p.Values {
		if slices.Contains(values, FormatValue(v)) {
			in = append(in, FormatValue(v))
		}
	}
	return in
}

// baseWhereHint returns, for err about a [base] setting that only some of
// a swept parameter's values take (takenWhere), how to set it for their
// runs alone, as in "; estimator = "tuba" takes it: move it from [base] to
// an [[overrides]] entry with where = { estimator = "tuba" }"; "" where
// the deciding key is not swept or none of its values takes the setting.
func (s *Sweep) baseWhereHint(err error) string {
	key, values := takers(err)
	for _, q := range s.Params {
		if key == "" || q.Name != key || !q.Swept() || q.Where != nil {
			continue
		}
		switch takers := q.valuesAmong(values); len(takers) {
		case 0:
			return ""
		case 1:
			return fmt.Sprintf("; %s = %q takes it: move it from [base] to an [[overrides]] entry with where = { %s = %q }", key, takers[0], key, takers[0])
		default:
			return fmt.Sprintf("; %s = %s take it: move it from [base] to [[overrides]] entries, one for each, such as where = { %s = %q }",
				key, english.QuotedOr(takers), key, takers[0])
		}
	}
	return ""
}

// unsetHint returns, for err about a setting that the value of another
// key decides (takenWhere) where the sweep sets that key nowhere, a note
// that the run has the task's default for it, as in "; estimator is not
// set, so the run has the task's default: set estimator in [base] (such
// as estimator = "smile")"; "" elsewhere.
func (s *Sweep) unsetHint(err error) string {
	key, values := takers(err)
	if key == "" {
		return ""
	}
	if _, set := s.dec.order["base\x00"+key]; set || slices.ContainsFunc(s.Params, func(p Param) bool { return p.Name == key }) {
		return ""
	}
	return fmt.Sprintf("; %s is not set, so the run has the task's default: set %s in [base] (such as %s = %q)", key, key, key, values[0])
}

// indexOr returns the array index that digits write, or none when
// digits is "" (or too long to be an index).
func indexOr(digits string, none int) int {
	if i, err := strconv.Atoi(digits); err == nil {
		return i
	}
	return none
}

// describeRun writes a run's parameter values and seed, as in
// "estimator = jsd, seed = 0".
func (s *Sweep) describeRun(vals []any, seed int64) string {
	var parts []string
	for i, p := range s.Params {
		if vals[i] != (unset{}) {
			parts = append(parts, p.Name+" = "+FormatValue(vals[i]))
		}
	}
	return strings.Join(append(parts, fmt.Sprintf("seed = %d", seed)), ", ")
}

// idPrefix is the readable part of a run id: each swept parameter as
// key-value (the key's last part), then the seed, as in
// "estimator-jsd_tau-5_s0".
func (s *Sweep) idPrefix(vals []any, seed int64) string {
	var parts []string
	for i, p := range s.Params {
		if !p.Swept() || vals[i] == (unset{}) {
			continue
		}
		segs := strings.Split(p.Name, ".")
		parts = append(parts, sanitize(segs[len(segs)-1])+"-"+idToken(vals[i]))
	}
	prefix := strings.Join(parts, "_")
	if len(prefix) > maxIDPrefix {
		prefix = strings.TrimRight(prefix[:maxIDPrefix], "_-.")
	}
	if prefix != "" {
		prefix += "_"
	}
	return prefix + "s" + strconv.FormatInt(seed, 10)
}

// idToken writes a value for a run id.
func idToken(v any) string {
	switch x := v.(type) {
	case float64:
		return sanitize(signToken(strings.ReplaceAll(strconv.FormatFloat(x, 'g', 4, 64), "+", "")))
	case int64:
		return sanitize(signToken(strconv.FormatInt(x, 10)))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = idToken(e)
		}
		return strings.Join(parts, "x")
	case map[string]any:
		return "table"
	}
	return sanitize(FormatValue(v))
}

// signToken writes a number's leading minus sign as "m" ("-0.5" is
// "m0.5"), which sanitize would trim: -1 and 1 would read the same in
// their runs' ids.
func signToken(s string) string {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return "m" + rest
	}
	return s
}

// sanitize keeps letters, digits, '.' and '-' and turns runs of anything
// else into one '-'.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
		if ok {
			b.WriteRune(c)
			dash = c == '-'
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-.")
	out = strings.ReplaceAll(out, "..", ".")
	if out == "" {
		return "x"
	}
	return out
}

// FormatValue writes a parameter value for people and for results.csv:
// strings bare, numbers in their shortest form, arrays in brackets.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = keyPart(k) + " = " + FormatValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case unset:
		return "" // a conditional parameter its run leaves out
	}
	return fmt.Sprint(v)
}

// ParamMap returns the run's parameter values by parameter name, as
// summary.json records them; a conditional parameter the run leaves out
// (see Param.Where) is not among them.
func (s *Sweep) ParamMap(r *RunSpec) map[string]any {
	m := make(map[string]any, len(s.Params))
	for i, p := range s.Params {
		if r.Values[i] != (unset{}) {
			m[p.Name] = r.Values[i]
		}
	}
	return m
}

// ParamNames returns the parameter names in the order of the file.
func (s *Sweep) ParamNames() []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// TaskInfo returns the registration of the sweep's task.
func (s *Sweep) TaskInfo() tasks.TaskInfo { return s.task }

// RunCapNote says why a random sweep has fewer configurations than its
// run_cap, and returns "" for any other sweep.
func (s *Sweep) RunCapNote() string {
	configs := len(s.Runs) / max(1, len(s.Seeds))
	if s.Method != MethodRandom || configs >= s.RunCap {
		return ""
	}
	return fmt.Sprintf("run_cap = %d, but the draws gave %s: identical draws are dropped, and the space holds no more or they kept repeating",
		s.RunCap, english.Plural(configs, "distinct configuration"))
}
