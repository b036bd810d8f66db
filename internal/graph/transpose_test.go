package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTransposeMatchesGorgonia permutes tensors with Transpose and with
// G.Transpose, and compares the values and the gradients of Σ w ⊙ out in
// x, in float32 and float64: the matrix transpose, NHWC ↔ NCHW, a
// rotation of three axes, and a permutation this op leaves to gorgonia,
// with sizes off the 32 × 8 tiles and large enough to split across
// cores.
func TestTransposeMatchesGorgonia(t *testing.T) {
	if _, _, ok := groupSwap([]int{0, 2, 1, 3}); ok {
		t.Fatal("groupSwap takes (0, 2, 1, 3), which moves an axis between two others, for a swap of two groups")
	}
	for _, c := range []struct {
		shape tensor.Shape
		perm  []int
	}{
		{tensor.Shape{37, 45}, nil},
		{tensor.Shape{300, 130}, []int{1, 0}},
		{tensor.Shape{3, 5, 7, 33}, []int{0, 3, 1, 2}},
		{tensor.Shape{4, 64, 8, 8}, []int{0, 2, 3, 1}},
		{tensor.Shape{6, 7, 40}, []int{2, 0, 1}},
		{tensor.Shape{2, 3, 4, 5}, []int{0, 2, 1, 3}},
	} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			ours := permuteAndGradient(t, dt, c.shape, func(x *G.Node) (*G.Node, error) { return Transpose(x, c.perm...) })
			theirs := permuteAndGradient(t, dt, c.shape, func(x *G.Node) (*G.Node, error) { return G.Transpose(x, c.perm...) })
			for k, name := range []string{"values", "gradient"} {
				for i := range theirs[k] {
					if math.Float64bits(ours[k][i]) != math.Float64bits(theirs[k][i]) {
						t.Fatalf("%v %v perm %v: %s[%d] = %v, gorgonia's %v", dt, c.shape, c.perm, name, i, ours[k][i], theirs[k][i])
					}
				}
			}
		}
	}
}

// TestTransposeBatchMatchesTheDefinition checks transposeBatch, float32
// (8x8 AVX blocks in tiles of transposeTileCols rows where the BLAS has
// its kernel) and float64 (Go tiles), on batches of matrices whose sides
// are and are not multiples of eight and span several tiles, split
// between two goroutines at a matrix's start and inside the second matrix
// (3 × 601 × 24: nine groups of eight rows, ranges [0, 5) and [5, 9)):
// out[k][j][i] = x[k][i][j], bit for bit.
func TestTransposeBatchMatchesTheDefinition(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	rng := rand.New(rand.NewPCG(43, 44))
	for _, s := range [][3]int{{1, 8, 8}, {1, 600, 19}, {3, 520, 9}, {2, 33, 700}, {5, 7, 3}, {1, 1000, 200}, {3, 601, 24}} {
		b, r, c := s[0], s[1], s[2]
		x32, out32 := make([]float32, b*r*c), make([]float32, b*r*c)
		x64, out64 := make([]float64, b*r*c), make([]float64, b*r*c)
		for e := range x32 {
			x32[e] = float32(rng.NormFloat64())
			x64[e] = rng.NormFloat64()
		}
		transposeBatch(b, r, c, x32, out32)
		transposeBatch(b, r, c, x64, out64)
		for k := range b {
			for i := range r {
				for j := range c {
					src, dst := k*r*c+i*c+j, k*r*c+j*r+i
					if math.Float32bits(out32[dst]) != math.Float32bits(x32[src]) || math.Float64bits(out64[dst]) != math.Float64bits(x64[src]) {
						t.Fatalf("%v: element (%d, %d) of matrix %d is not transposed", s, i, j, k)
					}
				}
			}
		}
	}
}

// permuteAndGradient returns f(x) for random x of the shape, in row-major
// order, and the gradient of Σ w ⊙ f(x) in x for random w.
func permuteAndGradient(t *testing.T, dt tensor.Dtype, shape tensor.Shape, f func(*G.Node) (*G.Node, error)) [2][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(shape.TotalSize()), 9))
	random := func() *tensor.Dense {
		v := tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
		switch d := v.Data().(type) {
		case []float32:
			for i := range d {
				d[i] = float32(rng.NormFloat64())
			}
		case []float64:
			for i := range d {
				d[i] = rng.NormFloat64()
			}
		}
		return v
	}
	g := G.NewGraph()
	x := G.NewTensor(g, dt, shape.Dims(), G.WithShape(shape.Clone()...), G.WithName("x"), G.WithValue(random()))
	out, err := f(x)
	if err != nil {
		t.Fatal(err)
	}
	wv := random()
	if err := wv.Reshape(out.Shape().Clone()...); err != nil {
		t.Fatal(err)
	}
	w := G.NewTensor(g, dt, shape.Dims(), G.WithShape(out.Shape().Clone()...), G.WithName("w"), G.WithValue(wv))
	if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, w)))), x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	// gorgonia's transpose may leave a view; Materialize gives row-major values.
	vals := out.Value().(*tensor.Dense)
	if !vals.IsMaterializable() {
		return [2][]float64{asFloat64s(vals), asFloat64s(gradOf(t, x))}
	}
	return [2][]float64{asFloat64s(vals.Materialize()), asFloat64s(gradOf(t, x))}
}

// BenchmarkTranspose times transposeBatch on the float32 matrices the DIM
// and Gaussian steps transpose: the local critic's scores (4096 × 64,
// and back) and features (4096 × 512), the prior discriminator's
// activations (64 × 1000), and a batch of NHWC feature maps (64 × 256 ×
// 64), in ns an element.
func BenchmarkTranspose(b *testing.B) {
	for _, s := range [][3]int{{1, 4096, 64}, {1, 64, 4096}, {1, 4096, 512}, {1, 64, 1000}, {64, 256, 64}, {1, 1000, 200}, {1, 200, 1000}, {1, 1000, 64}} {
		x := make([]float32, s[0]*s[1]*s[2])
		out := make([]float32, len(x))
		b.Run(fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) {
			for b.Loop() {
				transposeBatch(s[0], s[1], s[2], x, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/element")
		})
	}
}

// BenchmarkTransposeOutOfCache times transposeBatch on the prior
// discriminator's weight shapes with each matrix and its output out of
// cache, as in a training step, where the previous step's Adam last
// touched them: it cycles through 40 pairs (64 MB for 1000 × 200).
func BenchmarkTransposeOutOfCache(b *testing.B) {
	for _, s := range [][2]int{{1000, 200}, {200, 1000}, {1000, 64}} {
		var xs, outs [][]float32
		for range 40 {
			x := make([]float32, s[0]*s[1])
			for i := range x {
				x[i] = float32(i)
			}
			xs, outs = append(xs, x), append(outs, make([]float32, len(x)))
		}
		b.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(b *testing.B) {
			i := 0
			for b.Loop() {
				transposeBatch(1, s[0], s[1], xs[i%len(xs)], outs[i%len(xs)])
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s[0]*s[1]), "ns/element")
		})
	}
}
