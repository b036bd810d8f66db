// Package architectures holds the networks infomax trains: the critics that
// score (x, y) pairs, and, for Deep InfoMax, the encoders and discriminators.
//
// Every network is built into a gorgonia graph by a constructor that
// validates its sizes. Critics for vector data register themselves by name,
// like estimators, so a sweep file can name them.
package architectures

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/estimators"
)

// PairCritic scores every pairing of a batch of x with a batch of y.
type PairCritic interface {
	// Scores returns the (n, n) matrix whose entry [i][j] is T(x_j, y_i),
	// for x of shape (n, dx) and y of shape (n, dy).
	Scores(x, y *G.Node) (*G.Node, error)
	// Learnables returns the trainable parameters.
	Learnables() G.Nodes
}

// CriticSpec gives the sizes of a pair critic.
type CriticSpec struct {
	// DimX and DimY are the sizes of x and y.
	DimX, DimY int
	// Hidden is the width of each hidden layer; Layers is their number.
	Hidden, Layers int
	// Embed is the embedding size of separable critics.
	Embed int
	// Seed seeds the critic's initial weights (through [NewInit]): the
	// same spec always builds the same network.
	Seed uint64
}

// Validate reports whether the sizes are possible.
func (s CriticSpec) Validate() error {
	switch {
	case s.DimX <= 0 || s.DimY <= 0:
		return fmt.Errorf("critic input sizes %d and %d must be positive", s.DimX, s.DimY)
	case s.Hidden <= 0:
		return fmt.Errorf("critic hidden width %d must be positive", s.Hidden)
	case s.Layers < 0:
		return fmt.Errorf("critic layer count %d must not be negative", s.Layers)
	case s.Embed <= 0:
		return fmt.Errorf("critic embedding size %d must be positive", s.Embed)
	}
	return nil
}

// initializer returns the initializer that draws the critic's weights.
func (s CriticSpec) initializer() *Init { return NewInit(s.Seed) }

// CriticFactory builds a pair critic into graph g.
type CriticFactory func(g *G.ExprGraph, spec CriticSpec) (PairCritic, error)

// CriticInfo describes a registered pair critic.
type CriticInfo struct {
	Name    string
	Summary string
	New     CriticFactory
}

var (
	criticsMu sync.RWMutex
	critics   = map[string]CriticInfo{}
)

// RegisterCritic makes a pair critic available by name. It panics on an empty
// name, a nil factory or a duplicate name.
func RegisterCritic(info CriticInfo) {
	criticsMu.Lock()
	defer criticsMu.Unlock()
	if info.Name == "" || info.New == nil {
		panic("architectures: RegisterCritic needs a name and a factory")
	}
	if _, dup := critics[info.Name]; dup {
		panic("architectures: RegisterCritic called twice for " + info.Name)
	}
	critics[info.Name] = info
}

// CriticNames returns the registered pair-critic names, sorted.
func CriticNames() []string {
	criticsMu.RLock()
	defer criticsMu.RUnlock()
	names := make([]string, 0, len(critics))
	for n := range critics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupCritic returns the named pair critic's registration; an unknown name
// is an error listing the known ones and the closest match.
func LookupCritic(name string) (CriticInfo, error) {
	criticsMu.RLock()
	info, ok := critics[name]
	criticsMu.RUnlock()
	if !ok {
		msg := fmt.Sprintf("unknown critic %q (known: %s)", name, strings.Join(CriticNames(), ", "))
		if s := estimators.Closest(name, CriticNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return CriticInfo{}, fmt.Errorf("%s", msg)
	}
	return info, nil
}

// NewCritic validates spec and builds the named pair critic into g.
func NewCritic(g *G.ExprGraph, name string, spec CriticSpec) (PairCritic, error) {
	info, err := LookupCritic(name)
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("critic %q: %w", name, err)
	}
	return info.New(g, spec)
}
