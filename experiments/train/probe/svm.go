package probe

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// SVMConfig sets how [TrainSVM] trains and selects a linear SVM.
type SVMConfig struct {
	// Config gives the epochs, batch size, learning rate and its decay
	// epochs, the seed and standardization; Hidden and Dropout are
	// ignored.
	Config
	// Penalties are the L2 penalties lambda on the weights that are tried
	// (the loss adds lambda/2 times the squared norm of the weight
	// matrix); the one with the best validation accuracy is kept. Empty
	// is an error.
	Penalties []float64
	// Validation is the fraction of the training rows held out to choose
	// the penalty, in (0, 1); the SVMs are fitted on the rest.
	Validation float64
}

// SVMResult is what a selected SVM scored.
type SVMResult struct {
	Result
	// Penalty is the chosen L2 penalty and ValidationAccuracy its
	// accuracy on the held-out training rows.
	Penalty            float64
	ValidationAccuracy float64
}

// TrainSVM trains a linear support vector machine for each penalty of cfg
// on all but cfg.Validation of the training rows and scores the one with
// the best accuracy on the held-out rows (the first on ties) on test: the
// paper's "simple hinge loss" linear evaluation (Hjelm et al. 2019, Table
// 3). The loss is Crammer and Singer's multiclass hinge,
//
//	mean_i max(0, 1 + max_{j != y_i} s_ij - s_iy_i) + lambda/2 |W|^2,
//
// one machine over all classes rather than one per class against the
// rest, minimized by Adam like the other probes. The chosen SVM is not
// refitted on the held-out rows. It stops early with ctx.Err() when ctx is
// done.
func TrainSVM(ctx context.Context, train, test *Features, classes int, cfg SVMConfig) (SVMResult, error) {
	if len(cfg.Penalties) == 0 {
		return SVMResult{}, fmt.Errorf("svm config: Penalties is empty; give at least one L2 penalty, such as [0]")
	}
	for _, p := range cfg.Penalties {
		if !(p >= 0) || math.IsInf(p, 0) {
			return SVMResult{}, fmt.Errorf("svm config: penalty %g must be finite and at least 0", p)
		}
	}
	if !(cfg.Validation > 0 && cfg.Validation < 1) {
		return SVMResult{}, fmt.Errorf("svm config: Validation = %g must be a fraction in (0, 1), such as 0.1", cfg.Validation)
	}
	if err := train.Check("train", classes); err != nil {
		return SVMResult{}, err
	}
	fit, val := holdOut(train, cfg.Validation, cfg.Seed)
	if fit.N < cfg.BatchSize || val.N == 0 {
		return SVMResult{}, fmt.Errorf("svm: %d training rows split into %d to fit and %d to validate: too few for batch size %d; give more rows",
			train.N, fit.N, val.N, cfg.BatchSize)
	}
	best := SVMResult{ValidationAccuracy: -1}
	for _, p := range cfg.Penalties {
		res, valAcc, err := fitSVM(ctx, fit, val, test, classes, cfg.Config, p)
		if err != nil {
			return SVMResult{}, err
		}
		if valAcc > best.ValidationAccuracy {
			best = SVMResult{Result: res, Penalty: p, ValidationAccuracy: valAcc}
		}
	}
	return best, nil
}

// fitSVM trains one SVM with penalty on fit and returns its result on test
// and its accuracy on val.
func fitSVM(ctx context.Context, fit, val, test *Features, classes int, cfg Config, penalty float64) (Result, float64, error) {
	res, err := run(ctx, fit, test, classes, cfg, model{hinge: true, decay: penalty, val: val})
	if err != nil {
		return Result{}, 0, fmt.Errorf("svm (penalty %g): %w", penalty, err)
	}
	return res, res.validation, nil
}

// holdOut splits f by a seeded permutation into the rows to fit on and the
// frac of them held out for validation. Both copy their rows.
func holdOut(f *Features, frac float64, seed uint64) (fit, val *Features) {
	perm := rand.New(rand.NewPCG(seed, 0x7a11da7e)).Perm(f.N)
	nVal := int(math.Round(frac * float64(f.N)))
	return f.rows(perm[nVal:]), f.rows(perm[:nVal])
}

// rows returns a copy of the rows idx of f, in that order.
func (f *Features) rows(idx []int) *Features {
	out := &Features{X: make([]float32, 0, len(idx)*f.D), N: len(idx), D: f.D, Labels: make([]int, len(idx))}
	for k, i := range idx {
		out.X = append(out.X, f.Row(i)...)
		out.Labels[k] = f.Labels[i]
	}
	return out
}

// objective returns the training loss of the probe's logits against the
// one-hot labels y: the softmax cross-entropy, or for the SVM the
// multiclass hinge plus decay/2 times the squared norm of the weights w.
func (t *trainer) objective(logits, y, w *G.Node) (*G.Node, error) {
	if !t.hinge {
		return crossEntropy(logits, y)
	}
	loss, err := multiclassHinge(logits, y)
	if err != nil || t.decay == 0 {
		return loss, err
	}
	sq, err := G.Sum(G.Must(G.Square(w)))
	if err != nil {
		return nil, err
	}
	penalty, err := G.Mul(sq, G.NewConstant(float32(t.decay/2)))
	if err != nil {
		return nil, err
	}
	return G.Add(loss, penalty)
}

// multiclassHinge returns Crammer and Singer's multiclass hinge loss, the
// mean over rows of max(0, 1 + max_{j != y} s_j - s_y), written as
// max_j (s_j + 1 - [j = y]) - s_y: the j = y term is s_y itself, which
// gives the max(0, ...).
func multiclassHinge(logits, y *G.Node) (*G.Node, error) {
	margins, err := G.Sub(logits, y)
	if err != nil {
		return nil, err
	}
	if margins, err = G.Add(margins, G.NewConstant(float32(1))); err != nil {
		return nil, err
	}
	worst, err := G.Max(margins, 1)
	if err != nil {
		return nil, err
	}
	picked, err := G.Sum(G.Must(G.HadamardProd(y, logits)), 1)
	if err != nil {
		return nil, err
	}
	return G.Mean(G.Must(G.Sub(worst, picked)))
}
