package optim

import (
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestFlushSubnormals32 is TestFlushSubnormals for float32 moments: each
// subnormal becomes a zero of its sign, and every normal number, the
// least ones included, is left as it is.
func TestFlushSubnormals32(t *testing.T) {
	least := float32(math.SmallestNonzeroFloat32)
	minNormal := math.Float32frombits(0x00800000) // 2^-126
	negZero := float32(math.Copysign(0, -1))
	in := []float32{minNormal, -minNormal, math.Nextafter32(minNormal, 0), -least, least, 0, negZero,
		1, -2.5, float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32, 2 * minNormal, math.Nextafter32(2*minNormal, 0)}
	want := []float32{minNormal, -minNormal, 0, negZero, 0, 0, negZero,
		1, -2.5, float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32, 2 * minNormal, math.Nextafter32(2*minNormal, 0)}
	got := slices.Clone(in)
	flushSubnormals32(got)
	for i := range in {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("flushSubnormals32(%v (%#x)) = %v (%#x), want %v", in[i], math.Float32bits(in[i]), got[i], math.Float32bits(got[i]), want[i])
		}
	}
}

// TestFloat32MomentsFirstStepByHand checks one Update with float32 moments
// bit for bit against the step written out in float32 as moments.go
// documents it: 1-b1 and 1-b2 are taken in float64 and then rounded to
// float32 (not 1 - float32(b1), which differs at b1 = 0.9), and so are the
// bias corrections. The parameter has 11 elements, so that the AVX2
// kernel, where there is one, and the Go tail are both checked.
func TestFloat32MomentsFirstStepByHand(t *testing.T) {
	const lr, b1, b2 = 0.1, 0.9, 0.999
	w0 := []float32{1, -2, 0.5, 3e-3, 7, -0.25, 1e-4, 12, -3, 0.125, 2.5}
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(len(w0)), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(len(w0)), tensor.WithBacking(slices.Clone(w0)))))
	// The loss 0.5 * sum w^2 has gradient w.
	grads, err := G.Grad(G.Must(G.Mul(G.NewConstant(float32(0.5)), G.Must(G.Sum(G.Must(G.Square(w)))))), w)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt, err := NewAdamMoments(Float32Moments, G.Nodes{w}, grads, lr, b1, b2)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if err := opt.Update(); err != nil {
		t.Fatal(err)
	}
	omb1, omb2 := float32(1-b1), float32(1-b2)
	if omb1 == 1-float32(b1) {
		t.Fatalf("the test needs 1-b1 to round differently in float32 and float64")
	}
	c1, c2 := float32(1-math.Pow(b1, 1)), float32(1-math.Pow(b2, 1))
	eps, lr32 := float32(1e-8), float32(lr)
	got := w.Value().Data().([]float32)
	for j, gj := range w0 {
		m := float32(omb1 * gj)
		v := float32(float32(omb2*gj) * gj)
		step := float32(lr32*(m/c1)) / (float32(math.Sqrt(float64(v/c2))) + eps)
		want := w0[j] - step
		if math.Float32bits(opt.M32[0][j]) != math.Float32bits(m) || math.Float32bits(opt.V32[0][j]) != math.Float32bits(v) {
			t.Errorf("element %d: moments %v, %v, want %v, %v", j, opt.M32[0][j], opt.V32[0][j], m, v)
		}
		if math.Float32bits(got[j]) != math.Float32bits(want) {
			t.Errorf("element %d: weight %v, want %v", j, got[j], want)
		}
	}
}

// TestNewAdamRefusesExtraGradients checks that NewAdam wants exactly one
// gradient a parameter: more gradients than parameters mean the caller
// paired them wrongly.
func TestNewAdamRefusesExtraGradients(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("w"), G.WithInit(G.Zeroes()))
	v := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("v"), G.WithInit(G.Zeroes()))
	if _, err := NewAdam(G.Nodes{w}, G.Nodes{w, v}, 0.1, 0.9, 0.999); err == nil {
		t.Error("NewAdam took two gradients for one parameter")
	}
	if _, err := NewAdamMoments(Float32Moments, G.Nodes{w}, G.Nodes{w, v}, 0.1, 0.9, 0.999); err == nil {
		t.Error("NewAdamMoments took two gradients for one parameter")
	}
}

// TestMomentsKeyAndBytes checks the adam_moments key's canonical form (the
// default, however written, is "", so old run ids stay) and the bytes a
// weight each precision's two moments take.
func TestMomentsKeyAndBytes(t *testing.T) {
	for in, want := range map[string]string{"": "", "float64": "", "float32": "float32"} {
		got, err := MomentsKey(in)
		if err != nil || got != want {
			t.Errorf("MomentsKey(%q) = %q, %v; want %q", in, got, err, want)
		}
		if got, err := CheckAdam(1e-3, 0.9, 0.999, in); err != nil || got != want {
			t.Errorf("CheckAdam(..., %q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := MomentsKey("float16"); err == nil {
		t.Error("MomentsKey took float16")
	}
	for in, want := range map[string]float64{"": 16, "float64": 16, "float32": 8} {
		if got := MomentsBytes(in); got != want {
			t.Errorf("MomentsBytes(%q) = %v, want %v", in, got, want)
		}
	}
}
