package dim

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
)

// VariantSettings are the keys of the paper's two DIM variants of Table 4
// (Hjelm et al. 2019), embedded in [Config]; both are off by default.
type VariantSettings struct {
	// OccludeProb is the probability that an image's global code Y is
	// computed from the image with a random square block of OccludeSize
	// pixels a side set to 0 (DIM(occlude)); its local features always
	// come from the full image. The full and the masked batches pass
	// through the encoder together, so they share its batch-norm
	// statistics.
	OccludeProb float64 `toml:"occlude_prob"`
	OccludeSize int     `toml:"occlude_size"`
	// CoordWeight weights DIM(coord)'s extra loss: a head predicts the
	// row and the column of every local feature from the feature and its
	// image's Y, an MLP [feature, Y] -> CoordHidden units, ReLU -> M row
	// logits and M column logits, trained with the softmax cross-entropy
	// of the row plus that of the column, averaged over the batch's
	// features, and added to the encoder's loss. 0 leaves it out.
	CoordWeight float64 `toml:"coord_weight"`
	CoordHidden int     `toml:"coord_hidden"`
}

// defaultVariantSettings returns neither variant.
func defaultVariantSettings() VariantSettings {
	return VariantSettings{OccludeSize: 10, CoordHidden: 64}
}

// validateVariants checks the variants' settings, naming the key.
func (c *Config) validateVariants() error {
	v := &c.VariantSettings
	switch {
	case !(v.OccludeProb >= 0 && v.OccludeProb <= 1):
		return fmt.Errorf("occlude_prob = %g: must be a probability in [0, 1]", v.OccludeProb)
	case v.OccludeProb > 0 && v.OccludeSize < 1:
		return fmt.Errorf("occlude_size = %d: must be at least 1 pixel", v.OccludeSize)
	case v.OccludeProb > 0 && v.OccludeSize > data.ImageSide:
		return fmt.Errorf("occlude_size = %d: larger than the %d × %d images; at most %d, which blanks the whole image", v.OccludeSize, data.ImageSide, data.ImageSide, data.ImageSide)
	case !(v.CoordWeight >= 0) || math.IsInf(v.CoordWeight, 0):
		return fmt.Errorf("coord_weight = %g: must be a finite weight, at least 0", v.CoordWeight)
	case v.CoordWeight > 0 && v.CoordHidden < 1:
		return fmt.Errorf("coord_hidden = %d: must be at least 1", v.CoordHidden)
	case c.Objective().Model != ModelDIM && v.CoordWeight > 0:
		return c.unusedError(trained, "coord_weight = %g changes nothing here: %s is not trained; remove the key", v.CoordWeight, c.objectiveName())
	case c.Objective().Model != ModelDIM && v.OccludeProb > 0:
		return c.unusedError(trained, "occlude_prob = %g changes nothing here: %s is not trained; remove the key", v.OccludeProb, c.objectiveName())
	}
	return nil
}

// variantSettings returns the checkpoint settings of the variants (see
// trainingSettings): occlude_prob and coord_weight always, a checkpoint
// from before the variants existed counting as 0 for both, and the block
// size and the head's width when their variant is on.
func variantSettings(c *Config) []setting {
	zero := "0"
	out := []setting{
		{key: "occlude_prob", value: fmt.Sprint(c.OccludeProb), absent: &zero},
		{key: "coord_weight", value: fmt.Sprint(c.CoordWeight), absent: &zero},
	}
	if c.OccludeProb > 0 {
		out = append(out, setting{key: "occlude_size", value: fmt.Sprint(c.OccludeSize)})
	}
	if c.CoordWeight > 0 {
		out = append(out, setting{key: "coord_hidden", value: fmt.Sprint(c.CoordHidden)})
	}
	return out
}

// variantCosts returns the weights the variants add to a trained model and
// the floats they add to one image's activations in a training step (see
// [Config.networks]): occlusion encodes a second, masked copy of every
// image; the coordinate head sees every location's [feature, Y].
func (c *Config) variantCosts(obj Preset, channels float64) (weights, acts float64) {
	if obj.Model != ModelDIM {
		return 0, 0
	}
	if c.OccludeProb > 0 {
		acts += c.encoderActivations(channels)
	}
	if c.CoordWeight > 0 {
		in, h := float64(c.Conv2+c.Code), float64(c.CoordHidden)
		weights += in*h + h + h*16 + 16
		acts += 64 * (float64(c.BatchSize) + 2*in + 3*h + 6*16)
	}
	return weights, acts
}

// coordTerm builds DIM(coord)'s loss (see [VariantSettings]) on the local
// rows (n*m*m, channels) of n images of m x m locations and their codes y
// (n, code), with a head of hidden units drawn from init. It returns the
// unweighted loss and the head's parameters.
func coordTerm(g *G.ExprGraph, init *architectures.Init, local, y *G.Node, n, m, hidden int) (loss *G.Node, params G.Nodes, err error) {
	head, err := architectures.NewMLP(g, init, "coord", local.Shape()[1]+y.Shape()[1], hidden, 2*m)
	if err != nil {
		return nil, nil, err
	}
	loss, err = coordLoss(g, head, local, y, n, m)
	return loss, head.Learnables(), err
}

// coordLoss returns the cross-entropy of head's row prediction plus that
// of its column prediction, from [local row, its image's code], averaged
// over the n*m*m local rows: head maps channels+code values to m row
// logits followed by m column logits.
func coordLoss(g *G.ExprGraph, head *architectures.MLP, local, y *G.Node, n, m int) (*G.Node, error) {
	rows := n * m * m
	// Row r of the local map is image r/(m*m): an (n*m*m, n) one-hot
	// product repeats each code at its image's locations.
	spread := constMatrix(g, "coord.spread", rows, n, func(r int) int { return r / (m * m) })
	var o ops
	repeated := o.do2(G.Mul, spread, y)
	in := o.do2(func(a, b *G.Node) (*G.Node, error) { return G.Concat(1, a, b) }, local, repeated)
	logits := o.do(head.Forward, in)
	rowLogits := o.do(func(x *G.Node) (*G.Node, error) { return G.Slice(x, nil, G.S(0, m)) }, logits)
	colLogits := o.do(func(x *G.Node) (*G.Node, error) { return G.Slice(x, nil, G.S(m, 2*m)) }, logits)
	rowOf := constMatrix(g, "coord.row", rows, m, func(r int) int { return (r % (m * m)) / m })
	colOf := constMatrix(g, "coord.col", rows, m, func(r int) int { return r % m })
	rowLoss := o.do2(softmaxCrossEntropy, rowLogits, rowOf)
	colLoss := o.do2(softmaxCrossEntropy, colLogits, colOf)
	return o.do2(G.Add, rowLoss, colLoss), o.err
}

// constMatrix returns a (rows, cols) matrix of g, not trained, whose row r
// is one-hot at column hot(r), of architectures.Dtype.
func constMatrix(g *G.ExprGraph, name string, rows, cols int, hot func(r int) int) *G.Node {
	var backing any
	if architectures.Dtype == tensor.Float64 {
		b := make([]float64, rows*cols)
		for r := 0; r < rows; r++ {
			b[r*cols+hot(r)] = 1
		}
		backing = b
	} else {
		b := make([]float32, rows*cols)
		for r := 0; r < rows; r++ {
			b[r*cols+hot(r)] = 1
		}
		backing = b
	}
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(backing))
	return G.NewMatrix(g, architectures.Dtype, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t))
}

// softmaxCrossEntropy returns the mean over rows of -log softmax(logits)
// at the column where the one-hot targets are 1, shifting each row by its
// maximum first so that exp cannot overflow.
func softmaxCrossEntropy(logits, targets *G.Node) (*G.Node, error) {
	var o ops
	rowMax := o.do(func(x *G.Node) (*G.Node, error) { return G.Max(x, 1) }, logits)
	shifted := o.do2(func(a, b *G.Node) (*G.Node, error) { return G.BroadcastSub(a, b, nil, []byte{1}) }, logits, rowMax)
	logSumExp := o.do(G.Log, o.do(func(x *G.Node) (*G.Node, error) { return G.Sum(x, 1) }, o.do(G.Exp, shifted)))
	picked := o.do(func(x *G.Node) (*G.Node, error) { return G.Sum(x, 1) }, o.do2(G.HadamardProd, targets, shifted))
	return o.do(mean, o.do2(G.Sub, logSumExp, picked)), o.err
}

// occluder fills the masked half of a stacked batch (see [VariantSettings]):
// input holds 2n images of d values, the first n written by the trainer.
type occluder struct {
	prob          float64
	size          int
	n, c, s       int
	input         []float32
	seed          uint64
	lastMasked    int // how many images the last fill masked, for tests
	lastPositions [][2]int
	// local and codes receive the objective's local rows and codes Y at
	// every run, for tests.
	local, codes G.Value
}

// fill copies the first n images into the second half and masks each copy
// with probability prob by zeroing a size x size block at a random
// position. The block positions are drawn from a source seeded with the
// occluder's seed and step, so that a resumed run masks as an
// uninterrupted one did.
func (o *occluder) fill(step int) {
	d := o.c * o.s * o.s
	full, masked := o.input[:o.n*d], o.input[o.n*d:]
	copy(masked, full)
	rng := rand.New(rand.NewPCG(o.seed, uint64(step)))
	size := min(o.size, o.s)
	o.lastMasked, o.lastPositions = 0, o.lastPositions[:0]
	for i := 0; i < o.n; i++ {
		if rng.Float64() >= o.prob {
			continue
		}
		top, left := rng.IntN(o.s-size+1), rng.IntN(o.s-size+1)
		for ch := 0; ch < o.c; ch++ {
			plane := masked[i*d+ch*o.s*o.s:]
			for r := top; r < top+size; r++ {
				clear(plane[r*o.s+left : r*o.s+left+size])
			}
		}
		o.lastMasked++
		o.lastPositions = append(o.lastPositions, [2]int{top, left})
	}
}

// occludedOutput returns the encoder's output on the stacked batch of 2n
// images as the objective sees it: the local map, the conv and fc
// features from the first n (full) images, the code Y from the last n
// (masked) ones.
func occludedOutput(out *architectures.EncoderOutput, n int) (*architectures.EncoderOutput, error) {
	half := func(x *G.Node, rowsPerImage int, second bool) (*G.Node, error) {
		from := 0
		if second {
			from = n * rowsPerImage
		}
		return G.Slice(x, G.S(from, from+n*rowsPerImage))
	}
	res := &architectures.EncoderOutput{N: n, M: out.M, S: out.S}
	var err error
	if res.LocalRows, err = half(out.LocalRows, out.M*out.M, false); err != nil {
		return nil, err
	}
	if res.ConvRows, err = half(out.ConvRows, out.S*out.S, false); err != nil {
		return nil, err
	}
	if res.ConvFlat, err = half(out.ConvFlat, 1, false); err != nil {
		return nil, err
	}
	if res.FC, err = half(out.FC, 1, false); err != nil {
		return nil, err
	}
	if res.Y, err = half(out.Y, 1, true); err != nil {
		return nil, err
	}
	return res, nil
}

// forward builds the model's input and the encoder's forward pass on it,
// and returns the output the objective sees. With occlusion (a trained
// model with occlude_prob > 0) the input holds 2n images, the batch and
// its masked copy, and Input is its first half.
func (m *Model) forward(c *Config, channels, size int, initSeed uint64) (*architectures.EncoderOutput, error) {
	n, d := m.batch, channels*size*size
	images := n
	if m.obj.Model == ModelDIM && c.OccludeProb > 0 {
		images = 2 * n
	}
	backing := make([]float32, images*d)
	m.Input = backing[:n*d]
	m.xValue = tensor.New(tensor.WithShape(images, channels, size, size), tensor.WithBacking(backing))
	m.x = G.NewTensor(m.g, architectures.Dtype, 4, G.WithShape(images, channels, size, size), G.WithName("images"), G.WithValue(m.xValue))
	out, err := m.Encoder.Forward(m.x)
	if err != nil || images == n {
		return out, err
	}
	m.occ = &occluder{prob: c.OccludeProb, size: c.OccludeSize, n: n, c: channels, s: size, input: backing, seed: initSeed ^ occludeSalt}
	if out, err = occludedOutput(out, n); err != nil {
		return nil, err
	}
	G.Read(out.LocalRows, &m.occ.local)
	G.Read(out.Y, &m.occ.codes)
	return out, nil
}

// stateCoordHead is the checkpoint key of DIM(coord)'s head.
const stateCoordHead = "coord_head"

// occludeSalt separates the occluder's seed from the weights'.
const occludeSalt = 0x0cc1 << 40

// occlude fills the masked half of an occluding model's input for the
// coming encoder step; it does nothing otherwise.
func (m *Model) occlude() {
	if m.occ != nil {
		m.occ.fill(m.Adam.Step)
	}
}

// trained reports whether a preset's model is trained (not a baseline).
func trained(p Preset) bool { return p.Model == ModelDIM }
