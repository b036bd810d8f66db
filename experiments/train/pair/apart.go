package pair

import (
	"cmp"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/internal/graph"
	"github.com/infomax/infomax/internal/parallel"
)

// apartMinProcs is the least GOMAXPROCS at which New builds a critic
// that is an [architectures.Embedder] apart (see apart). On one core the
// two sides cannot run at once, and the separable Gaussian step ran 2-3%
// slower apart than in one graph (the handoffs' stops and copies). Tests
// set it to 1 or to a huge number to build either model at any GOMAXPROCS.
var apartMinProcs = 2

// apart runs a model whose critic embeds x and y apart (the separable
// critic) as three machines: one per side, each embedding its input and,
// after the loss, backpropagating into its side's weights; and one
// computing the scores, the loss and its gradients with respect to the two
// embeddings. A step runs the two sides at once up to their embeddings (a
// [graph.Handoff]), then the loss, then the two sides' backward passes and
// their Adam updates, again at once. On two cores each side runs on a core
// of its own (its ops' own splits find no idle helper); on more, each
// side's ops also take the helpers that are idle.
//
// On the 2-core Zen 4 machine the separable Gaussian step, whose every op
// was split across the two cores, handed each op's output from core to
// core some forty times a step; when the host ran the two cores far apart
// (a cache line's round trip between them 320-350 ns instead of 50-70),
// that step took 0.94-1.91 ms instead of 0.64-0.84. Apart, the cores meet
// at two forks and two joins a step. The arithmetic is the same, op for
// op, so the results are the same bits as the model in one graph
// (TestApartIsTheOneGraphModel). Only two cores were measured.
type apart struct {
	sides  [2]side
	vm     G.VM       // the loss's machine
	embeds [2]*G.Node // its input nodes: x's embedding, y's
	grads  G.Nodes    // the loss's gradients with respect to embeds
	// given are the embeddings that ScoresOf binds to embeds, made on
	// its first call.
	given [2]*tensor.Dense
}

// side is one side's machine: its input node and value, the handoff at
// its embedding, and its parameters' range in the model's Adam.
type side struct {
	vm         G.VM
	in         *G.Node
	value      *tensor.Dense
	handoff    *graph.Handoff
	first, end int
}

// newApart builds m's critic named s.Critic apart, if it is an Embedder,
// with its loss, and returns the critic's parameters and gradient nodes
// for Adam; ok is false for a critic that is not.
func (m *Model) newApart(s Spec, est estimators.Estimator) (params, grads G.Nodes, ok bool, err error) {
	gx, gy, gs := G.NewGraph(), G.NewGraph(), G.NewGraph()
	critic, ok, err := architectures.NewPairCriticApart(gx, gy, s.Critic, s.CriticSpec)
	if !ok || err != nil {
		return nil, nil, false, err
	}
	m.Critic, m.apart = critic, &apart{}
	a := m.apart
	n := s.BatchSize
	build := []struct {
		g      *G.ExprGraph
		name   string
		data   []float32
		dim    int
		embed  func(*G.Node) (*G.Node, error)
		params G.Nodes
	}{
		{gx, "x", m.X, s.CriticSpec.DimX, critic.EmbedX, critic.LearnablesX()},
		{gy, "y", m.Y, s.CriticSpec.DimY, critic.EmbedY, critic.LearnablesY()},
	}
	for i, b := range build {
		sd := &a.sides[i]
		sd.value = tensor.New(tensor.WithShape(n, b.dim), tensor.WithBacking(b.data))
		sd.in = G.NewMatrix(b.g, architectures.Dtype, G.WithShape(n, b.dim), G.WithName(b.name))
		embedding, err := b.embed(sd.in)
		if err != nil {
			return nil, nil, true, fmt.Errorf("critic %q: embedding %s: %w", s.Critic, b.name, err)
		}
		var seed *G.Node
		if sd.handoff, seed, err = graph.NewHandoff(embedding); err != nil {
			return nil, nil, true, err
		}
		sideGrads, live, err := graph.Backprop(G.Nodes{embedding}, G.Nodes{seed}, b.params...)
		if err != nil {
			return nil, nil, true, fmt.Errorf("differentiating the critic's %s side: %w", b.name, err)
		}
		sd.first, sd.end = len(params), len(params)+len(b.params)
		params, grads = append(params, b.params...), append(grads, sideGrads...)
		sd.vm = graph.NewTapeMachine(live)
		a.embeds[i] = G.NewMatrix(gs, architectures.Dtype, G.WithShape(embedding.Shape()...), G.WithName(b.name+".embedding"))
	}
	return params, grads, true, a.buildLoss(m, s, est)
}

// buildLoss builds the scores of the two embeddings, the estimator's loss
// and its gradients with respect to the embeddings into their graph.
func (a *apart) buildLoss(m *Model, s Spec, est estimators.Estimator) error {
	scores, err := m.Critic.(architectures.Embedder).ScoresOf(a.embeds[0], a.embeds[1])
	if err != nil {
		return fmt.Errorf("critic %q: %w", s.Critic, err)
	}
	grads, live, err := m.buildLoss(s, est, scores, a.embeds[:]...)
	if err != nil {
		return err
	}
	a.grads, a.vm = grads, graph.NewTapeMachine(live)
	return nil
}

// each calls f on both sides at once, through parallel.Do, and returns
// the first side's error, else the second's.
func (a *apart) each(f func(*side) error) error {
	var errs [2]error
	parallel.Do(2, func(i int) { errs[i] = f(&a.sides[i]) })
	return cmp.Or(errs[0], errs[1])
}

// forward runs both sides up to their embeddings and the loss's machine,
// which leaves the loss, the estimate and their gradients with respect to
// the embeddings, and hands those gradients to the sides. The sides stay
// stopped at their handoffs: backward resumes them, reset abandons them.
func (a *apart) forward() error {
	if err := a.embed(a.vm); err != nil {
		return err
	}
	for i, sd := range a.sides {
		if err := sd.handoff.SetIn(a.grads[i].Value()); err != nil {
			return fmt.Errorf("the loss's gradient with respect to embedding %d: %w", i, err)
		}
	}
	return nil
}

// embed runs both sides up to their embeddings, stopping at their
// handoffs, binds the embeddings to the loss's graph and runs vm, a
// machine over that graph.
func (a *apart) embed(vm G.VM) error {
	if err := a.stopSides(); err != nil {
		return err
	}
	for i, sd := range a.sides {
		if err := G.Let(a.embeds[i], sd.handoff.Out); err != nil {
			return err
		}
	}
	return vm.RunAll()
}

// stopSides runs both sides at once up to their embeddings, stopping at
// their handoffs, whose Out then holds the embeddings.
func (a *apart) stopSides() error {
	return a.each(func(sd *side) error {
		if err := G.Let(sd.in, sd.value); err != nil {
			return err
		}
		return sd.handoff.Stop(sd.vm)
	})
}

// backward resumes both sides at once, each backpropagating into its
// weights, then updating them with the step that m's Adam has begun.
func (a *apart) backward(m *Model) error {
	return a.each(func(sd *side) error {
		if err := sd.handoff.Resume(sd.vm); err != nil {
			return err
		}
		return m.Adam.UpdateParams(sd.first, sd.end)
	})
}

// reset readies the three machines for the next step, abandoning a
// side's stop that backward did not resume.
func (a *apart) reset() {
	a.vm.Reset()
	for _, sd := range a.sides {
		sd.vm.Reset()
		sd.handoff.Abandon()
	}
}

// close releases the three machines.
func (a *apart) close() error {
	err := graph.CloseMachine(a.vm)
	for _, sd := range a.sides {
		err = cmp.Or(err, graph.CloseMachine(sd.vm))
	}
	return err
}
