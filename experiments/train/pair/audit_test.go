package pair

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
)

// TestStepUpdatesTheEstimator checks that Step, and only Step, folds a
// batch into an estimator's state (mine's moving average): three Evals
// leave it empty, and each Step adds one partition term.
func TestStepUpdatesTheEstimator(t *testing.T) {
	m := newTestModel(t)
	mine, ok := m.Estimator.(*estimators.MINE)
	if !ok {
		t.Fatalf("newTestModel's estimator is a %T, want *estimators.MINE", m.Estimator)
	}
	for range 3 {
		if _, _, err := m.Eval(); err != nil {
			t.Fatal(err)
		}
	}
	if n := mine.Steps(); n != 0 {
		t.Fatalf("mine's moving average holds %d terms after three Evals, want 0", n)
	}
	for step := 1; step <= 3; step++ {
		if _, _, err := m.Step(); err != nil {
			t.Fatal(err)
		}
		if n := mine.Steps(); n != step {
			t.Fatalf("after Step %d mine's moving average holds %d terms", step, n)
		}
	}
	if a, ok := mine.Average(); !ok || !(a > 0) {
		t.Errorf("mine's moving average after three steps: %v, %v; want a positive partition term", a, ok)
	}
}

// TestCheckCriticTakesZeroLayers checks that layers = 0 (no hidden layer
// beyond the first) is a valid critic, as CheckCritic's message says.
func TestCheckCriticTakesZeroLayers(t *testing.T) {
	if err := CheckCritic("separable", 16, 0, 8, false); err != nil {
		t.Errorf("layers = 0: %v", err)
	}
}

// TestEmbedThenScoresOfIsScores checks the embeddings a critic run apart
// hands out: EmbeddingWidth is the embedding's width (not the batch),
// Embed writes x's embedding to its first slice and y's to its second,
// and ScoresOf of those embeddings is the score matrix Scores computes
// from the batch, bit for bit. x and y differ in size and the batch in
// width, and the scores are checked not to be symmetric, so that a swap
// of x and y anywhere shows.
func TestEmbedThenScoresOfIsScores(t *testing.T) {
	defer func(was int) { apartMinProcs = was }(apartMinProcs)
	apartMinProcs = 1
	const batch, embed = 6, 4
	m, err := New(Spec{Estimator: "infonce", Critic: "separable",
		CriticSpec: architectures.CriticSpec{DimX: 3, DimY: 5, Hidden: 8, Layers: 1, Embed: embed, Seed: 5},
		BatchSize:  batch, LR: 1e-2, Beta1: 0.9, Beta2: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	width, ok := m.EmbeddingWidth()
	if !ok || width != embed {
		t.Fatalf("EmbeddingWidth() = %d, %v; want %d, true", width, ok, embed)
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for i := range m.X {
		m.X[i] = float32(rng.NormFloat64())
	}
	for i := range m.Y {
		m.Y[i] = float32(rng.NormFloat64())
	}
	want := make([]float64, batch*batch)
	if err := m.Scores(want); err != nil {
		t.Fatal(err)
	}
	symmetric := true
	for i := range batch {
		for j := range batch {
			symmetric = symmetric && want[i*batch+j] == want[j*batch+i]
		}
	}
	if symmetric {
		t.Fatal("the scores are symmetric: the test cannot see a swap")
	}
	ex, ey := make([]float32, batch*width), make([]float32, batch*width)
	if err := m.Embed(ex, ey); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, batch*batch)
	if err := m.ScoresOf(ex, ey, got); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
			t.Fatalf("score %d from Embed and ScoresOf: %v, Scores: %v", k, got[k], want[k])
		}
	}
	if err := m.ScoresOf(ex[1:], ey, got); err == nil {
		t.Error("ScoresOf took an x embedding one value short")
	}
}
