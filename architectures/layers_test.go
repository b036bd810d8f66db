package architectures

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMLPForwardMatchesHandComputation checks a 2-3-1 MLP against the same
// arithmetic done by hand on its weights.
func TestMLPForwardMatchesHandComputation(t *testing.T) {
	g := G.NewGraph()
	m, err := NewMLP(g, NewInit(1), "f", 2, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float32{0.5, -1, 2, 0.25}
	x := G.NewMatrix(g, Dtype, G.WithShape(2, 2), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(xs))))
	y, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	runGraph(t, g)
	w0 := m.Layers[0].W.Value().Data().([]float32)
	b0 := m.Layers[0].B.Value().Data().([]float32)
	w1 := m.Layers[1].W.Value().Data().([]float32)
	b1 := m.Layers[1].B.Value().Data().([]float32)
	got := y.Value().Data().([]float32)
	for r := 0; r < 2; r++ {
		want := float64(b1[0])
		for h := 0; h < 3; h++ {
			a := float64(b0[h]) + float64(xs[2*r])*float64(w0[h]) + float64(xs[2*r+1])*float64(w0[3+h])
			want += math.Max(a, 0) * float64(w1[h])
		}
		if math.Abs(float64(got[r])-want) > 1e-5 {
			t.Errorf("row %d: got %v, want %v", r, got[r], want)
		}
	}
}

// TestInitIsDeterministic checks that the same seed gives the same weights.
func TestInitIsDeterministic(t *testing.T) {
	a := NewInit(7).Uniform(G.NewGraph(), "w", 1, 4, 4).Value().Data().([]float32)
	b := NewInit(7).Uniform(G.NewGraph(), "w", 1, 4, 4).Value().Data().([]float32)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entry %d differs: %v vs %v", i, a[i], b[i])
		}
	}
}
