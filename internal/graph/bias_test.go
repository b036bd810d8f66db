package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestAddBiasMatchesGorgoniaBitForBit computes y + b and the gradients of
// Σ w ⊙ (y + b) in y and b twice, with AddBias and with gorgonia's
// broadcast addition (Broadcast, then G.Add), in float32 and float64, on
// matrices large enough to split across cores and on one row: values and
// gradients must have the same bits. The upstream weights w are large and
// of mixed signs, so the order of the column sums shows in their bits.
func TestAddBiasMatchesGorgoniaBitForBit(t *testing.T) {
	for _, shape := range [][2]int{{1, 5}, {7, 3}, {300, 130}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			ours := biasAndGradients(t, dt, shape, AddBias)
			theirs := biasAndGradients(t, dt, shape, func(y, b *G.Node) (*G.Node, error) {
				return G.BroadcastAdd(y, b, nil, []byte{0})
			})
			for k, name := range []string{"y + b", "∂y", "∂b"} {
				for i := range theirs[k] {
					if math.Float64bits(ours[k][i]) != math.Float64bits(theirs[k][i]) {
						t.Fatalf("%v %v: %s[%d] = %v, gorgonia's %v", dt, shape, name, i, ours[k][i], theirs[k][i])
					}
				}
			}
		}
	}
}

// biasAndGradients builds add(y, b) for random y (shape) and b, and returns
// its values and the gradients of Σ w ⊙ add(y, b) in y and in b.
func biasAndGradients(t *testing.T, dt tensor.Dtype, shape [2]int, add func(y, b *G.Node) (*G.Node, error)) [3][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(shape[0]), uint64(shape[1])))
	values := func(n int, scale float64) *tensor.Dense {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * scale
		}
		if dt == tensor.Float64 {
			return tensor.New(tensor.WithBacking(v))
		}
		f := make([]float32, n)
		for i := range v {
			f[i] = float32(v[i])
		}
		return tensor.New(tensor.WithBacking(f))
	}
	rows, cols := shape[0], shape[1]
	g := G.NewGraph()
	yv, wv := values(rows*cols, 1), values(rows*cols, 1e4)
	yv.Reshape(rows, cols)
	wv.Reshape(rows, cols)
	y := G.NewMatrix(g, dt, G.WithShape(rows, cols), G.WithName("y"), G.WithValue(yv))
	b := G.NewVector(g, dt, G.WithShape(cols), G.WithName("b"), G.WithValue(values(cols, 1)))
	w := G.NewMatrix(g, dt, G.WithShape(rows, cols), G.WithName("w"), G.WithValue(wv))
	out, err := add(y, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, w)))), y, b); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(y, b))
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return [3][]float64{asFloat64s(out.Value()), asFloat64s(gradOf(t, y)), asFloat64s(gradOf(t, b))}
}

// TestBiasGradOfNoRowsIsZero checks the column sums of a gradient with no
// rows: zeros, as gorgonia's reduction gives, not a panic.
func TestBiasGradOfNoRowsIsZero(t *testing.T) {
	out := []float32{1, 2, 3}
	biasPass(true, false, 0, 3, []float32{}, nil, nil, out)
	for c, v := range out {
		if v != 0 {
			t.Fatalf("column %d: %v, want 0", c, v)
		}
	}
}

// BenchmarkAddBias times the addition of a bias to every row at the
// Gaussian benchmark's hidden layers (64 x 256) and the encoder's first
// convolution (16384 x 64), and the column sums of its gradient.
func BenchmarkAddBias(b *testing.B) {
	for _, s := range [][2]int{{64, 256}, {16384, 64}} {
		rows, cols := s[0], s[1]
		x := make([]float32, rows*cols)
		for i := range x {
			x[i] = float32(i%97) / 7
		}
		bias := tensor.New(tensor.WithShape(cols), tensor.WithBacking(make([]float32, cols)))
		out := make([]float32, rows*cols)
		for _, sums := range []bool{false, true} {
			name := fmt.Sprintf("%dx%d/add", rows, cols)
			if sums {
				name = fmt.Sprintf("%dx%d/sums", rows, cols)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					biasPass(sums, false, rows, cols, x, bias, nil, out)
				}
			})
		}
	}
}

// TestAddBiasKeepsXsNaN checks AddBias's forward pass element by element
// on rows full of NaNs with distinct payloads, in both types and at widths
// that leave columns after the last multiple of eight: x + b is x's NaN
// (quieted) where x is a NaN, else b's where b is one, else the sum. That
// is x86's rule for x as the first operand, which the code it replaced
// (dst[j] = x[j] + b[j]) compiled to.
func TestAddBiasKeepsXsNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, cols := range []int{3, 8, 13, 130} {
		rows := 5
		x32, b32 := make([]float32, rows*cols), make([]float32, cols)
		x64, b64 := make([]float64, rows*cols), make([]float64, cols)
		pick := func(i int) (float32, float64) {
			switch rng.IntN(3) {
			case 0: // a NaN, quiet or signaling, of either sign, its payload from i
				bits := uint32(0x7f800000) | uint32(i+1)&0x3fffff | rng.Uint32()&0x80400000
				return math.Float32frombits(bits), math.Float64frombits(uint64(0x7ff0000000000000) | uint64(i+1) | uint64(rng.Uint32()&0x80000000)<<32)
			case 1:
				return float32(math.Inf(1)), math.Inf(-1)
			}
			v := rng.NormFloat64()
			return float32(v), v
		}
		for i := range x32 {
			x32[i], x64[i] = pick(i)
		}
		for i := range b32 {
			b32[i], b64[i] = pick(1000 + i)
		}
		checkFirstOperandNaN(t, rows, cols, x32, b32, math.Float32bits, 0x00400000)
		checkFirstOperandNaN(t, rows, cols, x64, b64, math.Float64bits, 0x0008000000000000)
	}
}

// checkFirstOperandNaN runs AddBias's forward pass on x (rows × cols) and
// b and checks every element's bits against x86's rule for x + b: x's NaN
// quieted (its bits with quiet set), else b's, else the sum.
func checkFirstOperandNaN[T float32 | float64, U uint32 | uint64](t *testing.T, rows, cols int, x, b []T, bits func(T) U, quiet U) {
	t.Helper()
	out := make([]T, rows*cols)
	biasPass(false, false, rows, cols, x, tensor.New(tensor.WithShape(cols), tensor.WithBacking(b)), nil, out)
	for i := range out {
		xi, bi := x[i], b[i%cols]
		want := bits(xi + bi)
		switch {
		case xi != xi:
			want = bits(xi) | quiet
		case bi != bi:
			want = bits(bi) | quiet
		}
		if got := bits(out[i]); got != want {
			t.Fatalf("%T, %d columns, element %d: %#x + %#x gave %#x, want %#x", xi, cols, i, bits(xi), bits(bi), got, want)
		}
	}
}
