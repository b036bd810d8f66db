package evals

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// blobImages returns n 28x28 images, each a bright Gaussian blob whose
// centre and width are the image's 3-value code, and the codes.
func blobImages(rng *rand.Rand, n int) (codes, images Matrix) {
	codes = Matrix{X: make([]float32, n*3), N: n, D: 3}
	images = Matrix{X: make([]float32, n*28*28), N: n, D: 28 * 28}
	for i := 0; i < n; i++ {
		cy, cx, w := 6+16*rng.Float64(), 6+16*rng.Float64(), 2+3*rng.Float64()
		copy(codes.Row(i), []float32{float32((cy - 14) / 8), float32((cx - 14) / 8), float32(w - 3.5)})
		img := images.Row(i)
		for p := range img {
			dy, dx := float64(p/28)-cy, float64(p%28)-cx
			img[p] = float32(math.Exp(-(dy*dy + dx*dx) / (2 * w * w)))
		}
	}
	return codes, images
}

// TestDecodeReconstructsFromAnInformativeCode trains the decoder on codes
// that determine their images (a blob's position and width) and on the
// same codes shuffled across images, which tell nothing: the first must
// reconstruct well, the second not.
func TestDecodeReconstructsFromAnInformativeCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	trY, trX := blobImages(rng, 800)
	teY, teX := blobImages(rng, 200)
	cfg := Config{Epochs: 8, BatchSize: 32, LR: 3e-3, Hidden: 16, Validation: 0.1, Seed: 1}
	geom := Geometry{Channels: 1, Size: 28}
	good, err := Decode(context.Background(), trY, trX, teY, teX, geom, cfg)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := trY.rows(rng.Perm(trY.N))
	bad, err := Decode(context.Background(), shuffled, trX, teY, teX, geom, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("informative code: MS-SSIM %.3f, MSE %.4f (epoch %d); shuffled code: MS-SSIM %.3f, MSE %.4f",
		good.MSSSIM, good.MSE, good.Epoch, bad.MSSSIM, bad.MSE)
	if good.MSSSIM < 0.8 || bad.MSSSIM > good.MSSSIM-0.3 {
		t.Errorf("MS-SSIM %.3f from the informative code, %.3f from the shuffled one; want above 0.8 and far below it", good.MSSSIM, bad.MSSSIM)
	}
}

// TestPixelShuffleMovesChannelsToSubPixels checks the decoder's pixel
// shuffle on two images of 2x2 locations and 4 x 2 channels: channel
// (a*2 + b)*2 + k at (i, j) must land at channel k of (2i + a, 2j + b).
func TestPixelShuffleMovesChannelsToSubPixels(t *testing.T) {
	const n, s, c = 2, 2, 2
	in := make([]float32, n*s*s*4*c)
	for p := range in {
		in[p] = float32(p)
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, G.Float32, G.WithShape(n*s*s, 4*c), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n*s*s, 4*c), tensor.WithBacking(in))))
	out, err := pixelShuffle(x, n, s, c)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if sh := out.Shape(); !sh.Eq(tensor.Shape{n * 4 * s * s, c}) {
		t.Fatalf("shape %v, want (%d, %d)", sh, n*4*s*s, c)
	}
	got := out.Value().Data().([]float32)
	for img := 0; img < n; img++ {
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				for a := 0; a < 2; a++ {
					for b := 0; b < 2; b++ {
						for k := 0; k < c; k++ {
							want := in[((img*s+i)*s+j)*4*c+(a*2+b)*c+k]
							at := ((img*2*s+2*i+a)*2*s+2*j+b)*c + k
							if got[at] != want {
								t.Fatalf("image %d, (%d, %d) sub-pixel (%d, %d) channel %d: got %v, want %v", img, i, j, a, b, k, got[at], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestDecodeRejectsImagesItCannotDraw checks the geometry is checked.
func TestDecodeRejectsImagesItCannotDraw(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	y, x := blobImages(rng, 200)
	cfg := Config{Epochs: 1, BatchSize: 16, LR: 1e-3, Hidden: 4, Validation: 0.1}
	for _, tc := range []struct {
		geom Geometry
		want string
	}{
		{Geometry{Channels: 3, Size: 28}, "not 3 channels of 28x28"},
		{Geometry{Channels: 1, Size: 0}, "not 1 channels of 0x0"},
	} {
		_, err := Decode(context.Background(), y, x, y, x, tc.geom, cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error containing %q", tc.geom, err, tc.want)
		}
	}
	small := Matrix{X: make([]float32, 200*20*20), N: 200, D: 400}
	if _, err := Decode(context.Background(), y, small, y, small, Geometry{Channels: 1, Size: 20}, cfg); err == nil || !strings.Contains(err.Error(), "at least 28") {
		t.Errorf("20x20 images: %v, want an error naming MS-SSIM's 28", err)
	}
	wide := Matrix{X: make([]float32, 200*30*30), N: 200, D: 900}
	if _, err := Decode(context.Background(), y, wide, y, wide, Geometry{Channels: 1, Size: 30}, cfg); err == nil || !strings.Contains(err.Error(), "multiple of 4") {
		t.Errorf("30x30 images: %v, want an error asking for a multiple of 4", err)
	}
}

// TestTheTestSplitIsWhatTheDecoderReports trains the decoder on codes
// that determine their images but tests it on codes shuffled across the
// test images: the validation error, on held-out training rows, must be
// well below the test error, and the test MS-SSIM a similarity in (0, 1].
// Validating on the test rows, or reporting the validation rows, would
// make the errors alike.
func TestTheTestSplitIsWhatTheDecoderReports(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	trY, trX := blobImages(rng, 400)
	teY, teX := blobImages(rng, 100)
	teY = teY.rows(rng.Perm(teY.N))
	cfg := Config{Epochs: 4, BatchSize: 32, LR: 3e-3, Hidden: 16, Validation: 0.2, Seed: 1}
	got, err := Decode(context.Background(), trY, trX, teY, teX, Geometry{Channels: 1, Size: 28}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validation MSE %.4f, test MSE %.4f, test MS-SSIM %.3f (epoch %d)", got.ValidationMSE, got.MSE, got.MSSSIM, got.Epoch)
	if got.ValidationMSE > got.MSE/2 || !(got.MSSSIM > 0 && got.MSSSIM <= 1) {
		t.Errorf("validation MSE %.4f, test MSE %.4f, MS-SSIM %.3f; want the validation error below half the test error and MS-SSIM in (0, 1]",
			got.ValidationMSE, got.MSE, got.MSSSIM)
	}
}

// TestADecoderThatCannotLearnKeepsItsFirstEpoch checks the tie rule of the
// decoder's epoch choice: at a learning rate of 1e-30 every epoch
// validates the same and the first is reported.
func TestADecoderThatCannotLearnKeepsItsFirstEpoch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	y, x := blobImages(rng, 100)
	cfg := Config{Epochs: 2, BatchSize: 16, LR: 1e-30, Hidden: 4, Validation: 0.2, Seed: 1}
	got, err := Decode(context.Background(), y, x, y, x, Geometry{Channels: 1, Size: 28}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Epoch != 1 {
		t.Errorf("epoch %d reported of 2 equal ones, want the first", got.Epoch)
	}
}
