package dim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestCoordLossGradientMatchesFiniteDifferences builds DIM(coord)'s loss
// in float64 on 2 images of 3x3 locations, with random local features,
// codes and head, and checks the gradient of every input and head weight
// against central differences of the loss.
func TestCoordLossGradientMatchesFiniteDifferences(t *testing.T) {
	saved := architectures.Dtype
	architectures.Dtype = tensor.Float64 // the loss's constant matrices
	defer func() { architectures.Dtype = saved }()
	const n, m, channels, code, hidden = 2, 3, 3, 2, 4
	rng := rand.New(rand.NewPCG(4, 4))
	g := G.NewGraph()
	node := func(name string, rows, cols int) *G.Node {
		v := make([]float64, rows*cols)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v))))
	}
	local, y := node("local", n*m*m, channels), node("y", n, code)
	head := &architectures.MLP{Layers: []*architectures.Linear{
		{W: node("coord.0.w", channels+code, hidden), B: node("coord.0.b", 1, hidden)},
		{W: node("coord.1.w", hidden, 2*m), B: node("coord.1.b", 1, 2*m)},
	}}
	for _, l := range head.Layers { // biases are vectors
		l.B = G.NewVector(g, tensor.Float64, G.WithShape(l.B.Shape()[1]), G.WithName(l.B.Name()+"v"),
			G.WithValue(tensor.New(tensor.WithShape(l.B.Shape()[1]), tensor.WithBacking(l.B.Value().Data()))))
	}
	loss, err := coordLoss(g, head, local, y, n, m)
	if err != nil {
		t.Fatal(err)
	}
	wrt := append(G.Nodes{local, y}, head.Learnables()...)
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer vm.Close()
	run := func() float64 {
		t.Helper()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		return loss.Value().Data().(float64)
	}
	if l := run(); !(l > 0) {
		t.Fatalf("loss %v, want a positive cross-entropy", l)
	}
	// Every run adds its gradients to the last: take them all after the
	// first, before the finite differences run the graph again.
	grads := make([][]float64, len(wrt))
	for k, p := range wrt {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[k] = append([]float64(nil), gv.Data().([]float64)...)
	}
	for k, p := range wrt {
		grad := grads[k]
		w := p.Value().Data().([]float64)
		for j := range w {
			orig := w[j]
			const h = 1e-6
			w[j] = orig + h
			up := run()
			w[j] = orig - h
			down := run()
			w[j] = orig
			fd := (up - down) / (2 * h)
			if math.Abs(fd-grad[j]) > 1e-6+1e-5*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name(), j, grad[j], fd)
			}
		}
	}
}

// occludingModel returns a tiny DIM(L) model that masks every image's
// global copy with a block of size, with its batch filled with values in
// [0.5, 1), so that a zeroed block shows; MNIST is padded to 32x32.
func occludingModel(t *testing.T, size int) (*Model, *Config) {
	t.Helper()
	c := tinyConfig()
	c.OccludeProb, c.OccludeSize = 1, size
	m, err := NewModel(c, 1, 32, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rng := rand.New(rand.NewPCG(6, 6))
	for i := range m.Input {
		m.Input[i] = float32(0.5 + rng.Float64()/2)
	}
	return m, c
}

// TestOcclusionNeverMasksTheLocalSource runs encoder steps of an
// occluding model and checks that the images the trainer wrote, the local
// path's input, are never changed, and that the global path's copy differs
// from them exactly in one zeroed block per image.
func TestOcclusionNeverMasksTheLocalSource(t *testing.T) {
	m, c := occludingModel(t, 10)
	written := append([]float32(nil), m.Input...)
	d := 32 * 32
	for step := 0; step < 3; step++ {
		if _, err := m.EncoderStep(); err != nil {
			t.Fatal(err)
		}
		for i, v := range m.Input {
			if v != written[i] {
				t.Fatalf("step %d: the full batch, the local path's input, changed at value %d: %v, was %v", step, i, v, written[i])
			}
		}
		occ := m.occ
		if occ.lastMasked != c.BatchSize {
			t.Fatalf("step %d: %d of %d images masked with occlude_prob = 1", step, occ.lastMasked, c.BatchSize)
		}
		masked := occ.input[c.BatchSize*d:]
		for i, pos := range occ.lastPositions {
			for p := 0; p < d; p++ {
				r, col := p/32, p%32
				inBlock := r >= pos[0] && r < pos[0]+10 && col >= pos[1] && col < pos[1]+10
				if want := map[bool]float32{true: 0, false: written[i*d+p]}[inBlock]; masked[i*d+p] != want {
					t.Fatalf("step %d, image %d, pixel (%d, %d): masked copy %v, want %v (block at %v)", step, i, r, col, masked[i*d+p], want, pos)
				}
			}
		}
	}
}

// TestOcclusionFeedsYTheMaskedCopy masks the whole of every image: the
// global path then sees identical (all-zero) images, so every code Y must
// be the same, while the local features, from the full images, differ
// between images.
func TestOcclusionFeedsYTheMaskedCopy(t *testing.T) {
	m, c := occludingModel(t, 32)
	if _, err := m.EncoderStep(); err != nil {
		t.Fatal(err)
	}
	codes := m.occ.codes.Data().([]float32)
	for i := 1; i < c.BatchSize; i++ {
		for k := 0; k < c.Code; k++ {
			if codes[i*c.Code+k] != codes[k] {
				t.Fatalf("code %d differs from code 0 at %d (%v, %v): Y does not come from the masked images", i, k, codes[i*c.Code+k], codes[k])
			}
		}
	}
	local := m.occ.local.Data().([]float32)
	perImage := len(local) / c.BatchSize
	same := true
	for k := 0; k < perImage; k++ {
		same = same && local[k] == local[perImage+k]
	}
	if same {
		t.Fatal("the local features of images 0 and 1 are identical: they do not come from the full images")
	}
}

// TestVariantsTrainAndProbe runs DIM with both variants at once through
// the task and checks it trains and reports as plain DIM does.
func TestVariantsTrainAndProbe(t *testing.T) {
	c := tinyConfig()
	c.Epochs = 1
	c.ProbeFeatures = []string{"y"}
	c.OccludeProb, c.OccludeSize, c.CoordWeight, c.CoordHidden = 0.5, 8, 1, 16
	sum, rec := runTiny(t, c, 1)
	if l := rec.Values[0]["loss"]; math.IsNaN(l) || math.IsInf(l, 0) {
		t.Errorf("loss %v", l)
	}
	if _, ok := sum["linear_y_acc"]; !ok {
		t.Errorf("summary %v lacks linear_y_acc", sum)
	}
}

// TestVariantsCountInTheMemoryEstimate checks that occlusion, which
// encodes every image twice, and the coordinate head raise a DIM run's
// memory estimate, and leave a baseline's alone.
func TestVariantsCountInTheMemoryEstimate(t *testing.T) {
	plain := DefaultConfig()
	base := plain.EstimateMemory().Total()
	occ := DefaultConfig()
	occ.OccludeProb = 0.5
	coord := DefaultConfig()
	coord.CoordWeight = 1
	if o, c := occ.EstimateMemory().Total(), coord.EstimateMemory().Total(); !(o > base && c > base) {
		t.Errorf("estimates: plain %.0f, occlude %.0f, coord %.0f bytes; want both variants above plain", base, o, c)
	}
	random := DefaultConfig()
	random.Preset = "random"
	occRandom := DefaultConfig()
	occRandom.Preset, occRandom.OccludeProb = "random", 0.5
	if a, b := random.EstimateMemory().Total(), occRandom.EstimateMemory().Total(); a != b {
		t.Errorf("random encoder: %.0f bytes, %.0f with occlude_prob set; an untrained encoder occludes nothing", a, b)
	}
}

// TestVariantsResumeAsUninterrupted stops a DIM(coord+occlude) run
// mid-epoch and after a due checkpoint and checks that the resumed run
// logs, returns and saves exactly what the uninterrupted one does: the
// occlusion masks are drawn from the step, and the coordinate head's
// weights and Adam state are in the checkpoint.
func TestVariantsResumeAsUninterrupted(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	cfg.OccludeProb, cfg.OccludeSize, cfg.CoordWeight, cfg.CoordHidden = 0.5, 8, 1, 8
	r := taskstest.Resume{Task: Task{}, Config: cfg, Seed: 5, FirstStep: 1, Total: 12,
		Every: 4, Cuts: []int{4, 9}, WallClock: wallClock, CheckpointUninterrupted: true}
	want := r.Uninterrupted(t)
	got := r.Interrupted(t, want)
	if diff := sameState(t, got.Checkpoint.State, want.Checkpoint.State); diff != "" {
		t.Errorf("the final state of the resumed run differs from the uninterrupted run's: %s", diff)
	}
	// A checkpoint of the variant is refused by plain DIM, naming the key.
	taskstest.ResumeFails(t, Task{}, resumeConfig("jsd", "concat"), 5, 4, checkpointAt4(t, cfg, 5), nil,
		"occlude_prob = 0.5", "occlude_prob = 0")
}

// TestCheckpointFromBeforeTheVariantsResumes removes the variants' keys
// from a plain DIM checkpoint, as one saved before they existed, and
// checks that plain DIM still resumes from it while DIM(coord) refuses it.
func TestCheckpointFromBeforeTheVariantsResumes(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	data := checkpointAt4(t, cfg, 5)
	st, err := checkpoint.DecodeState(data)
	if err != nil {
		t.Fatal(err)
	}
	delete(st.Bytes, stateConfig+"/occlude_prob")
	delete(st.Bytes, stateConfig+"/coord_weight")
	old, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cp := &checkpoint.Memory{Every: 4, State: old, Step: 4, OK: true}
	run, _ := taskstest.NewRun(5, cp)
	if _, err := (Task{}).Run(context.Background(), cfg, run); err != nil {
		t.Errorf("plain DIM from a checkpoint without the variants' keys: %v", err)
	}
	coord := resumeConfig("jsd", "concat")
	coord.CoordWeight = 1
	taskstest.ResumeFails(t, Task{}, coord, 5, 4, old, nil, "coord_weight = 0", "coord_weight = 1")
}
