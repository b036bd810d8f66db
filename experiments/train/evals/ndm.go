package evals

import (
	"context"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
)

// NDMConfig sets how [NDM] trains its discriminator.
type NDMConfig struct {
	// Config's Hidden is the first hidden width of the discriminator, an
	// MLP d -> Hidden -> Hidden/5 -> 1 (1000 -> 200 in the official
	// code's ndm_eval).
	Config
	// Estimator names a critic-based estimator of the estimators
	// registry; the paper's NDM is "dv", a KL divergence.
	Estimator       string
	EstimatorParams map[string]float64
}

// NDM returns the neural dependency measure of codes (Hjelm et al. 2019,
// §4 and Table 3): the KL divergence between the joint distribution of
// the codes' dimensions and the product of their marginals, estimated by a
// discriminator trained with the named estimator to tell a batch of codes
// (the positives) from the same batch with every dimension shuffled
// across the batch independently (the negatives). It is about 0 for
// codes with independent dimensions and grows with their dependence.
// Every dimension is z-scored with its training mean and standard
// deviation first. The caller applies a sigmoid before for the paper's
// first NDM number ([Matrix.Sigmoid]): in theory it changes nothing, as
// the divergence is unchanged by any invertible map of each dimension,
// but it changes what a discriminator trained briefly finds.
func NDM(ctx context.Context, train, test Matrix, cfg NDMConfig) (Estimate, error) {
	if err := cfg.Validate(); err != nil {
		return Estimate{}, err
	}
	if err := checkPairs([]string{"codes"}, []Matrix{train}, []Matrix{test}); err != nil {
		return Estimate{}, err
	}
	if train.D < 2 {
		return Estimate{}, fmt.Errorf("ndm: codes of %d dimension: dependence needs at least 2", train.D)
	}
	est, err := estimators.New(cfg.Estimator, estimators.Params(cfg.EstimatorParams))
	if err != nil {
		return Estimate{}, fmt.Errorf("ndm: estimator %q: %w", cfg.Estimator, err)
	}
	// The discriminator sees z-scored codes, whose scale would otherwise
	// set how fast it learns (a random encoder's codes are small); the KL
	// divergence is unchanged by a scaling of each dimension.
	train, test = standardized(train, test)
	s, err := newSplit([]Matrix{train}, []Matrix{test}, cfg.Config)
	if err != nil {
		return Estimate{}, err
	}
	m, err := newNDMModel(train.D, est, cfg)
	if err != nil {
		return Estimate{}, err
	}
	defer m.close()
	return m.fit(ctx, s, cfg.Config)
}

// newNDMModel builds the discriminator on a stacked batch, the n codes
// over their n shuffled copies, whose 2n scores form one row of the score
// matrix: the first n positive, the others negative.
func newNDMModel(d int, est estimators.Estimator, cfg NDMConfig) (*criticModel, error) {
	g := G.NewGraph()
	n := cfg.BatchSize
	mlp, err := architectures.NewMLP(g, architectures.NewInit(cfg.Seed), "ndm", d, cfg.Hidden, max(1, cfg.Hidden/5), 1)
	if err != nil {
		return nil, fmt.Errorf("ndm: %w", err)
	}
	z, zs := inputMatrix(g, "codes", 2*n, d)
	out, err := mlp.Forward(z)
	if err != nil {
		return nil, fmt.Errorf("ndm: %w", err)
	}
	scores, err := G.Reshape(out, tensor.Shape{1, 2 * n})
	if err != nil {
		return nil, fmt.Errorf("ndm: %w", err)
	}
	mask, err := estimators.NewMask(1, 2*n)
	if err != nil {
		return nil, err
	}
	for c := range mask.Roles {
		mask.Roles[c] = estimators.Negative
		if c < n {
			mask.Roles[c] = estimators.Positive
		}
	}
	m, err := newCriticModel("ndm", scores, mask, est, mlp.Learnables(), cfg.Config)
	if err != nil {
		return nil, err
	}
	perm := make([]int, n)
	m.load = func(src []Matrix, rows []int, rng *rand.Rand) {
		for k, i := range rows {
			copy(zs[k*d:(k+1)*d], src[0].Row(i))
		}
		shuffled := zs[n*d:]
		for j := 0; j < d; j++ {
			for k := range perm {
				perm[k] = k
			}
			rng.Shuffle(n, func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
			for k, from := range perm {
				shuffled[k*d+j] = zs[from*d+j]
			}
		}
	}
	return m, nil
}
