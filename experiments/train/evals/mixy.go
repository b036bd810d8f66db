package evals

import (
	"context"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
)

// MIConfig sets how [EstimateMI] trains its critic.
type MIConfig struct {
	Config
	// Estimator names a critic-based estimator of the estimators registry
	// ("dv" is MINE's bound without its moving average, "mine" with it);
	// EstimatorParams are its settings.
	Estimator       string
	EstimatorParams map[string]float64
	// Critic names a pair critic of the architectures registry
	// ("concat", MINE's critic on [x, y], or "separable"); it has Layers
	// hidden layers of Config.Hidden units and, if separable, embeddings
	// of Embed.
	Critic        string
	Layers, Embed int
}

// EstimateMI trains a critic on pairs (x_i, y_i) of images and codes,
// whose rows are aligned, with the named estimator: each batch's diagonal
// pairs are its positives and the other pairings its negatives, as in the
// Gaussian benchmark. Every column of the images and of the codes is
// z-scored with its training mean and standard deviation first. It returns the estimate of I(X; Y) in nats on the
// test pairs, the paper's I_rho(X; Y) of Table 3 (a MINE estimate there).
func EstimateMI(ctx context.Context, trainX, trainY, testX, testY Matrix, cfg MIConfig) (Estimate, error) {
	if err := cfg.Validate(); err != nil {
		return Estimate{}, err
	}
	train, test := []Matrix{trainX, trainY}, []Matrix{testX, testY}
	if err := checkPairs([]string{"images", "codes"}, train, test); err != nil {
		return Estimate{}, err
	}
	est, err := estimators.New(cfg.Estimator, estimators.Params(cfg.EstimatorParams))
	if err != nil {
		return Estimate{}, fmt.Errorf("mi_xy: estimator %q: %w", cfg.Estimator, err)
	}
	if _, err := architectures.LookupPairCritic(cfg.Critic); err != nil {
		return Estimate{}, fmt.Errorf("mi_xy: critic %q: %w", cfg.Critic, err)
	}
	// The critic sees z-scored images and codes: a code's scale is
	// arbitrary (a random encoder's is small) and would otherwise set how
	// fast the critic learns. MI is unchanged by it.
	trainX, testX = standardized(trainX, testX)
	trainY, testY = standardized(trainY, testY)
	train, test = []Matrix{trainX, trainY}, []Matrix{testX, testY}
	s, err := newSplit(train, test, cfg.Config)
	if err != nil {
		return Estimate{}, err
	}
	m, err := newMIModel(trainX.D, trainY.D, est, cfg)
	if err != nil {
		return Estimate{}, err
	}
	defer m.close()
	return m.fit(ctx, s, cfg.Config)
}

// newMIModel builds the critic on (x, y) batches and its estimator.
func newMIModel(dx, dy int, est estimators.Estimator, cfg MIConfig) (*criticModel, error) {
	g := G.NewGraph()
	n := cfg.BatchSize
	spec := architectures.CriticSpec{DimX: dx, DimY: dy, Hidden: cfg.Hidden, Layers: cfg.Layers, Embed: cfg.Embed, Seed: cfg.Seed}
	critic, err := architectures.NewPairCritic(g, cfg.Critic, spec)
	if err != nil {
		return nil, fmt.Errorf("mi_xy: critic %q: %w", cfg.Critic, err)
	}
	x, xs := inputMatrix(g, "x", n, dx)
	y, ys := inputMatrix(g, "y", n, dy)
	scores, err := critic.Scores(x, y)
	if err != nil {
		return nil, fmt.Errorf("mi_xy: critic %q: %w", cfg.Critic, err)
	}
	if err := architectures.CheckScores(cfg.Critic, scores, n, n); err != nil {
		return nil, fmt.Errorf("mi_xy: %w", err)
	}
	m, err := newCriticModel("mi_xy", scores, estimators.Diagonal(n), est, critic.Learnables(), cfg.Config)
	if err != nil {
		return nil, err
	}
	m.load = func(src []Matrix, rows []int, _ *rand.Rand) {
		for k, i := range rows {
			copy(xs[k*dx:(k+1)*dx], src[0].Row(i))
			copy(ys[k*dy:(k+1)*dy], src[1].Row(i))
		}
	}
	return m, nil
}
