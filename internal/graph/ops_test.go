package graph

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/chewxy/math32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCol2ImIsTheAdjointOfIm2Col checks ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩,
// which makes col2im im2col's gradient, for both input layouts, with
// padding and a stride that skips pixels.
func TestCol2ImIsTheAdjointOfIm2Col(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	normals := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for _, nchw := range []bool{true, false} {
		g := ImageGeom{N: 2, H: 7, W: 5, C: 3, NCHW: nchw, K: 3, Stride: 3, Pad: 1, OH: 3, OW: 2}
		x, c := normals(g.inShape().TotalSize()), normals(g.outShape().TotalSize())
		cols, img := make([]float64, len(c)), make([]float64, len(x))
		patches(g, false, x, cols, make([]float64, len(x)))
		patches(g, true, c, img, nil)
		var lhs, rhs float64
		for i := range c {
			lhs += cols[i] * c[i]
		}
		for i := range x {
			rhs += x[i] * img[i]
		}
		if math.Abs(lhs-rhs) > 1e-12*(1+math.Abs(lhs)) {
			t.Errorf("nchw=%v: <im2col x, c> = %v but <x, col2im c> = %v", nchw, lhs, rhs)
		}
	}
}

// TestPatchesMatchTheDefinition checks im2col against its definition,
// element by element, and col2im against the sums of the definition in
// the order of the rows, bit for bit, for both layouts, with windows
// partly and wholly in the padding.
func TestPatchesMatchTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []ImageGeom{
		{N: 3, H: 8, W: 8, C: 3, K: 4, Stride: 2, Pad: 1, OH: 4, OW: 4},
		{N: 2, H: 7, W: 5, C: 2, K: 3, Stride: 3, Pad: 1, OH: 3, OW: 2},
		{N: 2, H: 3, W: 4, C: 5, K: 2, Stride: 1, Pad: 3, OH: 8, OW: 9},
		{N: 1, H: 4, W: 4, C: 1, K: 1, Stride: 1, Pad: 0, OH: 4, OW: 4},
	} {
		for _, nchw := range []bool{true, false} {
			g.NCHW = nchw
			x, c := make([]float32, g.inShape().TotalSize()), make([]float32, g.outShape().TotalSize())
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range c {
				c[i] = float32(rng.NormFloat64())
			}
			wantCols, wantImg := patchesByDefinition(g, x, c)
			cols, img := make([]float32, len(c)), make([]float32, len(x))
			for i := range cols {
				cols[i] = float32(math.NaN()) // padding must be written
			}
			patches(g, false, x, cols, make([]float32, len(x)))
			patches(g, true, c, img, nil)
			for i := range cols {
				if math.Float32bits(cols[i]) != math.Float32bits(wantCols[i]) {
					t.Fatalf("%+v: im2col[%d] = %v, want %v", g, i, cols[i], wantCols[i])
				}
			}
			for i := range img {
				if math.Float32bits(img[i]) != math.Float32bits(wantImg[i]) {
					t.Fatalf("%+v: col2im[%d] = %v, want %v", g, i, img[i], wantImg[i])
				}
			}
		}
	}
}

// patchesByDefinition returns im2col of x and col2im of c as Im2Col's
// documentation defines them, one element at a time.
func patchesByDefinition(g ImageGeom, x, c []float32) (cols, img []float32) {
	cols, img = make([]float32, len(c)), make([]float32, len(x))
	at := func(n, y, xx, ch int) int {
		if g.NCHW {
			return ((n*g.C+ch)*g.H+y)*g.W + xx
		}
		return ((n*g.H+y)*g.W+xx)*g.C + ch
	}
	width := g.K * g.K * g.C
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				row := ((n*g.OH+oy)*g.OW + ox) * width
				for i := 0; i < g.K; i++ {
					for j := 0; j < g.K; j++ {
						y, xx := oy*g.Stride-g.Pad+i, ox*g.Stride-g.Pad+j
						if y < 0 || y >= g.H || xx < 0 || xx >= g.W {
							continue
						}
						for ch := 0; ch < g.C; ch++ {
							k := row + (i*g.K+j)*g.C + ch
							cols[k] = x[at(n, y, xx, ch)]
							img[at(n, y, xx, ch)] += c[k]
						}
					}
				}
			}
		}
	}
	return cols, img
}

// TestReLUAndItsGradient checks ReLU's output and that the gradient of
// Σ w·relu(x) is w where x > 0 and 0 elsewhere.
func TestReLUAndItsGradient(t *testing.T) {
	xs := []float64{-2, -0.5, 0, 0.5, 3, -1}
	ws := []float64{1, 2, 3, 4, 5, 6}
	out, grad := activationAndGradient(t, tensor.Float64, ReLU, xs, ws)
	for i, v := range xs {
		wantY, wantGrad := max(v, 0), 0.0
		if v > 0 {
			wantGrad = ws[i]
		}
		if out[i] != wantY || grad[i] != wantGrad {
			t.Errorf("x = %v: relu %v, gradient %v; want %v and %v", v, out[i], grad[i], wantY, wantGrad)
		}
	}
}

// TestActivationsMatchGorgoniaBitForBit checks that Rectify, Softplus and Exp,
// and their gradients, give the bits of gorgonia's Rectify, Softplus and Exp, in
// float32 and float64, on values that tell Rectify from max(x, 0) (zeros
// of both signs, negatives, NaN) and that cross every threshold of
// gorgonia's softplus and sigmoid, with upstream gradients of both signs.
func TestActivationsMatchGorgoniaBitForBit(t *testing.T) {
	xs := []float64{-2, math.Copysign(0, -1), 0, 0.5, 3, -1, math.NaN(), 1e-30, -7,
		-800, -709.5, -708.5, -200, -103.5, -102.5, -88.5, -87.5, -30, 14.5, 15.5, 16.5, 18, 19.5, 40, 800}
	ws := make([]float64, len(xs))
	for i := range ws {
		ws[i] = float64(i%5) - 2.25
	}
	ws[8] = math.Copysign(0, -1)
	for _, c := range []struct {
		name        string
		ours, their func(*G.Node) (*G.Node, error)
	}{{"Rectify", Rectify, G.Rectify}, {"Softplus", Softplus, G.Softplus}, {"Exp", Exp, G.Exp}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			wantY, wantDx := activationAndGradient(t, dt, c.their, xs, ws)
			gotY, gotDx := activationAndGradient(t, dt, c.ours, xs, ws)
			if c.name == "Exp" {
				// gorgonia's gradient, y ⊙ dy, ran in place over y: its
				// value is gone by the end of the run.
				for i, x := range xs {
					wantY[i] = math.Exp(x)
					if dt == tensor.Float32 {
						wantY[i] = float64(math32.Exp(float32(x)))
					}
				}
			}
			for i := range xs {
				if math.Float64bits(gotY[i]) != math.Float64bits(wantY[i]) || math.Float64bits(gotDx[i]) != math.Float64bits(wantDx[i]) {
					t.Errorf("%s %v x = %v: %v, gradient %v; gorgonia's %v and %v", c.name, dt, xs[i], gotY[i], gotDx[i], wantY[i], wantDx[i])
				}
			}
		}
	}
}

// activationAndGradient runs f on xs and returns its values and the
// gradient of Σ w ⊙ f(x) in x, as float64s.
func activationAndGradient(t *testing.T, dt tensor.Dtype, f func(*G.Node) (*G.Node, error), xs, ws []float64) (y, dx []float64) {
	t.Helper()
	g := G.NewGraph()
	n := len(xs)
	x := G.NewMatrix(g, dt, G.WithShape(1, n), G.WithName("x"), G.WithValue(denseOf(dt, xs, 1, n)))
	w := G.NewMatrix(g, dt, G.WithShape(1, n), G.WithName("w"), G.WithValue(denseOf(dt, ws, 1, n)))
	out, err := f(x)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, w))))
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
	return asFloat64s(out.Value()), asFloat64s(grad)
}

// denseOf returns a tensor of the given shape and dtype (float32 or
// float64) holding the values v, converted.
func denseOf(dt tensor.Dtype, v []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i := range v {
			f[i] = float32(v[i])
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

// asFloat64s returns a float32 or float64 value's elements as float64s;
// the conversion keeps every float32's bits distinct.
func asFloat64s(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, f := range d {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return d
	}
	return nil
}

// TestNormChecksItsInput checks that Norm refuses an input whose channels
// are not the state's.
func TestNormChecksItsInput(t *testing.T) {
	g := G.NewGraph()
	st := &NormState{Name: "ln", Kind: NormLayer, Channels: 4, Eps: 1e-5}
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	v := G.NewVector(g, tensor.Float32, G.WithShape(4), G.WithName("v"))
	if _, err := Norm(st, x, v, v); err == nil {
		t.Error("Norm accepted 3 channels for a state of 4")
	}
}

// TestReLUSplitIsExact checks that ReLU and its gradient split across
// goroutines give, element for element, max(x, 0) and the masked dy.
func TestReLUSplitIsExact(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1<<16 + 3
	x, d := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], d[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	dy := tensor.New(tensor.WithShape(n), tensor.WithBacking(d))
	out, grad := make([]float32, n), make([]float32, n)
	activationSplit(x, nil, out, relu)
	activationSplit(x, dy, grad, relu)
	for i, v := range x {
		wantGrad := float32(0)
		if v > 0 {
			wantGrad = d[i]
		}
		if out[i] != max(v, 0) || math.Float32bits(grad[i]) != math.Float32bits(wantGrad) {
			t.Fatalf("x[%d] = %v: relu %v, gradient %v", i, v, out[i], grad[i])
		}
	}
}

// BenchmarkReLU times the forward pass on 2^22 float32 values (the size
// of a batch of 64 first-layer maps of 64 channels at 32x32); run it with
// -cpu 1, then with -cpu 2, to see what the split gains (not -cpu 1,2:
// see BenchmarkAdamUpdate in experiments/train/optim).
func BenchmarkReLU(b *testing.B) {
	n := 1 << 22
	x, out := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for b.Loop() {
		activationSplit(x, nil, out, relu)
	}
}

// BenchmarkPatches times im2col and col2im on the paper encoder's first
// two convolutions at batch 64: 32x32x3 NCHW images and 16x16x64 maps
// in rows layout, 4x4 windows, stride 2, padding 1.
func BenchmarkPatches(b *testing.B) {
	for _, c := range []struct {
		name string
		g    ImageGeom
	}{
		{"conv1", ImageGeom{N: 64, H: 32, W: 32, C: 3, NCHW: true, K: 4, Stride: 2, Pad: 1, OH: 16, OW: 16}},
		{"conv2", ImageGeom{N: 64, H: 16, W: 16, C: 64, K: 4, Stride: 2, Pad: 1, OH: 8, OW: 8}},
	} {
		x, cols := make([]float32, c.g.inShape().TotalSize()), make([]float32, c.g.outShape().TotalSize())
		scratch := make([]float32, len(x))
		b.Run(c.name+"/im2col", func(b *testing.B) {
			for b.Loop() {
				patches(c.g, false, x, cols, scratch)
			}
		})
		b.Run(c.name+"/col2im", func(b *testing.B) {
			for b.Loop() {
				patches(c.g, true, cols, x, nil)
			}
		})
	}
}

// TestStepIsGorgoniasGt checks that Step gives gorgonia's Gt(x, 0, true)
// bit for bit, in float32 and float64, on zeros of both signs, NaNs,
// infinities, subnormals and ordinary values, over enough elements to be
// split across cores; and that a loss through it has no gradient in x
// from it, as through gorgonia's comparison.
func TestStepIsGorgoniasGt(t *testing.T) {
	base := []float64{-2, math.Copysign(0, -1), 0, 0.5, math.NaN(), math.Inf(1), math.Inf(-1), 1e-40, -1e-40, 5e-324, -5e-324}
	xs := make([]float64, 1<<16)
	for i := range xs {
		xs[i] = base[i%len(base)] * float64(1+i%3)
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		run := func(f func(x *G.Node) (*G.Node, error)) []float64 {
			g := G.NewGraph()
			x := G.NewMatrix(g, dt, G.WithShape(1, len(xs)), G.WithName("x"), G.WithValue(denseOf(dt, xs, 1, len(xs))))
			out, err := f(x)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer CloseMachine(vm)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			return asFloat64s(out.Value())
		}
		zero := func() *G.Node {
			if dt == tensor.Float32 {
				return G.NewConstant(float32(0))
			}
			return G.NewConstant(float64(0))
		}
		want := run(func(x *G.Node) (*G.Node, error) { return G.Gt(x, zero(), true) })
		got := run(Step)
		for i := range xs {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%v x = %v: Step %v, gorgonia's Gt %v", dt, xs[i], got[i], want[i])
			}
		}
	}
	// The loss Σ x ⊙ Step(x) has the gradient Step(x): none flows through Step.
	xs = []float64{-1, 2, 0, 3}
	_, dx := activationAndGradient(t, tensor.Float32, func(x *G.Node) (*G.Node, error) {
		s, err := Step(x)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(x, s)
	}, xs, []float64{1, 1, 1, 1})
	if want := []float64{0, 1, 0, 1}; !slices.Equal(dx, want) {
		t.Errorf("gradient of Σ x ⊙ Step(x): %v, want %v", dx, want)
	}
}
