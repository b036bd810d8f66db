package evals

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// image returns a 1-channel 28x28 image whose pixel (i, j) is f(i, j).
func image(f func(i, j int) float32) []float32 {
	img := make([]float32, 28*28)
	for i := 0; i < 28; i++ {
		for j := 0; j < 28; j++ {
			img[i*28+j] = f(i, j)
		}
	}
	return img
}

func msssim(t *testing.T, x, y []float32) float64 {
	t.Helper()
	v, err := MSSSIM(x, y, 1, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMSSSIMOfIdenticalImagesIsOne checks the closed case: every term is 1.
func TestMSSSIMOfIdenticalImagesIsOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := image(func(i, j int) float32 { return rng.Float32() })
	if v := msssim(t, x, x); math.Abs(v-1) > 1e-12 {
		t.Fatalf("MS-SSIM(x, x) = %v, want 1", v)
	}
	flat := image(func(i, j int) float32 { return 0.3 })
	if v := msssim(t, flat, flat); math.Abs(v-1) > 1e-12 {
		t.Fatalf("MS-SSIM of a flat image with itself = %v, want 1", v)
	}
}

// TestMSSSIMOfTwoFlatImages works out by hand two flat images, 0.5 and
// 0.25 with data range 1: they have no contrast, so every cs is
// (0 + C2)/(0 + C2) = 1 and only the coarsest luminance term is left,
// l = (2 * 0.5 * 0.25 + C1)/(0.25 + 0.0625 + C1) with C1 = 1e-4, that is
// 0.2501/0.3126 = 0.800064; its weight is 0.3001/0.6305 = 0.475971, and
// 0.800064^0.475971 = exp(0.475971 * -0.223064) = exp(-0.106172) = 0.899266.
func TestMSSSIMOfTwoFlatImages(t *testing.T) {
	x := image(func(i, j int) float32 { return 0.5 })
	y := image(func(i, j int) float32 { return 0.25 })
	if v := msssim(t, x, y); math.Abs(v-0.899266) > 1e-5 {
		t.Fatalf("MS-SSIM(0.5, 0.25) = %v, want 0.899266 (worked in the comment)", v)
	}
}

// TestMSSSIMOfCheckerboardsOfTwoContrasts works out by hand a 0/1
// checkerboard x against y = 0.25 + 0.5x, the same board at half the
// contrast. Averaging 2x2 blocks makes both flat 0.5 at the second and
// third scales, where every term is 1. At the first, y's variance is a
// quarter of x's and their covariance half of it, so cs = (s^2 + C2) /
// (1.25 s^2 + C2) at every position, with s^2 the window-weighted variance
// of the board. The 1-D taps exp(-d^2/4.5) for d = 0, ±1, ±2, ±3 are 1,
// 0.800737, 0.411112, 0.135335 (sum 3.694368); those at even d hold
// E = 1.822224/3.694368 = 0.493241 of the weight, the odd O = 0.506759; a
// window centered on a white square has mean E^2 + O^2 = 0.500091 and a
// black one 1 minus that, so s^2 = 0.500091 * 0.499909 = 0.250000 either
// way. With C2 = 0.0009, cs = 0.250900/0.313400 = 0.800574, weighted by
// 0.0448/0.6305 = 0.071055: 0.800574^0.071055 = exp(0.071055 * -0.222427)
// = 0.984321.
func TestMSSSIMOfCheckerboardsOfTwoContrasts(t *testing.T) {
	x := image(func(i, j int) float32 { return float32((i + j) % 2) })
	y := image(func(i, j int) float32 { return 0.25 + 0.5*float32((i+j)%2) })
	if v := msssim(t, x, y); math.Abs(v-0.984321) > 1e-5 {
		t.Fatalf("MS-SSIM(board, half-contrast board) = %v, want 0.984321 (worked in the comment)", v)
	}
	// The inverted board is anti-correlated at the first scale: its cs is
	// negative and counts as 0.
	inv := image(func(i, j int) float32 { return 1 - float32((i+j)%2) })
	if v := msssim(t, x, inv); v != 0 {
		t.Fatalf("MS-SSIM(board, inverted board) = %v, want 0", v)
	}
}

// TestMSSSIMFallsWithNoiseAndIsSymmetric checks the measure's shape: it is
// symmetric in its images and falls as more noise is added.
func TestMSSSIMFallsWithNoiseAndIsSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := image(func(i, j int) float32 { return float32(math.Sin(float64(i)/3)*math.Cos(float64(j)/4)+1) / 2 })
	noise := image(func(i, j int) float32 { return float32(rng.NormFloat64()) })
	prev := 1.0
	for _, level := range []float32{0.05, 0.1, 0.2, 0.4} {
		y := make([]float32, len(x))
		for k := range x {
			y[k] = x[k] + level*noise[k]
		}
		v := msssim(t, x, y)
		if back := msssim(t, y, x); math.Abs(v-back) > 1e-12 {
			t.Errorf("noise %g: MS-SSIM(x, y) = %v but MS-SSIM(y, x) = %v", level, v, back)
		}
		if !(v < prev) {
			t.Errorf("noise %g: MS-SSIM %v, not below %v at less noise", level, v, prev)
		}
		prev = v
	}
}

// TestMSSSIMRejectsSmallImages checks the sizes are refused with a message.
func TestMSSSIMRejectsSmallImages(t *testing.T) {
	small := make([]float32, 20*20)
	if _, err := MSSSIM(small, small, 1, 20, 20, 1); err == nil || !strings.Contains(err.Error(), "at least one channel of 28x28") {
		t.Errorf("20x20 images: %v, want an error naming the 28x28 minimum", err)
	}
	x := make([]float32, 28*28)
	if _, err := MSSSIM(x, x[:10], 1, 28, 28, 1); err == nil {
		t.Error("images of different lengths were accepted")
	}
	if _, err := MSSSIM(x, x, 1, 28, 28, 0); err == nil {
		t.Error("a data range of 0 was accepted")
	}
}
