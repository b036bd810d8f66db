package evals

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/graph"
)

// Reconstruction is what [Decode] reports.
type Reconstruction struct {
	// MSSSIM is the mean MS-SSIM ([MSSSIM]) of the test images' full
	// batches against their reconstructions, and MSE the mean squared
	// error per pixel, of the decoder at Epoch.
	MSSSIM, MSE float64
	// ValidationMSE is the lowest mean squared error on the validation
	// rows of any epoch, that of the decoder at Epoch (counted from 1).
	ValidationMSE float64
	Epoch         int
}

// Geometry is the shape of the images a decoder draws.
type Geometry struct {
	Channels, Size int
}

// Decode trains a decoder from codes to images with an L2 loss (the mean
// squared error per pixel), as the paper's Table 3 does to measure what
// the frozen code keeps of the image, and reports its reconstructions'
// MS-SSIM on the test images. The decoder is Y -> Linear(Hidden x S x S),
// ReLU -> conv 3x3 and pixel shuffle to 2S x 2S x Hidden/2, ReLU -> conv
// 3x3 and pixel shuffle to 4S x 4S x Channels, with S a quarter of the
// image size: a convolution followed by a pixel shuffle ([pixelShuffle])
// is a transposed convolution of stride 2, which the graph library lacks.
// MS-SSIM takes the training images' range as its data range, with the
// reconstructions clipped to it.
func Decode(ctx context.Context, trainY, trainImages, testY, testImages Matrix, geom Geometry, cfg Config) (Reconstruction, error) {
	if err := cfg.Validate(); err != nil {
		return Reconstruction{}, err
	}
	train, test := []Matrix{trainY, trainImages}, []Matrix{testY, testImages}
	if err := checkPairs([]string{"codes", "images"}, train, test); err != nil {
		return Reconstruction{}, err
	}
	if err := geom.check(trainImages.D); err != nil {
		return Reconstruction{}, err
	}
	s, err := newSplit(train, test, cfg)
	if err != nil {
		return Reconstruction{}, err
	}
	d, err := newDecoder(trainY.D, geom, cfg)
	if err != nil {
		return Reconstruction{}, err
	}
	defer d.close()
	d.lo, d.hi = span(trainImages.X)
	return d.fit(ctx, s, cfg)
}

// check reports images that the decoder cannot draw: not of d values, or
// of a size that MS-SSIM or the two upsamplings cannot take.
func (g Geometry) check(d int) error {
	switch {
	case g.Channels < 1 || g.Channels*g.Size*g.Size != d:
		return fmt.Errorf("decoder: images of %d values are not %d channels of %dx%d", d, g.Channels, g.Size, g.Size)
	case g.Size%4 != 0 || g.Size < MSSSIMMinSize:
		return fmt.Errorf("decoder: images of %dx%d: the decoder needs a multiple of 4, and MS-SSIM at least %d", g.Size, g.Size, MSSSIMMinSize)
	}
	return nil
}

// span returns the smallest and largest value of v.
func span(v []float32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
	}
	return lo, hi
}

// decoder is the decoder's graph, built once for a batch.
type decoder struct {
	geom   Geometry
	batch  int
	y, img []float32 // the input batch: codes and target images
	out    G.Value
	loss   G.Value
	adam   *optim.Adam
	vm     G.VM
	lo, hi float64
}

// newDecoder builds the decoder's graph for codes of d values.
func newDecoder(d int, geom Geometry, cfg Config) (*decoder, error) {
	g := G.NewGraph()
	init := architectures.NewInit(cfg.Seed)
	n, c0, c1, s := cfg.BatchSize, cfg.Hidden, max(1, cfg.Hidden/2), geom.Size/4
	dec := &decoder{geom: geom, batch: n}
	y, ys := inputMatrix(g, "codes", n, d)
	target, imgs := inputMatrix(g, "images", n, geom.Channels*geom.Size*geom.Size)
	dec.y, dec.img = ys, imgs
	fc, err := architectures.NewLinear(g, init, "decoder.fc", d, c0*s*s, true)
	if err != nil {
		return nil, err
	}
	conv1, err := architectures.NewConv2D(g, init, "decoder.conv1", c0, 4*c1, 3, 1, 1, true)
	if err != nil {
		return nil, err
	}
	conv2, err := architectures.NewConv2D(g, init, "decoder.conv2", c1, 4*geom.Channels, 3, 1, 1, true)
	if err != nil {
		return nil, err
	}
	h, err := fc.Forward(y)
	if err != nil {
		return nil, err
	}
	// The fc output, (n, s*s*c0), is the first map in row layout.
	h = G.Must(G.Reshape(G.Must(graph.Rectify(h)), tensor.Shape{n * s * s, c0}))
	h = G.Must(graph.Rectify(G.Must(conv1.ForwardRows(h, n, s, s))))
	h = G.Must(pixelShuffle(h, n, s, c1))
	h = G.Must(pixelShuffle(G.Must(conv2.ForwardRows(h, n, 2*s, 2*s)), n, 2*s, geom.Channels))
	if geom.Channels > 1 {
		h = G.Must(architectures.RowsToNCHW(h, n, 4*s, 4*s))
	}
	out := G.Must(G.Reshape(h, tensor.Shape{n, geom.Channels * geom.Size * geom.Size}))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(out, target))))))
	G.Read(out, &dec.out)
	G.Read(loss, &dec.loss)
	params := append(append(fc.Learnables(), conv1.Learnables()...), conv2.Learnables()...)
	grads, live, err := graph.Grad(loss, params...)
	if err != nil {
		return nil, fmt.Errorf("decoder: differentiating the loss: %w", err)
	}
	if dec.adam, err = optim.NewAdam(params, grads, cfg.LR, adamBeta1, adamBeta2); err != nil {
		return nil, err
	}
	dec.vm = graph.NewTapeMachine(live)
	return dec, nil
}

// pixelShuffle turns a map of n images of s x s in row layout with 4c
// channels, (n*s*s, 4c), into one of 2s x 2s with c channels, (n*4*s*s,
// c): channel (a*2 + b)*c + k at location (i, j) becomes channel k at
// (2i + a, 2j + b). After a convolution it is a sub-pixel convolution
// (Shi et al. 2016), a transposed convolution of stride 2 in other words.
func pixelShuffle(rows *G.Node, n, s, c int) (*G.Node, error) {
	// Rows are (n, i, j, a, b, k); bring a before j: (n*i, j, a, b*k)
	// -> (n*i, a, j, b*k).
	r, err := G.Reshape(rows, tensor.Shape{n * s, s, 2, 2 * c})
	if err != nil {
		return nil, err
	}
	if r, err = G.Transpose(r, 0, 2, 1, 3); err != nil {
		return nil, err
	}
	return G.Reshape(r, tensor.Shape{n * 4 * s * s, c})
}

// close releases the decoder's tape machine.
func (d *decoder) close() { graph.CloseMachine(d.vm) }

// load writes rows of src (codes, images) into the input batch.
func (d *decoder) load(src []Matrix, rows []int) {
	dy, di := src[0].D, src[1].D
	for k, i := range rows {
		copy(d.y[k*dy:(k+1)*dy], src[0].Row(i))
		copy(d.img[k*di:(k+1)*di], src[1].Row(i))
	}
}

// run runs the graph forward and backward and returns the loss.
func (d *decoder) run() (float64, error) {
	defer d.vm.Reset()
	if err := d.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("decoder: %w", err)
	}
	return float64(d.loss.Data().(float32)), nil
}

// fit trains the decoder and scores the epoch with the lowest validation
// loss on the test rows.
func (d *decoder) fit(ctx context.Context, s *split, cfg Config) (Reconstruction, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed5f1e))
	best := Reconstruction{ValidationMSE: math.Inf(1)}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		perm := rng.Perm(s.train[0].N)
		for b := 0; b+d.batch <= len(perm); b += d.batch {
			if err := ctx.Err(); err != nil {
				return Reconstruction{}, err
			}
			d.load(s.train, perm[b:b+d.batch])
			loss, err := d.run()
			if err != nil {
				return Reconstruction{}, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return Reconstruction{}, &DivergedError{Reason: fmt.Sprintf("decoder: epoch %d: the loss is %v; lower the learning rate", epoch, loss)}
			}
			if err := d.adam.Update(); err != nil {
				return Reconstruction{}, err
			}
		}
		val, _, err := d.score(s.val, false)
		if err != nil {
			return Reconstruction{}, err
		}
		if val < best.ValidationMSE {
			mse, ssim, err := d.score(s.test, true)
			if err != nil {
				return Reconstruction{}, err
			}
			best = Reconstruction{MSSSIM: ssim, MSE: mse, ValidationMSE: val, Epoch: epoch}
		}
	}
	return best, nil
}

// score returns the mean loss over the full batches of src and, when
// withSSIM is set, the mean MS-SSIM of their images.
func (d *decoder) score(src []Matrix, withSSIM bool) (mse, ssim float64, err error) {
	rows := make([]int, d.batch)
	batches, images := 0, 0
	di, g := src[1].D, d.geom
	clipped := make([]float32, di)
	target := make([]float32, di)
	for b := 0; b+d.batch <= src[0].N; b += d.batch {
		for k := range rows {
			rows[k] = b + k
		}
		d.load(src, rows)
		loss, err := d.run()
		if err != nil {
			return 0, 0, err
		}
		mse += loss
		batches++
		if !withSSIM {
			continue
		}
		out := d.out.Data().([]float32)
		for k := range rows {
			for p := range clipped {
				clipped[p] = float32(math.Min(math.Max(float64(out[k*di+p]), d.lo), d.hi) - d.lo)
				target[p] = float32(float64(d.img[k*di+p]) - d.lo)
			}
			v, err := MSSSIM(clipped, target, g.Channels, g.Size, g.Size, d.hi-d.lo)
			if err != nil {
				return 0, 0, err
			}
			ssim += v
			images++
		}
	}
	return mse / float64(batches), ssim / float64(max(images, 1)), nil
}
