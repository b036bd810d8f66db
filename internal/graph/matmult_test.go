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
// b, and compares them bit for bit, in float32 (our BLAS) and float64
// (MatMul of the transpose itself):
// small shapes, the local critic's (64 × 512 against 4096 × 512 and the
// transposed form the BLAS picks for it), the prior discriminator's, and
// a depth of several blocks, with zeros of both signs, infinities and a
// NaN among the values (where a NaN meets a NaN, only NaN-ness is
// compared).
func TestMatMulTMatchesMatMulOfTheTranspose(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, s := range [][3]int{{1, 1, 1}, {5, 3, 7}, {64, 4096, 512}, {64, 1000, 200}, {16, 64, 1000}, {40, 70, 700}} {
			m, n, k := s[0], s[1], s[2]
			ours := productAndGradients(t, dt, m, n, k, MatMulT)
			theirs := productAndGradients(t, dt, m, n, k, func(a, b *G.Node) (*G.Node, error) {
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
						t.Fatalf("%v, %d×%d against %d×%d: %s, element %d: %v, MatMul of the transpose %v", dt, m, k, n, k, name, i, got, want)
					}
				}
			}
		}
	}
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("a"))
	b := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("b"))
	if _, err := MatMulT(a, b); err == nil {
		t.Error("MatMulT of a 2×3 and a 3×2 matrix: no error")
	}
	// With our kernel the product is one op, not a product of a transpose.
	c, err := MatMulT(a, G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("c")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "A × Bᵀ"; blas.HasKernel() && c.Op().String() != want {
		t.Errorf("MatMulT with our kernel is %v, want %s", c.Op(), want)
	}
}

// productAndGradients returns f(a, b) for random a (m×k) and b (n×k) and
// the gradients of Σ w ⊙ f(a, b) in a and b for random w, as float64s.
func productAndGradients(t *testing.T, dt tensor.Dtype, m, n, k int, f func(a, b *G.Node) (*G.Node, error)) [3][]float64 {
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
