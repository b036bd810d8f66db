package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/blas"
)

// TestMatMulTMatchesMatMulOfTheTranspose computes a·bᵀ with MatMulT and
// with MatMul(a, Transpose(b)), and the gradients of Σ w ⊙ a·bᵀ in a and
// b, and compares them bit for bit in float32 with our kernel: small
// shapes, the local critic's (64 × 512 against 4096 × 512, and the
// transposed form the BLAS picks for it), the prior discriminator's, and
// a depth of several blocks, with zeros of both signs, infinities and a
// NaN among the values (where a NaN meets a NaN, only NaN-ness is
// compared). Elsewhere MatMulT is MatMul of the transpose, and the
// comparison would compare a product with itself.
func TestMatMulTMatchesMatMulOfTheTranspose(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("a"))
	b := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("b"))
	if _, err := MatMulT(a, b); err == nil {
		t.Error("MatMulT of a 2×3 and a 3×2 matrix: no error")
	}
	if !blas.HasKernel() {
		t.Skipf("BLAS %s: MatMulT is MatMul of the transpose", blas.Name())
	}
	c, err := MatMulT(a, G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("c")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "A × Bᵀ"; c.Op().String() != want {
		t.Fatalf("MatMulT with our kernel is %v, want one %s", c.Op(), want)
	}
	for _, s := range [][3]int{{1, 1, 1}, {5, 3, 7}, {64, 4096, 512}, {64, 1000, 200}, {16, 64, 1000}, {40, 70, 700}} {
		m, n, k := s[0], s[1], s[2]
		ours := productAndGradients(t, m, n, k, MatMulT)
		theirs := productAndGradients(t, m, n, k, func(a, b *G.Node) (*G.Node, error) {
			bt, err := Transpose(b)
			if err != nil {
				return nil, err
			}
			return MatMul(a, bt)
		})
		for part, name := range []string{"a·bᵀ", "its gradient in a", "its gradient in b"} {
			for i, want := range theirs[part] {
				got := ours[part][i]
				if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("%d×%d against %d×%d: %s, element %d: %v, MatMul of the transpose %v", m, k, n, k, name, i, got, want)
				}
			}
		}
	}
}

// TestMatMulTOfANodeAndItself checks MatMulT(x, x): gorgonia's product
// transposes its second operand in place while it runs, which, were it
// the first too, would read x transposed. MatMulT must give x·xᵀ.
func TestMatMulTOfANodeAndItself(t *testing.T) {
	for _, shape := range [][2]int{{3, 3}, {3, 5}} {
		g := G.NewGraph()
		xs := make([]float32, shape[0]*shape[1])
		for i := range xs {
			xs[i] = float32(i + 1)
		}
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(shape[0], shape[1]), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(shape[0], shape[1]), tensor.WithBacking(xs))))
		if MatMulTInPlace(x, x) {
			t.Error("MatMulTInPlace(x, x) = true")
		}
		out, err := MatMulT(x, x)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		CloseMachine(vm)
		got := out.Value().Data().([]float32)
		for i := range shape[0] {
			for j := range shape[0] {
				var want float32
				for k := range shape[1] {
					want += xs[i*shape[1]+k] * xs[j*shape[1]+k]
				}
				if got[i*shape[0]+j] != want {
					t.Fatalf("%v: (x·xᵀ)[%d][%d] = %v, want %v", shape, i, j, got[i*shape[0]+j], want)
				}
			}
		}
	}
}

// productAndGradients returns f(a, b) for random float32 a (m×k) and b
// (n×k) and the gradients of Σ w ⊙ f(a, b) in a and b for random w, as
// float64s.
func productAndGradients(t *testing.T, m, n, k int, f func(a, b *G.Node) (*G.Node, error)) [3][]float64 {
	dt := tensor.Float32
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(m*n*k), 11))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.NaN()}
	random := func(r, c int) *tensor.Dense {
		v := tensor.New(tensor.Of(dt), tensor.WithShape(r, c))
		for i := 0; i < r*c; i++ {
			x := rng.NormFloat64()
			if i%997 == 13 {
				x = special[(i/997)%len(special)]
			}
			switch d := v.Data().(type) {
			case []float32:
				d[i] = float32(x)
			case []float64:
				d[i] = x
			}
		}
		return v
	}
	g := G.NewGraph()
	a := G.NewMatrix(g, dt, G.WithShape(m, k), G.WithName("a"), G.WithValue(random(m, k)))
	b := G.NewMatrix(g, dt, G.WithShape(n, k), G.WithName("b"), G.WithValue(random(n, k)))
	out, err := f(a, b)
	if err != nil {
		t.Fatal(err)
	}
	w := G.NewMatrix(g, dt, G.WithShape(m, n), G.WithName("w"), G.WithValue(random(m, n)))
	if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, w)))), a, b); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(a, b))
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return [3][]float64{asFloat64s(out.Value().(*tensor.Dense)), asFloat64s(gradOf(t, a)), asFloat64s(gradOf(t, b))}
}
