package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/internal/graph"
)

// smallEncoder is a narrow encoder for tests.
func smallEncoder(firstBN bool) EncoderSpec {
	return EncoderSpec{InChannels: 3, Size: 16, Conv1: 4, Conv2: 6, Conv3: 5, FC: 7, Out: 3, FirstBN: firstBN}
}

func randomImages(seed uint64, n int, sp EncoderSpec) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*sp.InChannels*sp.Size*sp.Size)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(n, sp.InChannels, sp.Size, sp.Size), tensor.WithBacking(data))
}

// encodeImages builds an encoder of spec sp, its weights drawn from
// NewInit(1), into a new graph and applies it to n random images drawn with
// seed.
func encodeImages(tb testing.TB, sp EncoderSpec, n int, seed uint64) (*G.ExprGraph, *Encoder, *EncoderOutput) {
	tb.Helper()
	g := G.NewGraph()
	enc, err := NewEncoder(g, NewInit(1), sp)
	if err != nil {
		tb.Fatal(err)
	}
	x := G.NewTensor(g, Dtype, 4, G.WithShape(n, sp.InChannels, sp.Size, sp.Size), G.WithValue(randomImages(seed, n, sp)), G.WithName("x"))
	out, err := enc.Forward(x)
	if err != nil {
		tb.Fatal(err)
	}
	return g, enc, out
}

// jsdTerms builds the jsd estimator's terms on scores and mask, and the
// gradients of their loss with respect to params, and returns the terms
// and the graph without the gradients nothing uses (see graph.Grad).
func jsdTerms(tb testing.TB, scores *G.Node, mask *estimators.Mask, params G.Nodes) (*estimators.Terms, *G.ExprGraph) {
	tb.Helper()
	est, err := estimators.New("jsd", nil)
	if err != nil {
		tb.Fatal(err)
	}
	terms, err := est.Build(scores, mask)
	if err != nil {
		tb.Fatal(err)
	}
	_, live, err := graph.Grad(terms.Loss, params...)
	if err != nil {
		tb.Fatal(err)
	}
	return terms, live
}

// runGraph runs g once on a new tape machine made with opts, failing tb on
// an error, and returns the machine, which is closed when the test ends.
func runGraph(tb testing.TB, g *G.ExprGraph, opts ...G.VMOpt) G.VM {
	tb.Helper()
	vm := G.NewTapeMachine(g, opts...)
	tb.Cleanup(func() { vm.Close() })
	if err := vm.RunAll(); err != nil {
		tb.Fatal(err)
	}
	return vm
}

func shapeIs(t *testing.T, name string, n *G.Node, want ...int) {
	t.Helper()
	if !n.Shape().Eq(tensor.Shape(want)) {
		t.Errorf("%s has shape %v, want %v", name, n.Shape(), want)
	}
}

func TestEncoderOutputShapes(t *testing.T) {
	for _, firstBN := range []bool{false, true} {
		g := G.NewGraph()
		sp := PaperEncoder(3)
		sp.FirstBN = firstBN
		enc, err := NewEncoder(g, NewInit(1), sp)
		if err != nil {
			t.Fatal(err)
		}
		x := G.NewTensor(g, Dtype, 4, G.WithShape(2, 3, 32, 32), G.WithName("x"))
		out, err := enc.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		local, err := out.Local()
		if err != nil {
			t.Fatal(err)
		}
		conv, err := out.Conv()
		if err != nil {
			t.Fatal(err)
		}
		shapeIs(t, "Local", local, 2, 128, 8, 8)
		shapeIs(t, "LocalRows", out.LocalRows, 2*64, 128)
		shapeIs(t, "ConvRows", out.ConvRows, 2*16, 256)
		shapeIs(t, "Conv", conv, 2, 256, 4, 4)
		shapeIs(t, "ConvFlat", out.ConvFlat, 2, 4096)
		shapeIs(t, "FC", out.FC, 2, 1024)
		shapeIs(t, "Y", out.Y, 2, 64)
		wantParams := 2 + 1 + 2 + 1 + 2 + 1 + 2 + 2 // conv1 (bias), conv2, bn2, conv3, bn3, fc, bn4, out
		if firstBN {
			wantParams = 1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 + 2
		}
		if got := len(enc.Learnables()); got != wantParams {
			t.Errorf("firstBN=%v: %d learnables, want %d", firstBN, got, wantParams)
		}
	}
}

func TestEncoderRejectsBadSpecs(t *testing.T) {
	bad := []EncoderSpec{
		{InChannels: 0, Size: 32, Conv1: 1, Conv2: 1, Conv3: 1, FC: 1, Out: 1},
		{InChannels: 1, Size: 28, Conv1: 1, Conv2: 1, Conv3: 1, FC: 1, Out: 1},
		{InChannels: 1, Size: 32, Conv1: 1, Conv2: 0, Conv3: 1, FC: 1, Out: 1},
		{InChannels: 1, Size: 32, Conv1: 1, Conv2: 1, Conv3: 1, FC: 1, Out: 0},
	}
	for _, sp := range bad {
		if _, err := NewEncoder(G.NewGraph(), NewInit(1), sp); err == nil {
			t.Errorf("spec %+v accepted", sp)
		}
	}
	g := G.NewGraph()
	enc, err := NewEncoder(g, NewInit(1), smallEncoder(true))
	if err != nil {
		t.Fatal(err)
	}
	x := G.NewTensor(g, Dtype, 4, G.WithShape(2, 1, 16, 16), G.WithName("x"))
	if _, err := enc.Forward(x); err == nil {
		t.Error("encoder accepted 1-channel images when built for 3")
	}
}

// TestConvMatchesDirectConvolution checks Conv2D's row layout and weight
// order against a direct loop over the 4x4/2 pad-1 convolution.
func TestConvMatchesDirectConvolution(t *testing.T) {
	g := G.NewGraph()
	conv, err := NewConv2D(g, NewInit(3), "c", 2, 3, 4, 2, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	sp := EncoderSpec{InChannels: 2, Size: 8}
	img := randomImages(4, 2, sp)
	x := G.NewTensor(g, Dtype, 4, G.WithShape(2, 2, 8, 8), G.WithValue(img), G.WithName("x"))
	rows, err := conv.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	back, err := RowsToNCHW(rows, 2, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	// The same images in row layout must give the same rows.
	xRows, err := NCHWToRows(x)
	if err != nil {
		t.Fatal(err)
	}
	rows2, err := conv.ForwardRows(xRows, 2, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	runGraph(t, g)
	w := conv.W.Value().Data().([]float32)
	b := conv.B.Value().Data().([]float32)
	xs := img.Float32s()
	got := rows.Value().Data().([]float32)
	gotNCHW := back.Value().Data().([]float32)
	gotRows := rows2.Value().Data().([]float32)
	for n := 0; n < 2; n++ {
		for o := 0; o < 3; o++ {
			for h := 0; h < 4; h++ {
				for v := 0; v < 4; v++ {
					s := float64(b[o])
					for c := 0; c < 2; c++ {
						for i := 0; i < 4; i++ {
							for j := 0; j < 4; j++ {
								y, xx := 2*h-1+i, 2*v-1+j
								if y < 0 || y >= 8 || xx < 0 || xx >= 8 {
									continue
								}
								s += float64(w[((i*4+j)*2+c)*3+o]) * float64(xs[((n*2+c)*8+y)*8+xx])
							}
						}
					}
					r := got[((n*4+h)*4+v)*3+o]
					q := gotNCHW[((n*3+o)*4+h)*4+v]
					r2 := gotRows[((n*4+h)*4+v)*3+o]
					if math.Abs(float64(r)-s) > 1e-4 || r != q || r != r2 {
						t.Fatalf("output (n=%d, o=%d, h=%d, w=%d): rows %v, nchw %v, from rows %v, direct %v", n, o, h, v, r, q, r2, s)
					}
				}
			}
		}
	}
}

// TestBatchNormTrainingAndEval checks that training mode normalizes with
// the batch statistics and updates the running statistics with momentum
// 0.1 and the unbiased variance, and that evaluation mode uses the running
// statistics and leaves them alone.
func TestBatchNormTrainingAndEval(t *testing.T) {
	g := G.NewGraph()
	bn, err := NewBatchNorm(g, "bn", 2)
	if err != nil {
		t.Fatal(err)
	}
	data := []float32{1, 10, 2, 20, 3, 30, 6, 60}
	x := G.NewTensor(g, Dtype, 2, G.WithShape(4, 2), G.WithValue(tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(data))), G.WithName("x"))
	y, err := bn.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	run := func() []float32 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer vm.Reset()
		return append([]float32(nil), y.Value().Data().([]float32)...)
	}
	// Column 0: mean 3, biased variance (4+1+0+9)/4 = 3.5, unbiased 14/3.
	got := run()
	for r := 0; r < 4; r++ {
		for c := 0; c < 2; c++ {
			scale := []float64{1, 10}[c]
			want := (float64(data[r*2+c])/scale - 3) / math.Sqrt(3.5+1e-5/(scale*scale))
			if math.Abs(float64(got[r*2+c])-want) > 1e-4 {
				t.Errorf("training output [%d][%d] = %v, want %v", r, c, got[r*2+c], want)
			}
		}
	}
	mean, variance := bn.RunningStats()
	if math.Abs(mean[0]-0.3) > 1e-9 || math.Abs(mean[1]-3) > 1e-9 {
		t.Errorf("running mean %v, want [0.3 3]", mean)
	}
	if math.Abs(variance[0]-(0.9+0.1*14.0/3)) > 1e-9 || math.Abs(variance[1]-(0.9+0.1*1400.0/3)) > 1e-6 {
		t.Errorf("running variance %v, want [%v %v]", variance, 0.9+0.1*14.0/3, 0.9+0.1*1400.0/3)
	}
	// A second training run sees the same batch and must give the same output
	// (gorgonia's own BatchNorm op fails this).
	again := run()
	for i := range got {
		if math.Abs(float64(again[i]-got[i])) > 1e-6 {
			t.Fatalf("second training run gave %v, first %v", again, got)
		}
	}
	bn.SetTraining(false)
	if err := bn.SetRunningStats([]float64{1, 2}, []float64{4, 9}); err != nil {
		t.Fatal(err)
	}
	got = run()
	for r := 0; r < 4; r++ {
		for c := 0; c < 2; c++ {
			m, v := []float64{1, 2}[c], []float64{4, 9}[c]
			want := (float64(data[r*2+c]) - m) / math.Sqrt(v+1e-5)
			if math.Abs(float64(got[r*2+c])-want) > 1e-4 {
				t.Errorf("eval output [%d][%d] = %v, want %v", r, c, got[r*2+c], want)
			}
		}
	}
	if m, v := bn.RunningStats(); m[0] != 1 || v[1] != 9 {
		t.Errorf("evaluation changed the running stats to %v, %v", m, v)
	}
	if err := bn.SetRunningStats([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("running stats of the wrong size accepted")
	}
}

// TestFeatureExtractorUsesRunningStats trains an encoder's batch norms for a
// few runs, then checks that the extractor's features are independent of
// the batch they are extracted with (evaluation mode) and equal those of
// the training graph switched to evaluation mode.
func TestFeatureExtractorUsesRunningStats(t *testing.T) {
	sp := smallEncoder(true)
	g := G.NewGraph()
	enc, err := NewEncoder(g, NewInit(5), sp)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	imgs := randomImages(6, n, sp)
	x := G.NewTensor(g, Dtype, 4, G.WithShape(n, 3, 16, 16), G.WithValue(imgs), G.WithName("x"))
	out, err := enc.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for i := 0; i < 3; i++ {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	if m, _ := enc.BN2.RunningStats(); m[0] == 0 {
		t.Fatal("training runs left the running mean at zero")
	}
	ext, err := NewFeatureExtractor(enc, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	all, err := ext.Extract(imgs.Float32s(), n)
	if err != nil {
		t.Fatal(err)
	}
	per := 3 * 16 * 16
	one, err := ext.Extract(imgs.Float32s()[5*per:6*per], 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < sp.Out; i++ {
		if math.Abs(float64(one.Y[i]-all.Y[5*sp.Out+i])) > 1e-5 {
			t.Fatalf("Y of image 5 alone %v differs from within the batch %v", one.Y, all.Y[5*sp.Out:])
		}
	}
	enc.SetTraining(false)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"conv": out.ConvFlat.Value().Data().([]float32), "fc": out.FC.Value().Data().([]float32), "y": out.Y.Value().Data().([]float32)}
	got := map[string][]float32{"conv": all.Conv, "fc": all.FC, "y": all.Y}
	for k := range want {
		if len(want[k]) != len(got[k]) {
			t.Fatalf("%s: %d features, want %d", k, len(got[k]), len(want[k]))
		}
		for i := range want[k] {
			if math.Abs(float64(want[k][i]-got[k][i])) > 1e-4 {
				t.Fatalf("%s[%d] = %v, want %v", k, i, got[k][i], want[k][i])
			}
		}
	}
	if _, err := ext.Extract(imgs.Float32s()[:10], 1); err == nil {
		t.Error("extractor accepted a wrong number of floats")
	}
}

// TestPaperEncoderIsBasic32x32 checks PaperEncoder against the official
// basic32x32 config (shared/reference/dim-notes.md §2.1): three 4x4
// stride-2 convolutions of 64, 128 and 256 channels, fc 1024, Y of 64,
// batch norm after every layer but the last, the first included.
func TestPaperEncoderIsBasic32x32(t *testing.T) {
	want := EncoderSpec{InChannels: 3, Size: 32, Conv1: 64, Conv2: 128, Conv3: 256, FC: 1024, Out: 64, FirstBN: true}
	if got := PaperEncoder(3); got != want {
		t.Errorf("PaperEncoder(3) = %+v, want %+v", got, want)
	}
}

// TestBatchNormEvalKeepsEps checks evaluation mode's (x - μ)/sqrt(σ² + ε)
// where ε matters: a running variance of 0 (a channel that was constant in
// training) must give (x - μ)/sqrt(1e-5), not an infinity.
func TestBatchNormEvalKeepsEps(t *testing.T) {
	g := G.NewGraph()
	bn, err := NewBatchNorm(g, "bn", 2)
	if err != nil {
		t.Fatal(err)
	}
	bn.SetTraining(false)
	if err := bn.SetRunningStats([]float64{1, -1}, []float64{0, 1e-4}); err != nil {
		t.Fatal(err)
	}
	data := []float32{1.5, 0, 0.5, -2}
	x := G.NewMatrix(g, Dtype, G.WithShape(2, 2), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(data))))
	y, err := bn.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	runGraph(t, g)
	got := y.Value().Data().([]float32)
	for i, v := range data {
		m, s2 := []float64{1, -1}[i%2], []float64{0, 1e-4}[i%2]
		want := (float64(v) - m) / math.Sqrt(s2+1e-5)
		if math.Abs(float64(got[i])-want) > 1e-4*math.Abs(want) {
			t.Errorf("eval output %d = %v, want %v", i, got[i], want)
		}
	}
}

// TestBatchNormIsShiftInvariant checks that training-mode batch norm, in
// float64, gives the same output for a column and for the column plus 1e7:
// the variance is computed about a shift, not as E[x²] - E[x]², which
// would lose most digits of a variance of about 1.8 next to a mean of 1e7. (In
// float32 the output's own rounding, about 1e7·2⁻²⁴ a unit of σ, hides the
// difference.)
func TestBatchNormIsShiftInvariant(t *testing.T) {
	for _, offset := range []float64{0, 1e7} {
		g := G.NewGraph()
		bn, err := newBatchNorm(g, "bn", 1, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		data := []float64{offset + 0.1, offset + 1.3, offset + 2.2, offset + 3.7}
		var mean, ss float64 // two passes: the reference without cancellation
		for _, v := range data {
			mean += v / 4
		}
		for _, v := range data {
			ss += (v - mean) * (v - mean)
		}
		x := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 1), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(4, 1), tensor.WithBacking(data))))
		y, err := bn.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		runGraph(t, g)
		for i, got := range y.Value().Data().([]float64) {
			if want := (data[i] - mean) / math.Sqrt(ss/4+1e-5); math.Abs(got-want) > 1e-6 {
				t.Errorf("offset %v: output %d = %v, want %v", offset, i, got, want)
			}
		}
	}
}
