// Package estimators holds the mutual-information estimators that infomax compares.
//
// An estimator turns a matrix of critic scores into a training loss and an
// estimate of the mutual information in nats. Scores are arranged so that
// scores[i][j] = T(x_j, y_i): row i holds every candidate scored against the
// i-th code y_i. A [Mask] says which entries are positive (joint) pairs, which
// are negative (product-of-marginals) pairs, and which take no part. The
// correlated-Gaussian benchmark uses a square matrix with positives on the
// diagonal ([Diagonal]); Deep InfoMax's local objective compares each global
// vector with every location of every image ([Blocks]).
//
// Estimators register themselves by name in init, in the style of
// database/sql drivers; [New] builds one by name and [Names] lists them.
package estimators

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"

	G "gorgonia.org/gorgonia"
)

// Estimator turns critic scores into a training loss and an MI estimate.
//
// An Estimator value belongs to one model: estimators with state (such as
// mine's moving average) keep it between steps, so build a new one with [New]
// for every run.
type Estimator interface {
	// Build adds the estimator's loss and MI estimate for scores to the
	// graph that holds scores. scores has shape (mask.Rows, mask.Cols).
	Build(scores *G.Node, mask *Mask) (*Terms, error)
	// Reference computes the same loss and MI estimate in float64 from
	// row-major scores of shape (mask.Rows, mask.Cols). It is the
	// specification that Build is tested against, and it needs no graph.
	Reference(scores []float64, mask *Mask) (loss, mi float64)
}

// EstimateReferencer is the optional ability of an Estimator whose loss is
// not its negated estimate (jsd and smile train on the JS loss): it
// computes Reference's estimate alone, which is all a task scoring
// millions of test pairs needs. Call [ReferenceEstimate] rather than the
// method.
type EstimateReferencer interface {
	// ReferenceEstimate returns the mi that Reference returns, the same
	// bits, without computing the loss.
	ReferenceEstimate(scores []float64, mask *Mask) float64
}

// ReferenceEstimate returns e's float64 MI estimate on row-major scores of
// shape (mask.Rows, mask.Cols), as e.Reference's second result, computing
// it alone where e is an [EstimateReferencer].
func ReferenceEstimate(e Estimator, scores []float64, mask *Mask) float64 {
	if r, ok := e.(EstimateReferencer); ok {
		return r.ReferenceEstimate(scores, mask)
	}
	_, mi := e.Reference(scores, mask)
	return mi
}

// Terms are the nodes an estimator adds to a graph.
type Terms struct {
	// Loss is the scalar that training minimizes.
	Loss *G.Node
	// MI is the scalar estimate of the mutual information in nats.
	MI *G.Node
}

// Build calls e.Build and checks what it returns: terms with a Loss and an
// MI, both scalar nodes, so that a plug-in's missing term is an error,
// which the caller prefixes with the estimator's name, rather than a nil
// pointer dereference in the training loop.
func Build(e Estimator, scores *G.Node, mask *Mask) (*Terms, error) {
	t, err := e.Build(scores, mask)
	switch {
	case err != nil:
		return nil, err
	case t == nil:
		return nil, fmt.Errorf("Build returned neither Terms nor an error")
	case t.Loss == nil || t.MI == nil:
		return nil, fmt.Errorf("Build returned Terms without a Loss or an MI node; it must set both")
	case !t.Loss.IsScalar() || !t.MI.IsScalar():
		return nil, fmt.Errorf("Build returned a Loss of shape %v and an MI of shape %v; both must be scalars", t.Loss.Shape(), t.MI.Shape())
	}
	return t, nil
}

// DivergedError is what an estimator returns when its critic's scores have
// diverged past what it can go on from, such as mine's partition term
// overflowing to +Inf: the run is recorded as diverged (deterministic, it
// would diverge again), as one whose loss stopped being finite is.
type DivergedError struct {
	Reason string
}

func (e *DivergedError) Error() string { return e.Reason }

// Divergence returns e.Reason: a *DivergedError is a tasks.Divergence.
func (e *DivergedError) Divergence() string { return e.Reason }

// Updater is implemented by estimators that keep state between training
// steps, such as mine's moving average of the partition function. The
// training loop calls Update after every step, once the graph has run.
type Updater interface {
	Update() error
}

// Bounded is implemented by estimators whose estimate can never exceed a
// known ceiling, such as infonce's log K. Ceiling returns that ceiling in
// nats for the given mask, or +Inf where the estimator's parameters give
// it none (interpolated at alpha = 0, which is nwj).
type Bounded interface {
	Ceiling(mask *Mask) float64
}

// Divergence is implemented by estimators whose loss bounds a divergence
// between the joint distribution and the product of the marginals other
// than the MI, such as jsd's Jensen-Shannon divergence. A training loop
// reports it beside the MI estimate: it is what the critic is trained on,
// and it stays bounded where the MI read-out of the same critic does not.
type Divergence interface {
	// DivergenceName is the divergence's short name, such as "js", for
	// metric names.
	DivergenceName() string
	// Divergence converts a value of the loss into the lower bound on the
	// divergence, in nats, that the loss gives.
	Divergence(loss float64) float64
}

// Role says what part an entry of the score matrix plays.
type Role uint8

// The roles of an entry of the score matrix.
const (
	Ignored  Role = iota // takes no part in the estimate
	Positive             // a pair drawn from the joint distribution
	Negative             // a pair drawn from the product of marginals
)

// Mask gives the role of every entry of a Rows x Cols score matrix.
type Mask struct {
	Rows, Cols int
	// Roles holds Rows*Cols roles in row-major order.
	Roles []Role

	// refill holds, for every constant node that a Build made from the
	// mask, the function that rewrites the node's values from Roles (see
	// [Mask.Changed]); built records each row's counts of positives and
	// negatives at the first Build; id, when not 0, sets the mask's
	// constant nodes apart from those of any other mask (see maskKey).
	refill []func()
	built  []rowCount
	id     uint64
}

// rowCount is the number of positives and negatives in a row of a mask.
type rowCount struct{ pos, neg int }

// rowCounts returns the counts of positives and negatives of every row.
func (m *Mask) rowCounts() []rowCount {
	out := make([]rowCount, m.Rows)
	for i := range out {
		for _, r := range m.Roles[i*m.Cols : (i+1)*m.Cols] {
			switch r {
			case Positive:
				out[i].pos++
			case Negative:
				out[i].neg++
			}
		}
	}
	return out
}

// Changed rewrites, in place, the constant nodes that estimators built from
// m, after the caller has changed m.Roles: the next run of their graphs
// uses the new roles. Every row must keep the numbers of positives and
// negatives it had when the graphs were built, since the estimators fold
// those counts into their constants (the means' divisors, InfoNCE's
// ceiling); Changed returns an error, and rewrites nothing, if one did not.
// [NegativeSampler] uses it to draw new negatives at every step.
func (m *Mask) Changed() error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.built != nil {
		for i, c := range m.rowCounts() {
			if c != m.built[i] {
				return fmt.Errorf("estimators: mask row %d now has %d positives and %d negatives, but its graphs were built with %d and %d; a changed mask must keep each row's counts",
					i, c.pos, c.neg, m.built[i].pos, m.built[i].neg)
			}
		}
	}
	for _, f := range m.refill {
		f()
	}
	return nil
}

// NewMask returns a mask of the given shape whose roles are all Ignored.
func NewMask(rows, cols int) (*Mask, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("estimators: mask shape %dx%d must be positive", rows, cols)
	}
	return &Mask{Rows: rows, Cols: cols, Roles: make([]Role, rows*cols)}, nil
}

// Diagonal returns the n x n mask of a batch of n pairs: the diagonal is
// positive and every other entry negative.
func Diagonal(n int) *Mask {
	m := &Mask{Rows: n, Cols: n, Roles: make([]Role, n*n)}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				m.Roles[i*n+j] = Positive
			} else {
				m.Roles[i*n+j] = Negative
			}
		}
	}
	return m
}

// Blocks returns the n x (n*locations) mask of Deep InfoMax's local
// objective: row i is the global vector of image i, column j*locations+l is
// location l of image j. Every location of image i is positive for row i,
// every location of every other image is negative, and no entry is ignored.
func Blocks(n, locations int) *Mask {
	cols := n * locations
	m := &Mask{Rows: n, Cols: cols, Roles: make([]Role, n*cols)}
	for i := 0; i < n; i++ {
		for c := 0; c < cols; c++ {
			if c/locations == i {
				m.Roles[i*cols+c] = Positive
			} else {
				m.Roles[i*cols+c] = Negative
			}
		}
	}
	return m
}

// Count returns how many entries have role r.
func (m *Mask) Count(r Role) int {
	n := 0
	for _, x := range m.Roles {
		if x == r {
			n++
		}
	}
	return n
}

// Validate reports whether the mask is usable by an estimator: its shape
// matches its roles, it has at least one positive and one negative, and every
// row that holds a positive also holds a negative.
func (m *Mask) Validate() error {
	if m == nil {
		return fmt.Errorf("estimators: nil mask")
	}
	if m.Rows <= 0 || m.Cols <= 0 || len(m.Roles) != m.Rows*m.Cols {
		return fmt.Errorf("estimators: mask of shape %dx%d has %d roles", m.Rows, m.Cols, len(m.Roles))
	}
	var allPos, allNeg int
	for i := 0; i < m.Rows; i++ {
		var pos, neg int
		for _, r := range m.Roles[i*m.Cols : (i+1)*m.Cols] {
			switch r {
			case Positive:
				pos++
			case Negative:
				neg++
			}
		}
		if pos > 0 && neg == 0 {
			return fmt.Errorf("estimators: mask row %d has positives but no negatives", i)
		}
		allPos, allNeg = allPos+pos, allNeg+neg
	}
	if allPos == 0 || allNeg == 0 {
		return fmt.Errorf("estimators: mask needs at least one positive and one negative entry")
	}
	return nil
}

// Params are an estimator's numeric settings by name, such as smile's tau.
// An estimator's factory rejects names it does not know.
type Params map[string]float64

// Factory builds an estimator from its settings. It must reject unknown
// parameter names and impossible values with an error naming them.
type Factory func(p Params) (Estimator, error)

// Info describes a registered estimator.
type Info struct {
	// Name is the name the estimator is registered and configured under.
	Name string
	// Summary is one line for listings, such as `sweep list`.
	Summary string
	// Params lists the parameters the factory accepts, with defaults.
	Params Params
	// New builds a critic-based estimator; NewSample builds a classic
	// one, which works on a whole sample (see [SampleEstimator]). Exactly
	// one of the two is set.
	New       Factory
	NewSample SampleFactory
	// TestParams are settings, beside the defaults, at which go test
	// ./estimators holds a critic-based estimator to the rules every
	// registered one keeps (its graph against Reference, its gradient
	// against finite differences, float32 extremes, a changing mask, no
	// score-sized allocation): one for each branch its Build takes by a
	// parameter's value, such as {"alpha": 1} for a bound that is another
	// estimator at alpha = 1. Parameters it leaves out take their defaults.
	TestParams []Params
}

// Classic reports whether the estimator is a classic one, which estimates
// from a whole sample with no critic, rather than a critic-based one.
func (i Info) Classic() bool { return i.NewSample != nil }

// Kind says in words which kind of estimator i is, for listings.
func (i Info) Kind() string {
	if i.Classic() {
		return "classic (whole sample, no critic)"
	}
	return "neural (trains a critic)"
}

// estimatorRegistry holds the registered estimators.
var estimatorRegistry = registry.New("estimator", func(i Info) (string, error) {
	return i.Name, cmp.Or(registry.Require((i.New != nil) != (i.NewSample != nil), "exactly one of a factory (New) and a sample factory (NewSample)"),
		registry.RequireSummary(i.Summary))
})

// Register makes an estimator available by name. It is meant to be called
// from init functions; it panics if the name is empty, the factory is nil, or
// the name is already registered, as database/sql's Register does.
//
// The registered factory rejects parameter names outside info.Params, so
// that a factory need not check them itself, whether it is called through
// [New] or directly as Lookup(name).New.
func Register(info Info) {
	if info.New != nil {
		info.New = rejectUnknownParams(info.Name, info.Params, info.New)
	}
	if info.NewSample != nil {
		info.NewSample = rejectUnknownParams(info.Name, info.Params, info.NewSample)
	}
	estimatorRegistry.Register(info)
}

// registerFixed registers an estimator that takes no parameters: its
// factory returns e.
func registerFixed(name, summary string, e Estimator) {
	Register(Info{Name: name, Summary: summary, Params: Params{},
		New: func(Params) (Estimator, error) { return e, nil }})
}

// paramOr returns p[name], or def when p lacks it, as it does when a
// factory is called as Lookup(name).New rather than through [New], which
// fills in the defaults.
func paramOr(p Params, name string, def float64) float64 {
	if v, ok := p[name]; ok {
		return v
	}
	return def
}

// rejectUnknownParams wraps a factory so that it fails on a parameter name
// that known lacks, naming the estimator, the first such name in sorted
// order (found without sorting them all) and the accepted ones, and on a
// value that is not a finite number (NaN or ±Inf), which no estimator
// takes: the factory of a new estimator need not check for them itself.
// It wraps both kinds of factory.
func rejectUnknownParams[E any, F ~func(Params) (E, error)](name string, known Params, f F) F {
	return func(p Params) (E, error) {
		var zero E
		first, found := "", false
		for k := range p {
			if _, ok := known[k]; !ok && (!found || k < first) {
				first, found = k, true
			}
		}
		if found {
			owners := takenBy(first)
			note := ""
			if len(owners) > 0 {
				note = fmt.Sprintf("; %s is a parameter of %s", first, english.QuotedOr(owners))
			}
			return zero, &ParamError{Param: first, Owners: owners,
				Err: fmt.Errorf("estimator %q has no parameter %q (it takes %s)%s%s", name, first, paramList(known), note,
					registry.DidYouMean(first, slices.Sorted(maps.Keys(known))))}
		}
		for _, k := range slices.Sorted(maps.Keys(p)) {
			if v := p[k]; math.IsNaN(v) || math.IsInf(v, 0) {
				return zero, &ParamError{Param: k, Err: fmt.Errorf("estimator %q: parameter %s = %v: must be a finite number", name, k, v)}
			}
		}
		return f(p)
	}
}

// takenBy returns the registered estimators that take the parameter
// param, sorted.
func takenBy(param string) []string {
	var owners []string
	for _, name := range Names() {
		if info, err := Lookup(name); err == nil {
			if _, ok := info.Params[param]; ok {
				owners = append(owners, name)
			}
		}
	}
	return owners
}

// ParamHint returns, for a key that a task config does not know but that
// some registered estimator takes as a parameter, where the key belongs:
// `; tau is a parameter of "smile": it goes in the table
// estimator_params, as estimator_params.tau = ... in [base] or an
// [[overrides]] entry, or [parameters."estimator_params.tau"] to sweep it`
// for table "estimator_params"; "" for any other key. The dotted key is
// right wherever the bare one was written: in an [[overrides]] entry,
// [base.estimator_params] would give the parameter to every estimator.
// Task configs give it to the sweep engine as their KeyHint (see
// tasks.KeyHinter).
func ParamHint(key, table string) string {
	owners := takenBy(key)
	if len(owners) == 0 {
		return ""
	}
	return fmt.Sprintf("; %s is a parameter of %s: it goes in the table %s, as %s.%s = ... in [base] or an [[overrides]] entry, or [parameters.\"%s.%s\"] to sweep it",
		key, english.QuotedOr(owners), table, table, key, table, key)
}

// ParamError is a parameter that an estimator rejects: one it does not
// take, or a value no estimator takes. Its message is Err's.
type ParamError struct {
	// Param is the parameter's name.
	Param string
	// Owners, for a parameter the estimator does not take, are the
	// registered estimators that do, sorted.
	Owners []string
	Err    error
}

func (e *ParamError) Error() string { return e.Err.Error() }

// TakenWhere returns the config key that decides whether the parameter is
// taken, "estimator", and the Owners that take it; none where no
// estimator does. A sweep that varies the estimator uses it to say which
// where would set the parameter for those alone.
func (e *ParamError) TakenWhere() (key string, values []string) {
	if len(e.Owners) == 0 {
		return "", nil
	}
	return "estimator", e.Owners
}

func (e *ParamError) Unwrap() error { return e.Err }

// ParamKey returns err, from building an estimator whose parameters a
// config holds at key, as that config's error: "key.param: ..." for a
// [ParamError], so that a sweep file's error points at the parameter's own
// line, else "key: ...".
func ParamKey(key string, err error) error {
	var pe *ParamError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s.%s: %w", key, pe.Param, err)
	}
	return fmt.Errorf("%s: %w", key, err)
}

// Names returns the registered estimator names, of both kinds, sorted.
func Names() []string { return estimatorRegistry.Names() }

// CriticNames returns the names of the critic-based estimators, sorted:
// those that [New] builds.
func CriticNames() []string { return namesWhere(func(i Info) bool { return !i.Classic() }) }

// SampleNames returns the names of the classic estimators, sorted: those
// that [NewSample] builds.
func SampleNames() []string { return namesWhere(Info.Classic) }

// namesWhere returns the sorted names of the estimators for which keep is
// true.
func namesWhere(keep func(Info) bool) []string {
	var out []string
	for _, name := range Names() {
		if info, err := Lookup(name); err == nil && keep(info) {
			out = append(out, name)
		}
	}
	return out
}

// Lookup returns the registration of the named estimator. An unknown name is
// an error that lists the known names and suggests the closest one or,
// where none is close to a name that is not empty, says how a new
// estimator becomes known: its file registers it in init, and a binary
// knows the estimators it was built with.
func Lookup(name string) (Info, error) {
	info, err := estimatorRegistry.Lookup(name)
	if err != nil && name != "" && registry.Closest(name, Names()) == "" {
		err = fmt.Errorf("%w; an estimator of your own must call estimators.Register in its init() (README.md, \"Adding an estimator\"), "+
			"and a sweep binary knows only those it was built with: go install ./cmd/sweep again, or use go run ./cmd/sweep", err)
	}
	return info, err
}

// New builds the named critic-based estimator with parameters p;
// parameters that are not given take their defaults, and unknown ones are
// an error, as is the name of a classic estimator.
func New(name string, p Params) (Estimator, error) {
	info, err := LookupCritic(name)
	if err != nil {
		return nil, err
	}
	e, err := info.New(withDefaults(info, p))
	return built(name, e, err)
}

// built returns what the factory of the estimator name returned, e and
// err, or, when it returned neither an estimator nor an error (a bug in
// the estimator's file, which would otherwise be a panic in the middle of
// a run), an error saying so.
func built[E any](name string, e E, err error) (E, error) {
	if err == nil && any(e) == nil {
		err = fmt.Errorf("estimator %q: its factory returned no estimator and no error (a bug in its file: return the estimator, or an error saying what is wrong with the parameters)", name)
	}
	return e, err
}

// LookupCritic returns the registration of the named critic-based
// estimator, for a task that trains a critic: an unknown name, or the name
// of a classic estimator, is an error that lists the critic-based ones.
func LookupCritic(name string) (Info, error) {
	info, err := Lookup(name)
	if err != nil {
		return info, err
	}
	if info.Classic() {
		return Info{}, fmt.Errorf("estimator %q is a classic estimator, which works on a whole sample and trains no critic; "+
			"this needs one that trains a critic (%s)", name, strings.Join(CriticNames(), ", "))
	}
	return info, nil
}

// NewSample builds the named classic estimator with parameters p, as [New]
// builds a critic-based one; the name of a critic-based estimator is an
// error.
func NewSample(name string, p Params) (SampleEstimator, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if !info.Classic() {
		return nil, fmt.Errorf("estimator %q trains a critic; a whole-sample estimate needs a classic estimator (%s)",
			name, strings.Join(SampleNames(), ", "))
	}
	e, err := info.NewSample(withDefaults(info, p))
	return built(name, e, err)
}

// withDefaults returns p over the defaults of info's parameters.
func withDefaults(info Info, p Params) Params {
	merged := Params{}
	maps.Copy(merged, info.Params)
	maps.Copy(merged, p)
	return merged
}

func paramList(p Params) string {
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(p)), ", ")
}
