package evals

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Matrix is a dense, row-major matrix of N rows of D values: images, one
// per row, or codes.
type Matrix struct {
	// X holds row i in X[i*D : (i+1)*D].
	X    []float32
	N, D int
}

// DivergedError reports an evaluation model (a critic, a decoder) whose
// training loss, or validation estimate, stopped being finite. Training is
// deterministic, so it would diverge again: it is a tasks.Divergence.
type DivergedError struct {
	Reason string
}

func (e *DivergedError) Error() string { return e.Reason }

// Divergence returns e.Reason.
func (e *DivergedError) Divergence() string { return e.Reason }

// Row returns row i; the slice aliases X.
func (m Matrix) Row(i int) []float32 { return m.X[i*m.D : (i+1)*m.D] }

// check reports the first way in which m is not a usable matrix: empty,
// mismatched length or a value that is not finite. name starts the
// message.
func (m Matrix) check(name string) error {
	switch {
	case m.N <= 0 || m.D <= 0:
		return fmt.Errorf("%s is empty (%d rows of %d values)", name, m.N, m.D)
	case len(m.X) != m.N*m.D:
		return fmt.Errorf("%s: %d values for %d rows of %d", name, len(m.X), m.N, m.D)
	}
	for k, v := range m.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: row %d column %d is %v; values must be finite", name, k/m.D, k%m.D, v)
		}
	}
	return nil
}

// rows returns a copy of the rows idx of m, in that order.
func (m Matrix) rows(idx []int) Matrix {
	out := Matrix{X: make([]float32, 0, len(idx)*m.D), N: len(idx), D: m.D}
	for _, i := range idx {
		out.X = append(out.X, m.Row(i)...)
	}
	return out
}

// Sigmoid returns a copy of m with the logistic sigmoid applied to every
// value, as Deep InfoMax applies it to Y before its prior.
func (m Matrix) Sigmoid() Matrix {
	out := Matrix{X: make([]float32, len(m.X)), N: m.N, D: m.D}
	for i, v := range m.X {
		out.X[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
	return out
}

// Config sets how an evaluation trains its network: with Adam (betas 0.5
// and 0.999, as every network of the repository), on batches of a seeded
// per-epoch shuffle with the last partial batch dropped.
type Config struct {
	// Epochs is the number of passes over the training rows; the epoch
	// reported is the one with the best validation score.
	Epochs int
	// BatchSize is the number of rows per step, and per evaluated batch.
	BatchSize int
	// LR is Adam's learning rate.
	LR float64
	// Hidden is the width of the network's hidden layers.
	Hidden int
	// Validation is the fraction of the training rows held out to choose
	// the epoch, in (0, 1).
	Validation float64
	// Seed fixes the initial weights, the split and the shuffles.
	Seed uint64
}

// Adam's betas, cortex's defaults as everywhere in the repository.
const (
	adamBeta1 = 0.5
	adamBeta2 = 0.999
)

// Validate reports the first setting that cannot be trained with.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("evals: Epochs = %d must be at least 1", c.Epochs)
	case c.BatchSize < 2:
		return fmt.Errorf("evals: BatchSize = %d must be at least 2 (a batch's other rows are its negatives)", c.BatchSize)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("evals: LR = %g must be a positive, finite learning rate", c.LR)
	case c.Hidden < 1:
		return fmt.Errorf("evals: Hidden = %d must be at least 1", c.Hidden)
	case !(c.Validation > 0 && c.Validation < 1):
		return fmt.Errorf("evals: Validation = %g must be a fraction in (0, 1), such as 0.1", c.Validation)
	}
	return nil
}

// split holds the rows an evaluation trains on, validates on and reports
// on, each as one or two aligned matrices (images and codes).
type split struct {
	train, val, test []Matrix
}

// HeldOut is how many of n training rows the evaluations hold out to
// validate at the fraction Config.Validation: n times it, rounded, as
// newSplit splits them, so that a caller can check the parts' sizes
// before it has the rows.
func HeldOut(n int, fraction float64) int { return int(math.Round(fraction * float64(n))) }

// newSplit holds out cfg.Validation of the training rows (the same rows of
// every matrix of train, by a permutation seeded with cfg.Seed) and checks
// that every part has a full batch.
func newSplit(train, test []Matrix, cfg Config) (*split, error) {
	n := train[0].N
	perm := rand.New(rand.NewPCG(cfg.Seed, 0x7a11da7e)).Perm(n)
	nVal := HeldOut(n, cfg.Validation)
	s := &split{test: test}
	for _, m := range train {
		s.val = append(s.val, m.rows(perm[:nVal]))
		s.train = append(s.train, m.rows(perm[nVal:]))
	}
	for _, part := range []struct {
		name string
		n    int
	}{{"training", n - nVal}, {"validation", nVal}, {"test", test[0].N}} {
		if part.n < cfg.BatchSize {
			return nil, fmt.Errorf("evals: %d %s rows (of %d training and %d test rows, %g held out to validate): fewer than one batch of %d; lower the batch size or give more rows",
				part.n, part.name, n, test[0].N, cfg.Validation, cfg.BatchSize)
		}
	}
	return s, nil
}

// checkPairs checks aligned training and test matrices: each usable, the
// same number of rows within a split and the same width across splits.
func checkPairs(names []string, train, test []Matrix) error {
	for k := range train {
		if err := train[k].check("training " + names[k]); err != nil {
			return fmt.Errorf("evals: %w", err)
		}
		if err := test[k].check("test " + names[k]); err != nil {
			return fmt.Errorf("evals: %w", err)
		}
		if train[k].D != test[k].D {
			return fmt.Errorf("evals: training %s have %d columns but test %s %d; extract both the same way", names[k], train[k].D, names[k], test[k].D)
		}
		if train[k].N != train[0].N || test[k].N != test[0].N {
			return fmt.Errorf("evals: %d training %s for %d %s; give one per row", train[k].N, names[k], train[0].N, names[0])
		}
	}
	return nil
}

// standardized returns copies of train and test with every column
// z-scored by its mean and standard deviation on train; a column constant
// on train becomes 0.
func standardized(train, test Matrix) (Matrix, Matrix) {
	mean, sq := make([]float64, train.D), make([]float64, train.D)
	for i := 0; i < train.N; i++ {
		for j, v := range train.Row(i) {
			mean[j] += float64(v) / float64(train.N)
		}
	}
	for i := 0; i < train.N; i++ {
		for j, v := range train.Row(i) {
			d := float64(v) - mean[j]
			sq[j] += d * d / float64(train.N)
		}
	}
	scale := make([]float64, train.D)
	for j := range sq {
		if sd := math.Sqrt(sq[j]); sd > 1e-8*math.Max(1, math.Abs(mean[j])) {
			scale[j] = 1 / sd
		}
	}
	apply := func(m Matrix) Matrix {
		out := Matrix{X: make([]float32, len(m.X)), N: m.N, D: m.D}
		for k, v := range m.X {
			j := k % m.D
			out.X[k] = float32((float64(v) - mean[j]) * scale[j])
		}
		return out
	}
	return apply(train), apply(test)
}
