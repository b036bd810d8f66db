package architectures

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// convRef applies conv, with its bias and a ReLU, by hand to one image
// of c channels of side×side, given in NCHW order when nchw and in HWC
// order otherwise; it returns the map in HWC order and its side.
func convRef(conv *Conv2D, img []float64, c, side int, nchw bool) ([]float64, int) {
	w, b := values64(conv.W), values64(conv.B)
	k, out := conv.Kernel, conv.Out
	os := conv.OutSize(side)
	at := func(h, x, ch int) float64 {
		if h < 0 || h >= side || x < 0 || x >= side {
			return 0
		}
		if nchw {
			return img[(ch*side+h)*side+x]
		}
		return img[(h*side+x)*c+ch]
	}
	res := make([]float64, os*os*out)
	for oh := range os {
		for ow := range os {
			for o := range out {
				s := b[o]
				for i := range k {
					for j := range k {
						for ch := range c {
							s += w[((i*k+j)*c+ch)*out+o] * at(oh*conv.Stride-conv.Pad+i, ow*conv.Stride-conv.Pad+j, ch)
						}
					}
				}
				res[(oh*os+ow)*out+o] = math.Max(s, 0)
			}
		}
	}
	return res, os
}

// convEmbeddingRef embeds one image by hand from e's current weights.
func convEmbeddingRef(e *ConvEmbedding, img []float64) []float64 {
	c, side := e.C, e.Side
	for i, conv := range e.Convs {
		img, side = convRef(conv, img, c, side, i == 0)
		c = conv.Out
	}
	return mlpRef(e.Head, img)
}

// sepConvSpec is a small separable-conv critic: x of 2 channels, y of 1,
// images of 6x6, two convolutions (6 -> 3 -> 2).
func sepConvSpec() CriticSpec {
	return CriticSpec{DimX: 2 * 36, DimY: 36, Hidden: 4, Layers: 1, Embed: 3, ImageSide: 6, Channels: []int{3, 2}, Seed: 7}
}

// sepConvRefScores returns the hand-evaluated scores h(y_i)·g(x_j) of c
// on the rows of xs and ys, in row-major order.
func sepConvRefScores(c *SeparableCritic, spec CriticSpec, n int, xs, ys []float32) []float64 {
	out := make([]float64, n*n)
	for i := range n {
		h := convEmbeddingRef(c.H.(*ConvEmbedding), row(ys, i, spec.DimY))
		for j := range n {
			g := convEmbeddingRef(c.G.(*ConvEmbedding), row(xs, j, spec.DimX))
			for k := range h {
				out[i*n+j] += h[k] * g[k]
			}
		}
	}
	return out
}

// TestSeparableConvScoresMatchHandEvaluation checks that entry [i][j] is
// h(y_i)·g(x_j), with g and h convolutions, ReLUs and an MLP computed by
// hand from the critic's weights, x and y of different channel counts
// (to catch a swapped side), and, with no convolution listed, the
// default channels, 64 and 128.
func TestSeparableConvScoresMatchHandEvaluation(t *testing.T) {
	n, spec := 3, sepConvSpec()
	xs, ys := pairBatch(2, n, spec.DimX, spec.DimY)
	c, got := runScores(t, "separable-conv", spec, n, xs, ys)
	sc := c.(*SeparableCritic)
	want := sepConvRefScores(sc, spec, n, xs, ys)
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-5*(1+math.Abs(want[k])) {
			t.Errorf("scores[%d][%d] = %v, want %v", k/n, k%n, got[k], want[k])
		}
	}
	spec.Channels, spec.ImageSide, spec.DimX, spec.DimY = nil, 8, 64, 64
	c, _ = runScores(t, "separable-conv", spec, 2, make([]float32, 2*64), make([]float32, 2*64))
	for _, e := range []SideNetwork{c.(*SeparableCritic).G, c.(*SeparableCritic).H} {
		convs := e.(*ConvEmbedding).Convs
		if len(convs) != 2 || convs[0].In != 1 || convs[0].Out != 64 || convs[1].Out != 128 {
			t.Fatalf("default channels: %d convolutions, want 1 -> 64 -> 128", len(convs))
		}
	}
}

// TestSeparableConvGradientMatchesFiniteDifferences checks the backward
// pass through both sides' convolutions and heads: the gradient of
// sum(R ⊙ scores) against central differences of the hand evaluation.
func TestSeparableConvGradientMatchesFiniteDifferences(t *testing.T) {
	n, spec := 3, sepConvSpec()
	xs, ys := pairBatch(5, n, spec.DimX, spec.DimY)
	weights := make([]float32, n*n)
	r := rand.New(rand.NewPCG(13, 0))
	for i := range weights {
		weights[i] = float32(r.NormFloat64())
	}
	g := G.NewGraph()
	c, err := NewSeparableConvCritic(g, NewInit(spec.Seed), spec)
	if err != nil {
		t.Fatal(err)
	}
	s := scorePairs(t, g, c, spec, n, xs, ys)
	obj := G.Must(G.Sum(G.Must(G.HadamardProd(s, matrixNode(g, "r", n, n, weights)))))
	if _, err := G.Grad(obj, c.Learnables()...); err != nil {
		t.Fatal(err)
	}
	runGraph(t, g, G.BindDualValues(c.Learnables()...))
	objective := func() float64 {
		total := 0.0
		for k, v := range sepConvRefScores(c, spec, n, xs, ys) {
			total += float64(weights[k]) * v
		}
		return total
	}
	checked, kinks := 0, 0
	for _, p := range c.Learnables() {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad, w := gv.Data().([]float32), p.Value().Data().([]float32)
		for k := 0; k < len(w); k += 1 + len(w)/6 { // about six entries of each
			fd, half := centralDifference(w, k, 2e-3, objective), centralDifference(w, k, 1e-3, objective)
			if math.Abs(fd-half) > 1e-3*(1+math.Abs(fd)) {
				kinks++ // a ReLU's kink within the step: no derivative to check
				continue
			}
			if math.Abs(float64(grad[k])-fd) > 2e-3*(1+math.Abs(fd)) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name(), k, grad[k], fd)
			}
			if fd != 0 { // a weight of a dead unit checks nothing
				checked++
			}
		}
	}
	if checked < 40 || kinks > checked/10 {
		t.Fatalf("checked %d entries of non-zero gradient and skipped %d at a kink; want at least 40, and a tenth as many skipped at most", checked, kinks)
	}
}

// TestSeparableConvNeedsImages checks that sizes a convolutional critic
// cannot read are an error naming the size, not a panic: no image side,
// inputs that are not whole images (or an image side whose square
// overflows), a channel count below 1, and a convolution of a 1x1 map.
func TestSeparableConvNeedsImages(t *testing.T) {
	for _, tc := range []struct {
		change func(*CriticSpec)
		want   string
	}{
		{func(s *CriticSpec) { s.ImageSide = 0 }, "image side 0"},
		{func(s *CriticSpec) { s.DimY = 35 }, "not whole images"},
		{func(s *CriticSpec) { s.Channels = []int{3, 0} }, "convolution 2 has 0 channels"},
		{func(s *CriticSpec) { s.Embed = 0 }, "embedding size 0"},
		{func(s *CriticSpec) { s.ImageSide = 1 << 32 }, "not whole images"},
		{func(s *CriticSpec) { s.Channels = []int{1, 1, 1, 1} }, "convolution 4 would read a 1x1 map: each halves a 6x6 image's side; use at most 3"},
	} {
		spec := sepConvSpec()
		tc.change(&spec)
		_, err := NewPairCritic(G.NewGraph(), "separable-conv", spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("spec %+v: error %v, want one saying %q", spec, err, tc.want)
		}
		if _, ok, err := NewPairCriticApart(G.NewGraph(), G.NewGraph(), "separable-conv", spec); ok || err == nil {
			t.Errorf("spec %+v apart: ok %v, error %v; want an error", spec, ok, err)
		}
	}
	if info, _ := LookupPairCritic("separable-conv"); !info.Images {
		t.Error("separable-conv is not registered as a critic of images")
	}
	if info, _ := LookupPairCritic("separable"); info.Images {
		t.Error("separable is registered as a critic of images")
	}
}
