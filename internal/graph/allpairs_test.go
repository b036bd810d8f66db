package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestAllPairSumsIsGorgoniasBroadcastAdd checks that AllPairSums and its
// gradients in both halves give, bit for bit, gorgonia's BroadcastAdd of
// the halves as (N, 1, H) and (1, R, H), reshaped, and its gradients, in
// float32 and float64, on values of magnitudes from 1e-3 to 1e7 whose sums
// depend on the order of the additions.
func TestAllPairSumsIsGorgoniasBroadcastAdd(t *testing.T) {
	const n, r, h = 7, 5, 19
	rng := rand.New(rand.NewPCG(11, 12))
	bs, as, ws := wideValues(rng, n*h), wideValues(rng, r*h), wideValues(rng, n*r*h)
	theirs := func(b, a *G.Node) (*G.Node, error) {
		b3 := G.Must(G.Reshape(b, tensor.Shape{n, 1, h}))
		a3 := G.Must(G.Reshape(a, tensor.Shape{1, r, h}))
		return G.Reshape(G.Must(G.BroadcastAdd(b3, a3, []byte{1}, []byte{0})), tensor.Shape{n * r, h})
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		want := allPairsRun(t, dt, theirs, bs, as, ws, n, r, h)
		got := allPairsRun(t, dt, AllPairSums, bs, as, ws, n, r, h)
		sameRuns(t, fmt.Sprint(dt), "gorgonia's", got, want)
	}
	g := G.NewGraph()
	if _, err := AllPairSums(G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3)), G.NewMatrix(g, tensor.Float32, G.WithShape(2, 4))); err == nil {
		t.Error("AllPairSums accepted halves of different widths")
	}
}

// sameRuns fails the test at the first value of got (outputs, then the
// gradients in b and in a) whose bits differ from want's, which the path
// that what names computed.
func sameRuns(t *testing.T, label, what string, got, want [3][]float64) {
	t.Helper()
	for k, name := range []string{"outputs", "d/db", "d/da"} {
		for i := range want[k] {
			if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
				t.Fatalf("%s %s[%d]: %v, %s %v", label, name, i, got[k][i], what, want[k][i])
			}
		}
	}
}

// allPairsRun returns f(b, a), and the gradients in b and a of Σ w ⊙ f(b, a)
// after two runs (the kept buffers reused), as float64s.
func allPairsRun(t *testing.T, dt tensor.Dtype, f func(b, a *G.Node) (*G.Node, error), bs, as, ws []float64, n, r, h int) [3][]float64 {
	t.Helper()
	g := G.NewGraph()
	b := G.NewMatrix(g, dt, G.WithShape(n, h), G.WithName("b"), G.WithValue(denseOf(dt, bs, n, h)))
	a := G.NewMatrix(g, dt, G.WithShape(r, h), G.WithName("a"), G.WithValue(denseOf(dt, as, r, h)))
	w := G.NewMatrix(g, dt, G.WithShape(n*r, h), G.WithName("w"), G.WithValue(denseOf(dt, ws, n*r, h)))
	out, err := f(b, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(out, w)))), b, a); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(b, a))
	defer CloseMachine(vm)
	for run := range 2 {
		if run > 0 {
			for _, p := range []*G.Node{b, a} {
				gv, _ := p.Grad()
				gv.(tensor.Tensor).Zero()
			}
			vm.Reset()
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	db, _ := b.Grad()
	da, _ := a.Grad()
	return [3][]float64{asFloat64s(out.Value()), asFloat64s(db), asFloat64s(da)}
}

// TestAllPairSumsRectifyIsRectifyOfTheSums checks that AllPairSumsRectify
// and its gradients in both halves give, bit for bit, Rectify of
// AllPairSums and its gradients, in float32 and float64, for widths
// with and without a tail past the last multiple of eight, on values of
// many magnitudes, on halves whose sums are zeros of either sign
// (Rectify's mask keeps those, -0 >= 0 included), and on NaNs of several
// payloads and infinities.
func TestAllPairSumsRectifyIsRectifyOfTheSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	negZero := math.Copysign(0, -1)
	for _, h := range []int{19, 16, 5} {
		const n, r = 6, 4
		bs, as, ws := wideValues(rng, n*h), wideValues(rng, r*h), wideValues(rng, n*r*h)
		for c := 0; c < h; c += 2 { // b_0 + a_0 = +0, b_1 + a_0 = -0, b_2 + a_1 = +0, b_3 + a_2 = +0
			as[c], as[h+c], as[2*h+c] = negZero, 0, -2.5
			bs[c], bs[h+c], bs[2*h+c], bs[3*h+c] = 0, negZero, negZero, 2.5
		}
		// Row 4 of b and row 3 of a: NaNs of different payloads (the sum
		// keeps b's where both are NaN) and infinities (+Inf + -Inf is a
		// NaN); Rectify's mask is false for a NaN.
		for c := range h {
			bs[4*h+c] = [...]float64{nanPayload(1), math.Inf(1), 1, nanPayload(2)}[c%4]
			as[3*h+c] = [...]float64{nanPayload(3), math.Inf(-1), nanPayload(4), 2}[c%4]
		}
		separate := func(b, a *G.Node) (*G.Node, error) { return Rectify(G.Must(AllPairSums(b, a))) }
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			want := allPairsRun(t, dt, separate, bs, as, ws, n, r, h)
			got := allPairsRun(t, dt, AllPairSumsRectify, bs, as, ws, n, r, h)
			sameRuns(t, fmt.Sprintf("h=%d %v", h, dt), "separate ops", got, want)
		}
	}
}

// nanPayload returns a quiet NaN whose payload is p, as a float64 whose
// conversion to float32 keeps the payload's low bits.
func nanPayload(p uint64) float64 {
	return math.Float64frombits(0x7ff8000000000000 | p<<29)
}
