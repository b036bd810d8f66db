package optim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestAdamFloat32MomentsMatchTheFormula runs two steps with float32
// moments on f(w) = sum(w^2)/2 (gradient w) and compares with Adam's
// update computed by hand in float64: they agree to float32's precision.
func TestAdamFloat32MomentsMatchTheFormula(t *testing.T) {
	g := G.NewGraph()
	w0 := []float32{1, -2, 0.5, 3e-3}
	w := G.NewVector(g, tensor.Float32, G.WithShape(len(w0)), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(len(w0)), tensor.WithBacking(slices.Clone(w0)))))
	loss := G.Must(G.Mul(G.NewConstant(float32(0.5)), G.Must(G.Sum(G.Must(G.Square(w))))))
	grads, err := G.Grad(loss, w)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt, err := NewAdamMoments(Float32Moments, G.Nodes{w}, grads, 0.1, 0.9, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Moments() != Float32Moments || opt.M != nil || len(opt.M32) != 1 {
		t.Fatalf("Moments() = %s, M = %v, %d float32 moments: want float32 moments only", opt.Moments(), opt.M, len(opt.M32))
	}
	want := make([]float64, len(w0))
	for j, x := range w0 {
		want[j] = float64(x)
	}
	for step := 1; step <= 2; step++ {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Update(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	m := handSteps(want, 2)
	got := w.Value().Data().([]float32)
	for j := range want {
		if math.Abs(float64(got[j])-want[j]) > 1e-6*math.Max(1, math.Abs(want[j])) {
			t.Errorf("w[%d] = %v, want %v", j, got[j], want[j])
		}
		if m32 := float64(opt.M32[0][j]); math.Abs(m32-m[j]) > 1e-6*math.Abs(m[j]) {
			t.Errorf("m[%d] = %v, want %v", j, m32, m[j])
		}
	}
}

// TestAdamMoments32MatchesGoLoop checks that adamUpdateMoments32 (the
// AVX2 kernel and its Go tail, where the CPU has AVX2) gives the Go
// loop's bits for w, m and v over three steps in a row, for many lengths
// and settings, early in training and from step 1001 on, where c1 has
// rounded to 1 (and the kernel leaves out m/c1) for beta1 = 0.9 and 0.5.
// Gradients include zeros, huge and subnormal values and, in half the
// cases, infinities and NaNs; where both sides give a NaN its payload may
// differ. Built with -tags purego, or without AVX2, both sides are the Go
// loop.
func TestAdamMoments32MatchesGoLoop(t *testing.T) {
	t.Logf("hasAVX2FMA = %v", hasAVX2FMA)
	settings := []struct{ lr, b1, b2 float64 }{{0.01, 0.9, 0.999}, {1e-3, 0, 0}, {0.5, 0.5, 0.99}, {3e-4, 0.99, 0.9999}}
	r := rand.New(rand.NewPCG(3, 4))
	for _, special := range []bool{false, true} {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 1000, 65537} {
			for _, set := range settings {
				for _, first := range []int{1, 1001} {
					moments32Steps(t, r, n, set.lr, set.b1, set.b2, first, special)
				}
			}
		}
	}
}

// moments32Steps runs three steps from step first on n random weights,
// one copy through adamUpdateMoments32 and one through the Go loop, and
// compares them after each step; the slices start one element into their
// arrays so that the kernel sees unaligned addresses.
func moments32Steps(t *testing.T, r *rand.Rand, n int, lr, b1, b2 float64, first int, special bool) {
	t.Helper()
	w := make([]float32, n+1)[1:]
	for i := range w {
		w[i] = float32(r.NormFloat64() * math.Exp(10*r.Float64()-5))
	}
	m, v := make([]float32, n+1)[1:], make([]float32, n+1)[1:]
	wk, mk, vk := slices.Clone(w), slices.Clone(m), slices.Clone(v)
	g := make([]float32, n+1)[1:]
	for step := first; step < first+3; step++ {
		for i := range g {
			g[i] = randomGradient(r, special)
		}
		s := adamStep{lr: lr, b1: b1, b2: b2, eps: 1e-8,
			c1: 1 - math.Pow(b1, float64(step)), c2: 1 - math.Pow(b2, float64(step))}.float32s()
		adamLoopMoments32(s, w, g, m, v)
		adamUpdateMoments32(s, wk, g, mk, vk)
		for i := range w {
			for _, x := range [][2]float32{{w[i], wk[i]}, {m[i], mk[i]}, {v[i], vk[i]}} {
				if math.Float32bits(x[0]) != math.Float32bits(x[1]) && !(x[0] != x[0] && x[1] != x[1]) {
					t.Fatalf("n %d, lr %g, b1 %g, b2 %g, step %d: element %d: w, m, v = %v, %v, %v from the Go loop, %v, %v, %v from adamUpdateMoments32",
						n, lr, b1, b2, step, i, w[i], m[i], v[i], wk[i], mk[i], vk[i])
				}
			}
		}
	}
}

// TestNewAdamMomentsRefuses checks the one-line errors for an unknown
// precision and for float32 moments of a float64 parameter.
func TestNewAdamMomentsRefuses(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("w64"), G.WithInit(G.Zeroes()))
	for _, c := range []struct {
		moments Moments
		want    string
	}{
		{"float16", `adam_moments = "float16": must be "float64" (the default) or "float32"`},
		{Float32Moments, "parameter w64 is float64: float32 moments need float32 parameters"},
	} {
		_, err := NewAdamMoments(c.moments, G.Nodes{w}, G.Nodes{w}, 1e-3, 0.9, 0.999)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewAdamMoments(%q) = %v, want an error containing %q", c.moments, err, c.want)
		}
	}
	for _, ok := range []string{"", "float64", "float32"} {
		if err := CheckMoments(ok); err != nil {
			t.Errorf("CheckMoments(%q) = %v, want nil", ok, err)
		}
	}
}

// TestUpdateFlushesSubnormalMoments32 checks that Update flushes the
// subnormals of float32 first moments, keeping their signs, at every
// flushEvery-th step and leaves them at the steps between. Without the
// flush a dead unit's moment would stay subnormal for good at beta1 = 0.9:
// 0.9 times the least subnormal rounds to it.
func TestUpdateFlushesSubnormalMoments32(t *testing.T) {
	least := math.SmallestNonzeroFloat32
	if b1 := float32(0.9); b1*float32(least) != float32(least) {
		t.Fatalf("0.9 times the least subnormal is %v, not itself", b1*float32(least))
	}
	opt := deadWeightsAdamMoments(t, tensor.Float32, 6, Float32Moments)
	copy(opt.M32[0], []float32{0x1p-140, -0x1p-140, 0x1p-100, 1, 0, float32(math.Copysign(0, -1))})
	for i := range opt.V32[0] {
		opt.V32[0][i] = 1
	}
	opt.Step = flushEvery - 2
	if err := opt.Update(); err != nil {
		t.Fatal(err)
	}
	if m := opt.M32[0]; m[0] != float32(0.9)*0x1p-140 || m[1] != -m[0] || m[0] == 0 {
		t.Fatalf("after step %d: m = %v; want the subnormals times beta1, not yet flushed", opt.Step, m)
	}
	if err := opt.Update(); err != nil {
		t.Fatal(err)
	}
	b1 := float32(0.9)
	// m[5], -0 at first, became b1*(-0) + (1-b1)*0 = +0 at the first step.
	want := []float32{0, float32(math.Copysign(0, -1)), b1 * (b1 * 0x1p-100), b1 * (b1 * 1), 0, 0}
	for i, m := range opt.M32[0] {
		if math.Float32bits(m) != math.Float32bits(want[i]) {
			t.Errorf("after step %d: m[%d] = %v, want %v", opt.Step, i, m, want[i])
		}
	}
}

// TestMomentsOnePerParameter checks how NewAdamMoments cuts each moment's
// single buffer: one slice a parameter, its length the parameter's size
// and its capacity no more (an append cannot reach the next parameter's
// moments), none sharing an element with another.
func TestMomentsOnePerParameter(t *testing.T) {
	sizes := []int{3, 1 << 20, 5, 300_000}
	g := G.NewGraph()
	var params G.Nodes
	var sum *G.Node
	for i, n := range sizes {
		w := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName("w"+strings.Repeat("'", i)), G.WithInit(G.Ones()))
		params = append(params, w)
		s := G.Must(G.Sum(w))
		if sum == nil {
			sum = s
		} else {
			sum = G.Must(G.Add(sum, s))
		}
	}
	grads, err := G.Grad(sum, params...)
	if err != nil {
		t.Fatal(err)
	}
	for _, moments := range []Moments{Float64Moments, Float32Moments} {
		opt, err := NewAdamMoments(moments, params, grads, 0.01, 0.9, 0.999)
		if err != nil {
			t.Fatal(err)
		}
		if moments == Float32Moments {
			checkMomentSlices(t, moments, sizes, opt.M32, opt.V32)
		} else {
			checkMomentSlices(t, moments, sizes, opt.M, opt.V)
		}
	}
}

// checkMomentSlices checks that m[i] and v[i] have length and capacity
// sizes[i] and that no two of all those slices share an element.
func checkMomentSlices[T float32 | float64](t *testing.T, moments Moments, sizes []int, m, v [][]T) {
	t.Helper()
	var all [][]T
	for i := range sizes {
		all = append(all, m[i], v[i])
	}
	elem := unsafe.Sizeof(T(0))
	first := func(s []T) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s))) }
	for j, s := range all {
		if n := sizes[j/2]; len(s) != n || cap(s) != n {
			t.Errorf("%s: moment %d of parameter %d: len %d, cap %d, want both %d", moments, j%2, j/2, len(s), cap(s), n)
		}
		for k, o := range all[:j] {
			if first(o) < first(s)+uintptr(len(s))*elem && first(s) < first(o)+uintptr(len(o))*elem {
				t.Errorf("%s: moments %d and %d overlap", moments, j, k)
			}
		}
	}
}
