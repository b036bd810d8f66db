// Package pair trains a pair critic with an MI estimator on batches of
// (x, y) vectors: the model that the vector tasks (gaussian, bmi) share,
// and the consistency task, whose vectors are flattened images. A Model is
// built once for a fixed batch size: each step writes a batch into X and
// Y and runs the graph forward and backward, then Adam updates the
// critic. A critic that embeds x and y apart (separable, separable-conv)
// runs on two or more cores as three graphs, its two sides at once (see
// apart), with the same results as one graph.
package pair

import (
	"cmp"
	"fmt"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/graph"
)

// Spec is what a Model is built from.
type Spec struct {
	// Estimator names a critic-based MI estimator; EstimatorParams are its
	// settings.
	Estimator       string
	EstimatorParams map[string]float64
	// Critic names the pair critic ("separable", "concat"); CriticSpec
	// gives its sizes (DimX and DimY are the sizes of x and y) and the seed
	// of its initial weights.
	Critic     string
	CriticSpec architectures.CriticSpec
	// BatchSize is the number of pairs in a batch; the critic scores all
	// BatchSize² pairings.
	BatchSize int
	// LR, Beta1 and Beta2 are Adam's settings, and Moments the precision
	// of its moments (float64 where empty).
	LR, Beta1, Beta2 float64
	Moments          optim.Moments
}

// Model is one critic and estimator, in gorgonia graphs built once.
type Model struct {
	// X and Y are the backing arrays of the input batch, (batch, DimX) and
	// (batch, DimY) in row-major order; write a batch into them before each
	// Step or Eval.
	X, Y []float32
	// Critic, Estimator and Mask are the parts of the objective.
	Critic    architectures.PairCritic
	Estimator estimators.Estimator
	Mask      *estimators.Mask
	// Terms are the estimator's loss and estimate nodes.
	Terms *estimators.Terms
	// Adam trains the critic's learnables.
	Adam *optim.Adam

	// The machine over the one graph of X and Y, the critic and its loss,
	// and its inputs; or, for a critic that embeds x and y apart, apart.
	xNode  *G.Node
	yNode  *G.Node
	scores *G.Node // the critic's scores, read by Scores
	xValue *tensor.Dense
	yValue *tensor.Dense
	vm     G.VM
	apart  *apart
	// scoring runs the part of the graph that computes scores (of the
	// loss's graph, for a critic apart): Scores's forward pass, without
	// the estimator and the backward pass. Built by Scores's first call.
	scoring G.VM
}

// New builds the graph for s. Close the model when done.
func New(s Spec) (*Model, error) {
	est, err := estimators.New(s.Estimator, estimators.Params(s.EstimatorParams))
	if err != nil {
		return nil, fmt.Errorf("estimator = %q: %w", s.Estimator, err)
	}
	n := s.BatchSize
	m := &Model{
		X:         make([]float32, n*s.CriticSpec.DimX),
		Y:         make([]float32, n*s.CriticSpec.DimY),
		Estimator: est,
		Mask:      estimators.Diagonal(n),
	}
	var params, grads G.Nodes
	apart := false
	if runtime.GOMAXPROCS(0) >= apartMinProcs {
		params, grads, apart, err = m.newApart(s, est)
	}
	if err == nil && !apart {
		params, grads, err = m.newOneGraph(s, est)
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	if m.Adam, err = optim.NewAdamMoments(s.Moments, params, grads, s.LR, s.Beta1, s.Beta2); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// newOneGraph builds m's critic, its loss and their gradients into one
// graph, run by one machine, and returns the critic's parameters and
// their gradient nodes.
func (m *Model) newOneGraph(s Spec, est estimators.Estimator) (params, grads G.Nodes, err error) {
	g := G.NewGraph()
	if m.Critic, err = architectures.NewPairCritic(g, s.Critic, s.CriticSpec); err != nil {
		return nil, nil, err
	}
	n, dx, dy := s.BatchSize, s.CriticSpec.DimX, s.CriticSpec.DimY
	m.xValue = tensor.New(tensor.WithShape(n, dx), tensor.WithBacking(m.X))
	m.yValue = tensor.New(tensor.WithShape(n, dy), tensor.WithBacking(m.Y))
	m.xNode = G.NewMatrix(g, architectures.Dtype, G.WithShape(n, dx), G.WithName("x"))
	m.yNode = G.NewMatrix(g, architectures.Dtype, G.WithShape(n, dy), G.WithName("y"))
	scores, err := m.Critic.Scores(m.xNode, m.yNode)
	if err != nil {
		return nil, nil, fmt.Errorf("critic %q: %w", s.Critic, err)
	}
	params = m.Critic.Learnables()
	grads, live, err := m.buildLoss(s, est, scores, params...)
	if err != nil {
		return nil, nil, err
	}
	m.vm = graph.NewTapeMachine(live)
	return params, grads, nil
}

// buildLoss builds est's loss of scores into m.Terms and its gradients
// with respect to wrt, and returns them with the part of the graph a
// machine should run.
func (m *Model) buildLoss(s Spec, est estimators.Estimator, scores *G.Node, wrt ...*G.Node) (G.Nodes, *G.ExprGraph, error) {
	if err := architectures.CheckScores(s.Critic, scores, m.Mask.Rows, m.Mask.Cols); err != nil {
		return nil, nil, err
	}
	var err error
	m.scores = scores
	if m.Terms, err = estimators.Build(est, scores, m.Mask); err != nil {
		return nil, nil, fmt.Errorf("estimator %q: %w", s.Estimator, err)
	}
	grads, live, err := graph.Grad(m.Terms.Loss, wrt...)
	if err != nil {
		return nil, nil, fmt.Errorf("differentiating the %s loss: %w", s.Estimator, err)
	}
	return grads, live, nil
}

// Step runs one training step on the batch in X and Y: the forward and
// backward pass, the estimator's own update if it keeps state, and an Adam
// step. It returns the loss and the MI estimate of the batch, computed
// before the update. A non-finite loss or estimate is returned without
// updating the critic.
func (m *Model) Step() (loss, mi float64, err error) {
	defer m.reset()
	if loss, mi, err = m.run(); err != nil {
		return 0, 0, err
	}
	if NonFinite(loss, mi) != "" {
		return loss, mi, nil
	}
	if u, ok := m.Estimator.(estimators.Updater); ok {
		if err := u.Update(); err != nil {
			return 0, 0, fmt.Errorf("estimator update: %w", err)
		}
	}
	if m.apart != nil {
		m.Adam.Begin()
		return loss, mi, m.apart.backward(m)
	}
	return loss, mi, m.Adam.Update()
}

// Eval returns the loss and the MI estimate of the batch in X and Y without
// training: the critic, Adam and the estimator's own state are left as they
// were.
func (m *Model) Eval() (loss, mi float64, err error) {
	defer m.reset()
	return m.run()
}

// Scores runs the critic forward on the batch in X and Y, without the
// estimator, the backward pass or training, and writes its scores into
// dst, BatchSize² values: row i holds y_i's scores against every x_j, as
// the estimators read them; they are the bits a Step on the batch scores.
// Scoring blocks of rows of two samples covers every pairing of the two.
func (m *Model) Scores(dst []float64) error {
	defer m.reset()
	if err := m.runScoring(); err != nil {
		return err
	}
	return m.readScores(dst)
}

// readScores copies the scores node's value into dst.
func (m *Model) readScores(dst []float64) error {
	v := m.scores.Value()
	if v == nil {
		return fmt.Errorf("the critic's scores have no value")
	}
	data, ok := v.Data().([]float32)
	if !ok || len(data) != len(dst) {
		return fmt.Errorf("the critic's scores are %T of %d values, want %d float32s", v.Data(), v.Shape().TotalSize(), len(dst))
	}
	for i, x := range data {
		dst[i] = float64(x)
	}
	return nil
}

// run runs the graph on the batch in X and Y, forward and backward (but,
// for a critic apart, only as far back as the embeddings: see
// apart.forward), and reads the loss and the estimate.
func (m *Model) run() (loss, mi float64, err error) {
	if m.apart != nil {
		err = m.apart.forward()
	} else {
		err = m.runOneGraph()
	}
	if err != nil {
		return 0, 0, err
	}
	if loss, err = architectures.Scalar(m.Terms.Loss); err != nil {
		return 0, 0, fmt.Errorf("loss: %w", err)
	}
	if mi, err = architectures.Scalar(m.Terms.MI); err != nil {
		return 0, 0, fmt.Errorf("MI estimate: %w", err)
	}
	return loss, mi, nil
}

// runOneGraph runs the one graph's machine on the batch in X and Y.
func (m *Model) runOneGraph() error {
	if err := m.letInputs(); err != nil {
		return err
	}
	return m.vm.RunAll()
}

// letInputs binds the one graph's input nodes to the batch in X and Y.
func (m *Model) letInputs() error {
	if err := G.Let(m.xNode, m.xValue); err != nil {
		return err
	}
	return G.Let(m.yNode, m.yValue)
}

// runScoring runs the scoring machine on the batch in X and Y, building it
// first if need be. Its ops are the training machine's own (the graph is
// shared; only the nodes after the scores are left out), so the scores
// are the same bits.
func (m *Model) runScoring() error {
	if m.apart != nil {
		return m.apart.embed(m.scoringVM())
	}
	if err := m.letInputs(); err != nil {
		return err
	}
	return m.scoringVM().RunAll()
}

// scoringVM returns the scoring machine, building it on first use.
func (m *Model) scoringVM() G.VM {
	if m.scoring == nil {
		m.scoring = graph.NewTapeMachine(m.scores.Graph().SubgraphRoots(m.scores))
	}
	return m.scoring
}

// reset readies the machines for the next run.
func (m *Model) reset() {
	if m.scoring != nil {
		m.scoring.Reset()
	}
	if m.apart != nil {
		m.apart.reset()
		return
	}
	m.vm.Reset()
}

// Close releases the model's tape machines.
func (m *Model) Close() error {
	err := graph.CloseMachine(m.scoring)
	if m.apart != nil {
		return cmp.Or(err, m.apart.close())
	}
	return cmp.Or(err, graph.CloseMachine(m.vm))
}

// CheckCritic reports an unknown pair critic or impossible sizes for it,
// naming the task-config key at fault: critic, hidden, layers or embed. A
// critic of images (separable-conv) is refused where the task's samples
// are vectors (images false).
func CheckCritic(critic string, hidden, layers, embed int, images bool) error {
	if err := CheckCriticName(critic, images); err != nil {
		return err
	}
	switch {
	case hidden < 1:
		return fmt.Errorf("hidden = %d: must be at least 1", hidden)
	case layers < 0:
		return fmt.Errorf("layers = %d: must not be negative", layers)
	case embed < 1:
		return fmt.Errorf("embed = %d: must be at least 1", embed)
	}
	return nil
}

// CheckCriticName reports an unknown pair critic, or a critic of images
// where the task's samples are vectors (images false), naming the key
// critic: CheckCritic's checks of the name alone, for a run that does not
// train the critic but should not take a misspelt one.
func CheckCriticName(critic string, images bool) error {
	info, err := architectures.LookupPairCritic(critic)
	if err != nil {
		return fmt.Errorf("critic = %q: %w", critic, err)
	}
	if info.Images && !images {
		return fmt.Errorf("critic = %q: reads images, and this task's samples are vectors; use %s", critic, english.QuotedOr(architectures.VectorCriticNames()))
	}
	return nil
}

// FirstStepHint is what a divergence at step, counted from 1, adds to its
// reason: nothing after the first step; at the first, before any update,
// that no learning rate helps, since estimator already fails on the
// untrained critic's scores, and how to find out why. The vector tasks'
// critics start with small scores, so there the cause is most often the
// estimator's own graph, which go test ./estimators checks for every
// registered estimator.
func FirstStepHint(estimator string, step int) string {
	if step > 1 {
		return ""
	}
	return fmt.Sprintf("; this is the untrained critic's first step, so no learning rate helps: estimator = %q fails on its first scores; "+
		"go test ./estimators checks every registered estimator's graph on finite scores (README.md, \"Adding an estimator\")", estimator)
}

// NonFinite returns why a step's loss or estimate is unusable, such as
// "loss is NaN", or "" when both are finite.
func NonFinite(loss, mi float64) string {
	if reason := tasks.NonFinite("loss", loss); reason != "" {
		return reason
	}
	return tasks.NonFinite("MI estimate", mi)
}
