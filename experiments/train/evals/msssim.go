package evals

import (
	"fmt"
	"math"
)

// MS-SSIM's settings for small images. Wang, Simoncelli and Bovik (2003)
// use 5 scales of an 11x11 Gaussian window (sigma 1.5), which needs images
// of at least 11 * 2^4 = 176 pixels a side; a 28x28 MNIST digit fits 3
// scales of a 7x7 window (28 -> 14 -> 7, one window position at the
// coarsest). The window keeps sigma 1.5, truncated at 2 sigma, and the
// weights are the standard ones of the three finest scales (0.0448,
// 0.2856, 0.3001), divided by their sum so that they add to 1.
const (
	ssimWindow = 7
	ssimSigma  = 1.5
	ssimK1     = 0.01
	ssimK2     = 0.03
)

// msssimWeights are the exponents of the scales, finest first.
var msssimWeights = func() []float64 {
	w := []float64{0.0448, 0.2856, 0.3001}
	sum := w[0] + w[1] + w[2]
	for i := range w {
		w[i] /= sum
	}
	return w
}()

// MSSSIMMinSize is the smallest image side MSSSIM accepts.
const MSSSIMMinSize = ssimWindow << 2

// MSSSIM returns the multi-scale structural similarity of images x and y,
// each channels planes of h x w values (channel-major, as data.Set holds
// them) in [0, dataRange]: 1 for identical images, lower the less alike.
// At each of the 3 scales (see the constants above) the contrast-structure
// term cs = (2 s_xy + C2) / (s_x^2 + s_y^2 + C2) and, at the coarsest, the
// full SSIM l * cs with l = (2 m_x m_y + C1) / (m_x^2 + m_y^2 + C1) are
// averaged over every position of the Gaussian window and over channels,
// with C1 = (0.01 dataRange)^2 and C2 = (0.03 dataRange)^2; then
//
//	MS-SSIM = ssim_3^w3 * cs_2^w2 * cs_1^w1,
//
// as Wang et al.'s reference code combines them. A negative mean (images
// anti-correlated at a scale) counts as 0, as pytorch-msssim does, so that
// the fractional powers are defined. Between scales each image is averaged
// over 2x2 blocks.
func MSSSIM(x, y []float32, channels, h, w int, dataRange float64) (float64, error) {
	switch {
	case channels < 1 || h < MSSSIMMinSize || w < MSSSIMMinSize:
		return 0, fmt.Errorf("ms-ssim: %d channels of %dx%d: needs at least one channel of %dx%d for its %d scales of a %dx%d window",
			channels, h, w, MSSSIMMinSize, MSSSIMMinSize, len(msssimWeights), ssimWindow, ssimWindow)
	case len(x) != channels*h*w || len(y) != len(x):
		return 0, fmt.Errorf("ms-ssim: images of %d and %d values, want %d x %d x %d = %d", len(x), len(y), channels, h, w, channels*h*w)
	case !(dataRange > 0) || math.IsInf(dataRange, 0):
		return 0, fmt.Errorf("ms-ssim: data range %g must be positive and finite", dataRange)
	}
	c1, c2 := math.Pow(ssimK1*dataRange, 2), math.Pow(ssimK2*dataRange, 2)
	win := gaussianWindow()
	result := 1.0
	for c := 0; c < channels; c++ {
		a, b := toFloat64(x[c*h*w:(c+1)*h*w]), toFloat64(y[c*h*w:(c+1)*h*w])
		ch, cw := h, w
		for s, weight := range msssimWeights {
			cs, ssim := ssimMeans(a, b, ch, cw, win, c1, c2)
			v := cs
			if s == len(msssimWeights)-1 {
				v = ssim
			}
			// The product over channels of v^(weight/channels) is the
			// geometric mean over channels of the per-channel MS-SSIM.
			result *= math.Pow(max(v, 0), weight/float64(channels))
			a, b = halve(a, ch, cw), halve(b, ch, cw)
			ch, cw = ch/2, cw/2
		}
	}
	return result, nil
}

// gaussianWindow returns the normalized 1-D Gaussian taps of the window;
// the 2-D window is their outer product.
func gaussianWindow() []float64 {
	g := make([]float64, ssimWindow)
	sum := 0.0
	for i := range g {
		d := float64(i - ssimWindow/2)
		g[i] = math.Exp(-d * d / (2 * ssimSigma * ssimSigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	return g
}

// ssimMeans returns the mean over every valid window position of the
// contrast-structure term and of the SSIM of images a and b (h x w).
func ssimMeans(a, b []float64, h, w int, win []float64, c1, c2 float64) (cs, ssim float64) {
	k := len(win)
	positions := 0
	for i := 0; i+k <= h; i++ {
		for j := 0; j+k <= w; j++ {
			var ma, mb, aa, bb, ab float64
			for u := 0; u < k; u++ {
				for v := 0; v < k; v++ {
					g := win[u] * win[v]
					pa, pb := a[(i+u)*w+j+v], b[(i+u)*w+j+v]
					// Each product rounded on its own: no GOAMD64 level fuses them.
					ma += float64(g * pa)
					mb += float64(g * pb)
					aa += float64(g * pa * pa)
					bb += float64(g * pb * pb)
					ab += float64(g * pa * pb)
				}
			}
			va, vb, cov := aa-float64(ma*ma), bb-float64(mb*mb), ab-float64(ma*mb)
			csHere := (2*cov + c2) / (va + vb + c2)
			cs += csHere
			ssim += csHere * (float64(2*ma*mb) + c1) / (float64(ma*ma) + float64(mb*mb) + c1)
			positions++
		}
	}
	return cs / float64(positions), ssim / float64(positions)
}

// halve returns image a (h x w) averaged over 2x2 blocks, (h/2) x (w/2); an
// odd last row or column is dropped.
func halve(a []float64, h, w int) []float64 {
	out := make([]float64, (h/2)*(w/2))
	for i := 0; i < h/2; i++ {
		for j := 0; j < w/2; j++ {
			out[i*(w/2)+j] = (a[2*i*w+2*j] + a[2*i*w+2*j+1] + a[(2*i+1)*w+2*j] + a[(2*i+1)*w+2*j+1]) / 4
		}
	}
	return out
}

// toFloat64 returns v converted to float64.
func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
