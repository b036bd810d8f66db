package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestEngineAddMatchesTheStandardEngine adds two float32 matrices in place
// (the unsafe addition gorgonia's tape machine runs) with Engine and with
// the standard engine, on a matrix large enough to split across cores and
// holding NaN, infinities and zeros of both signs: the bits must agree.
// The safe addition, which Engine leaves to the standard engine, must
// leave its operands alone and give the same sum.
func TestEngineAddMatchesTheStandardEngine(t *testing.T) {
	const rows, cols = 301, 257
	rng := rand.New(rand.NewPCG(7, 8))
	av, bv := addValues(rng, rows*cols, 97), addValues(rng, rows*cols, 97)
	dense := func(e tensor.Engine, v []float32) *tensor.Dense { return denseCopy(e, rows, cols, v) }
	ours, theirs := dense(Engine, av), dense(tensor.StdEng{}, av)
	if _, err := Engine.(tensor.Adder).Add(ours, dense(Engine, bv), tensor.UseUnsafe()); err != nil {
		t.Fatal(err)
	}
	if _, err := (tensor.StdEng{}).Add(theirs, dense(tensor.StdEng{}, bv), tensor.UseUnsafe()); err != nil {
		t.Fatal(err)
	}
	for i, want := range theirs.Float32s() {
		if got := ours.Float32s()[i]; math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("element %d: %v, standard engine %v", i, got, want)
		}
	}
	a := dense(Engine, av)
	sum, err := Engine.(tensor.Adder).Add(a, dense(Engine, bv))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range theirs.Float32s() {
		if got := sum.(*tensor.Dense).Float32s()[i]; math.Float32bits(got) != math.Float32bits(want) || math.Float32bits(a.Float32s()[i]) != math.Float32bits(av[i]) {
			t.Fatalf("safe addition, element %d: %v (a now %v), want %v (a unchanged)", i, got, a.Float32s()[i], want)
		}
	}
}

// TestEngineAddIntoReuseMatchesTheStandardEngine adds two float32 matrices
// into a third given as the reuse tensor (the sums of gradient
// contributions gorgonia's tape machine runs with a preallocated value),
// and into one of the operands given so, with Engine and with the
// standard engine: the bits must agree, the result must be the reuse
// tensor, and the other operands must stay as they were. A reuse tensor
// of another shape, which Engine leaves to the standard engine, must get
// the same sum.
func TestEngineAddIntoReuseMatchesTheStandardEngine(t *testing.T) {
	const rows, cols = 263, 129
	rng := rand.New(rand.NewPCG(9, 10))
	values := func() []float32 { return addValues(rng, rows*cols, 89) }
	av, bv := values(), values()
	dense := func(e tensor.Engine, v []float32) *tensor.Dense { return denseCopy(e, rows, cols, v) }
	want := dense(tensor.StdEng{}, make([]float32, rows*cols))
	if _, err := (tensor.StdEng{}).Add(dense(tensor.StdEng{}, av), dense(tensor.StdEng{}, bv), tensor.WithReuse(want)); err != nil {
		t.Fatal(err)
	}
	for _, into := range []string{"a third matrix", "a", "b"} {
		a, b := dense(Engine, av), dense(Engine, bv)
		reuse := map[string]*tensor.Dense{"a third matrix": dense(Engine, values()), "a": a, "b": b}[into]
		got, err := Engine.(tensor.Adder).Add(a, b, tensor.WithReuse(reuse))
		if err != nil {
			t.Fatal(err)
		}
		if got != tensor.Tensor(reuse) {
			t.Fatalf("into %s: the result is not the reuse tensor", into)
		}
		for i, w := range want.Float32s() {
			if g := reuse.Float32s()[i]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("into %s, element %d: %v, standard engine %v", into, i, g, w)
			}
			if into != "a" && math.Float32bits(a.Float32s()[i]) != math.Float32bits(av[i]) || into != "b" && math.Float32bits(b.Float32s()[i]) != math.Float32bits(bv[i]) {
				t.Fatalf("into %s, element %d: an operand changed", into, i)
			}
		}
	}
	// A reuse tensor of another shape is the standard engine's case, which
	// takes any of the same size.
	other := tensor.New(tensor.WithShape(cols, rows), tensor.Of(tensor.Float32), tensor.WithEngine(Engine))
	if _, err := Engine.(tensor.Adder).Add(dense(Engine, av), dense(Engine, bv), tensor.WithReuse(other)); err != nil {
		t.Fatal(err)
	}
	for i, w := range want.Float32s() {
		if g := other.Float32s()[i]; math.Float32bits(g) != math.Float32bits(w) {
			t.Fatalf("into a (%d, %d) tensor, element %d: %v, standard engine %v", cols, rows, i, g, w)
		}
	}
}

// addValues returns n normal values from rng times 1e3, every
// every-th of them instead a NaN, an infinity of either sign or a zero of
// either sign, in turn.
func addValues(rng *rand.Rand, n, every int) []float32 {
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * 1e3)
		if i%every == 0 {
			v[i] = special[(i/every)%len(special)]
		}
	}
	return v
}

// denseCopy returns a rows × cols tensor on engine e holding a copy of v.
func denseCopy(e tensor.Engine, rows, cols int, v []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float32(nil), v...)), tensor.WithEngine(e))
}
