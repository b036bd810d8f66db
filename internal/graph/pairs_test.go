package graph

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPairOpsAndTheirGradients builds S = ScatterPairs(GatherPairSums(b, a)
// · w) and loss = Σ V ⊙ S, and checks S and the gradients in b, a and w
// against their closed forms, computed here loop by loop: S holds
// (b[r] + a[c])·w at each listed (r, c) and 0 elsewhere; ∂loss/∂b[r] is
// Σ V[r][c] w over the pairs of row r, ∂loss/∂a[c] the same over the pairs
// of column c. The pairs repeat rows and columns (as one negative per
// positive does), so the gradients must add. It then rewrites the pairs in
// place and checks that the next run follows them.
func TestPairOpsAndTheirGradients(t *testing.T) {
	const n, r, h = 3, 5, 4
	rng := rand.New(rand.NewPCG(3, 4))
	normals := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	bv, av, wv, vv := normals(n*h), normals(r*h), normals(h), normals(n*r)
	p := &Pairs{N: n, R: r, Rows: []int{0, 0, 1, 2, 2, 1}, Cols: []int{0, 1, 1, 4, 1, 3}}
	g := G.NewGraph()
	mat := func(name string, rows, cols int, v []float64) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v))))
	}
	b, a, w, vn := mat("b", n, h, bv), mat("a", r, h, av), mat("w", h, 1, wv), mat("v", n, r, vv)
	pre := G.Must(GatherPairSums(b, a, p))
	s := G.Must(ScatterPairs(G.Must(G.Mul(pre, w)), p))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(s, vn))))
	if _, err := G.Grad(loss, b, a, w); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(b, a, w))
	defer CloseMachine(vm)
	for run := range 2 {
		if run == 1 { // other pairs, as a sampler draws them anew
			copy(p.Rows, []int{2, 1, 0, 0, 1, 1})
			copy(p.Cols, []int{3, 3, 2, 0, 4, 0})
		}
		if run > 0 {
			for _, x := range []*G.Node{b, a, w} { // bound dual values add up over runs
				gradOf(t, x).(tensor.Tensor).Zero()
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		wantS := make([]float64, n*r)
		wantB, wantA, wantW := make([]float64, n*h), make([]float64, r*h), make([]float64, h)
		for k := range p.Rows {
			row, col := p.Rows[k], p.Cols[k]
			v := vv[row*r+col]
			for j := range h {
				x := bv[row*h+j] + av[col*h+j]
				wantS[row*r+col] += x * wv[j]
				wantB[row*h+j] += v * wv[j]
				wantA[col*h+j] += v * wv[j]
				wantW[j] += v * x
			}
		}
		for _, c := range []struct {
			name string
			got  G.Value
			want []float64
		}{{"S", s.Value(), wantS}, {"∂b", gradOf(t, b), wantB}, {"∂a", gradOf(t, a), wantA}, {"∂w", gradOf(t, w), wantW}} {
			for i, got := range asFloat64s(c.got) {
				if math.Abs(got-c.want[i]) > 1e-12*(1+math.Abs(c.want[i])) {
					t.Errorf("run %d: %s[%d] = %v, want %v", run, c.name, i, got, c.want[i])
				}
			}
		}
	}
}

func gradOf(t *testing.T, n *G.Node) G.Value {
	t.Helper()
	v, err := n.Grad()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPairsRejectEntriesOutsideTheMatrix checks Validate's one-line errors.
func TestPairsRejectEntriesOutsideTheMatrix(t *testing.T) {
	for _, c := range []struct {
		p    Pairs
		want string
	}{
		{Pairs{N: 2, R: 3, Rows: []int{0, 2}, Cols: []int{0, 1}}, "entry 1 is (2, 1), outside the 2x3 matrix"},
		{Pairs{N: 2, R: 3, Rows: []int{0}, Cols: []int{0, 1}}, "1 rows and 2 columns"},
		{Pairs{N: 2, R: 3}, "at least one"},
		{Pairs{N: 2, R: 3, Rows: []int{0, 1, 0}, Cols: []int{2, 2, 2}}, "entry 2 repeats (0, 2)"},
	} {
		err := c.p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one with %q", c.p, err, c.want)
		}
	}
}

// TestAddRowsIntoIsTheSameHoweverSplit checks that the gradient's rows,
// added by goroutines that each own some of them, have the bits of one
// serial pass in increasing k.
func TestAddRowsIntoIsTheSameHoweverSplit(t *testing.T) {
	const rows, h, pairs = 40, 1024, 300
	rng := rand.New(rand.NewPCG(5, 6))
	dy := make([]float32, pairs*h)
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
	}
	idx := make([]int, pairs)
	for k := range idx {
		idx[k] = rng.IntN(rows)
	}
	got := make([]float32, rows*h)
	addRowsInto(got, dy, idx, h) // large enough to split across cores
	want := make([]float32, rows*h)
	for k, r := range idx {
		for j := range h {
			want[r*h+j] += dy[k*h+j]
		}
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v, serial %v", i, got[i], want[i])
		}
	}
}
