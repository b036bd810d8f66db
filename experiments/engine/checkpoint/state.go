package checkpoint

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
)

// State is a task's state as named values, the bytes a checkpoint holds. A
// task fills one with the Put methods when it saves and reads it back with
// the matching getters when it resumes; names are the task's choice and
// must be unique per kind.
type State struct {
	Float32s map[string][]float32
	Float64s map[string][]float64
	Ints     map[string]int64
	Bytes    map[string][]byte
}

// NewState returns an empty state.
func NewState() *State {
	return &State{
		Float32s: map[string][]float32{},
		Float64s: map[string][]float64{},
		Ints:     map[string]int64{},
		Bytes:    map[string][]byte{},
	}
}

// Encode writes the state as bytes (gob).
func (s *State) Encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("checkpoint: encoding the state: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeState reads a state written by [State.Encode].
func DecodeState(b []byte) (*State, error) {
	s := NewState()
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(s); err != nil {
		return nil, fmt.Errorf("checkpoint: decoding the state: %w", err)
	}
	for _, m := range []any{&s.Float32s, &s.Float64s, &s.Ints, &s.Bytes} {
		switch p := m.(type) {
		case *map[string][]float32:
			if *p == nil {
				*p = map[string][]float32{}
			}
		case *map[string][]float64:
			if *p == nil {
				*p = map[string][]float64{}
			}
		case *map[string]int64:
			if *p == nil {
				*p = map[string]int64{}
			}
		case *map[string][]byte:
			if *p == nil {
				*p = map[string][]byte{}
			}
		}
	}
	return s, nil
}

func missing(kind, name string) error {
	return fmt.Errorf("checkpoint: the saved state has no %s %q (did the task or its config change since it was saved?)", kind, name)
}

// PutFloat32s stores a copy of v under name.
func (s *State) PutFloat32s(name string, v []float32) {
	s.Float32s[name] = append([]float32(nil), v...)
}

// PutFloat64s stores a copy of v under name.
func (s *State) PutFloat64s(name string, v []float64) {
	s.Float64s[name] = append([]float64(nil), v...)
}

// PutInt stores n under name.
func (s *State) PutInt(name string, n int64) { s.Ints[name] = n }

// PutBytes stores a copy of b under name.
func (s *State) PutBytes(name string, b []byte) { s.Bytes[name] = append([]byte(nil), b...) }

// GetFloat32s returns the values stored under name.
func (s *State) GetFloat32s(name string) ([]float32, error) {
	v, ok := s.Float32s[name]
	if !ok {
		return nil, missing("float32 slice", name)
	}
	return v, nil
}

// GetFloat64s returns the values stored under name.
func (s *State) GetFloat64s(name string) ([]float64, error) {
	v, ok := s.Float64s[name]
	if !ok {
		return nil, missing("float64 slice", name)
	}
	return v, nil
}

// GetInt returns the integer stored under name.
func (s *State) GetInt(name string) (int64, error) {
	v, ok := s.Ints[name]
	if !ok {
		return 0, missing("integer", name)
	}
	return v, nil
}

// GetBytes returns the bytes stored under name.
func (s *State) GetBytes(name string) ([]byte, error) {
	v, ok := s.Bytes[name]
	if !ok {
		return nil, missing("byte slice", name)
	}
	return v, nil
}

// copyInto copies src into dst, which must have its length.
func copyInto[T any](dst, src []T, name string) error {
	if len(dst) != len(src) {
		return fmt.Errorf("checkpoint: %s has %d values saved, %d now (did the model change?)", name, len(src), len(dst))
	}
	copy(dst, src)
	return nil
}

func nodeKey(prefix string, i int, n *G.Node) string {
	return fmt.Sprintf("%s/%d/%s", prefix, i, n.Name())
}

// PutNodes stores the values of gorgonia nodes (a model's parameters), by
// prefix, position and node name. Nodes must hold float32 or float64 values.
func (s *State) PutNodes(prefix string, nodes G.Nodes) error {
	for i, n := range nodes {
		if n.Value() == nil {
			return fmt.Errorf("checkpoint: node %s has no value", n.Name())
		}
		key := nodeKey(prefix, i, n)
		switch d := n.Value().Data().(type) {
		case []float32:
			s.PutFloat32s(key, d)
		case []float64:
			s.PutFloat64s(key, d)
		default:
			return fmt.Errorf("checkpoint: node %s holds %T; only float32 and float64 are saved", n.Name(), d)
		}
	}
	return nil
}

// GetNodes copies values stored by [State.PutNodes] back into the nodes'
// own arrays, in place, so a graph built before resuming keeps working.
func (s *State) GetNodes(prefix string, nodes G.Nodes) error {
	for i, n := range nodes {
		if n.Value() == nil {
			return fmt.Errorf("checkpoint: node %s has no value to restore into", n.Name())
		}
		key := nodeKey(prefix, i, n)
		switch d := n.Value().Data().(type) {
		case []float32:
			v, err := s.GetFloat32s(key)
			if err != nil {
				return err
			}
			if err := copyInto(d, v, key); err != nil {
				return err
			}
		case []float64:
			v, err := s.GetFloat64s(key)
			if err != nil {
				return err
			}
			if err := copyInto(d, v, key); err != nil {
				return err
			}
		default:
			return fmt.Errorf("checkpoint: node %s holds %T; only float32 and float64 are restored", n.Name(), d)
		}
	}
	return nil
}

// PutAdam stores an Adam optimizer's whole state (hyperparameters, step
// count and moments, float64 or float32 as it keeps them) under name.
func (s *State) PutAdam(name string, a *optim.Adam) {
	s.PutFloat64s(name+"/hyper", []float64{a.LR, a.Beta1, a.Beta2, a.Eps})
	s.PutInt(name+"/step", int64(a.Step))
	if a.Moments() == optim.Float32Moments {
		s.PutInt(name+"/moment_bits", 32)
		putMoments(s, name, a.M32, a.V32, s.PutFloat32s)
		return
	}
	putMoments(s, name, a.M, a.V, s.PutFloat64s)
}

// GetAdam restores into a (made by optim.NewAdam or NewAdamMoments for the
// same parameters and precision) the state stored by [State.PutAdam].
func (s *State) GetAdam(name string, a *optim.Adam) error {
	hyper, err := s.GetFloat64s(name + "/hyper")
	if err != nil {
		return err
	}
	if len(hyper) != 4 {
		return fmt.Errorf("checkpoint: %s/hyper has %d values, want 4", name, len(hyper))
	}
	step, err := s.GetInt(name + "/step")
	if err != nil {
		return err
	}
	bits, ok := s.Ints[name+"/moment_bits"] // none before float32 moments existed
	if !ok {
		bits = 64
	}
	if a.Moments() == optim.Float32Moments {
		err = getMoments(s, name, bits, 32, a.M32, a.V32, s.GetFloat32s)
	} else {
		err = getMoments(s, name, bits, 64, a.M, a.V, s.GetFloat64s)
	}
	if err != nil {
		return err
	}
	a.LR, a.Beta1, a.Beta2, a.Eps = hyper[0], hyper[1], hyper[2], hyper[3]
	a.Step = int(step)
	return nil
}

// putMoments stores the first and second moments m and v of each
// parameter, and their count, under name, with put.
func putMoments[T float32 | float64](s *State, name string, m, v [][]T, put func(string, []T)) {
	s.PutInt(name+"/n", int64(len(m)))
	for i := range m {
		put(fmt.Sprintf("%s/m/%d", name, i), m[i])
		put(fmt.Sprintf("%s/v/%d", name, i), v[i])
	}
}

// getMoments restores into m and v, which hold float(bits) values, the
// moments putMoments stored under name as float(saved) values, read with
// get, after checking the precision and the number of parameters.
func getMoments[T float32 | float64](s *State, name string, saved, bits int64, m, v [][]T, get func(string) ([]T, error)) error {
	if saved != bits {
		return fmt.Errorf("checkpoint: optimizer %s was saved with float%d moments, the run keeps float%d ones (adam_moments changed?)", name, saved, bits)
	}
	n, err := s.GetInt(name + "/n")
	if err != nil {
		return err
	}
	if int(n) != len(m) {
		return fmt.Errorf("checkpoint: optimizer %s was saved with %d parameters, has %d now (did the model change?)", name, n, len(m))
	}
	for i := range m {
		for _, mv := range []struct {
			key string
			dst []T
		}{{fmt.Sprintf("%s/m/%d", name, i), m[i]}, {fmt.Sprintf("%s/v/%d", name, i), v[i]}} {
			src, err := get(mv.key)
			if err != nil {
				return err
			}
			if err := copyInto(mv.dst, src, mv.key); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutRand stores a random source's state, such as a *rand.PCG or
// *rand.ChaCha8 of math/rand/v2, under name.
func (s *State) PutRand(name string, src encoding.BinaryMarshaler) error {
	b, err := src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("checkpoint: random source %s: %w", name, err)
	}
	s.PutBytes(name, b)
	return nil
}

// GetRand restores a random source stored by [State.PutRand].
func (s *State) GetRand(name string, src encoding.BinaryUnmarshaler) error {
	b, err := s.GetBytes(name)
	if err != nil {
		return err
	}
	if err := src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("checkpoint: random source %s: %w", name, err)
	}
	return nil
}

// Resume loads the run's checkpoint, if any, and hands its state to
// restore. It returns the step the checkpoint was taken after, or 0 when
// there is none (cp nil, checkpoints off, nothing saved yet): train from
// step+1. An error from restore is returned: a checkpoint the task cannot
// read is a bug or a changed task, not something to skip silently.
func Resume(cp tasks.Checkpointer, restore func(*State) error) (step int, err error) {
	if cp == nil {
		return 0, nil
	}
	step, b, ok, err := cp.Load()
	if err != nil || !ok {
		return 0, err
	}
	st, err := DecodeState(b)
	if err != nil {
		return 0, err
	}
	if err := restore(st); err != nil {
		return 0, fmt.Errorf("resuming from the checkpoint at step %d: %w (delete %s in the run directory to start the run over)", step, err, FileName)
	}
	return step, nil
}

// SaveState asks fill for the task's state and saves it as the checkpoint
// after step. It does nothing when cp is nil.
func SaveState(cp tasks.Checkpointer, step int, fill func(*State) error) error {
	if cp == nil {
		return nil
	}
	st := NewState()
	if err := fill(st); err != nil {
		return err
	}
	b, err := st.Encode()
	if err != nil {
		return err
	}
	return cp.Save(step, b)
}
