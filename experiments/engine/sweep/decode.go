// Package sweep reads sweep files, expands them into runs with stable ids,
// runs them resumably and reports on what a sweep directory holds.
//
// A sweep file is TOML:
//
//	name = "gaussian"           # directory under --out; only [A-Za-z0-9_-]
//	task = "gaussian"           # a registered task (sweep list)
//	description = "..."         # optional
//	method = "grid"             # "grid" (default) or "random"
//	seeds = [0, 1, 2]           # each configuration once per seed (default [0])
//	run_cap = 20                # random only, required: configurations to sample
//	sampler_seed = 1            # random only: seed of the sampler (default 0)
//	checkpoint_every = 1000     # checkpoint a run every 1000 steps (default: off)
//	checkpoint_minutes = 10     # and/or every 10 minutes (default 10 when
//	                            # neither is set; 0 and 0 turn checkpoints off)
//	keep_models = true          # keep each run's trained model (dim: its
//	                            # encoder.safetensors); default false
//	max_memory_gb = 64          # refuse a run estimated to need more (default:
//	                            # this machine's memory; 0 for no limit)
//
//	[base]                      # the task's settings over its defaults
//	batch_size = 64
//
//	[parameters.estimator]      # a swept setting
//	values = ["jsd", "infonce"]
//	[parameters."estimator_params.tau"]  # a dotted name reaches a nested key
//	values = [1.0, 5.0]
//	[parameters.num_negatives]  # grid only: an axis, swept around its [base]
//	values = [1, 16, 256]       # value while the other axes keep theirs (a
//	axis = true                 # one-factor-at-a-time design); the other
//	                            # parameters cross every point of the axes
//	[parameters.lr]             # random only: a distribution
//	distribution = "log_uniform_values"
//	min = 1e-4
//	max = 1e-3
//
//	[[overrides]]               # settings of the runs whose parameters
//	where = { estimator = "dv" } # have these values (grid or values only)
//	batch_size = 32
//
//	[[figures]]                 # reports, made after the runs
//	kind = "staircase"
//	name = "staircase"
//	[[tables]]
//	kind = "bias_variance"
//
// Decoding is strict: an unknown key, a wrong type or an impossible value is
// a [FileError] naming the file, the line and the key.
package sweep

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/reports"
)

// MaxRuns is the most runs a sweep file may expand to.
const MaxRuns = 20000

// The methods a sweep file can name.
const (
	MethodGrid   = "grid"
	MethodRandom = "random"
)

// The distributions a parameter of a random sweep can be drawn from.
const (
	DistCategorical = "categorical"        // uniform over values
	DistUniform     = "uniform"            // float, uniform on [min, max]
	DistIntUniform  = "int_uniform"        // integer, uniform on min..max
	DistLogUniform  = "log_uniform_values" // float, log-uniform on [min, max], min > 0
)

// Sweep is a decoded sweep file and its expanded runs.
type Sweep struct {
	// File is the path the sweep was read from.
	File        string
	Name        string
	Task        string
	Description string
	Method      string
	Seeds       []int64
	// RunCap and SamplerSeed are set for random sweeps.
	RunCap      int
	SamplerSeed int64
	// Checkpoint says when runs save checkpoints (checkpoint_every,
	// checkpoint_minutes). It does not change any run's id.
	Checkpoint checkpoint.Policy
	// KeepModels says that each run keeps its trained model in its folder
	// (keep_models; see tasks.ModelKeeper). Like Checkpoint, it does not
	// change any run's id or what a run computes.
	KeepModels bool
	// warnings are the parser's warnings about the file (see
	// [Sweep.Warnings]).
	warnings []string
	// MaxMemory is the most memory a run may be estimated to need
	// (max_memory_gb, or the machine's memory); validation refuses a run
	// over it.
	MaxMemory MemoryLimit
	// FileSHA256 is the hex SHA-256 of the sweep file's bytes, or, for a
	// file that extends others, of its bytes and theirs.
	FileSHA256 string
	// Extends are the files the sweep file extends, the nearest first, as
	// its Resolver named them.
	Extends []string
	// Params are the [parameters] entries in the order of the file.
	Params []Param
	// Overrides are the [[overrides]] entries in the order of the file.
	Overrides []Override
	// Figures and Tables are the reports to make.
	Figures []reports.Spec
	Tables  []reports.Spec
	// Runs are the expanded runs, in the order they are run.
	Runs []*RunSpec

	task tasks.TaskInfo
	base map[string]any
	// spare is a config that newConfig made and nothing used; the next
	// call returns it rather than decoding [base] again.
	spare tasks.Config
	dec   *decoder
	loc   *locator
	// planned are the runs decoded so far as reports see them (see
	// plannedRuns).
	planned []reports.Run
}

// Param is one [parameters] entry.
type Param struct {
	// Name is the dotted key path of the config setting, such as
	// "estimator_params.tau".
	Name string
	// Values are the values of a grid or categorical parameter (one value
	// for `value = x`).
	Values []any
	// Distribution is "" for a list of values, or one of the Dist constants.
	Distribution string
	// Min and Max bound uniform and log-uniform distributions; IntMin and
	// IntMax bound int_uniform.
	Min, Max       float64
	IntMin, IntMax int64
	// Line is the line of the entry in the file.
	Line int
	// Axis marks a parameter of a one-factor-at-a-time design (axis =
	// true): its values are swept while every other axis parameter keeps
	// its [base] value, Base, rather than in every combination with them.
	// The parameters that are not axes are crossed with every point of
	// the axes.
	Axis bool
	Base any
	// Where, unless nil, makes the parameter conditional (where = {
	// estimator = "smile" }): it is swept in the runs whose other
	// parameters have these values, and left out of the others, which
	// keep the setting of [base] (or the default) and run once rather than
	// once for each of its values. An estimator's own parameter swept
	// beside estimators that lack it is such a parameter.
	Where map[string]any
}

// Swept reports whether the parameter takes more than one value.
func (p Param) Swept() bool {
	if p.Axis {
		return len(p.Values) > 1 || valueKey(p.Values[0]) != valueKey(p.Base)
	}
	return p.Distribution != "" && p.Distribution != DistCategorical || len(p.Values) > 1
}

// RunSpec is one run of a sweep: a configuration and a seed.
type RunSpec struct {
	// Index is the run's position in the sweep, from 0.
	Index int
	// ID is the run's stable id, also its directory name.
	ID   string
	Seed int64
	// Values holds the value of each of Sweep.Params for this run.
	Values []any
	// Config is the fully resolved, validated task config.
	Config tasks.Config
	// ConfigTOML is the resolved config as config.toml holds it: task,
	// seed, then every setting of the task config.
	ConfigTOML []byte
}

// FileError is a problem with a sweep file.
type FileError struct {
	File string
	// Line is the line of the problem, or 0 when there is none.
	Line int
	// Key is the TOML key at fault, such as "base.batch_size"; it may be
	// empty.
	Key string
	Msg string
	// entry is one more than the index of the [[overrides]] entry the
	// error is about, or 0 when it is about none.
	entry int
	// place is the key whose line the error is at, where Key is empty
	// because Msg starts with the key itself (as in "base.lr = 0: ...");
	// placeError reads it, Error does not print it.
	place string
}

// Error writes the error as one line of readable length: the file (quoted
// when its name holds a line break or another unprintable character), the
// line, the key and the message, with long values cut (see
// english.ClipQuotes).
func (e *FileError) Error() string {
	var b strings.Builder
	if isPrintable(e.File) {
		b.WriteString(e.File)
	} else {
		b.WriteString(strconv.Quote(e.File))
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(english.Clip(e.Key))
		b.WriteString(": ")
	}
	b.WriteString(english.ClipQuotes(e.Msg))
	return b.String()
}

// Load reads and decodes the sweep file at path.
func Load(path string) (*Sweep, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

var (
	safeName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// validateKeyRe matches the key a task's Validate error starts with
	// (hidden[1] = 0: ...): the key, and the first index when there is one.
	validateKeyRe = regexp.MustCompile(`^\s*([A-Za-z0-9_.\-"']+)(?:\[([0-9]+)\])?(?:\[[0-9]+\])*(?:\s*[=:]|\s+is\s)`)
)

// Parse decodes a sweep file whose contents are src; file names it in
// errors. It checks everything that can be checked without training: the
// task exists, every key and value fits the task's config, every run's
// config passes Validate, and every report kind accepts its options.
// A file with an extends key builds on the sweep file it names (see
// mergedKeys), read by ResolveFile.
func Parse(file string, src []byte) (*Sweep, error) {
	return ParseWith(file, src, ResolveFile)
}

// ParseWith is Parse with the Resolver that finds the file an extends key
// names.
func ParseWith(file string, src []byte, resolve Resolver) (s *Sweep, err error) {
	return parseWith(file, src, resolve, true)
}

// ParseStored is ParseWith for the commands that read a sweep's stored
// runs (`sweep report` and `sweep status`). It leaves out the one check
// that rests on the task's word rather than on the file: that some run
// writes each metric a report names (tasks.MetricsNamer). The stored runs
// say what they wrote, and a report whose metric no run wrote fails on its
// own, so a task whose Metrics misses a metric that its runs do write
// cannot keep a finished sweep from its reports. CheckMetrics makes the
// check that ParseStored leaves out.
func ParseStored(file string, src []byte, resolve Resolver) (*Sweep, error) {
	return parseWith(file, src, resolve, false)
}

// parseWith is ParseWith, checking the metrics that reports name when
// checkMetrics is set.
func parseWith(file string, src []byte, resolve Resolver, checkMetrics bool) (s *Sweep, err error) {
	defer func() {
		// A panic here is a bug (in this package or in a task's
		// NewConfig or Validate), but it must not hide the file at fault.
		if r := recover(); r != nil {
			s, err = nil, &FileError{File: file, Msg: fmt.Sprintf("internal error while decoding (please report it): %v", r)}
		}
	}()
	p := &parser{file: file, loc: newLocator(string(src)), resolve: resolve, checked: map[string]error{}, checkMetrics: checkMetrics}
	s, err = p.parse(src)
	return s, placeError(err, p.chain)
}

type parser struct {
	file    string
	loc     *locator
	md      toml.MetaData
	resolve Resolver
	// chain is the file and those it extends, the file first; sha is the
	// hex SHA-256 of their bytes (of the file's alone when it extends none).
	chain []*layer
	sha   string
	// seen are the files that extend this one, when it is read as part of
	// a chain: a loop back to one of them is an error.
	seen []string
	// asParent says the file is read as another's parent; checked holds
	// each parent file's check, shared by the parsers of one chain so that
	// each file is checked once.
	asParent bool
	checked  map[string]error
	// checkMetrics says to check that some run writes each metric a
	// report names (see ParseStored).
	checkMetrics bool
}

// errAt builds the error for the key at path (its line looked up in the
// source).
func (p *parser) errAt(path []string, format string, args ...any) error {
	return &FileError{File: p.file, Line: p.loc.line(path, "", 0), Key: keyString(path), Msg: fmt.Sprintf(format, args...)}
}

var topLevelKeys = []string{"name", extendsKey, "task", "description", "method", "seeds", "run_cap", "sampler_seed", "checkpoint_every", "checkpoint_minutes", keepModelsKey, maxMemoryKey, "base", "parameters", "overrides", "figures", "tables"}

func (p *parser) parse(src []byte) (*Sweep, error) {
	root, err := p.decode(src)
	if err != nil {
		return nil, err
	}
	if root, p.chain, err = p.extend(root, src); err != nil {
		return nil, err
	}
	dec := p.newDecoder()
	if err := p.checkTopLevelKeys(dec, root); err != nil {
		return nil, err
	}
	s := &Sweep{File: p.file, dec: dec, loc: p.loc, Method: MethodGrid, Seeds: []int64{0}, FileSHA256: p.sha}
	for _, l := range p.chain[1:] {
		s.Extends = append(s.Extends, l.file)
	}
	for _, step := range []func(map[string]any, *Sweep) error{
		p.identity, p.method, p.seeds, p.randomKeys, p.checkpointKeys, p.keepModels, p.memoryLimit, p.base, p.parameters, p.overrides, p.reportLists,
	} {
		if err := step(root, s); err != nil {
			return nil, err
		}
	}
	if err := s.expand(); err != nil {
		return nil, err
	}
	if err := s.checkOverridesReachRuns(); err != nil {
		return nil, err
	}
	if err := s.checkReportKeys(p.checkMetrics); err != nil {
		return nil, err
	}
	return s, nil
}

// decode reads the TOML source into generic values, keeping the order of
// its keys in p.md; a syntax error names its line.
func (p *parser) decode(src []byte) (map[string]any, error) {
	var root map[string]any
	md, err := toml.Decode(string(src), &root)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line := pe.Position.Line
			// An error found at a line's end is reported on the next line.
			if st := pe.Position.Start; line > 1 && st >= 0 && st < len(src) && src[st] == '\n' && strings.Contains(pe.Message, `'\n'`) {
				line--
			}
			msg := "not valid TOML: " + pe.Message
			if strings.Contains(pe.Message, "has already been defined") {
				fix := "; keep one of the two"
				if lines := strings.Split(string(src), "\n"); line >= 1 && line <= len(lines) && strings.HasPrefix(strings.TrimSpace(lines[line-1]), "[") {
					fix = "; two tables of one name: merge them into one"
				}
				msg = strings.TrimSuffix(msg, ".") + fix
			}
			return nil, &FileError{File: p.file, Line: line, Msg: msg}
		}
		return nil, &FileError{File: p.file, Msg: "not valid TOML: " + err.Error()}
	}
	p.md = md
	return root, nil
}

// newDecoder returns the decoder of the file's tables, which knows where
// each key stands in the source.
func (p *parser) newDecoder() *decoder {
	return &decoder{order: chainOrder(p.chain)}
}

// checkTopLevelKeys reports the first top-level key that a sweep file does
// not have.
func (p *parser) checkTopLevelKeys(dec *decoder, root map[string]any) error {
	for _, k := range dec.sortedKeys(nil, root) {
		if !slices.Contains(topLevelKeys, k) {
			msg := "unknown key" + registry.DidYouMean(k, topLevelKeys)
			return p.errAt([]string{k}, "%s (a sweep file has: %s)", msg, strings.Join(topLevelKeys, ", "))
		}
	}
	return nil
}

// identity decodes name, task and description.
func (p *parser) identity(root map[string]any, s *Sweep) error {
	var err error
	if s.Name, err = p.str(root, "name", true); err != nil {
		return err
	}
	if err := checkName(s.Name); err != nil {
		return p.errAt([]string{"name"}, "%q %v", s.Name, err)
	}
	if s.Task, err = p.str(root, "task", true); err != nil {
		return err
	}
	if s.task, err = tasks.Lookup(s.Task); err != nil {
		return p.errAt([]string{"task"}, "%v; `sweep list` shows the tasks", err)
	}
	s.Description, err = p.str(root, "description", false)
	return err
}

// method decodes method, grid when it is missing.
func (p *parser) method(root map[string]any, s *Sweep) error {
	m, err := p.str(root, "method", false)
	if err != nil || m == "" {
		return err
	}
	if m != MethodGrid && m != MethodRandom {
		return p.errAt([]string{"method"}, "%q is not a method: use \"grid\" (every combination) or \"random\" (run_cap sampled configurations)", m)
	}
	s.Method = m
	return nil
}

// seeds decodes seeds, a list of distinct integers; [0] when it is missing.
func (p *parser) seeds(root map[string]any, s *Sweep) error {
	v, ok := root["seeds"]
	if !ok {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		return p.errAt([]string{"seeds"}, "%s: want a list of integers like seeds = [0, 1, 2]", describe(v))
	}
	if len(arr) == 0 {
		return p.errAt([]string{"seeds"}, "is empty: give at least one seed, like seeds = [0]")
	}
	if len(arr) > MaxRuns {
		return p.errAt([]string{"seeds"}, "lists %d seeds: a sweep has at most %d runs, and each seed is a run of every configuration", len(arr), MaxRuns)
	}
	s.Seeds = make([]int64, 0, len(arr))
	seen := make(map[int64]bool, len(arr))
	for _, x := range arr {
		n, isInt := x.(int64)
		if !isInt {
			return p.errAt([]string{"seeds"}, "%s: every seed must be an integer", describe(x))
		}
		if seen[n] {
			return p.errAt([]string{"seeds"}, "seed %d is listed twice", n)
		}
		seen[n] = true
		s.Seeds = append(s.Seeds, n)
	}
	return nil
}

// base decodes [base], the task's settings over its defaults, and checks
// that the task's config leaves the keys config.toml adds (task and seed)
// to the run.
func (p *parser) base(root map[string]any, s *Sweep) error {
	if v, ok := root["base"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return p.errAt([]string{"base"}, "%s: want a table, written [base]", describe(v))
		}
		s.base = m
	}
	cfg, err := s.newConfig()
	if err != nil {
		return err
	}
	s.spare = cfg
	names, _ := tomlFields(reflect.TypeOf(cfg).Elem())
	for _, reserved := range []string{"task", "seed"} {
		if slices.Contains(names, reserved) {
			return &FileError{File: p.file, Msg: fmt.Sprintf("task %q has a config key %q, which config.toml reserves for the run (a bug in the task)", s.Task, reserved)}
		}
	}
	return nil
}

// reportLists decodes the [[figures]] and [[tables]] entries.
func (p *parser) reportLists(root map[string]any, s *Sweep) error {
	var err error
	names := map[string]bool{}
	if s.Figures, err = p.reportSpecs(root, "figures", names); err != nil {
		return err
	}
	s.Tables, err = p.reportSpecs(root, "tables", names)
	return err
}

// checkName reports whether name can be a directory under the output
// directory.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty: name the sweep, like name = \"gaussian\"")
	case strings.Contains(name, "..") || strings.ContainsAny(name, `/\`):
		return fmt.Errorf("must not contain '/', '\\' or '..': it names a directory under --out; use only letters, digits, '_' and '-'")
	case !safeName.MatchString(name):
		return fmt.Errorf("may use only letters, digits, '_' and '-' (it names a directory)")
	case len(name) > 100:
		return fmt.Errorf("is longer than 100 characters")
	}
	return nil
}

// str returns the string at root[key]; required strings must be present
// and non-empty.
func (p *parser) str(root map[string]any, key string, required bool) (string, error) {
	v, ok := root[key]
	if !ok {
		if required {
			return "", &FileError{File: p.file, Key: key, Msg: fmt.Sprintf("missing: add %s = \"...\" at the top of the file", key)}
		}
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", p.errAt([]string{key}, "%s: want a string in quotes", describe(v))
	}
	if required && s == "" {
		return "", p.errAt([]string{key}, "is empty")
	}
	return s, nil
}

// randomKeys decodes run_cap and sampler_seed, which only random sweeps use.
func (p *parser) randomKeys(root map[string]any, s *Sweep) error {
	for _, key := range []string{"run_cap", "sampler_seed"} {
		v, ok := root[key]
		if !ok {
			continue
		}
		if s.Method != MethodRandom {
			return p.errAt([]string{key}, "is only used by method = \"random\": remove it, or set method = \"random\"")
		}
		n, isInt := v.(int64)
		if !isInt {
			return p.errAt([]string{key}, "%s: want an integer", describe(v))
		}
		if key == "run_cap" {
			if n < 1 || n > MaxRuns {
				return p.errAt([]string{key}, "%d: must be between 1 and %d", n, MaxRuns)
			}
			s.RunCap = int(n)
		} else {
			s.SamplerSeed = n
		}
	}
	if s.Method == MethodRandom && s.RunCap == 0 {
		return &FileError{File: p.file, Line: p.loc.line([]string{"method"}, "", 0), Key: "run_cap",
			Msg: "missing: a random sweep needs run_cap = N, the number of configurations to sample"}
	}
	return nil
}

// maxCheckpointMinutes bounds checkpoint_minutes (a week).
const maxCheckpointMinutes = 7 * 24 * 60

// checkpointKeys decodes checkpoint_every and checkpoint_minutes. With
// neither, runs are checkpointed every checkpoint.DefaultMinutes minutes;
// with only one, only it applies.
func (p *parser) checkpointKeys(root map[string]any, s *Sweep) error {
	every, hasEvery := root["checkpoint_every"]
	minutes, hasMinutes := root["checkpoint_minutes"]
	if !hasEvery && !hasMinutes {
		s.Checkpoint = checkpoint.Policy{Every: checkpoint.DefaultMinutes * time.Minute}
		return nil
	}
	if u, ok := s.task.Task.(tasks.Uncheckpointed); ok {
		key := "checkpoint_every"
		if !hasEvery {
			key = "checkpoint_minutes"
		}
		s.warnings = append(s.warnings, p.errAt([]string{key}, "task %q keeps no checkpoints (%s), so the checkpoint keys change nothing; remove them", s.Task, u.NoCheckpoints()).Error())
	}
	if hasEvery {
		n, isInt := every.(int64)
		if !isInt {
			return p.errAt([]string{"checkpoint_every"}, "%s: want a whole number of steps, like checkpoint_every = 1000 (0 for none)", describe(every))
		}
		if n < 0 || n > math.MaxInt32 {
			return p.errAt([]string{"checkpoint_every"}, "%d: must be between 0 (no step-based checkpoints) and %d", n, math.MaxInt32)
		}
		s.Checkpoint.EverySteps = int(n)
	}
	if hasMinutes {
		m, isNum := number(minutes)
		if !isNum {
			return p.errAt([]string{"checkpoint_minutes"}, "%s: want a number of minutes, like checkpoint_minutes = 10 (0 for none)", describe(minutes))
		}
		if !(m >= 0) || m > maxCheckpointMinutes {
			return p.errAt([]string{"checkpoint_minutes"}, "%s: must be between 0 (no time-based checkpoints) and %d", formatFloat(m), maxCheckpointMinutes)
		}
		s.Checkpoint.Every = time.Duration(m * float64(time.Minute))
	}
	return nil
}

// keepModelsKey is the sweep file's key that keeps each run's trained
// model.
const keepModelsKey = "keep_models"

// keepModels decodes keep_models, a boolean; setting it for a task that
// keeps no models (one that is not a tasks.ModelKeeper) is a warning.
func (p *parser) keepModels(root map[string]any, s *Sweep) error {
	v, ok := root[keepModelsKey]
	if !ok {
		return nil
	}
	keep, isBool := v.(bool)
	if !isBool {
		return p.errAt([]string{keepModelsKey}, "%s: want true or false, like %s = true (each run keeps its trained model in its folder)", describe(v), keepModelsKey)
	}
	s.KeepModels = keep
	if _, ok := s.task.Task.(tasks.ModelKeeper); keep && !ok {
		s.warnings = append(s.warnings, p.errAt([]string{keepModelsKey}, "task %q keeps no trained model, so %s changes nothing; remove it", s.Task, keepModelsKey).Error())
	}
	return nil
}

// newConfig returns a new task config holding the task's defaults with
// [base] decoded over them.
func (s *Sweep) newConfig() (tasks.Config, error) {
	if cfg := s.spare; cfg != nil {
		s.spare = nil
		return cfg, nil
	}
	cfg := s.task.Task.NewConfig()
	rv := reflect.ValueOf(cfg)
	if cfg == nil || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, &FileError{File: s.File, Msg: fmt.Sprintf("task %q: NewConfig must return a pointer to a struct, not %T (a bug in the task)", s.Task, cfg)}
	}
	if s.base == nil {
		return cfg, nil
	}
	d := *s.dec
	d.prefix = []string{"base"}
	if err := d.assign(rv.Elem(), s.base, nil); err != nil {
		return nil, s.fieldErr(err, []string{"base"}, "", 0)
	}
	return cfg, nil
}

// fieldErr turns a fieldError at a path below prefix into a FileError.
func (s *Sweep) fieldErr(err error, prefix []string, aot string, idx int) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return &FileError{File: s.File, Line: s.loc.line(prefix, aot, idx), Key: keyString(prefix), Msg: err.Error()}
	}
	path := append(clonePath(prefix), fe.Path...)
	// Array elements are not keys of their own: point at the element's
	// line in the array.
	for i, seg := range path {
		if i >= len(prefix) && isIndex(seg) {
			elem, _ := strconv.Atoi(seg)
			return &FileError{File: s.File, Line: s.loc.elementLine(path[:i], aot, idx, elem), Key: indexedKey(path, len(prefix)), Msg: fe.Msg}
		}
	}
	return &FileError{File: s.File, Line: s.loc.line(path, aot, idx), Key: keyString(path), Msg: fe.Msg}
}

func isIndex(seg string) bool {
	if seg == "" {
		return false
	}
	for _, c := range seg {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var paramSpecKeys = []string{"values", "value", "distribution", "min", "max", "axis", "where"}

// parameters decodes the [parameters] table.
func (p *parser) parameters(root map[string]any, s *Sweep) error {
	v, ok := root["parameters"]
	if !ok {
		return nil
	}
	table, isMap := v.(map[string]any)
	if !isMap {
		return p.errAt([]string{"parameters"}, "%s: want tables like [parameters.lr]", describe(v))
	}
	names := paramNames{}
	for _, name := range s.dec.sortedKeys([]string{"parameters"}, table) {
		path := []string{"parameters", name}
		spec, isMap := table[name].(map[string]any)
		if !isMap {
			return p.errAt(path, "%s: want a table, like [parameters.%s] with values = [...]", describe(table[name]), keyPart(name))
		}
		param, err := p.param(s, name, spec)
		if err != nil {
			return err
		}
		if other, ok := names.overlap(name); ok {
			return p.errAt(path, "overlaps parameter %s: sweep either the table or keys inside it, not both", english.Quote(other))
		}
		names.add(name)
		s.Params = append(s.Params, param)
	}
	conditional := func(name string) bool {
		spec, _ := table[name].(map[string]any)
		_, has := spec["where"]
		return has
	}
	for i := range s.Params {
		if err := p.paramWhere(s, &s.Params[i], table[s.Params[i].Name].(map[string]any), conditional); err != nil {
			return err
		}
	}
	return nil
}

// paramWhere decodes a parameter's where = { parameter = value }, which
// makes it conditional (see Param.Where), once every parameter is known:
// it may name only other parameters with values that are not conditional
// themselves (conditional says which have a where, in any order of the
// file), each with one of its values, and only in a grid.
func (p *parser) paramWhere(s *Sweep, param *Param, spec map[string]any, conditional func(name string) bool) error {
	wv, present := spec["where"]
	if !present {
		return nil
	}
	path := []string{"parameters", param.Name, "where"}
	where, ok := wv.(map[string]any)
	switch {
	case !ok:
		return p.errAt(path, "%s: want a table, such as where = { estimator = \"smile\" }", describe(wv))
	case len(where) == 0:
		return p.errAt(path, "is empty: name the parameter values whose runs sweep %s, such as where = { estimator = \"smile\" }", param.Name)
	case s.Method != MethodGrid:
		return p.errAt(path, "a conditional parameter needs a grid sweep (method = \"grid\")")
	case param.Axis:
		return p.errAt(path, "an axis cannot be conditional: leave out axis or where")
	}
	for _, name := range slices.Sorted(maps.Keys(where)) {
		switch {
		case name == param.Name:
			return p.errAt(path, "names the parameter itself: name the other parameters whose values select the runs")
		case conditional(name):
			return p.errAt(path, "%q is conditional itself: where can name only parameters that every run has", name)
		}
	}
	if msg := s.whereProblem(where); msg != "" {
		return p.whereError(s, where, keyString(path), p.loc.line(path, "", 0), msg)
	}
	param.Where = where
	return nil
}

// paramNames are the dotted names of the parameters decoded so far, by
// every prefix of each (keyed by the prefix, holding the name), so that
// whether a new name overlaps one of them takes time in its length only.
type paramNames map[string]string

// overlap returns a parameter that is name, a table inside which name
// lies, or a key inside name.
func (ns paramNames) overlap(name string) (string, bool) {
	if other, ok := ns[name]; ok {
		return other, true
	}
	for i := range len(name) {
		if name[i] == '.' {
			if other, ok := ns[name[:i]]; ok && other == name[:i] {
				return other, true
			}
		}
	}
	return "", false
}

// add records name and its prefixes.
func (ns paramNames) add(name string) {
	ns[name] = name
	for i := range len(name) {
		if name[i] == '.' {
			if _, ok := ns[name[:i]]; !ok {
				ns[name[:i]] = name
			}
		}
	}
}

// param decodes one [parameters.NAME] table and checks its values against
// the task config.
func (p *parser) param(s *Sweep, name string, spec map[string]any) (Param, error) {
	ps := newParamSpec(p, s, name, spec)
	param := Param{Name: name, Line: p.loc.line(ps.path, "", 0)}
	if slices.Contains(strings.Split(name, "."), "") {
		return param, p.errAt(ps.path, "%q is not a key path: use names separated by single dots, like \"optim.lr\"", name)
	}
	// The distribution first: one of W&B's that is not supported here
	// comes with keys of its own (q, mu, sigma), which its error explains.
	var err error
	if param.Distribution, err = ps.distribution(); err != nil {
		return param, err
	}
	if err := ps.checkKeys(); err != nil {
		return param, err
	}
	if param.Distribution == "" || param.Distribution == DistCategorical {
		err = ps.values(&param)
	} else {
		err = ps.bounds(&param)
	}
	if err != nil {
		return param, err
	}
	return param, ps.axis(&param)
}

// axis decodes axis = true, which makes the parameter an axis of a
// one-factor-at-a-time grid around its [base] value (see Param.Axis).
func (ps *paramSpec) axis(param *Param) error {
	v, ok := ps.spec["axis"]
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	switch {
	case !isBool:
		return ps.errAt("axis", "%s: want true or false", describe(v))
	case !b:
		return nil
	case ps.s.Method != MethodGrid || param.Distribution != "":
		return ps.errAt("axis", "only a grid parameter with values = [...] can be an axis")
	}
	base, found := any(ps.s.base), true
	for _, part := range strings.Split(ps.name, ".") {
		m, isMap := base.(map[string]any)
		if !isMap {
			found = false
			break
		}
		if base, found = m[part]; !found {
			break
		}
	}
	if !found {
		return ps.errAt("axis", "an axis is swept around its value in [base]: add %s = ... to [base]", ps.name)
	}
	param.Axis, param.Base = true, base
	return nil
}

// paramSpec is a [parameters.NAME] table being decoded, with which of its
// keys it has.
type paramSpec struct {
	p    *parser
	s    *Sweep
	name string
	path []string
	spec map[string]any

	hasValues, hasValue, hasDist, hasMin, hasMax bool
}

// newParamSpec returns the [parameters.NAME] table spec being decoded.
func newParamSpec(p *parser, s *Sweep, name string, spec map[string]any) *paramSpec {
	ps := &paramSpec{p: p, s: s, name: name, path: []string{"parameters", name}, spec: spec}
	_, ps.hasValues = spec["values"]
	_, ps.hasValue = spec["value"]
	_, ps.hasDist = spec["distribution"]
	_, ps.hasMin = spec["min"]
	_, ps.hasMax = spec["max"]
	return ps
}

// at is the path of key in the table.
func (ps *paramSpec) at(key string) []string { return append(clonePath(ps.path), key) }

// errAt builds the error for key in the table.
func (ps *paramSpec) errAt(key, format string, args ...any) error {
	return ps.p.errAt(ps.at(key), format, args...)
}

// valueKey is the key that holds the values: value when the table has
// it, else values.
func (ps *paramSpec) valueKey() string {
	if ps.hasValue {
		return "value"
	}
	return "values"
}

// checkKeys reports the first key that a parameter does not have, and a
// table with both values and value.
func (ps *paramSpec) checkKeys() error {
	for _, k := range ps.s.dec.sortedKeys(ps.path, ps.spec) {
		if slices.Contains(paramSpecKeys, k) {
			continue
		}
		if _, isTable := ps.spec[k].(map[string]any); isTable {
			return ps.errAt(k, "unknown key; to sweep the nested setting %s.%s, quote its dotted name: [parameters.\"%s.%s\"]", ps.name, k, ps.name, k)
		}
		msg := "unknown key" + registry.DidYouMean(k, paramSpecKeys)
		return ps.errAt(k, "%s (a parameter has values = [...], value = x, or distribution with min and max)", msg)
	}
	if ps.hasValues && ps.hasValue {
		return ps.errAt("value", "give either values = [...] or value = x, not both")
	}
	return nil
}

// distribution decodes distribution, which only a random sweep can have
// and must be one of distributions; "" when there is none.
func (ps *paramSpec) distribution() (string, error) {
	if !ps.hasDist {
		return "", nil
	}
	distV := ps.spec["distribution"]
	d, isStr := distV.(string)
	if !isStr {
		return "", ps.errAt("distribution", "%s: want a string", describe(distV))
	}
	if ps.s.Method != MethodRandom {
		return "", ps.errAt("distribution", "a grid sweep cannot sample: list the points with values = [...], or set method = \"random\"")
	}
	if !slices.Contains(distributions, d) {
		return "", ps.errAt("distribution", "%s", unknownDistribution(d, ps.spec))
	}
	return d, nil
}

// distributions are the distributions a sweep file can name.
var distributions = []string{DistCategorical, DistUniform, DistIntUniform, DistLogUniform}

// unknownDistribution is the error message for distribution = d, which is
// not one of distributions; spec is the parameter's table. W&B's other
// distributions get what to write instead: log_uniform and
// inv_log_uniform, whose min and max are natural logs, the bounds of
// log_uniform_values that draws the same values (worked out where spec
// has min and max); inv_log_uniform_values, the same distribution as
// log_uniform_values; constant, value = x. Those with no equivalent (the
// quantized q_*, normal, log_normal, beta) are said to be unsupported.
// Any other name gets the closest known one, if any is near.
func unknownDistribution(d string, spec map[string]any) string {
	head := fmt.Sprintf("%q is not a distribution here", d)
	lo, okLo := number(spec["min"])
	hi, okHi := number(spec["max"])
	logBounds := func(from, to float64) string {
		if !okLo || !okHi {
			return ""
		}
		return fmt.Sprintf(" (here min = %s, max = %s)", strconv.FormatFloat(from, 'g', 4, 64), strconv.FormatFloat(to, 'g', 4, 64))
	}
	switch d {
	case "log_uniform":
		return fmt.Sprintf("%s; did you mean %q? W&B's log_uniform draws e^x for x uniform on [min, max]: "+
			"%s takes the bounds themselves, min = e^min and max = e^max%s", head, DistLogUniform, DistLogUniform, logBounds(math.Exp(lo), math.Exp(hi)))
	case "inv_log_uniform":
		return fmt.Sprintf("%s; did you mean %q? W&B's inv_log_uniform draws e^-x for x uniform on [min, max]: "+
			"%s takes the bounds themselves, min = e^-max and max = e^-min%s", head, DistLogUniform, DistLogUniform, logBounds(math.Exp(-hi), math.Exp(-lo)))
	case "inv_log_uniform_values":
		return fmt.Sprintf("%s; did you mean %q? W&B's inv_log_uniform_values draws from the same distribution, with the same min and max", head, DistLogUniform)
	case "constant":
		return fmt.Sprintf("%s: for W&B's constant, write value = x and no distribution", head)
	case "q_uniform", "q_log_uniform", "q_log_uniform_values", "q_normal", "q_log_normal", "q_beta":
		return fmt.Sprintf("%s: W&B's quantized distributions (q_*) are not supported; use %q for whole numbers, or list the values to draw from with values = [...]", head, DistIntUniform)
	case "normal", "log_normal", "beta":
		return fmt.Sprintf("%s: W&B's %s is not supported; draw between bounds with %q or %q and min and max, or list the values with values = [...]", head, d, DistUniform, DistLogUniform)
	}
	return fmt.Sprintf("%s (known: %s)%s", head, strings.Join(distributions, ", "), registry.DidYouMean(d, distributions))
}

// values decodes the values of a grid or categorical parameter (values =
// [...] or value = x) and checks that they are distinct and fit the task
// config.
func (ps *paramSpec) values(param *Param) error {
	if ps.hasMin || ps.hasMax {
		key := "min"
		if !ps.hasMin {
			key = "max"
		}
		return ps.errAt(key, "min and max need distribution = \"uniform\", \"int_uniform\" or \"log_uniform_values\"")
	}
	switch {
	case ps.hasValues:
		arr, isArr := asArray(ps.spec["values"])
		if !isArr {
			return ps.errAt("values", "%s: want a list like values = [1, 2]; for one value write value = x", describe(ps.spec["values"]))
		}
		if len(arr) == 0 {
			return ps.errAt("values", "is empty: list at least one value")
		}
		param.Values = arr
	case ps.hasValue:
		if param.Distribution == DistCategorical {
			return ps.errAt("value", "a categorical distribution needs values = [...]")
		}
		param.Values = []any{ps.spec["value"]}
	default:
		return ps.p.errAt(ps.path, "has no values: add values = [...] or value = x")
	}
	if len(param.Values) > MaxRuns {
		return ps.errAt("values", "lists %d values: a sweep has at most %d runs", len(param.Values), MaxRuns)
	}
	seen := make(map[string]bool, len(param.Values))
	for _, v := range param.Values {
		key := valueKey(v)
		if seen[key] {
			return ps.errAt("values", "lists %s twice", english.Clip(FormatValue(v)))
		}
		seen[key] = true
	}
	return ps.tryValues(ps.valueKey(), param.Values...)
}

// bounds decodes min and max, the bounds of a uniform, log-uniform or
// int_uniform distribution, and checks that they fit the task config.
func (ps *paramSpec) bounds(param *Param) error {
	if ps.hasValues || ps.hasValue {
		key := ps.valueKey()
		return ps.errAt(key, "distribution %q takes min and max, not %s", param.Distribution, key)
	}
	if !ps.hasMin || !ps.hasMax {
		key := "min"
		if ps.hasMin {
			key = "max"
		}
		return ps.errAt(key, "missing: distribution %q needs min and max", param.Distribution)
	}
	if param.Distribution == DistIntUniform {
		return ps.intBounds(param)
	}
	return ps.floatBounds(param)
}

// intBounds decodes the integer bounds of an int_uniform distribution.
func (ps *paramSpec) intBounds(param *Param) error {
	lo, okLo := ps.spec["min"].(int64)
	hi, okHi := ps.spec["max"].(int64)
	if !okLo {
		return ps.errAt("min", "%s: int_uniform needs integer bounds", describe(ps.spec["min"]))
	}
	if !okHi {
		return ps.errAt("max", "%s: int_uniform needs integer bounds", describe(ps.spec["max"]))
	}
	if lo > hi {
		return ps.errAt("min", "min = %d is above max = %d: swap them", lo, hi)
	}
	if hi/2-lo/2 >= 1<<61 {
		return ps.errAt("max", "the range %d..%d is too wide to sample", lo, hi)
	}
	param.IntMin, param.IntMax = lo, hi
	return ps.tryValues("min", lo, hi)
}

// floatBounds decodes the finite bounds of a uniform or log-uniform
// distribution.
func (ps *paramSpec) floatBounds(param *Param) error {
	lo, okLo := number(ps.spec["min"])
	hi, okHi := number(ps.spec["max"])
	if !okLo {
		return ps.errAt("min", "%s: want a number", describe(ps.spec["min"]))
	}
	if !okHi {
		return ps.errAt("max", "%s: want a number", describe(ps.spec["max"]))
	}
	for _, b := range []struct {
		key string
		v   float64
	}{{"min", lo}, {"max", hi}} {
		if math.IsNaN(b.v) || math.IsInf(b.v, 0) {
			return ps.errAt(b.key, "%s = %s: min and max must be finite", b.key, formatFloat(b.v))
		}
	}
	if lo > hi {
		return ps.errAt("min", "min = %s is above max = %s: swap them", formatFloat(lo), formatFloat(hi))
	}
	if param.Distribution == DistLogUniform && lo <= 0 {
		return ps.errAt("min", "min = %s: log_uniform_values needs min > 0", formatFloat(lo))
	}
	param.Min, param.Max = lo, hi
	if ps.s.tryValue(ps.name, lo) != nil && lo == math.Trunc(lo) && ps.s.tryValue(ps.name, int64(lo)) == nil {
		fix := fmt.Sprintf("use distribution = %q", DistIntUniform)
		if param.Distribution == DistLogUniform {
			fix = fmt.Sprintf("list values = [...] spaced as you want them (such as %s), or use distribution = %q, spaced evenly", logSpaced(lo, hi), DistIntUniform)
		}
		return ps.errAt("distribution", "%q draws fractional numbers, and %s takes whole ones: %s", param.Distribution, ps.name, fix)
	}
	return ps.tryValues("min", lo, hi)
}

// logSpaced writes whole numbers from lo to hi, each twice the one before
// (at most five, the last hi): "[16, 32, 64]".
func logSpaced(lo, hi float64) string {
	var vals []string
	for v := max(lo, 1); v < hi && len(vals) < 4; v *= 2 {
		vals = append(vals, strconv.FormatFloat(math.Round(v), 'f', -1, 64))
	}
	return "[" + strings.Join(append(vals, strconv.FormatFloat(math.Round(hi), 'f', -1, 64)), ", ") + "]"
}

// tryValues applies each value to a fresh config, reporting the first that
// does not fit at key.
func (ps *paramSpec) tryValues(key string, values ...any) error {
	for i, x := range values {
		if err := ps.s.tryValue(ps.name, x); err != nil {
			elem := -1
			if key == "values" {
				elem = i
			}
			return ps.s.paramErr(err, ps.name, key, elem)
		}
	}
	return nil
}

// number returns v as a float if it is a TOML number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// valueKey returns a key that two TOML values share when they are the same
// value of the same type, as reflect.DeepEqual compares them (but with NaN
// equal to itself), so that a map finds repeated values.
func valueKey(v any) string {
	var b strings.Builder
	writeValueKey(&b, v)
	return b.String()
}

// writeValueKey writes the key of v; see valueKey.
func writeValueKey(b *strings.Builder, v any) {
	switch x := v.(type) {
	case []any:
		b.WriteByte('[')
		for _, e := range x {
			writeValueKey(b, e)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case []map[string]any:
		arr, _ := asArray(x)
		writeValueKey(b, arr)
	case map[string]any:
		b.WriteByte('{')
		for _, k := range slices.Sorted(maps.Keys(x)) {
			b.WriteString(strconv.Quote(k))
			b.WriteByte('=')
			writeValueKey(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case float64:
		if x == 0 {
			x = 0 // -0 is 0, as == has it
		}
		b.WriteString("float:" + strconv.FormatFloat(x, 'g', -1, 64))
	default:
		fmt.Fprintf(b, "%T:%#v", v, v)
	}
}

// tryValue applies value to the parameter name of a fresh config, to check
// that the key exists and the value has its type.
func (s *Sweep) tryValue(name string, value any) error {
	_, err := s.configWith(name, value)
	return err
}

// configWith returns a fresh config with value applied to the parameter
// name, and the error of applying it; a nil config where none could be
// made.
func (s *Sweep) configWith(name string, value any) (tasks.Config, error) {
	cfg, err := s.newConfig()
	if err != nil {
		return nil, err
	}
	return cfg, s.dec.setPath(reflect.ValueOf(cfg).Elem(), strings.Split(name, "."), value, nil)
}

// paramErr reports err, found while applying parameter name, at the line of
// the parameter's key, or of element elem of the key's array when elem is
// not -1.
func (s *Sweep) paramErr(err error, name, key string, elem int) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	path := []string{"parameters", name, key}
	msg := err.Error()
	var f *fieldError
	if errors.As(err, &f) {
		msg = f.Msg
		if f.Unknown {
			msg = fmt.Sprintf("names no setting of task %q: at %s, %s", s.Task, keyString(f.Path), f.Msg)
		} else {
			msg = fmt.Sprintf("a value for %s: %s", name, f.Msg)
		}
	}
	return &FileError{File: s.File, Line: s.loc.elementLine(path, "", 0, elem), Key: keyString(path[:2]), Msg: msg}
}

// nameTaken is the error for a report entry whose name another report has
// taken: at its name's line, or, where it has none and takes its kind's,
// at its kind's, saying so.
func (p *parser) nameTaken(m map[string]any, entry, name string, at func(key string) int) error {
	if _, named := m["name"]; !named {
		return &FileError{File: p.file, Line: at("kind"), Key: entry + ".name", Msg: fmt.Sprintf(
			"%q, the name a report without name = \"...\" takes from its kind, is already the name of another report: give each figure and table its own name", name)}
	}
	return &FileError{File: p.file, Line: at("name"), Key: entry + ".name", Msg: fmt.Sprintf("%q is already the name of another report: give each figure and table its own name", name)}
}

// reportSpecs decodes the [[figures]] or [[tables]] entries. Names must be
// unique across both lists: names holds those taken, and gets the new ones.
func (p *parser) reportSpecs(root map[string]any, list string, names map[string]bool) ([]reports.Spec, error) {
	v, ok := root[list]
	if !ok {
		return nil, nil
	}
	arr, isArr := asArray(v)
	if !isArr {
		return nil, p.errAt([]string{list}, "%s: want [[%s]] entries", describe(v), list)
	}
	var specs []reports.Spec
	for i, x := range arr {
		at := func(key string) int { return p.loc.line([]string{list, key}, list, i) }
		entry := fmt.Sprintf("%s[%d]", list, i)
		m, isMap := x.(map[string]any)
		if !isMap {
			return nil, &FileError{File: p.file, Line: p.loc.line([]string{list}, "", 0), Key: entry, Msg: describe(x) + ": want a table with kind = \"...\""}
		}
		kindV, ok := m["kind"]
		if !ok {
			return nil, &FileError{File: p.file, Line: at(""), Key: entry, Msg: fmt.Sprintf("missing kind = \"...\" (known kinds: %s)", strings.Join(reports.Names(), ", "))}
		}
		kindName, isStr := kindV.(string)
		if !isStr {
			return nil, &FileError{File: p.file, Line: at("kind"), Key: entry + ".kind", Msg: describe(kindV) + ": want a string"}
		}
		kind, err := reports.Lookup(kindName)
		if err != nil {
			return nil, &FileError{File: p.file, Line: at("kind"), Key: entry + ".kind", Msg: err.Error()}
		}
		name := kindName
		if nv, ok := m["name"]; ok {
			ns, isStr := nv.(string)
			if !isStr {
				return nil, &FileError{File: p.file, Line: at("name"), Key: entry + ".name", Msg: describe(nv) + ": want a string"}
			}
			name = ns
		}
		if err := checkName(name); err != nil {
			return nil, &FileError{File: p.file, Line: at("name"), Key: entry + ".name", Msg: fmt.Sprintf("%q %v", name, err)}
		}
		if names[name] {
			return nil, p.nameTaken(m, entry, name, at)
		}
		names[name] = true
		spec := reports.Spec{Kind: kindName, Name: name, Options: map[string]any{}}
		for k, val := range m {
			if k != "kind" && k != "name" {
				spec.Options[k] = val
			}
		}
		if err := checkReport(kind, spec); err != nil {
			line, key := at(""), entry
			var oe *reports.OptionError
			if errors.As(err, &oe) {
				if _, ok := spec.Options[oe.Option]; ok {
					return nil, &FileError{File: p.file, Line: at(oe.Option), Key: entry + "." + keyPart(oe.Option), Msg: err.Error()}
				}
				return nil, &FileError{File: p.file, Line: line, Key: key, Msg: err.Error()}
			}
			for _, k := range slices.Sorted(maps.Keys(spec.Options)) {
				if strings.Contains(err.Error(), k) {
					line, key = at(k), entry+"."+keyPart(k)
					break
				}
			}
			return nil, &FileError{File: p.file, Line: line, Key: key, Msg: err.Error()}
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// checkReport runs a report kind's Check, turning a panic into an error,
// then reports.CheckPool.
func checkReport(kind reports.Kind, spec reports.Spec) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("report kind %q failed to check its options (a bug in the report kind): %v", kind.Name, r)
		}
	}()
	if err := kind.Check(spec); err != nil {
		return err
	}
	return reports.CheckPool(kind, spec)
}

// keyString writes a key path as TOML would, quoting parts that are not
// bare keys.
func keyString(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = keyPart(p)
	}
	return strings.Join(parts, ".")
}

// indexedKey is keyString for a path whose segments from the first'th on
// that are numbers index arrays: a.b[1].c rather than a.b.1.c.
func indexedKey(path []string, first int) string {
	var b strings.Builder
	for i, p := range path {
		switch {
		case i >= first && isIndex(p):
			b.WriteString("[" + p + "]")
		case i > 0:
			b.WriteString("." + keyPart(p))
		default:
			b.WriteString(keyPart(p))
		}
	}
	return b.String()
}

func keyPart(p string) string {
	if p == "" {
		return `""`
	}
	for i := 0; i < len(p); i++ {
		if !isBareKeyByte(p[i]) {
			return fmt.Sprintf("%q", p)
		}
	}
	return p
}
