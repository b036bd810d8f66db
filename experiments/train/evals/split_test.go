package evals

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/infomax/infomax/estimators"
)

// TestValidateRefusesEachBadSetting checks every rule of Config.Validate
// at its edge, and that quickConfig passes.
func TestValidateRefusesEachBadSetting(t *testing.T) {
	if err := quickConfig().Validate(); err != nil {
		t.Fatalf("quickConfig: %v", err)
	}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Epochs = 0 }, "Epochs = 0"},
		{func(c *Config) { c.BatchSize = 1 }, "BatchSize = 1"},
		{func(c *Config) { c.LR = math.Inf(1) }, "LR = +Inf"},
		{func(c *Config) { c.LR = math.NaN() }, "LR = NaN"},
		{func(c *Config) { c.Hidden = 0 }, "Hidden = 0"},
		{func(c *Config) { c.Validation = 0 }, "Validation = 0"},
		{func(c *Config) { c.Validation = 1 }, "Validation = 1"},
	} {
		cfg := quickConfig()
		tc.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
		}
	}
}

// TestNewSplitHoldsOutAlignedRows checks newSplit on two aligned matrices
// whose rows are numbered: round(0.25·10) = 3 rows validate and the other
// 7 train, each row in exactly one part, the same rows of both matrices,
// and the test rows are passed through.
func TestNewSplitHoldsOutAlignedRows(t *testing.T) {
	a := Matrix{X: make([]float32, 10), N: 10, D: 1}
	b := Matrix{X: make([]float32, 20), N: 10, D: 2}
	for i := 0; i < 10; i++ {
		a.X[i], b.X[2*i], b.X[2*i+1] = float32(i), float32(i), float32(-i)
	}
	test := Matrix{X: make([]float32, 6), N: 3, D: 2}
	cfg := quickConfig()
	cfg.BatchSize, cfg.Validation = 2, 0.25
	s, err := newSplit([]Matrix{a, b}, []Matrix{test, test}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.val[0].N != 3 || s.train[0].N != 7 || HeldOut(10, 0.25) != 3 {
		t.Fatalf("%d rows validate and %d train, HeldOut %d; want 3, 7 and 3", s.val[0].N, s.train[0].N, HeldOut(10, 0.25))
	}
	seen := make([]int, 10)
	for _, part := range [][]Matrix{s.train, s.val} {
		for i := 0; i < part[0].N; i++ {
			r := part[0].X[i]
			seen[int(r)]++
			if got := part[1].Row(i); got[0] != r || got[1] != -r {
				t.Errorf("row %d of a part: %v in the first matrix, %v in the second; want the same row", i, r, got)
			}
		}
	}
	for r, n := range seen {
		if n != 1 {
			t.Errorf("training row %d is in %d parts, want 1", r, n)
		}
	}
	if s.test[0].N != 3 || &s.test[0].X[0] != &test.X[0] {
		t.Error("the test matrices are not passed through")
	}
}

// TestMatricesThatDoNotPairAreRefused checks checkPairs' and check's
// refusals: an empty matrix, test codes that do not match the test
// images, and test columns that do not match the training ones.
func TestMatricesThatDoNotPairAreRefused(t *testing.T) {
	x := Matrix{X: make([]float32, 8), N: 4, D: 2}
	short := Matrix{X: make([]float32, 6), N: 3, D: 2}
	wide := Matrix{X: make([]float32, 12), N: 4, D: 3}
	for _, tc := range []struct {
		train, test []Matrix
		want        string
	}{
		{[]Matrix{{N: 0, D: 2}}, []Matrix{x}, "training codes is empty"},
		{[]Matrix{x, x}, []Matrix{x, short}, "give one per row"},
		{[]Matrix{x, x}, []Matrix{x, wide}, "training images have 2 columns but test images 3"},
	} {
		err := checkPairs([]string{"codes", "images"}, tc.train, tc.test)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkPairs: %v, want an error containing %q", err, tc.want)
		}
	}
}

// TestSigmoidIsTheLogistic checks Sigmoid on worked values.
func TestSigmoidIsTheLogistic(t *testing.T) {
	got := Matrix{X: []float32{0, 2, -2}, N: 1, D: 3}.Sigmoid()
	for k, w := range []float64{0.5, 1 / (1 + math.Exp(-2)), 1 / (1 + math.Exp(2))} {
		if math.Abs(float64(got.X[k])-w) > 1e-7 {
			t.Errorf("sigmoid value %d: %v, want %v", k, got.X[k], w)
		}
	}
}

// TestStandardizedTreatsRoundingNoiseAsConstant checks the tolerance of
// standardized: a column of 1000 that one row of 200 moves by a float32
// step varies by less than 1e-8 of its mean and becomes 0.
func TestStandardizedTreatsRoundingNoiseAsConstant(t *testing.T) {
	m := Matrix{X: make([]float32, 200), N: 200, D: 1}
	for i := range m.X {
		m.X[i] = 1000
	}
	m.X[7] = math.Nextafter32(1000, 2000)
	tr, _ := standardized(m, m)
	for i, v := range tr.X {
		if v != 0 {
			t.Fatalf("row %d became %v, want 0", i, v)
		}
	}
}

// TestMeanAveragesTheFullBatches checks criticModel.mean against the
// estimates of its batches one by one: 3 full batches of 16 rows of 48,
// and the same mean with 3 rows more, which make no full batch.
func TestMeanAveragesTheFullBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x, y := gaussianPairs(rng, 51, 2, 0.7)
	cfg := MIConfig{Config: quickConfig(), Estimator: "dv", Critic: "concat", Layers: 1, Embed: 4}
	cfg.BatchSize = 16
	m := pairModel(t, cfg)
	want := 0.0
	for b := 0; b < 3; b++ {
		rows := make([]int, 16)
		for k := range rows {
			rows[k] = 16*b + k
		}
		m.load([]Matrix{x, y}, rows, nil)
		_, mi, err := m.run()
		if err != nil {
			t.Fatal(err)
		}
		want += mi / 3
	}
	first48 := func(m Matrix) Matrix { return Matrix{X: m.X[:48*m.D], N: 48, D: m.D} }
	for _, src := range [][]Matrix{{first48(x), first48(y)}, {x, y}} {
		got, err := m.mean(src, 1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("mean over %d rows %v, want the 3 full batches' mean %v", src[0].N, got, want)
		}
	}
}

// TestTheTestSplitIsWhatTheCriticReports trains NDM's critic on codes of
// 3 correlated pairs but tests it on independent codes: the validation
// estimate, from held-out training rows, must be large and the test
// estimate not (a critic fitted to dependence scores independent codes at
// or below 0). Validating on the test rows, or reporting the validation
// rows, would make them alike.
func TestTheTestSplitIsWhatTheCriticReports(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	train, test := correlatedCodes(rng, 4000, 3, 0.9), correlatedCodes(rng, 1000, 3, 0)
	est, err := NDM(context.Background(), train, test, NDMConfig{Config: quickConfig(), Estimator: "dv"})
	if err != nil {
		t.Fatal(err)
	}
	if est.Validation < 1.5 || est.Test > 0.3 {
		t.Errorf("validation %.3f and test %.3f; want above 1.5 on held-out correlated codes and at most about 0 on independent test codes", est.Validation, est.Test)
	}
}

// TestACriticThatCannotLearnKeepsItsFirstEpoch checks the tie rule of the
// epoch choice: at a learning rate of 1e-30 the critic never changes, so
// every epoch validates the same and the first is reported.
func TestACriticThatCannotLearnKeepsItsFirstEpoch(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cfg := NDMConfig{Config: quickConfig(), Estimator: "dv"}
	cfg.Epochs, cfg.LR = 3, 1e-30
	est, err := NDM(context.Background(), correlatedCodes(rng, 400, 1, 0.5), correlatedCodes(rng, 200, 1, 0.5), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if est.Epoch != 1 {
		t.Errorf("epoch %d reported of 3 equal ones, want the first", est.Epoch)
	}
}

// TestAValidationEstimateNeverFiniteIsADivergence fits the MI critic on
// ordinary pairs but validates it on pairs scaled by 3e38, at and past
// float32's largest value, whose scores are not finite: no epoch may be
// chosen, and the error must be a *DivergedError, not an estimate of the
// infinite validation value.
func TestAValidationEstimateNeverFiniteIsADivergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x, y := gaussianPairs(rng, 64, 2, 0.5)
	huge := affine(x, 3e38, 0)
	cfg := MIConfig{Config: quickConfig(), Estimator: "dv", Critic: "concat", Layers: 1, Embed: 4}
	cfg.BatchSize, cfg.Epochs = 16, 2
	m := pairModel(t, cfg)
	s := &split{train: []Matrix{x, y}, val: []Matrix{huge, huge}, test: []Matrix{x, y}}
	got, err := m.fit(context.Background(), s, cfg.Config)
	var de *DivergedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "never finite") {
		t.Errorf("fit = %+v, %v; want a *DivergedError saying the validation estimate was never finite", got, err)
	}
}

// pairModel returns the MI critic model of cfg on pairs of 2-column rows,
// closed when the test ends.
func pairModel(t *testing.T, cfg MIConfig) *criticModel {
	t.Helper()
	est, err := estimators.New(cfg.Estimator, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMIModel(2, 2, est, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)
	return m
}
