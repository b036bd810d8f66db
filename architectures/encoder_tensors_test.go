package architectures

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/safetensors"
)

// smallSpec is an encoder small enough for a naive forward pass, its conv
// map 2x2 (not 1x1) so that fc.weight's column order is tested.
func smallSpec(firstBN bool) EncoderSpec {
	return EncoderSpec{InChannels: 2, Size: 16, Conv1: 3, Conv2: 4, Conv3: 5, FC: 6, Out: 3, FirstBN: firstBN}
}

// trainedLike returns an encoder built from seed whose batch norms have
// running statistics and scales and shifts away from their initial values,
// as a trained encoder's are.
func trainedLike(t *testing.T, spec EncoderSpec, seed uint64) *Encoder {
	t.Helper()
	e, err := NewEncoder(G.NewGraph(), NewInit(seed), spec)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, b := range e.BatchNorms() {
		n := b.st.Channels
		mean, variance := make([]float64, n), make([]float64, n)
		for i := range n {
			mean[i], variance[i] = rng.NormFloat64()*0.3, 0.5+rng.Float64()
		}
		if err := b.SetRunningStats(mean, variance); err != nil {
			t.Fatal(err)
		}
		for _, p := range b.Learnables() {
			for i := range p.Value().(*tensor.Dense).Float32s() {
				p.Value().(*tensor.Dense).Float32s()[i] += float32(rng.NormFloat64() * 0.2)
			}
		}
	}
	return e
}

// features extracts the features of images under e.
func features(t *testing.T, e *Encoder, images []float32, n int) *Features {
	t.Helper()
	fx, err := NewFeatureExtractor(e, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	f, err := fx.Extract(images, n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestEncoderTensorsRoundTrip saves an encoder's tensors to safetensors
// bytes and loads them into an encoder built from another seed: every
// parameter and running statistic, and so every feature, is the same bit
// for bit.
func TestEncoderTensorsRoundTrip(t *testing.T) {
	for _, firstBN := range []bool{true, false} {
		spec := smallSpec(firstBN)
		src := trainedLike(t, spec, 1)
		ts, err := src.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		names, shapes := spec.TensorShapes()
		if len(names) != len(ts) {
			t.Errorf("first_bn %v: %d tensors, TensorShapes names %d", firstBN, len(ts), len(names))
		}
		for i, name := range names {
			if !slices.Equal(ts[name].Shape, shapes[i]) {
				t.Errorf("first_bn %v: %s has shape %v, TensorShapes says %v", firstBN, name, ts[name].Shape, shapes[i])
			}
		}
		b, err := safetensors.Encode(&safetensors.File{Tensors: ts})
		if err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.Decode("enc", b)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := NewEncoder(G.NewGraph(), NewInit(2), spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.SetTensors(f.Tensors); err != nil {
			t.Fatal(err)
		}
		for i, p := range src.Learnables() {
			if !slices.Equal(p.Value().Data().([]float32), dst.Learnables()[i].Value().Data().([]float32)) {
				t.Errorf("first_bn %v: %s differs after the round trip", firstBN, p.Name())
			}
		}
		for i, bn := range src.BatchNorms() {
			m1, v1 := bn.RunningStats()
			m2, v2 := dst.BatchNorms()[i].RunningStats()
			if !slices.Equal(m1, m2) || !slices.Equal(v1, v2) {
				t.Errorf("first_bn %v: batch norm %d's running statistics differ", firstBN, i)
			}
		}
		x := randomImages(3, 5, spec).Float32s()
		a, c := features(t, src, x, 5), features(t, dst, x, 5)
		if !slices.Equal(a.Conv, c.Conv) || !slices.Equal(a.FC, c.FC) || !slices.Equal(a.Y, c.Y) {
			t.Errorf("first_bn %v: the loaded encoder's features differ", firstBN)
		}
	}
}

// TestEncoderTensorsArePyTorchLayouts runs the saved tensors through a
// naive forward pass written as PyTorch computes one (conv weights (out,
// in, kh, kw), NCHW maps flattened channel first, linear weights (out,
// in), eval-mode batch norm with ε = 1e-5) and checks that it gives the
// encoder's features.
func TestEncoderTensorsArePyTorchLayouts(t *testing.T) {
	for _, firstBN := range []bool{true, false} {
		spec := smallSpec(firstBN)
		e := trainedLike(t, spec, 5)
		ts, err := e.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		x := randomImages(3, 4, spec).Float32s()
		got := features(t, e, x, 4)
		per := spec.InChannels * spec.Size * spec.Size
		s := spec.ConvSize()
		for n := range 4 {
			conv, fc, y := torchForward(ts, firstBN, x[n*per:(n+1)*per], spec)
			for c := range spec.Conv3 {
				for hw := range s * s {
					// The encoder's conv features are (h, w, c), PyTorch's (c, h, w).
					near(t, "conv", got.Conv[n*got.ConvDim+hw*spec.Conv3+c], conv[c*s*s+hw])
				}
			}
			for i := range fc {
				near(t, "fc", got.FC[n*spec.FC+i], fc[i])
			}
			for i := range y {
				near(t, "y", got.Y[n*spec.Out+i], y[i])
			}
		}
	}
}

func near(t *testing.T, what string, got float32, want float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > 1e-4*(1+math.Abs(want)) {
		t.Fatalf("%s: encoder gives %v, the PyTorch-layout forward pass %v", what, got, want)
	}
}

// torchForward encodes one image (C, H, W) with the named tensors as
// PyTorch would, returning the conv map (flattened channel first), the fc
// features and the code.
func torchForward(ts map[string]safetensors.Tensor, firstBN bool, img []float32, spec EncoderSpec) (conv, fc, y []float64) {
	x := make([]float64, len(img))
	for i, v := range img {
		x[i] = float64(v)
	}
	c, size := spec.InChannels, spec.Size
	for k, name := range []string{"1", "2", "3"} {
		var bias []float32
		if b, ok := ts["conv"+name+".bias"]; ok {
			bias = b.F32
		}
		w := ts["conv"+name+".weight"]
		x, c, size = conv2d(x, c, size, w.F32, w.Shape[0], bias), w.Shape[0], size/2
		if k > 0 || firstBN {
			x = batchNorm(ts, "bn"+name, x, size*size)
		}
		reluInPlace(x)
	}
	conv = slices.Clone(x)
	fc = batchNorm(ts, "bn4", linear(x, ts["fc.weight"], nil), 1)
	reluInPlace(fc)
	return conv, fc, linear(fc, ts["out.weight"], ts["out.bias"].F32)
}

// conv2d is nn.Conv2d(cin, cout, 4, stride 2, padding 1) on a (cin, size,
// size) map.
func conv2d(x []float64, cin, size int, w []float32, cout int, bias []float32) []float64 {
	o := size / 2
	out := make([]float64, cout*o*o)
	for oc := range cout {
		for i := range o {
			for j := range o {
				var sum float64
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ic := range cin {
					for ki := range 4 {
						for kj := range 4 {
							h, v := 2*i-1+ki, 2*j-1+kj
							if h >= 0 && h < size && v >= 0 && v < size {
								sum += float64(w[((oc*cin+ic)*4+ki)*4+kj]) * x[(ic*size+h)*size+v]
							}
						}
					}
				}
				out[(oc*o+i)*o+j] = sum
			}
		}
	}
	return out
}

// batchNorm is eval-mode batch norm of a (channels, hw) map.
func batchNorm(ts map[string]safetensors.Tensor, name string, x []float64, hw int) []float64 {
	g, b := ts[name+".weight"].F32, ts[name+".bias"].F32
	mean, variance := ts[name+".running_mean"].F64, ts[name+".running_var"].F64
	for c := range g {
		for i := range hw {
			v := &x[c*hw+i]
			*v = float64(g[c])*(*v-mean[c])/math.Sqrt(variance[c]+1e-5) + float64(b[c])
		}
	}
	return x
}

func reluInPlace(x []float64) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}

// linear is nn.Linear with weight (out, in).
func linear(x []float64, w safetensors.Tensor, bias []float32) []float64 {
	out := make([]float64, w.Shape[0])
	for o := range out {
		if bias != nil {
			out[o] = float64(bias[o])
		}
		for i, v := range x {
			out[o] += float64(w.F32[o*w.Shape[1]+i]) * v
		}
	}
	return out
}

// TestSetTensorsRefuses checks that a missing tensor or one of another
// shape is a *TensorError naming it and both shapes, and that the encoder
// is left as it was.
func TestSetTensorsRefuses(t *testing.T) {
	spec := smallSpec(true)
	src := trainedLike(t, spec, 1)
	ts, err := src.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	dst := trainedLike(t, spec, 2)
	before := slices.Clone(dst.Conv1.W.Value().Data().([]float32))

	missing := maps.Clone(ts)
	delete(missing, "bn3.running_var")
	var te *TensorError
	if err := dst.SetTensors(missing); !errors.As(err, &te) || te.Name != "bn3.running_var" || te.Got != nil || !strings.Contains(err.Error(), "[5]") {
		t.Errorf("missing tensor: error %v, want a *TensorError naming bn3.running_var and its shape", err)
	}
	wider := maps.Clone(ts)
	wider["conv2.weight"] = safetensors.Tensor{DType: safetensors.F32, Shape: []int{8, 3, 4, 4}, F32: make([]float32, 8*3*16)}
	if err := dst.SetTensors(wider); err == nil || !strings.Contains(err.Error(), `"conv2.weight" has shape [8 3 4 4], but the encoder needs [4 3 4 4]`) {
		t.Errorf("wrong shape: error %v, want one naming the tensor and both shapes", err)
	}
	if !slices.Equal(before, dst.Conv1.W.Value().Data().([]float32)) {
		t.Error("a refused load changed the encoder")
	}
}

// TestSetTensorsConvertsDTypes checks that SetTensors loads float64
// parameters and float32 running statistics (a file saved from a model in
// double precision, or with statistics cast down) as their values
// converted, not as zeros.
func TestSetTensorsConvertsDTypes(t *testing.T) {
	spec := smallSpec(true)
	src := trainedLike(t, spec, 1)
	ts, err := src.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	swapped := map[string]safetensors.Tensor{}
	for name, tn := range ts {
		switch tn.DType {
		case safetensors.F32:
			f64 := make([]float64, len(tn.F32))
			for i, v := range tn.F32 {
				f64[i] = float64(v)
			}
			swapped[name] = safetensors.Tensor{DType: safetensors.F64, Shape: tn.Shape, F64: f64}
		case safetensors.F64:
			f32 := make([]float32, len(tn.F64))
			for i, v := range tn.F64 {
				f32[i] = float32(v)
			}
			swapped[name] = safetensors.Tensor{DType: safetensors.F32, Shape: tn.Shape, F32: f32}
		}
	}
	dst, err := NewEncoder(G.NewGraph(), NewInit(2), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.SetTensors(swapped); err != nil {
		t.Fatal(err)
	}
	for i, p := range src.Learnables() {
		if !slices.Equal(p.Value().Data().([]float32), dst.Learnables()[i].Value().Data().([]float32)) {
			t.Errorf("%s differs after loading it as float64", p.Name())
		}
	}
	for i, bn := range src.BatchNorms() {
		m1, v1 := bn.RunningStats()
		m2, v2 := dst.BatchNorms()[i].RunningStats()
		for j := range m1 {
			if float32(m1[j]) != float32(m2[j]) || float32(v1[j]) != float32(v2[j]) {
				t.Fatalf("batch norm %d's running statistics differ after loading them as float32", i)
			}
		}
	}
}
