package optim

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestAdamMatchesTheFormula runs two steps on f(w) = sum(w^2)/2 (gradient w)
// and compares with Adam's update computed by hand.
func TestAdamMatchesTheFormula(t *testing.T) {
	g := G.NewGraph()
	w0 := []float64{1, -2, 0.5}
	w := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking(append([]float64(nil), w0...)))))
	loss := G.Must(G.Mul(G.NewConstant(0.5), G.Must(G.Sum(G.Must(G.Square(w))))))
	grads, err := G.Grad(loss, w)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt, err := NewAdam(G.Nodes{w}, grads, 0.1, 0.9, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float64(nil), w0...)
	for step := 1; step <= 2; step++ {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Update(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	handSteps(want, 2)
	got := w.Value().Data().([]float64)
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-12 {
			t.Errorf("w[%d] = %v, want %v", j, got[j], want[j])
		}
	}
}

// handSteps takes the given number of Adam steps (lr 0.1, betas 0.9 and
// 0.999) on f(w) = sum(w^2)/2 from w by hand in float64, in place, and
// returns the first moments.
func handSteps(w []float64, steps int) (m []float64) {
	m, v := make([]float64, len(w)), make([]float64, len(w))
	for step := 1; step <= steps; step++ {
		for j := range w {
			gj := w[j]
			m[j] = 0.9*m[j] + 0.1*gj
			v[j] = 0.999*v[j] + 0.001*gj*gj
			mh := m[j] / (1 - math.Pow(0.9, float64(step)))
			vh := v[j] / (1 - math.Pow(0.999, float64(step)))
			w[j] -= 0.1 * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	return m
}

func TestNewAdamRejectsImpossibleSettings(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float64, G.WithShape(1), G.WithName("w"), G.WithInit(G.Zeroes()))
	for _, c := range []struct{ lr, b1, b2 float64 }{{0, 0.9, 0.999}, {-1, 0.9, 0.999}, {1e-3, 1, 0.999}, {1e-3, 0.9, -0.1}} {
		if _, err := NewAdam(G.Nodes{w}, G.Nodes{w}, c.lr, c.b1, c.b2); err == nil {
			t.Errorf("NewAdam(lr=%g, beta1=%g, beta2=%g) succeeded, want an error", c.lr, c.b1, c.b2)
		}
	}
}

// stepLarge takes [steps] Adam steps on parameters of the given numbers of
// float32 weights, whose loss is Σ c ⊙ w over all of them, under the
// given GOMAXPROCS and precision of moments, with update (nil: Update)
// making each step, and returns the weights end to end.
func stepLarge(tb testing.TB, procs int, moments Moments, update func(*Adam) error, sizes ...int) []float32 {
	tb.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	g := G.NewGraph()
	var params G.Nodes
	var loss *G.Node
	offset := 0
	for pi, n := range sizes {
		ws, cs := make([]float32, n), make([]float32, n)
		for i := range ws {
			ws[i] = float32(math.Sin(float64(offset + i)))
			cs[i] = float32(math.Cos(float64(3 * (offset + i))))
		}
		offset += n
		w := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName(fmt.Sprintf("w%d", pi)),
			G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(ws))))
		c := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName(fmt.Sprintf("c%d", pi)),
			G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(cs))))
		term := G.Must(G.Sum(G.Must(G.HadamardProd(w, c))))
		if loss == nil {
			loss = term
		} else {
			loss = G.Must(G.Add(loss, term))
		}
		params = append(params, w)
	}
	grads, err := G.Grad(loss, params...)
	if err != nil {
		tb.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt, err := NewAdamMoments(moments, params, grads, 0.01, 0.9, 0.999)
	if err != nil {
		tb.Fatal(err)
	}
	if update == nil {
		update = (*Adam).Update
	}
	for range steps {
		if err := vm.RunAll(); err != nil {
			tb.Fatal(err)
		}
		if err := update(opt); err != nil {
			tb.Fatal(err)
		}
		vm.Reset()
	}
	var out []float32
	for _, w := range params {
		out = append(out, w.Value().Data().([]float32)...)
	}
	return out
}

// TestAdamSplitIsExact checks that splitting the update across
// goroutines, one large parameter or several of all sizes taken end to
// end (ranges that start and end inside parameters), gives the serial
// update's bits, with moments of either precision.
func TestAdamSplitIsExact(t *testing.T) {
	for _, moments := range []Moments{Float64Moments, Float32Moments} {
		for _, sizes := range [][]int{{3*parallelMin + 5}, {5, parallelMin + 3, 7, 2 * parallelMin, 1}} {
			serial, split := stepLarge(t, 1, moments, nil, sizes...), stepLarge(t, 4, moments, nil, sizes...)
			for i := range serial {
				if math.Float32bits(serial[i]) != math.Float32bits(split[i]) {
					t.Fatalf("%s moments, sizes %v: w[%d] = %v serially but %v split", moments, sizes, i, serial[i], split[i])
				}
			}
		}
	}
}

// steps is how many steps stepLarge makes: past flushEvery, so that the
// updates also flush subnormal moments once.
var steps = flushEvery + 2

// TestAdamPartsAreUpdate checks that Begin, then UpdateParams over
// ranges of parameters that cover them all once, in any order and two at
// once, gives Update's bits, with moments of either precision; and that
// UpdateParams refuses a range out of bounds and a step not begun.
func TestAdamPartsAreUpdate(t *testing.T) {
	sizes := []int{5, parallelMin + 3, 7, 2 * parallelMin, 1}
	inParts := func(a *Adam) error {
		a.Begin()
		errs := make(chan error, 2)
		go func() { errs <- a.UpdateParams(2, 5) }()
		go func() { errs <- a.UpdateParams(0, 2) }()
		return cmp.Or(<-errs, <-errs)
	}
	checkSameAsUpdate(t, "UpdateParams", inParts, sizes...)
	a := deadWeightsAdam(t, tensor.Float32, 8)
	if err := a.UpdateParams(0, 1); err == nil || !strings.Contains(err.Error(), "before Begin") {
		t.Errorf("UpdateParams before Begin: error %v, want one naming Begin", err)
	}
	a.Begin()
	for _, r := range [][2]int{{-1, 1}, {0, 2}, {1, 0}} {
		if err := a.UpdateParams(r[0], r[1]); err == nil {
			t.Errorf("UpdateParams(%d, %d) of 1 parameter: no error", r[0], r[1])
		}
	}
}

// checkSameAsUpdate checks that update, making each of stepLarge's steps
// on two cores and parameters of the given sizes, gives Update's bits,
// with moments of either precision; name names update in a failure.
func checkSameAsUpdate(t *testing.T, name string, update func(*Adam) error, sizes ...int) {
	t.Helper()
	for _, moments := range []Moments{Float64Moments, Float32Moments} {
		whole, other := stepLarge(t, 2, moments, nil, sizes...), stepLarge(t, 2, moments, update, sizes...)
		for i := range whole {
			if math.Float32bits(whole[i]) != math.Float32bits(other[i]) {
				t.Fatalf("%s moments: w[%d] = %v by Update but %v by %s", moments, i, whole[i], other[i], name)
			}
		}
	}
}

// TestStartIsUpdate checks that Start, the caller busy a while before it
// waits (so that the helper updates part of the parameters and the wait
// the rest), gives Update's bits, on parameters that span several of
// Start's chunks and split them inside, with moments of either precision;
// and that it runs on computed gradients. (TestNewAdamChecksTheGradients
// checks its refusal of gradients not computed.)
func TestStartIsUpdate(t *testing.T) {
	sizes := []int{5, startChunk + 3, 7, 2 * startChunk, 1}
	started := func(a *Adam) error {
		wait, err := a.Start()
		if err != nil {
			return err
		}
		time.Sleep(50 * time.Microsecond)
		wait()
		return nil
	}
	checkSameAsUpdate(t, "Start", started, sizes...)
	a := deadWeightsAdam(t, tensor.Float32, 8)
	wait, err := a.Start()
	wait()
	if err != nil {
		t.Fatalf("Start on computed gradients: %v", err)
	}
}

// BenchmarkAdamUpdate times one Update of a parameter vector as large as
// the Gaussian benchmark's two critics (158,784 weights at d = 20, hidden
// 256; it stays in cache, and the divider bounds it) and of 2^22 weights
// (bound by memory). The first 400 updates are left out: from step 356
// on, c1 = 1 - 0.9^t is 1 and the kernel skips m/c1, as in all but the
// start of a run. One untimed update first touches the moments' pages:
// timed, their faults (seconds of system time on a virtual machine with
// 4 KB pages) made the 2^22 case 1.2-1.8 ns a weight at 50 to 300
// updates, against 0.5 in the steady state. Run it with -cpu 1, then
// with -cpu 2, to see what the split gains: with -cpu 1,2 Go runs the
// first settings at the list's last GOMAXPROCS (golang/go#49980; here "1"
// ran on two threads).
func BenchmarkAdamUpdate(b *testing.B) {
	for _, c := range []struct {
		n       int
		moments Moments
	}{{158784, Float64Moments}, {1 << 22, Float64Moments}, {158784, Float32Moments}, {1 << 22, Float32Moments}} {
		name := fmt.Sprintf("n=%d", c.n)
		if c.moments != Float64Moments {
			name += ",moments=" + string(c.moments)
		}
		n := c.n
		b.Run(name, func(b *testing.B) {
			g := G.NewGraph()
			w := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName("w"), G.WithInit(G.Ones()))
			grads, err := G.Grad(G.Must(G.Sum(w)), w)
			if err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				b.Fatal(err)
			}
			opt, err := NewAdamMoments(c.moments, G.Nodes{w}, grads, 0.01, 0.9, 0.999)
			if err != nil {
				b.Fatal(err)
			}
			opt.Step = 400
			if err := opt.Update(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := opt.Update(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/weight")
		})
	}
}

// TestNewAdamChecksTheGradients checks that NewAdam refuses gradients that
// do not pair with the parameters, and that Update and Start refuse to
// run before the graph has computed them (Start with a wait that can be
// called).
func TestNewAdamChecksTheGradients(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("w"), G.WithInit(G.Zeroes()))
	v := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("v"), G.WithInit(G.Zeroes()))
	if _, err := NewAdam(G.Nodes{w, v}, G.Nodes{w}, 0.1, 0.9, 0.999); err == nil {
		t.Error("NewAdam took one gradient for two parameters")
	}
	if _, err := NewAdam(G.Nodes{w}, G.Nodes{v}, 0.1, 0.9, 0.999); err == nil {
		t.Error("NewAdam took a gradient of shape (2) for a parameter of shape (3)")
	}
	grads, err := G.Grad(G.Must(G.Sum(G.Must(G.Square(w)))), w)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := NewAdam(G.Nodes{w}, grads, 0.1, 0.9, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.Update(); err == nil || !strings.Contains(err.Error(), "run the graph") {
		t.Errorf("Update before any run: error %v, want one saying to run the graph first", err)
	}
	wait, err := opt.Start()
	wait()
	if err == nil || !strings.Contains(err.Error(), "run the graph") {
		t.Errorf("Start before any run: error %v, want one saying to run the graph first", err)
	}
}

// TestUpdateRefusesAStridedGradient checks that Update refuses a gradient
// whose value is a transposed view, whose backing array is not in the
// parameter's order.
func TestUpdateRefusesAStridedGradient(t *testing.T) {
	g := G.NewGraph()
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("w"), G.WithInit(G.Zeroes()))
	view := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))
	if err := view.T(); err != nil {
		t.Fatal(err)
	}
	grad := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("dw"), G.WithValue(view))
	opt, err := NewAdam(G.Nodes{w}, G.Nodes{grad}, 0.1, 0.9, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.Update(); err == nil || !strings.Contains(err.Error(), "strided view") {
		t.Errorf("Update with a transposed view as gradient: error %v, want one naming the strided view", err)
	}
}

// TestUpdateFlushesSubnormalMoments checks that Update flushes the first
// moments' subnormals of float32 weights at every flushEvery-th step and
// leaves them at the steps between, and leaves those of float64 weights.
func TestUpdateFlushesSubnormalMoments(t *testing.T) {
	opt := deadWeightsAdam(t, tensor.Float32, 6)
	copy(opt.M[0], []float64{0x1p-1030, -0x1p-1030, 0x1p-1000, 1, 0, math.Copysign(0, -1)})
	for i := range opt.V[0] {
		opt.V[0][i] = 1
	}
	opt.Step = flushEvery - 2
	if err := opt.Update(); err != nil {
		t.Fatal(err)
	}
	b1, tiny := opt.Beta1, 0x1p-1030
	if m := opt.M[0]; m[0] != b1*tiny || m[1] != -b1*tiny || m[0] == 0 {
		t.Fatalf("after step %d: m = %v; want the subnormals times beta1, not yet flushed", opt.Step, m)
	}
	if err := opt.Update(); err != nil {
		t.Fatal(err)
	}
	want := []float64{0, math.Copysign(0, -1), 0.81 * 0x1p-1000, 0.81, 0, math.Copysign(0, -1)}
	for i, m := range opt.M[0] {
		if math.Float64bits(m) != math.Float64bits(want[i]) && math.Abs(m-want[i]) > 1e-15*math.Abs(want[i]) {
			t.Errorf("after step %d: m[%d] = %v, want %v", opt.Step, i, m, want[i])
		}
	}

	// A float64 weight's update from a subnormal m need not round to zero:
	// its moments are left alone.
	opt64 := deadWeightsAdam(t, tensor.Float64, 1)
	opt64.M[0][0], opt64.V[0][0], opt64.Step = tiny, 1, flushEvery-1
	if err := opt64.Update(); err != nil {
		t.Fatal(err)
	}
	if m := opt64.M[0][0]; m != b1*tiny || m == 0 {
		t.Errorf("after step %d: a float64 weight's first moment %v, want %v, not flushed", opt64.Step, m, b1*tiny)
	}
}

// deadWeightsAdam returns an Adam over n weights of type dt, all ones,
// whose gradients a run of the graph has computed and which are then set
// to zero, as a dead unit's are.
func deadWeightsAdam(t *testing.T, dt tensor.Dtype, n int) *Adam {
	t.Helper()
	return deadWeightsAdamMoments(t, dt, n, Float64Moments)
}

// deadWeightsAdamMoments is deadWeightsAdam with moments of the given
// precision.
func deadWeightsAdamMoments(t *testing.T, dt tensor.Dtype, n int, moments Moments) *Adam {
	t.Helper()
	g := G.NewGraph()
	w := G.NewVector(g, dt, G.WithShape(n), G.WithName("w"), G.WithInit(G.Ones()))
	grads, err := G.Grad(G.Must(G.Sum(w)), w)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	t.Cleanup(func() { vm.Close() })
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	switch d := grads[0].Value().Data().(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	}
	opt, err := NewAdamMoments(moments, G.Nodes{w}, grads, 0.01, 0.9, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}
