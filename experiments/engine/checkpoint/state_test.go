package checkpoint

import (
	"errors"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGettersNameTheMissingKey checks that each getter, asked for a name
// the state does not hold, returns an error naming its kind and the name.
func TestGettersNameTheMissingKey(t *testing.T) {
	s := NewState()
	for _, c := range []struct {
		err  error
		want string
	}{
		{func() error { _, err := s.GetFloat32s("a"); return err }(), `no float32 slice "a"`},
		{func() error { _, err := s.GetFloat64s("b"); return err }(), `no float64 slice "b"`},
		{func() error { _, err := s.GetInt("c"); return err }(), `no integer "c"`},
		{func() error { _, err := s.GetBytes("d"); return err }(), `no byte slice "d"`},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
}

// TestPutCopiesAndEncodeRoundTrips checks that the Put methods keep copies
// of the caller's slices and that a state survives Encode and DecodeState
// with every value exact.
func TestPutCopiesAndEncodeRoundTrips(t *testing.T) {
	f32, f64, b := []float32{1.5, -2}, []float64{3.25, 1e-300}, []byte{0, 255}
	s := NewState()
	s.PutFloat32s("f32", f32)
	s.PutFloat64s("f64", f64)
	s.PutBytes("b", b)
	s.PutInt("n", -1<<40)
	f32[0], f64[0], b[0] = 9, 9, 9
	enc, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	g32, _ := d.GetFloat32s("f32")
	g64, _ := d.GetFloat64s("f64")
	gb, _ := d.GetBytes("b")
	gn, _ := d.GetInt("n")
	if !slices.Equal(g32, []float32{1.5, -2}) || !slices.Equal(g64, []float64{3.25, 1e-300}) || !slices.Equal(gb, []byte{0, 255}) || gn != -1<<40 {
		t.Fatalf("round trip gave %v %v %v %d", g32, g64, gb, gn)
	}
}

// TestDecodeStateRefusesJunk checks that bytes that are not an encoded
// state are an error, and that Resume from such a checkpoint fails without
// calling restore.
func TestDecodeStateRefusesJunk(t *testing.T) {
	if _, err := DecodeState([]byte("not a gob")); err == nil || !strings.Contains(err.Error(), "decoding the state") {
		t.Fatalf("DecodeState of junk = %v", err)
	}
	called := false
	_, err := Resume(&Memory{Step: 4, State: []byte("not a gob"), OK: true}, func(*State) error { called = true; return nil })
	if err == nil || called {
		t.Fatalf("Resume of a junk state: %v, restore called %v", err, called)
	}
}

// TestDecodeStateOfAnEmptyState checks that a state saved empty decodes to
// one whose Put methods work (its maps are not nil).
func TestDecodeStateOfAnEmptyState(t *testing.T) {
	enc, err := NewState().Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	d.PutFloat32s("a", nil)
	d.PutFloat64s("b", nil)
	d.PutInt("c", 1)
	d.PutBytes("d", nil)
}

// float64Node returns a float64 vector node named name holding v.
func float64Node(g *G.ExprGraph, name string, v []float64) *G.Node {
	return G.NewVector(g, tensor.Float64, G.WithName(name), G.WithShape(len(v)),
		G.WithValue(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(append([]float64(nil), v...)))))
}

// TestNodesFloat64RoundTrip checks that float64 parameters are restored
// exactly, in place.
func TestNodesFloat64RoundTrip(t *testing.T) {
	s := NewState()
	if err := s.PutNodes("p", G.Nodes{float64Node(G.NewGraph(), "w", []float64{1, -2.5, 3e-10})}); err != nil {
		t.Fatal(err)
	}
	dst := float64Node(G.NewGraph(), "w", []float64{0, 0, 0})
	backing := dst.Value().Data().([]float64)
	if err := s.GetNodes("p", G.Nodes{dst}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(backing, []float64{1, -2.5, 3e-10}) {
		t.Fatalf("restored %v", backing)
	}
}

// TestGetNodesRefusesAnotherSize checks that values saved for a parameter
// of one size are not copied into one of another, larger or smaller.
func TestGetNodesRefusesAnotherSize(t *testing.T) {
	s := NewState()
	if err := s.PutNodes("p", G.Nodes{float64Node(G.NewGraph(), "w", []float64{1, 2, 3})}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 4} {
		err := s.GetNodes("p", G.Nodes{float64Node(G.NewGraph(), "w", make([]float64, n))})
		want := "p/0/w has 3 values saved, " + string(rune('0'+n)) + " now"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("GetNodes into %d values: %v, want %q", n, err, want)
		}
	}
}

// TestNodesWithoutUsableValues checks that a node with no value, or with
// values that are neither float32 nor float64, is an error naming the node
// when saved and when restored.
func TestNodesWithoutUsableValues(t *testing.T) {
	g := G.NewGraph()
	none := G.NewVector(g, tensor.Float32, G.WithName("none"), G.WithShape(2))
	ints := G.NewVector(g, tensor.Int, G.WithName("ints"), G.WithShape(2),
		G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))))
	for _, n := range []*G.Node{none, ints} {
		s := NewState()
		if err := s.PutNodes("p", G.Nodes{n}); err == nil || !strings.Contains(err.Error(), "node "+n.Name()) {
			t.Errorf("PutNodes of %s: %v", n.Name(), err)
		}
		if err := s.GetNodes("p", G.Nodes{n}); err == nil || !strings.Contains(err.Error(), "node "+n.Name()) {
			t.Errorf("GetNodes into %s: %v", n.Name(), err)
		}
	}
}

// TestGetAdamRestoresHyperparametersAndStep checks that GetAdam sets the
// learning rate, betas, epsilon and step count to the saved ones, not
// leaving the new optimizer's.
func TestGetAdamRestoresHyperparametersAndStep(t *testing.T) {
	src := newModel(t, 1).opt
	src.LR, src.Beta1, src.Beta2, src.Eps, src.Step = 0.01, 0.8, 0.99, 1e-7, 7
	s := NewState()
	s.PutAdam("adam", src)
	dst := newModel(t, 2).opt
	if err := s.GetAdam("adam", dst); err != nil {
		t.Fatal(err)
	}
	if dst.LR != 0.01 || dst.Beta1 != 0.8 || dst.Beta2 != 0.99 || dst.Eps != 1e-7 || dst.Step != 7 {
		t.Fatalf("restored LR %v, betas %v %v, eps %v, step %d", dst.LR, dst.Beta1, dst.Beta2, dst.Eps, dst.Step)
	}
}

// TestGetAdamRefusesABrokenState checks that a saved optimizer state with
// the wrong number of hyperparameters, no step, another number of
// parameters or a moment of another size is an error that says so, not a panic or a partial restore.
func TestGetAdamRefusesABrokenState(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(s *State)
		want   string
	}{
		{"3 hyperparameters", func(s *State) { s.Float64s["adam/hyper"] = s.Float64s["adam/hyper"][:3] }, "adam/hyper has 3 values, want 4"},
		{"no step", func(s *State) { delete(s.Ints, "adam/step") }, `no integer "adam/step"`},
		{"2 parameters", func(s *State) { s.Ints["adam/n"] = 2 }, "optimizer adam was saved with 2 parameters, has 1 now"},
		{"0 parameters", func(s *State) { s.Ints["adam/n"] = 0 }, "optimizer adam was saved with 0 parameters, has 1 now"},
		{"short moment", func(s *State) { s.Float64s["adam/v/0"] = s.Float64s["adam/v/0"][:2] }, "adam/v/0 has 2 values saved, 3 now"},
	} {
		s := NewState()
		s.PutAdam("adam", newModel(t, 1).opt)
		c.damage(s)
		if err := s.GetAdam("adam", newModel(t, 2).opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: GetAdam = %v, want %q", c.name, err, c.want)
		}
	}
}

type badMarshaler struct{}

func (badMarshaler) MarshalBinary() ([]byte, error) { return nil, errors.New("boom") }

// TestRandErrors checks that a random source that cannot be saved, or
// saved bytes it cannot read, is an error naming the source.
func TestRandErrors(t *testing.T) {
	s := NewState()
	if err := s.PutRand("r", badMarshaler{}); err == nil || !strings.Contains(err.Error(), "random source r: boom") {
		t.Errorf("PutRand of a failing source: %v", err)
	}
	s.PutBytes("junk", []byte{1, 2, 3})
	if err := s.GetRand("junk", newModel(t, 1).rng); err == nil || !strings.Contains(err.Error(), "random source junk") {
		t.Errorf("GetRand of junk bytes: %v", err)
	}
}

// TestResumeWithoutACheckpoint checks that Resume with nothing saved
// returns step 0 without calling restore, and that an error from Load is
// returned.
func TestResumeWithoutACheckpoint(t *testing.T) {
	restore := func(*State) error { t.Fatal("restore called"); return nil }
	if step, err := Resume(New(t.TempDir(), Policy{}, nil), restore); step != 0 || err != nil {
		t.Fatalf("Resume with no checkpoint = %d, %v", step, err)
	}
	loadErr := errors.New("disk on fire")
	if _, err := Resume(&Memory{LoadErr: loadErr}, restore); !errors.Is(err, loadErr) {
		t.Fatalf("Resume with a failing Load = %v", err)
	}
}

// TestSaveStateErrors checks that SaveState with no checkpointer does
// nothing, and that an error from fill or from Save is returned with
// nothing saved.
func TestSaveStateErrors(t *testing.T) {
	fill := func(s *State) error { s.PutInt("n", 1); return nil }
	if err := SaveState(nil, 1, func(*State) error { t.Fatal("fill called"); return nil }); err != nil {
		t.Fatalf("SaveState(nil) = %v", err)
	}
	fillErr := errors.New("no state")
	m := &Memory{}
	if err := SaveState(m, 1, func(*State) error { return fillErr }); !errors.Is(err, fillErr) || len(m.Saves) != 0 {
		t.Fatalf("SaveState with a failing fill = %v, saves %v", err, m.Saves)
	}
	if err := SaveState(New(t.TempDir()+"/gone", Policy{}, nil), 1, fill); err == nil {
		t.Fatalf("SaveState into a missing directory succeeded")
	}
}
