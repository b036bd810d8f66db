package checkpoint

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/experiments/train/optim"
)

func TestDueBySteps(t *testing.T) {
	c := New(t.TempDir(), Policy{EverySteps: 5}, nil)
	var due []int
	for s := 1; s <= 12; s++ {
		if c.Due(s) {
			due = append(due, s)
		}
	}
	if len(due) != 2 || due[0] != 5 || due[1] != 10 {
		t.Fatalf("due at %v, want [5 10]", due)
	}
	if New(t.TempDir(), Policy{}, nil).Due(1000) {
		t.Fatalf("a zero policy made a checkpoint due")
	}
}

func TestDueByTime(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{Every: time.Minute}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.last = now
	if c.Due(1) {
		t.Fatalf("due at once")
	}
	now = now.Add(61 * time.Second)
	if !c.Due(2) {
		t.Fatalf("not due after a minute")
	}
	if err := c.Save(2, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if c.Due(3) {
		t.Fatalf("due right after a save")
	}
}

func TestSaveLoadKeepsThePreviousCheckpoint(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	if _, _, ok, err := c.Load(); ok || err != nil {
		t.Fatalf("Load with nothing saved: ok %v err %v", ok, err)
	}
	if err := c.Save(10, []byte("ten")); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(20, []byte("twenty")); err != nil {
		t.Fatal(err)
	}
	step, st, ok, err := c.Load()
	if err != nil || !ok || step != 20 || string(st) != "twenty" {
		t.Fatalf("Load = %d %q %v %v", step, st, ok, err)
	}
	prev, err := os.ReadFile(filepath.Join(dir, PrevFileName))
	if err != nil {
		t.Fatal(err)
	}
	if s, b, err := Decode(prev); err != nil || s != 10 || string(b) != "ten" {
		t.Fatalf("checkpoint.prev.bin holds %d %q %v", s, b, err)
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := c.Load(); ok {
		t.Fatalf("Load after Remove found a checkpoint")
	}
}

// TestCorruptCheckpointFallsBack damages checkpoint.bin in each way a crash
// or a bad disk can and checks that the previous checkpoint is used and the
// problem logged.
func TestCorruptCheckpointFallsBack(t *testing.T) {
	damage := map[string]func([]byte) []byte{
		"torn":         func(b []byte) []byte { return b[:len(b)/2] },
		"empty":        func(b []byte) []byte { return nil },
		"flipped byte": func(b []byte) []byte { b[headerSize+1] ^= 0x40; return b },
		"bad magic":    func(b []byte) []byte { b[0] = 'X'; return b },
		"long":         func(b []byte) []byte { return append(b, 0) },
		"wrong step":   func(b []byte) []byte { b[8]++; return b },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var log bytes.Buffer
			c := New(dir, Policy{}, slog.New(slog.NewTextHandler(&log, nil)))
			if err := c.Save(10, []byte("ten")); err != nil {
				t.Fatal(err)
			}
			if err := c.Save(20, []byte("twenty")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, FileName)
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
			step, st, ok, err := c.Load()
			if err != nil || !ok || step != 10 || string(st) != "ten" {
				t.Fatalf("Load = %d %q %v %v, want the previous checkpoint", step, st, ok, err)
			}
			if !strings.Contains(log.String(), "ignoring a corrupt checkpoint") || !strings.Contains(log.String(), FileName) {
				t.Fatalf("the corrupt file was not reported: %s", log.String())
			}
			// Both corrupt: no checkpoint, no error.
			os.WriteFile(filepath.Join(dir, PrevFileName), []byte("junk"), 0o644)
			if _, _, ok, err := c.Load(); ok || err != nil {
				t.Fatalf("Load with two corrupt files: ok %v err %v", ok, err)
			}
		})
	}
}

// model is a tiny linear model y = x w trained with Adam, for the state
// round trip.
type model struct {
	g    *G.ExprGraph
	x, w *G.Node
	vm   G.VM
	opt  *optim.Adam
	rng  *rand.PCG
}

func newModel(t *testing.T, seed uint64) *model {
	return newModelMoments(t, seed, optim.Float64Moments)
}

// newModelMoments is newModel with Adam's moments in the given precision.
func newModelMoments(t *testing.T, seed uint64, moments optim.Moments) *model {
	m := &model{g: G.NewGraph(), rng: rand.NewPCG(seed, 1)}
	m.x = G.NewMatrix(m.g, tensor.Float32, G.WithShape(4, 3), G.WithName("x"), G.WithInit(G.Zeroes()))
	m.w = G.NewMatrix(m.g, tensor.Float32, G.WithShape(3, 1), G.WithName("w"), G.WithInit(G.Zeroes()))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(G.Must(G.Mul(m.x, m.w)), G.NewConstant(float32(1))))))))
	grads, err := G.Grad(loss, m.w)
	if err != nil {
		t.Fatal(err)
	}
	m.vm = G.NewTapeMachine(m.g)
	if m.opt, err = optim.NewAdamMoments(moments, G.Nodes{m.w}, grads, 0.05, 0.9, 0.999); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *model) step(t *testing.T) {
	r := rand.New(m.rng)
	x := m.x.Value().Data().([]float32)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	if err := m.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if err := m.opt.Update(); err != nil {
		t.Fatal(err)
	}
	m.vm.Reset()
}

func (m *model) save(s *State) error {
	if err := s.PutNodes("params", G.Nodes{m.w}); err != nil {
		return err
	}
	s.PutAdam("adam", m.opt)
	return s.PutRand("rng", m.rng)
}

func (m *model) restore(s *State) error {
	if err := s.GetNodes("params", G.Nodes{m.w}); err != nil {
		return err
	}
	if err := s.GetAdam("adam", m.opt); err != nil {
		return err
	}
	return s.GetRand("rng", m.rng)
}

// TestStateRoundTripGivesTheSameTraining checks that a run resumed from a
// checkpoint at step 4 ends where one run straight through does, bit for
// bit, with Adam's moments in either precision.
func TestStateRoundTripGivesTheSameTraining(t *testing.T) {
	for _, moments := range []optim.Moments{optim.Float64Moments, optim.Float32Moments} {
		straight := newModelMoments(t, 7, moments)
		for range 10 {
			straight.step(t)
		}

		dir := t.TempDir()
		first := newModelMoments(t, 7, moments)
		for range 4 {
			first.step(t)
		}
		if err := SaveState(New(dir, Policy{}, nil), 4, first.save); err != nil {
			t.Fatal(err)
		}
		second := newModelMoments(t, 99, moments) // a different seed: everything must come from the checkpoint
		step, err := Resume(New(dir, Policy{}, nil), second.restore)
		if err != nil || step != 4 {
			t.Fatalf("%s moments: Resume = %d, %v", moments, step, err)
		}
		for range 10 - step {
			second.step(t)
		}
		a, b := straight.w.Value().Data().([]float32), second.w.Value().Data().([]float32)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s moments: w[%d] = %v after resuming, %v straight through", moments, i, b[i], a[i])
			}
		}
		if second.opt.Step != 10 {
			t.Fatalf("%s moments: Adam step %d after resuming, want 10", moments, second.opt.Step)
		}
	}
}

// TestGetAdamRefusesOtherMoments checks that a checkpoint's moments are
// restored only into an optimizer of the same precision, with an error
// that names the setting.
func TestGetAdamRefusesOtherMoments(t *testing.T) {
	for _, c := range []struct{ saved, now optim.Moments }{
		{optim.Float64Moments, optim.Float32Moments}, {optim.Float32Moments, optim.Float64Moments}} {
		st := NewState()
		st.PutAdam("adam", newModelMoments(t, 1, c.saved).opt)
		err := st.GetAdam("adam", newModelMoments(t, 1, c.now).opt)
		want := fmt.Sprintf("optimizer adam was saved with %s moments, the run keeps %s ones (adam_moments changed?)", c.saved, c.now)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("GetAdam of %s moments into %s ones: %v, want %q", c.saved, c.now, err, want)
		}
	}
}

func TestResumeReportsAMismatchedState(t *testing.T) {
	dir := t.TempDir()
	if err := SaveState(New(dir, Policy{}, nil), 3, func(s *State) error { s.PutInt("other", 1); return nil }); err != nil {
		t.Fatal(err)
	}
	m := newModel(t, 1)
	_, err := Resume(New(dir, Policy{}, nil), m.restore)
	if err == nil || !strings.Contains(err.Error(), `no float32 slice "params/0/w"`) || !strings.Contains(err.Error(), "step 3") {
		t.Fatalf("Resume with a foreign state: %v", err)
	}
	if step, err := Resume(nil, m.restore); step != 0 || err != nil {
		t.Fatalf("Resume(nil) = %d, %v", step, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(3, []byte("state")))
	f.Add([]byte("IMXCKPT\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		step, st, err := Decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(Encode(step, st), b) {
			t.Fatalf("Decode accepted bytes that Encode would not write")
		}
		DecodeState(st)
	})
}

// TestSaveOverACorruptCheckpointKeepsTheGoodPrevious checks that a save
// after a fallback (checkpoint.bin torn, checkpoint.prev.bin good)
// overwrites the torn file and leaves the good one as the previous
// checkpoint, rather than moving the torn file over it.
func TestSaveOverACorruptCheckpointKeepsTheGoodPrevious(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	for _, s := range []int{10, 20} {
		if err := c.Save(s, []byte{byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	c = New(dir, Policy{}, nil) // a resumed run's checkpointer
	if step, _, ok, _ := c.Load(); !ok || step != 10 {
		t.Fatalf("Load = %d %v, want the fallback at 10", step, ok)
	}
	if err := c.Save(15, []byte{15}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{FileName: 15, PrevFileName: 10} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		step, state, err := Decode(b)
		if err != nil || step != want || !bytes.Equal(state, []byte{byte(want)}) {
			t.Errorf("%s: step %d, state %v, error %v; want step %d", name, step, state, err, want)
		}
	}
	// A good checkpoint.bin is kept as the previous one, as before.
	if err := c.Save(16, []byte{16}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, PrevFileName)); err != nil {
		t.Fatal(err)
	} else if step, _, err := Decode(b); err != nil || step != 15 {
		t.Errorf("after a save over a good checkpoint, %s holds step %d (%v), want 15", PrevFileName, step, err)
	}
}
