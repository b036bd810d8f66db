package evals

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/tasks"
)

// gaussianPairs returns n rows of x ~ N(0, I_d) and y = rho x + sqrt(1 -
// rho^2) e, whose mutual information is -d/2 log(1 - rho^2) nats.
func gaussianPairs(rng *rand.Rand, n, d int, rho float64) (x, y Matrix) {
	x = Matrix{X: make([]float32, n*d), N: n, D: d}
	y = Matrix{X: make([]float32, n*d), N: n, D: d}
	for k := range x.X {
		a := rng.NormFloat64()
		x.X[k] = float32(a)
		y.X[k] = float32(rho*a + math.Sqrt(1-rho*rho)*rng.NormFloat64())
	}
	return x, y
}

// correlatedCodes returns n codes of 2*pairs dimensions: pairs of
// standard normals with correlation rho, each pair independent of the
// others. The KL divergence between their joint and the product of their
// marginals is the pairs' total MI, -pairs/2 log(1 - rho^2) nats.
func correlatedCodes(rng *rand.Rand, n, pairs int, rho float64) Matrix {
	m := Matrix{X: make([]float32, 0, n*2*pairs), N: n, D: 2 * pairs}
	for i := 0; i < n; i++ {
		for p := 0; p < pairs; p++ {
			a := rng.NormFloat64()
			m.X = append(m.X, float32(a), float32(rho*a+math.Sqrt(1-rho*rho)*rng.NormFloat64()))
		}
	}
	return m
}

func quickConfig() Config {
	return Config{Epochs: 8, BatchSize: 64, LR: 2e-3, Hidden: 64, Validation: 0.2, Seed: 3}
}

// TestNDMOfIndependentAndCorrelatedCodes checks NDM against codes whose
// dependence is known: about 0 for 6 independent dimensions, and near the
// true KL divergence for 3 pairs with correlation 0.9 (3 x 0.830 = 2.49
// nats), with and without a sigmoid (which, applied to every dimension,
// leaves the divergence unchanged).
func TestNDMOfIndependentAndCorrelatedCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := NDMConfig{Config: quickConfig(), Estimator: "dv"}
	indep := func(n int) Matrix { return correlatedCodes(rng, n, 3, 0) }
	est, err := NDM(context.Background(), indep(4000), indep(1000), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("independent codes: NDM %.4f (validation %.4f, epoch %d)", est.Test, est.Validation, est.Epoch)
	if math.Abs(est.Test) > 0.05 {
		t.Errorf("NDM of independent codes = %.4f, want about 0 (within 0.05)", est.Test)
	}
	truth := -3.0 / 2 * math.Log(1-0.81)
	train, test := correlatedCodes(rng, 4000, 3, 0.9), correlatedCodes(rng, 1000, 3, 0.9)
	for _, sigmoid := range []bool{false, true} {
		tr, te := train, test
		if sigmoid {
			tr, te = train.Sigmoid(), test.Sigmoid()
		}
		est, err := NDM(context.Background(), tr, te, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("correlated codes (sigmoid %v): NDM %.4f, true %.4f (epoch %d)", sigmoid, est.Test, truth, est.Epoch)
		if est.Test < 0.5*truth || est.Test > truth+0.5 {
			t.Errorf("sigmoid %v: NDM of correlated codes = %.4f, want clearly positive, near the true %.4f", sigmoid, est.Test, truth)
		}
	}
}

// TestEstimateMIOnGaussians checks EstimateMI against pairs of known MI:
// about 0 for independent x and y, near -4/2 log(1 - 0.64) = 2.04 nats for
// 4 dimensions at correlation 0.8 with MINE's dv bound and a concat
// critic. infonce, the same estimator code the registry's tests cover, is
// held under its ceiling log 64.
func TestEstimateMIOnGaussians(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cfg := MIConfig{Config: quickConfig(), Estimator: "dv", Critic: "concat", Layers: 1, Embed: 16}
	cfg.Hidden = 32
	for _, tc := range []struct {
		rho       float64
		estimator string
		lo, hi    float64
	}{
		{0, "dv", -0.1, 0.1},
		{0.8, "dv", 1.4, 2.5},
		{0.8, "infonce", 1.2, math.Log(64)},
	} {
		cfg.Estimator = tc.estimator
		trX, trY := gaussianPairs(rng, 2500, 4, tc.rho)
		teX, teY := gaussianPairs(rng, 1000, 4, tc.rho)
		est, err := EstimateMI(context.Background(), trX, trY, teX, teY, cfg)
		if err != nil {
			t.Fatal(err)
		}
		truth := -2 * math.Log(1-tc.rho*tc.rho)
		t.Logf("rho %.1f, %s: estimate %.4f, true %.4f (epoch %d)", tc.rho, tc.estimator, est.Test, truth, est.Epoch)
		if est.Test < tc.lo || est.Test > tc.hi {
			t.Errorf("rho %.1f, %s: estimate %.4f, want in [%.2f, %.2f] (true %.4f)", tc.rho, tc.estimator, est.Test, tc.lo, tc.hi, truth)
		}
	}
}

// TestCriticEvaluationsRejectBadInput checks that bad settings and data
// are refused with a message that names them, the estimator's through the
// registry's own error.
func TestCriticEvaluationsRejectBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := gaussianPairs(rng, 400, 2, 0.5)
	bad := func(name string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, want)
		}
	}
	ctx := context.Background()
	mi := MIConfig{Config: quickConfig(), Estimator: "dvv", Critic: "concat", Layers: 1, Embed: 4}
	_, err := EstimateMI(ctx, x, y, x, y, mi)
	bad("unknown estimator", err, `did you mean "dv"`)
	mi.Estimator, mi.Critic = "dv", "nope"
	_, err = EstimateMI(ctx, x, y, x, y, mi)
	bad("unknown critic", err, `critic "nope"`)
	mi.Critic = "concat"
	_, err = EstimateMI(ctx, x, Matrix{X: y.X[:100], N: 50, D: 2}, x, y, mi)
	bad("misaligned rows", err, "50 training codes for 400 images")
	mi.BatchSize = 100
	_, err = EstimateMI(ctx, x, y, x, y, mi)
	bad("too few validation rows", err, "80 validation rows")
	nd := NDMConfig{Config: quickConfig(), Estimator: "ksg"}
	_, err = NDM(ctx, x, x, nd)
	bad("classic estimator", err, "classic estimator")
	nd.Estimator, nd.LR = "dv", 0
	_, err = NDM(ctx, x, x, nd)
	bad("zero learning rate", err, "LR = 0")
	nd.LR = 1e-3
	_, err = NDM(ctx, Matrix{X: x.X[:400], N: 400, D: 1}, Matrix{X: x.X[:400], N: 400, D: 1}, nd)
	bad("one-dimensional codes", err, "needs at least 2")
	x.X[3] = float32(math.NaN())
	_, err = NDM(ctx, x, x, nd)
	bad("NaN code", err, "row 1 column 1 is NaN")
}

// TestStandardizedZScoresByTheTrainingColumns checks the critics' input
// scaling on a worked case: a column of 1, 2, 3 (mean 2, sd sqrt(2/3))
// and a constant column, which becomes 0.
func TestStandardizedZScoresByTheTrainingColumns(t *testing.T) {
	train := Matrix{X: []float32{1, 5, 2, 5, 3, 5}, N: 3, D: 2}
	test := Matrix{X: []float32{4, 7}, N: 1, D: 2}
	tr, te := standardized(train, test)
	sd := math.Sqrt(2.0 / 3)
	want := []float64{-1 / sd, 0, 0, 0, 1 / sd, 0}
	for k, w := range want {
		if math.Abs(float64(tr.X[k])-w) > 1e-6 {
			t.Errorf("training value %d: %v, want %v", k, tr.X[k], w)
		}
	}
	if math.Abs(float64(te.X[0])-2/sd) > 1e-6 || te.X[1] != 0 {
		t.Errorf("test row %v, want [%v 0]: scaled by the training statistics", te.X, 2/sd)
	}
	if train.X[0] != 1 {
		t.Error("standardized changed its input")
	}
}

// TestDivergedCriticIsADivergence trains dv's critic at a learning rate of
// 1e30: its loss stops being finite, and the error is a *DivergedError
// that tasks.Diverged finds, so a run whose evaluation diverges is
// recorded as diverged.
func TestDivergedCriticIsADivergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := gaussianPairs(rng, 400, 2, 0.5)
	cfg := quickConfig()
	cfg.LR = 1e30
	_, err := EstimateMI(context.Background(), x, y, x, y, MIConfig{Config: cfg, Estimator: "dv", Critic: "concat", Layers: 1, Embed: 4})
	var de *DivergedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "lower the learning rate") {
		t.Fatalf("got error %v, want a *DivergedError", err)
	}
	if d := tasks.Diverged(7, err); d == nil || d.Reason != de.Reason {
		t.Errorf("tasks.Diverged(7, %v) = %v, want its reason", err, d)
	}
}

// affine returns a copy of m with every value times scale plus shift.
func affine(m Matrix, scale, shift float32) Matrix {
	out := Matrix{X: make([]float32, len(m.X)), N: m.N, D: m.D}
	for k, v := range m.X {
		out.X[k] = v*scale + shift
	}
	return out
}

// TestCriticsSeeStandardizedInputs checks that NDM and EstimateMI z-score
// their inputs: codes (and for EstimateMI images) scaled by 1000 and
// shifted by 5 must give the estimates of the unscaled ones, up to the
// rounding of the scaling, since the critic sees the same z-scores.
func TestCriticsSeeStandardizedInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	ctx := context.Background()
	train, test := correlatedCodes(rng, 1000, 2, 0.8), correlatedCodes(rng, 300, 2, 0.8)
	cfg := quickConfig()
	cfg.Epochs = 3
	nd := NDMConfig{Config: cfg, Estimator: "dv"}
	want, err1 := NDM(ctx, train, test, nd)
	got, err2 := NDM(ctx, affine(train, 1000, 5), affine(test, 1000, 5), nd)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if math.Abs(got.Test-want.Test) > 1e-3 {
		t.Errorf("NDM of scaled codes %.5f, of the codes %.5f; want the same", got.Test, want.Test)
	}
	x, y := gaussianPairs(rng, 1000, 2, 0.8)
	tx, ty := gaussianPairs(rng, 300, 2, 0.8)
	mi := MIConfig{Config: cfg, Estimator: "dv", Critic: "concat", Layers: 1, Embed: 4}
	wantMI, err1 := EstimateMI(ctx, x, y, tx, ty, mi)
	gotMI, err2 := EstimateMI(ctx, affine(x, 1000, 5), affine(y, 1000, 5), affine(tx, 1000, 5), affine(ty, 1000, 5), mi)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if math.Abs(gotMI.Test-wantMI.Test) > 1e-3 {
		t.Errorf("EstimateMI of scaled pairs %.5f, of the pairs %.5f; want the same", gotMI.Test, wantMI.Test)
	}
}
