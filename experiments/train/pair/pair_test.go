package pair

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/train/optim"
)

func TestNonFiniteNamesTheBadValue(t *testing.T) {
	if r := NonFinite(1, 2); r != "" {
		t.Errorf("finite values reported as %q", r)
	}
	if r := NonFinite(math.NaN(), 2); !strings.Contains(r, "loss is NaN") {
		t.Errorf("NaN loss reported as %q", r)
	}
	if r := NonFinite(0, math.Inf(1)); !strings.Contains(r, "MI estimate is +Inf") {
		t.Errorf("infinite estimate reported as %q", r)
	}
}

// TestFirstStepHintSaysWhereToLook checks that a divergence at the first
// step names the estimator and the test that checks its graph, and that a
// later one adds nothing.
func TestFirstStepHintSaysWhereToLook(t *testing.T) {
	h := FirstStepHint("interpolated", 1)
	for _, want := range []string{`estimator = "interpolated"`, "no learning rate helps", "go test ./estimators"} {
		if !strings.Contains(h, want) {
			t.Errorf("first-step hint %q lacks %q", h, want)
		}
	}
	if h := FirstStepHint("interpolated", 2); h != "" {
		t.Errorf("hint at step 2: %q, want none", h)
	}
}

// newTestModel builds a small concat critic with mine, whose moving
// average is state that Eval must leave alone, on x of size 3 and y of
// size 2 (the sizes differ, to catch a swapped shape).
func newTestModel(t *testing.T) *Model {
	t.Helper()
	m, err := New(Spec{
		Estimator: "mine", Critic: "concat",
		CriticSpec: architectures.CriticSpec{DimX: 3, DimY: 2, Hidden: 8, Layers: 1, Embed: 4, Seed: 7},
		BatchSize:  8, LR: 1e-2, Beta1: 0.9, Beta2: 0.999,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range m.X {
		m.X[i] = float32(rng.NormFloat64())
	}
	for i := range m.Y {
		m.Y[i] = float32(rng.NormFloat64())
	}
	return m
}

// TestEvalDoesNotTrain checks that Eval returns what the next Step returns
// (the same batch, before the update) and changes nothing: two Evals agree,
// and a model that only evaluated steps exactly as a fresh one.
func TestEvalDoesNotTrain(t *testing.T) {
	m, fresh := newTestModel(t), newTestModel(t)
	l1, mi1, err := m.Eval()
	if err != nil {
		t.Fatal(err)
	}
	l2, mi2, err := m.Eval()
	if err != nil {
		t.Fatal(err)
	}
	if l1 != l2 || mi1 != mi2 {
		t.Fatalf("two Evals of one batch: (%v, %v) then (%v, %v)", l1, mi1, l2, mi2)
	}
	for i := 0; i < 3; i++ {
		ls, mis, err := m.Step()
		if err != nil {
			t.Fatal(err)
		}
		lf, mif, err := fresh.Step()
		if err != nil {
			t.Fatal(err)
		}
		if ls != lf || mis != mif {
			t.Fatalf("step %d after two Evals gave (%v, %v), a fresh model (%v, %v)", i, ls, mis, lf, mif)
		}
		if i == 0 && (ls != l1 || mis != mi1) {
			t.Fatalf("first Step gave (%v, %v), Eval (%v, %v)", ls, mis, l1, mi1)
		}
	}
	if l3, _, _ := m.Eval(); l3 == l1 {
		t.Errorf("the loss did not move in three Adam steps (%v)", l3)
	}
}

func TestNewNamesTheBadSetting(t *testing.T) {
	_, err := New(Spec{Estimator: "nope", Critic: "concat",
		CriticSpec: architectures.CriticSpec{DimX: 1, DimY: 1, Hidden: 2, Embed: 2}, BatchSize: 2, LR: 1e-3, Beta1: 0.9, Beta2: 0.999})
	if err == nil || !strings.Contains(err.Error(), `estimator = "nope"`) {
		t.Errorf("New with an unknown estimator: %v", err)
	}
}

func TestCheckCriticNamesTheKey(t *testing.T) {
	if err := CheckCritic("concat", 16, 2, 8, false); err != nil {
		t.Errorf("a valid critic: %v", err)
	}
	if err := CheckCritic("separable-conv", 16, 2, 8, true); err != nil {
		t.Errorf("a critic of images where the samples are images: %v", err)
	}
	for _, tc := range []struct {
		critic               string
		hidden, layers, embd int
		want                 string
	}{
		{"no-such-critic", 16, 2, 8, `critic = "no-such-critic": unknown critic "no-such-critic"`},
		{"concat", 0, 2, 8, "hidden = 0"},
		{"concat", 16, -1, 8, "layers = -1"},
		{"separable", 16, 2, 0, "embed = 0"},
		{"separable-conv", 16, 2, 8, `critic = "separable-conv": reads images, and this task's samples are vectors; use `},
	} {
		if err := CheckCritic(tc.critic, tc.hidden, tc.layers, tc.embd, false); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("CheckCritic(%q, %d, %d, %d) = %v, want %q...", tc.critic, tc.hidden, tc.layers, tc.embd, err, tc.want)
		}
	}
}

// TestApartIsTheOneGraphModel checks that a separable critic run apart
// (its two sides' machines, each on a core where there are two, and the
// loss's) gives the losses, estimates and weights of the same model in
// one graph, bit for bit, for every critic-based estimator, with Adam's
// moments in either precision, on one core and on two; at the Gaussian
// benchmark's sizes, whose ops split across cores, on two and four; and
// through a step whose batch holds an infinity, which must leave the
// weights alone; and the same for the convolutional separable-conv
// critic of images, with infonce and smile. Eval there must neither train
// nor leave a side stopped that the next Step would resume wrongly.
func TestApartIsTheOneGraphModel(t *testing.T) {
	small := architectures.CriticSpec{DimX: 3, DimY: 5, Hidden: 16, Layers: 2, Embed: 4, Seed: 11}
	for _, est := range estimators.CriticNames() {
		for _, moments := range []optim.Moments{optim.Float64Moments, optim.Float32Moments} {
			for _, procs := range []int{1, 2} {
				sameApart(t, fmt.Sprintf("%s/%s/procs=%d", est, moments, procs), "separable", est, moments, procs, small, 8)
			}
		}
	}
	paper := architectures.CriticSpec{DimX: 20, DimY: 20, Hidden: 256, Layers: 2, Embed: 32, Seed: 1}
	for _, procs := range []int{2, 4} {
		sameApart(t, fmt.Sprintf("jsd/paper sizes/procs=%d", procs), "separable", "jsd", optim.Float64Moments, procs, paper, 64)
	}
	images := architectures.CriticSpec{DimX: 2 * 64, DimY: 64, Hidden: 8, Layers: 1, Embed: 4, ImageSide: 8, Channels: []int{4, 3}, Seed: 3}
	for _, est := range []string{"infonce", "smile"} {
		for _, procs := range []int{1, 2} {
			sameApart(t, fmt.Sprintf("separable-conv/%s/procs=%d", est, procs), "separable-conv", est, optim.Float64Moments, procs, images, 6)
		}
	}
}

// sameApart runs separableRun of the named critic apart and in one graph
// and fails the test where their values differ.
func sameApart(t *testing.T, name, critic, est string, moments optim.Moments, procs int, spec architectures.CriticSpec, batch int) {
	t.Run(name, func(t *testing.T) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		one := separableRun(t, critic, est, moments, false, spec, batch)
		apart := separableRun(t, critic, est, moments, true, spec, batch)
		for i := range one {
			if math.Float64bits(one[i]) != math.Float64bits(apart[i]) {
				t.Fatalf("value %d: %v in one graph, %v apart (losses, estimates, then weights)", i, one[i], apart[i])
			}
		}
	})
}

// separableRun trains a separable critic (separable or separable-conv)
// with est for 6 steps on random batches, apart or in one graph,
// evaluating a batch before each step; the fourth batch holds an
// infinity. It returns every step's loss and estimate (-1 for a
// non-finite one) and the weights after the last step. Apart, it also
// checks each side's range of Adam's parameters.
func separableRun(t *testing.T, critic, est string, moments optim.Moments, apart bool, spec architectures.CriticSpec, batch int) []float64 {
	t.Helper()
	defer func(was int) { apartMinProcs = was }(apartMinProcs)
	apartMinProcs = math.MaxInt
	if apart {
		apartMinProcs = 1
	}
	m, err := New(Spec{Estimator: est, Critic: critic, CriticSpec: spec,
		BatchSize: batch, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Moments: moments})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.apart != nil; got != apart {
		t.Fatalf("built apart: %v, want %v", got, apart)
	}
	if apart {
		e := m.Critic.(architectures.Embedder)
		nx, n := len(e.LearnablesX()), len(e.Learnables())
		if s0, s1 := m.apart.sides[0], m.apart.sides[1]; s0.first != 0 || s0.end != nx || s1.first != nx || s1.end != n {
			t.Fatalf("the sides update parameters [%d, %d) and [%d, %d), want [0, %d) and [%d, %d)", s0.first, s0.end, s1.first, s1.end, nx, nx, n)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var out []float64
	for step := range 6 {
		for i := range m.X {
			m.X[i] = float32(rng.NormFloat64())
		}
		for i := range m.Y {
			m.Y[i] = float32(rng.NormFloat64()) + 0.5*m.X[i%len(m.X)]
		}
		if step == 3 {
			m.X[1] = float32(math.Inf(1))
		}
		le, mie, err := m.Eval()
		if err != nil {
			t.Fatal(err)
		}
		l, mi, err := m.Step()
		if err != nil {
			t.Fatal(err)
		}
		if NonFinite(l, mi) != "" {
			if step != 3 {
				t.Fatalf("step %d: %s", step, NonFinite(l, mi))
			}
			out = append(out, -1)
			continue
		}
		if step == 3 || l != le || mi != mie {
			t.Fatalf("step %d gave (%v, %v) after Eval gave (%v, %v) on the same batch", step, l, mi, le, mie)
		}
		out = append(out, l, mi)
	}
	for _, p := range m.Critic.Learnables() {
		for _, w := range p.Value().Data().([]float32) {
			out = append(out, float64(w))
		}
	}
	return out
}

// TestScoresAreTheStepsScores checks that Scores, which runs the critic's
// forward pass alone, gives the bits that the training graph scores the
// same batch with, for both critics, the separable one apart and in one
// graph, on one core and on two, at small sizes and at the Gaussian
// benchmark's (whose ops split across cores); and that scoring other
// batches between steps, a Step right after a Scores as bmi does,
// changes nothing: the weights after the steps are those of a model that
// never scored, with jsd and with mine, whose moving average is state.
func TestScoresAreTheStepsScores(t *testing.T) {
	small := architectures.CriticSpec{DimX: 3, DimY: 5, Hidden: 16, Layers: 2, Embed: 4, Seed: 11}
	paper := architectures.CriticSpec{DimX: 20, DimY: 20, Hidden: 256, Layers: 2, Embed: 32, Seed: 1}
	for _, tc := range []struct {
		critic string
		apart  bool
		spec   architectures.CriticSpec
		batch  int
	}{
		{"concat", false, small, 8}, {"separable", false, small, 8}, {"separable", true, small, 8},
		{"concat", false, paper, 32}, {"separable", true, paper, 64},
	} {
		for _, est := range []string{"jsd", "mine"} {
			for _, procs := range []int{1, 2} {
				name := fmt.Sprintf("%s/%s/apart=%v/hidden=%d/procs=%d", est, tc.critic, tc.apart, tc.spec.Hidden, procs)
				t.Run(name, func(t *testing.T) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					scored := scoringRun(t, est, tc.critic, tc.apart, tc.spec, tc.batch, true)
					plain := scoringRun(t, est, tc.critic, tc.apart, tc.spec, tc.batch, false)
					for i := range plain {
						if math.Float64bits(scored[i]) != math.Float64bits(plain[i]) {
							t.Fatalf("value %d after 3 steps: %v with Scores between them, %v without (losses, then weights)", i, scored[i], plain[i])
						}
					}
				})
			}
		}
	}
}

// scoringRun trains a critic with est for 3 steps on random batches; with
// score, before each step it scores a batch of its own with Scores and
// fails the test unless those are the scores the training graph computes
// in Eval, then scores another and steps right after. It returns the
// steps' losses and the weights after the last step.
func scoringRun(t *testing.T, est, critic string, apart bool, spec architectures.CriticSpec, batch int, score bool) []float64 {
	t.Helper()
	defer func(was int) { apartMinProcs = was }(apartMinProcs)
	apartMinProcs = math.MaxInt
	if apart {
		apartMinProcs = 1
	}
	m, err := New(Spec{Estimator: est, Critic: critic, CriticSpec: spec, BatchSize: batch, LR: 1e-2, Beta1: 0.9, Beta2: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.apart != nil; got != apart {
		t.Fatalf("built apart: %v, want %v", got, apart)
	}
	rng, scoreRNG := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(7, 8))
	fill := func(rng *rand.Rand) {
		for i := range m.X {
			m.X[i] = float32(rng.NormFloat64())
		}
		for i := range m.Y {
			m.Y[i] = float32(rng.NormFloat64()) + 0.5*m.X[i%len(m.X)]
		}
	}
	got := make([]float64, batch*batch)
	var out []float64
	for step := range 3 {
		if score {
			fill(scoreRNG)
			if err := m.Scores(got); err != nil {
				t.Fatal(err)
			}
			if _, _, err := m.Eval(); err != nil {
				t.Fatal(err)
			}
			for i, want := range m.scores.Value().Data().([]float32) {
				if math.Float64bits(got[i]) != math.Float64bits(float64(want)) {
					t.Fatalf("step %d, score %d: Scores gives %v, the training graph %v", step, i, got[i], want)
				}
			}
			fill(scoreRNG)
			if err := m.Scores(got); err != nil {
				t.Fatal(err)
			}
		}
		fill(rng)
		loss, mi, err := m.Step()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, loss, mi)
	}
	for _, p := range m.Critic.Learnables() {
		for _, w := range p.Value().Data().([]float32) {
			out = append(out, float64(w))
		}
	}
	return out
}
