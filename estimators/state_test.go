package estimators

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mineRig is one MINE estimator with a float64 graph over a score input.
type mineRig struct {
	est   *MINE
	x     *G.Node
	terms *Terms
	grads G.Nodes
	vm    G.VM
}

func newMineRig(t *testing.T, mask *Mask) *mineRig {
	t.Helper()
	r := &mineRig{est: mustNew(t, "mine", Params{"momentum": 0.8}).(*MINE)}
	g := G.NewGraph()
	r.x = newScoresNode(g, make([]float64, mask.Rows*mask.Cols), mask, tensor.Float64)
	var err error
	if r.terms, err = r.est.Build(r.x, mask); err != nil {
		t.Fatal(err)
	}
	if r.grads, err = G.Grad(r.terms.Loss, r.x); err != nil {
		t.Fatal(err)
	}
	r.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { r.vm.Close() })
	return r
}

// step runs the graph on scores and updates the estimator, returning the
// loss and the gradient.
func (r *mineRig) step(t *testing.T, scores []float64, mask *Mask) (float64, []float64) {
	t.Helper()
	if err := G.Let(r.x, tensor.New(tensor.WithShape(mask.Rows, mask.Cols), tensor.WithBacking(append([]float64(nil), scores...)))); err != nil {
		t.Fatal(err)
	}
	defer r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	loss, grad := scalarValue(r.terms.Loss.Value()), append([]float64(nil), floats(r.grads[0].Value())...)
	if err := r.est.Update(); err != nil {
		t.Fatal(err)
	}
	return loss, grad
}

// TestMINEStateContinuesTraining runs one MINE for four steps and a second,
// built fresh, that takes the first's state after two steps: their third and
// fourth steps must give the same surrogate loss, gradient and moving
// average, bit for bit. Without the state, the fresh estimator's first step
// is DV's, which differs.
func TestMINEStateContinuesTraining(t *testing.T) {
	mask := Diagonal(5)
	rng := rand.New(rand.NewPCG(7, 8))
	batches := make([][]float64, 4)
	for i := range batches {
		batches[i] = randomScores(rng, 25, 2)
	}
	whole := newMineRig(t, mask)
	var state []byte
	var wantLoss []float64
	var wantGrad [][]float64
	for i, b := range batches {
		loss, grad := whole.step(t, b, mask)
		wantLoss, wantGrad = append(wantLoss, loss), append(wantGrad, grad)
		if i == 1 {
			var err error
			if state, err = whole.est.MarshalState(); err != nil {
				t.Fatal(err)
			}
		}
	}

	fresh := newMineRig(t, mask)
	if loss, _ := fresh.step(t, batches[2], mask); loss == wantLoss[2] {
		t.Fatalf("a fresh MINE gave the resumed loss %v without the state; the test cannot tell them apart", loss)
	}
	resumed := newMineRig(t, mask)
	if err := resumed.est.UnmarshalState(state); err != nil {
		t.Fatal(err)
	}
	if resumed.est.Steps() != 2 {
		t.Errorf("resumed Steps() = %d, want 2", resumed.est.Steps())
	}
	for i := 2; i < 4; i++ {
		loss, grad := resumed.step(t, batches[i], mask)
		if loss != wantLoss[i] {
			t.Errorf("step %d: resumed loss %v, uninterrupted %v", i+1, loss, wantLoss[i])
		}
		for j := range grad {
			if grad[j] != wantGrad[i][j] {
				t.Fatalf("step %d: resumed d loss/d s[%d] = %v, uninterrupted %v", i+1, j, grad[j], wantGrad[i][j])
			}
		}
	}
	got, _ := resumed.est.Average()
	want, _ := whole.est.Average()
	if got != want {
		t.Errorf("moving average after resuming %v, uninterrupted %v", got, want)
	}
}

// TestMINEStateRejectsBadBytes checks that a truncated, foreign or
// mismatched state is an error that says what is wrong, and leaves the
// estimator as it was.
func TestMINEStateRejectsBadBytes(t *testing.T) {
	good, err := (&MINE{momentum: 0.9, average: 2.5, steps: 3}).MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	nan, _ := (&MINE{momentum: 0.9, average: math.NaN(), steps: 3}).MarshalState()
	cases := []struct {
		name  string
		state []byte
		want  string
	}{
		{"empty", nil, "has 0 bytes, want 25"},
		{"truncated", good[:10], "has 10 bytes"},
		{"version", with(0, 9), "format version 9"},
		{"momentum", with(8, 0x40), "this estimator has momentum 0.9"},
		{"average", nan, "moving average NaN"},
	}
	for _, c := range cases {
		e := &MINE{momentum: 0.9, average: 1, steps: 1}
		err := e.UnmarshalState(c.state)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: UnmarshalState returned %v, want an error containing %q", c.name, err, c.want)
		}
		if e.average != 1 || e.steps != 1 {
			t.Errorf("%s: a rejected state changed the estimator to average %v, steps %d", c.name, e.average, e.steps)
		}
	}
	var _ Stateful = (*MINE)(nil)
}

// TestUpdatersSaveTheirState checks that every registered estimator that
// keeps state between steps (an Updater) can also save it (Stateful), so
// that a checkpointed run resumes with the same numbers: a plug-in that
// leaves Stateful out fails here, naming itself, rather than resuming to
// other numbers in a sweep (where its runs take no checkpoints instead).
func TestUpdatersSaveTheirState(t *testing.T) {
	for _, name := range CriticNames() {
		if reason := UnsavedState(name, mustNew(t, name, nil)); reason != "" {
			t.Errorf("%s; a resumed run would end with other numbers", reason)
		}
	}
}

// TestUnsavedStateNamesAnUpdaterWithoutState checks UnsavedState on an
// estimator with no state, one with state it saves and one with state it
// cannot save.
func TestUnsavedStateNamesAnUpdaterWithoutState(t *testing.T) {
	if got := UnsavedState("jsd", mustNew(t, "jsd", nil)); got != "" {
		t.Errorf("jsd keeps no state, UnsavedState = %q", got)
	}
	if got := UnsavedState("mine", mustNew(t, "mine", nil)); got != "" {
		t.Errorf("mine saves its state, UnsavedState = %q", got)
	}
	got := UnsavedState("stepnwj", updaterOnly{mustNew(t, "nwj", nil)})
	if !strings.Contains(got, `"stepnwj"`) || !strings.Contains(got, "Stateful") {
		t.Errorf("an Updater that is not Stateful: UnsavedState = %q, want the name and Stateful", got)
	}
}

// updaterOnly is an Estimator with an Update and no way to save what it
// updates.
type updaterOnly struct{ Estimator }

func (updaterOnly) Update() error { return nil }

// TestMINEStateDiscardsAPendingPartition checks that restoring a state
// drops a partition term that ran but was not folded in: resuming from a
// checkpoint must not fold in a batch of the abandoned run, so Update
// right after UnmarshalState finds nothing that ran, and the average is
// the saved one.
func TestMINEStateDiscardsAPendingPartition(t *testing.T) {
	mask := Diagonal(3)
	r := newMineRig(t, mask)
	r.step(t, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, mask)
	saved, err := r.est.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := r.est.Average()
	if err := r.vm.RunAll(); err != nil { // a step that ran, not yet folded in
		t.Fatal(err)
	}
	r.vm.Reset()
	if err := r.est.UnmarshalState(saved); err != nil {
		t.Fatal(err)
	}
	if err := r.est.Update(); err == nil {
		t.Error("Update after UnmarshalState folded in a partition term from before the restore")
	}
	if got, _ := r.est.Average(); got != want {
		t.Errorf("average %v after the restore, want the saved %v", got, want)
	}
}
