package architectures

import (
	"cmp"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/internal/registry"
)

// The three kinds of critic a sweep file can name are registered here, each
// in the same scheme: RegisterKind from an init function, LookupKind,
// KindNames (sorted) and NewKind, which validates the spec and builds the
// named critic into a graph.
var (
	pairCritics = registry.New("critic", func(i PairCriticInfo) (string, error) {
		return i.Name, cmp.Or(registry.Require(i.New != nil, "a factory"), registry.RequireSummary(i.Summary))
	})
	localCritics = registry.New("local critic", func(i LocalCriticInfo) (string, error) {
		return i.Name, cmp.Or(registry.Require(i.New != nil, "a factory"), registry.RequireSummary(i.Summary))
	})
	globalCritics = registry.New("global critic", func(i GlobalCriticInfo) (string, error) {
		return i.Name, cmp.Or(registry.Require(i.New != nil, "a factory"), registry.RequireSummary(i.Summary))
	})
)

// PairCriticInfo describes a registered pair critic, the critic of the
// vector-data tasks (critic = "..." in a gaussian sweep).
type PairCriticInfo struct {
	Name    string
	Summary string
	New     func(g *G.ExprGraph, spec CriticSpec) (PairCritic, error)
	// Images says that the critic reads images (CriticSpec.ImageSide and
	// Channels), so that only tasks whose samples are images may name it.
	Images bool
	// NewApart, optional, builds a critic that is an [Embedder] with its
	// x side in gx and its y side in gy, with the weights New draws.
	NewApart func(gx, gy *G.ExprGraph, spec CriticSpec) (Embedder, error)
}

// RegisterPairCritic makes a pair critic available by name. It panics on an
// empty name, a nil factory or a duplicate name.
func RegisterPairCritic(info PairCriticInfo) { pairCritics.Register(info) }

// PairCriticNames returns the registered pair-critic names, sorted.
func PairCriticNames() []string { return pairCritics.Names() }

// VectorCriticNames returns the names of the registered pair critics of
// vectors (those not registered with Images), sorted.
func VectorCriticNames() []string {
	var names []string
	for _, n := range PairCriticNames() {
		if info, _ := LookupPairCritic(n); !info.Images {
			names = append(names, n)
		}
	}
	return names
}

// LookupPairCritic returns the named pair critic's registration; an unknown
// name is an error listing the known ones and the closest match.
func LookupPairCritic(name string) (PairCriticInfo, error) { return pairCritics.Lookup(name) }

// NewPairCritic validates spec and builds the named pair critic into g.
func NewPairCritic(g *G.ExprGraph, name string, spec CriticSpec) (PairCritic, error) {
	info, err := LookupPairCritic(name)
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("critic %q: %w", name, err)
	}
	c, err := info.New(g, spec)
	return built("critic", name, "New", c, err)
}

// NewPairCriticApart validates spec and builds the named pair critic as
// an [Embedder], its x side into gx and its y side into gy, with the
// weights NewPairCritic would draw; ok is false, with no error, for a
// critic registered without NewApart.
func NewPairCriticApart(gx, gy *G.ExprGraph, name string, spec CriticSpec) (e Embedder, ok bool, err error) {
	info, err := LookupPairCritic(name)
	if err != nil {
		return nil, false, err
	}
	if info.NewApart == nil {
		return nil, false, nil
	}
	if err := spec.Validate(); err != nil {
		return nil, false, fmt.Errorf("critic %q: %w", name, err)
	}
	e, err = info.NewApart(gx, gy, spec)
	e, err = built("critic", name, "NewApart", e, err)
	return e, err == nil, err
}

// LocalCriticInfo describes a registered local critic of Deep InfoMax
// (local_critic = "..." in a dim sweep).
type LocalCriticInfo struct {
	Name    string
	Summary string
	New     func(g *G.ExprGraph, init *Init, spec LocalCriticSpec) (LocalCritic, error)
}

// RegisterLocalCritic makes a local critic available by name. It panics on
// an empty name, a nil factory or a duplicate name.
func RegisterLocalCritic(info LocalCriticInfo) { localCritics.Register(info) }

// LocalCriticNames returns the registered local-critic names, sorted.
func LocalCriticNames() []string { return localCritics.Names() }

// LookupLocalCritic returns the named local critic's registration; an
// unknown name is an error listing the known ones and the closest match.
func LookupLocalCritic(name string) (LocalCriticInfo, error) { return localCritics.Lookup(name) }

// NewLocalCritic builds the named local critic into g, drawing its initial
// weights from init; the critic's constructor validates spec.
func NewLocalCritic(g *G.ExprGraph, init *Init, name string, spec LocalCriticSpec) (LocalCritic, error) {
	info, err := LookupLocalCritic(name)
	if err != nil {
		return nil, err
	}
	c, err := info.New(g, init, spec)
	return built("local critic", name, "New", c, err)
}

// GlobalCriticInfo describes a registered global critic of Deep InfoMax
// (global_critic = "..." in a dim sweep).
type GlobalCriticInfo struct {
	Name    string
	Summary string
	New     func(g *G.ExprGraph, init *Init, spec GlobalCriticSpec) (GlobalCritic, error)
}

// RegisterGlobalCritic makes a global critic available by name. It panics
// on an empty name, a nil factory or a duplicate name.
func RegisterGlobalCritic(info GlobalCriticInfo) { globalCritics.Register(info) }

// GlobalCriticNames returns the registered global-critic names, sorted.
func GlobalCriticNames() []string { return globalCritics.Names() }

// LookupGlobalCritic returns the named global critic's registration; an
// unknown name is an error listing the known ones and the closest match.
func LookupGlobalCritic(name string) (GlobalCriticInfo, error) { return globalCritics.Lookup(name) }

// NewGlobalCritic builds the named global critic into g, drawing its initial
// weights from init; the critic's constructor validates spec.
func NewGlobalCritic(g *G.ExprGraph, init *Init, name string, spec GlobalCriticSpec) (GlobalCritic, error) {
	info, err := LookupGlobalCritic(name)
	if err != nil {
		return nil, err
	}
	c, err := info.New(g, init, spec)
	return built("global critic", name, "New", c, err)
}

// built returns c and err, what the factory (New or NewApart) of the
// critic name, of the given kind, returned, or, where it returned neither
// a critic nor an error (a bug in the critic's file, which would otherwise
// be a nil-pointer panic in the middle of a run), an error saying so, as
// estimators.New does for an estimator.
func built[C any](kind, name, factory string, c C, err error) (C, error) {
	if err == nil && any(c) == nil {
		err = fmt.Errorf("%s %q: its %s returned no critic and no error (a bug in its file: return the critic, or an error saying what is wrong with the spec)", kind, name, factory)
	}
	return c, err
}
