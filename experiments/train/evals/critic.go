package evals

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/graph"
)

// Estimate is what a critic-based evaluation reports.
type Estimate struct {
	// Test is the estimator's estimate in nats, averaged over the test
	// batches, of the critic at Epoch.
	Test float64
	// Validation is the same average over the validation batches, the
	// highest of any epoch.
	Validation float64
	// Epoch is the epoch (counted from 1) whose critic is reported.
	Epoch int
}

// criticModel is a critic and an estimator in a gorgonia graph built once
// for a fixed batch size. load writes a batch (rows of the matrices of a
// split, with rng for any shuffling it does) into the graph's inputs.
type criticModel struct {
	name  string
	batch int
	est   estimators.Estimator
	terms *estimators.Terms
	adam  *optim.Adam
	vm    G.VM
	load  func(src []Matrix, rows []int, rng *rand.Rand)
}

// newCriticModel adds the named estimator's terms for scores under mask
// to scores' graph and readies the critic's learnables for training.
func newCriticModel(name string, scores *G.Node, mask *estimators.Mask, est estimators.Estimator, learnables G.Nodes, cfg Config) (*criticModel, error) {
	terms, err := estimators.Build(est, scores, mask)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	grads, live, err := graph.Grad(terms.Loss, learnables...)
	if err != nil {
		return nil, fmt.Errorf("%s: differentiating the loss: %w", name, err)
	}
	adam, err := optim.NewAdam(learnables, grads, cfg.LR, adamBeta1, adamBeta2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &criticModel{name: name, batch: cfg.BatchSize, est: est, terms: terms, adam: adam,
		vm: graph.NewTapeMachine(live)}, nil
}

// close releases the model's tape machine.
func (m *criticModel) close() { graph.CloseMachine(m.vm) }

// run runs the graph forward and backward on the loaded batch and reads
// the loss and the estimate.
func (m *criticModel) run() (loss, mi float64, err error) {
	defer m.vm.Reset()
	if err := m.vm.RunAll(); err != nil {
		return 0, 0, err
	}
	if loss, err = architectures.Scalar(m.terms.Loss); err != nil {
		return 0, 0, err
	}
	mi, err = architectures.Scalar(m.terms.MI)
	return loss, mi, err
}

// fit trains the critic for cfg.Epochs epochs on s.train and returns the
// test estimate of the epoch with the best validation estimate.
func (m *criticModel) fit(ctx context.Context, s *split, cfg Config) (Estimate, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed5f1e))
	best := Estimate{Validation: math.Inf(-1)}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		perm := rng.Perm(s.train[0].N)
		for b := 0; b+m.batch <= len(perm); b += m.batch {
			if err := ctx.Err(); err != nil {
				return Estimate{}, err
			}
			if err := m.step(s.train, perm[b:b+m.batch], rng); err != nil {
				return Estimate{}, fmt.Errorf("%s: epoch %d: %w", m.name, epoch, err)
			}
		}
		val, err := m.mean(s.val, cfg.Seed)
		if err != nil {
			return Estimate{}, err
		}
		if val > best.Validation {
			test, err := m.mean(s.test, cfg.Seed)
			if err != nil {
				return Estimate{}, err
			}
			best = Estimate{Test: test, Validation: val, Epoch: epoch}
		}
	}
	if best.Epoch == 0 {
		return Estimate{}, &DivergedError{Reason: fmt.Sprintf("%s: the validation estimate was never finite in %d epochs; lower the learning rate", m.name, cfg.Epochs)}
	}
	return best, nil
}

// step trains on one batch: forward, backward, the estimator's own update
// if it keeps state, and an Adam step.
func (m *criticModel) step(src []Matrix, rows []int, rng *rand.Rand) error {
	m.load(src, rows, rng)
	loss, _, err := m.run()
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return &DivergedError{Reason: fmt.Sprintf("the loss is %v: the critic diverged; lower the learning rate", loss)}
	}
	if u, ok := m.est.(estimators.Updater); ok {
		if err := u.Update(); err != nil {
			return err
		}
	}
	return m.adam.Update()
}

// mean returns the estimate averaged over the consecutive full batches of
// src, without training; any shuffling draws from a source seeded with
// seed, so the same critic always gets the same value. A batch whose
// estimate is not finite makes the mean NaN.
func (m *criticModel) mean(src []Matrix, seed uint64) (float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0xe7a1))
	rows := make([]int, m.batch)
	sum, batches := 0.0, 0
	for b := 0; b+m.batch <= src[0].N; b += m.batch {
		for k := range rows {
			rows[k] = b + k
		}
		m.load(src, rows, rng)
		_, mi, err := m.run()
		if err != nil {
			return 0, fmt.Errorf("%s: scoring: %w", m.name, err)
		}
		if math.IsInf(mi, 0) {
			mi = math.NaN()
		}
		sum += mi
		batches++
	}
	return sum / float64(batches), nil
}

// inputMatrix returns a (rows, cols) input node of g bound to a fresh
// tensor, and the tensor's backing array, which load writes into.
func inputMatrix(g *G.ExprGraph, name string, rows, cols int) (*G.Node, []float32) {
	backing := make([]float32, rows*cols)
	v := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(backing))
	return G.NewMatrix(g, architectures.Dtype, G.WithShape(rows, cols), G.WithName(name), G.WithValue(v)), backing
}
