package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestWeightedSumIsGorgoniasSumOfProducts checks that WeightedSum and its
// gradient give, bit for bit, gorgonia's Sum(HadamardProd(x, w)) and its
// gradient in x, in float32 and float64, on values whose sum depends on
// the order of the additions (magnitudes from 1e-3 to 1e7) and on a NaN.
func TestWeightedSumIsGorgoniasSumOfProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, cols = 37, 129
	xs, ws := wideValues(rng, rows*cols), make([]float64, rows*cols)
	for i := range ws {
		ws[i] = float64(rng.IntN(3)) / 3
	}
	withNaN := append([]float64(nil), xs...)
	withNaN[100] = math.NaN()
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, x := range [][]float64{xs, withNaN} {
			wantSum, wantDx := weightedSumRun(t, dt, x, ws, func(x, w *G.Node) (*G.Node, error) {
				return G.Sum(G.Must(G.HadamardProd(x, w)))
			})
			gotSum, gotDx := weightedSumRun(t, dt, x, ws, WeightedSum)
			if math.Float64bits(gotSum) != math.Float64bits(wantSum) && !(math.IsNaN(gotSum) && math.IsNaN(wantSum)) {
				t.Errorf("%v: sum %v, gorgonia's %v", dt, gotSum, wantSum)
			}
			for i := range gotDx {
				if math.Float64bits(gotDx[i]) != math.Float64bits(wantDx[i]) {
					t.Fatalf("%v: gradient %d is %v, gorgonia's %v", dt, i, gotDx[i], wantDx[i])
				}
			}
		}
	}
	if _, err := WeightedSum(G.NewMatrix(G.NewGraph(), tensor.Float32, G.WithShape(2, 3)),
		G.NewMatrix(G.NewGraph(), tensor.Float32, G.WithShape(3, 2))); err == nil {
		t.Error("WeightedSum accepted weights of another shape")
	}
}

// weightedSumRun returns 3 * f(x, w) and its gradient in x, as float64s.
func weightedSumRun(t *testing.T, dt tensor.Dtype, xs, ws []float64, f func(x, w *G.Node) (*G.Node, error)) (float64, []float64) {
	t.Helper()
	g := G.NewGraph()
	rows := len(xs) / 129
	x := G.NewMatrix(g, dt, G.WithShape(rows, 129), G.WithName("x"), G.WithValue(denseOf(dt, xs, rows, 129)))
	w := G.NewMatrix(g, dt, G.WithShape(rows, 129), G.WithName("w"), G.WithValue(denseOf(dt, ws, rows, 129)))
	s, err := f(x, w)
	if err != nil {
		t.Fatal(err)
	}
	three := G.NewConstant(float32(3))
	if dt == tensor.Float64 {
		three = G.NewConstant(3.0)
	}
	loss := G.Must(G.Mul(s, three))
	if _, err := G.Grad(loss, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer CloseMachine(vm)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	grad, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	switch v := s.Value().Data().(type) {
	case float32:
		sum = float64(v)
	case float64:
		sum = v
	}
	return sum, asFloat64s(grad)
}

// wideValues returns n normal values scaled by powers of ten from 1e-3 to
// 1e7, whose sums depend on the order of their additions.
func wideValues(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(11)-3))
	}
	return v
}
