package probe

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	// bnEpsilon and bnMomentum are PyTorch's BatchNorm1d defaults, which the
	// paper's classifier uses.
	bnEpsilon  = 1e-5
	bnMomentum = 0.1
	// adamBeta1 and adamBeta2 are cortex's Adam defaults.
	adamBeta1 = 0.5
	adamBeta2 = 0.999
	// maxEvalRows bounds the rows the inference graph scores at once.
	maxEvalRows = 1024
)

// trainer holds a probe's training graph, which sees one batch with batch
// statistics and dropout, and its inference graph, which scores a chunk of
// rows with running statistics and no dropout. Both graphs are built once;
// batches are copied into their input tensors.
type trainer struct {
	cfg           Config
	mlp           bool
	hinge         bool    // the SVM: multiclass hinge loss instead of cross-entropy
	decay         float64 // the SVM's L2 penalty on its weights
	d, classes    int
	batch, hidden int
	norm          *standardizer
	shuffleRNG    *rand.Rand
	dropoutRNG    *rand.Rand
	params        G.Nodes
	opt           *optim.Adam
	vm            G.VM
	x, y, mask    *tensor.Dense
	loss          G.Value
	batchMean     G.Value
	batchVar      G.Value
	runMean       []float64
	runVar        []float64
	gamma, beta   *G.Node
	evalParams    G.Nodes // the inference graph's copies of the layer weights, in trainedParams order
	trainedParams G.Nodes // the training graph's layer weights that inference uses
	evm           G.VM
	evalRows      int
	ex            *tensor.Dense
	scale, shift  *tensor.Dense // batch normalization folded for inference
	logits        G.Value
}

func newTrainer(d, classes int, cfg Config, kind model, norm *standardizer, evalRows int) (*trainer, error) {
	t := &trainer{
		cfg: cfg, mlp: kind.mlp, hinge: kind.hinge, decay: kind.decay, d: d, classes: classes, batch: cfg.BatchSize, norm: norm,
		shuffleRNG: rand.New(rand.NewPCG(cfg.Seed, 0x5eed5f1e)),
		dropoutRNG: rand.New(rand.NewPCG(cfg.Seed, 0xd0d0d0d0)),
		evalRows:   min(evalRows, maxEvalRows),
	}
	if kind.mlp {
		t.hidden = cfg.Hidden
	}
	if err := t.buildTraining(); err != nil {
		t.close()
		return nil, fmt.Errorf("probe: building the training graph: %w", err)
	}
	if err := t.buildInference(); err != nil {
		t.close()
		return nil, fmt.Errorf("probe: building the inference graph: %w", err)
	}
	return t, nil
}

// close releases both machines. It must be called: the graphs hold
// pointers into the trainer (G.Read's targets), so the trainer and its
// machines form cycles that only graph.CloseMachine makes
// collectable.
func (t *trainer) close() {
	graph.CloseMachine(t.vm)
	graph.CloseMachine(t.evm)
}

func matrix(rows, cols int) *tensor.Dense {
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float32, rows*cols)))
}

func vector(n int) *tensor.Dense {
	return tensor.New(tensor.WithShape(n), tensor.WithBacking(make([]float32, n)))
}

func input(g *G.ExprGraph, name string, v *tensor.Dense) *G.Node {
	return G.NewMatrix(g, architectures.Dtype, G.WithShape(v.Shape()...), G.WithName(name), G.WithValue(v))
}

// buildTraining builds the training graph:
// the MLP probe is Linear -> BatchNorm (batch statistics) -> dropout (a
// mask input) -> ReLU -> Linear, the linear probe a single Linear; both end
// in the mean softmax cross-entropy against one-hot labels.
func (t *trainer) buildTraining() error {
	g := G.NewGraph()
	init := architectures.NewInit(t.cfg.Seed)
	t.x = matrix(t.batch, t.d)
	t.y = matrix(t.batch, t.classes)
	x := input(g, "x", t.x)
	y := input(g, "y", t.y)
	features, outIn := x, t.d
	if t.mlp {
		hidden, err := architectures.NewLinear(g, init, "probe.hidden", t.d, t.hidden, true)
		if err != nil {
			return err
		}
		h, err := hidden.Forward(x)
		if err != nil {
			return err
		}
		t.gamma = init.Constant(g, "probe.bn.gamma", 1, t.hidden)
		t.beta = init.Constant(g, "probe.bn.beta", 0, t.hidden)
		mean, variance, z, err := batchNorm(h, t.gamma, t.beta)
		if err != nil {
			return err
		}
		G.Read(mean, &t.batchMean)
		G.Read(variance, &t.batchVar)
		// Dropout multiplies by a mask input filled from the trainer's seeded
		// source each step: G.Dropout seeds its generator from the clock.
		if t.cfg.Dropout > 0 {
			t.mask = matrix(t.batch, t.hidden)
			if z, err = G.HadamardProd(z, input(g, "dropout.mask", t.mask)); err != nil {
				return err
			}
		}
		if features, err = graph.Rectify(z); err != nil {
			return err
		}
		outIn = t.hidden
		t.params = append(t.params, hidden.Learnables()...)
		t.params = append(t.params, t.gamma, t.beta)
		t.trainedParams = append(t.trainedParams, hidden.Learnables()...)
		t.runMean = make([]float64, t.hidden)
		t.runVar = make([]float64, t.hidden)
		for i := range t.runVar {
			t.runVar[i] = 1
		}
	}
	out, err := architectures.NewLinear(g, init, "probe.out", outIn, t.classes, true)
	if err != nil {
		return err
	}
	logits, err := out.Forward(features)
	if err != nil {
		return err
	}
	t.params = append(t.params, out.Learnables()...)
	t.trainedParams = append(t.trainedParams, out.Learnables()...)
	loss, err := t.objective(logits, y, out.W)
	if err != nil {
		return err
	}
	G.Read(loss, &t.loss)
	// The machine runs what graph.Grad leaves: the whole graph would also
	// compute the gradient with respect to the input batch, a product as
	// large as the parameters' gradient.
	grads, live, err := graph.Grad(loss, t.params...)
	if err != nil {
		return err
	}
	t.vm = graph.NewTapeMachine(live)
	if t.opt, err = optim.NewAdam(t.params, grads, t.cfg.LR, adamBeta1, adamBeta2); err != nil {
		return err
	}
	return nil
}

// batchNorm normalizes h (n, k) with its batch mean and biased variance per
// column, then scales by gamma and shifts by beta (both (k)). It returns the
// batch statistics too, for the running averages.
func batchNorm(h, gamma, beta *G.Node) (mean, variance, out *G.Node, err error) {
	if mean, err = G.Mean(h, 0); err != nil {
		return
	}
	var centered, scale, z *G.Node
	if centered, err = G.BroadcastSub(h, mean, nil, []byte{0}); err != nil {
		return
	}
	if variance, err = G.Mean(G.Must(G.Square(centered)), 0); err != nil {
		return
	}
	// 1/sqrt(variance + eps). Not G.InverseSqrt: its derivative in gorgonia
	// v0.9.18 is wrong (-g/(2y^3) where -g*y^3/2 is right).
	eps := G.NewConstant(float32(bnEpsilon))
	var std *G.Node
	if std, err = G.Sqrt(G.Must(G.Add(variance, eps))); err != nil {
		return
	}
	if scale, err = G.Inverse(std); err != nil {
		return
	}
	if scale, err = G.HadamardProd(scale, gamma); err != nil {
		return
	}
	if z, err = G.BroadcastHadamardProd(centered, scale, nil, []byte{0}); err != nil {
		return
	}
	out, err = G.BroadcastAdd(z, beta, nil, []byte{0})
	return
}

// crossEntropy returns the mean over rows of -log softmax(logits)[label],
// with labels given one-hot in y. The row maximum is subtracted first so
// that exp cannot overflow; its gradient contribution is exactly zero.
func crossEntropy(logits, y *G.Node) (*G.Node, error) {
	rowMax, err := G.Max(logits, 1)
	if err != nil {
		return nil, err
	}
	shifted, err := G.BroadcastSub(logits, rowMax, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	sumExp, err := G.Sum(G.Must(G.Exp(shifted)), 1)
	if err != nil {
		return nil, err
	}
	logSumExp, err := G.Log(sumExp)
	if err != nil {
		return nil, err
	}
	picked, err := G.Sum(G.Must(G.HadamardProd(y, shifted)), 1)
	if err != nil {
		return nil, err
	}
	return G.Mean(G.Must(G.Sub(logSumExp, picked)))
}

// buildInference builds the inference graph for evalRows rows at a time:
// Linear -> affine (batch normalization with running statistics folded into
// scale and shift) -> ReLU -> Linear for the MLP probe, Linear for the
// linear probe. Its weights are copies of the training graph's, refreshed
// by syncInference.
func (t *trainer) buildInference() error {
	g := G.NewGraph()
	t.ex = matrix(t.evalRows, t.d)
	x := input(g, "eval.x", t.ex)
	weight := func(name string, p *G.Node) *G.Node {
		shape := p.Shape().Clone()
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, shape.TotalSize())))
		n := G.NewTensor(g, architectures.Dtype, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
		t.evalParams = append(t.evalParams, n)
		return n
	}
	features := x
	i := 0
	layer := func(name string) *architectures.Linear {
		l := &architectures.Linear{W: weight(name+".w", t.trainedParams[i]), B: weight(name+".b", t.trainedParams[i+1])}
		i += 2
		return l
	}
	if t.mlp {
		hidden := layer("eval.hidden")
		h, err := hidden.Forward(x)
		if err != nil {
			return err
		}
		t.scale, t.shift = vector(t.hidden), vector(t.hidden)
		scale := G.NewVector(g, architectures.Dtype, G.WithShape(t.hidden), G.WithName("eval.bn.scale"), G.WithValue(t.scale))
		shift := G.NewVector(g, architectures.Dtype, G.WithShape(t.hidden), G.WithName("eval.bn.shift"), G.WithValue(t.shift))
		z, err := G.BroadcastHadamardProd(h, scale, nil, []byte{0})
		if err != nil {
			return err
		}
		if z, err = G.BroadcastAdd(z, shift, nil, []byte{0}); err != nil {
			return err
		}
		if features, err = graph.Rectify(z); err != nil {
			return err
		}
	}
	out := layer("eval.out")
	logits, err := out.Forward(features)
	if err != nil {
		return err
	}
	G.Read(logits, &t.logits)
	t.evm = graph.NewTapeMachine(g)
	return nil
}

// fit trains the probe for cfg.Epochs epochs on train.
func (t *trainer) fit(ctx context.Context, train *Features) (Result, error) {
	perm := make([]int, train.N)
	for i := range perm {
		perm[i] = i
	}
	xs := t.x.Data().([]float32)
	ys := t.y.Data().([]float32)
	var masks []float32
	if t.mask != nil {
		masks = t.mask.Data().([]float32)
	}
	keep := float32(1 / (1 - t.cfg.Dropout))
	batches := train.N / t.batch
	res := Result{}
	for epoch := 1; epoch <= t.cfg.Epochs; epoch++ {
		t.opt.LR = t.cfg.lrAt(epoch)
		t.shuffleRNG.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		epochLoss := 0.0
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
			clear(ys)
			for k, row := range perm[b*t.batch : (b+1)*t.batch] {
				t.norm.copyRow(xs[k*t.d:(k+1)*t.d], train.Row(row))
				ys[k*t.classes+train.Labels[row]] = 1
			}
			for k := range masks {
				if t.dropoutRNG.Float64() < t.cfg.Dropout {
					masks[k] = 0
				} else {
					masks[k] = keep
				}
			}
			if err := t.vm.RunAll(); err != nil {
				t.vm.Reset()
				return Result{}, fmt.Errorf("probe: training step %d: %w", res.Steps+1, err)
			}
			t.vm.Reset()
			res.Steps++
			loss := float64(t.loss.Data().(float32))
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return Result{}, &DivergedError{Epoch: epoch, Step: res.Steps, Loss: loss}
			}
			epochLoss += loss
			if err := t.opt.Update(); err != nil {
				return Result{}, err
			}
			if t.mlp {
				t.updateRunningStats()
			}
		}
		res.Epochs = epoch
		res.FinalLoss = epochLoss / float64(batches)
	}
	return res, nil
}

// updateRunningStats folds the last batch's statistics into the running
// averages as PyTorch does: the variance is made unbiased first.
func (t *trainer) updateRunningStats() {
	mean := t.batchMean.Data().([]float32)
	variance := t.batchVar.Data().([]float32)
	unbias := float64(t.batch) / float64(t.batch-1)
	for j := range t.runMean {
		// Each product rounded on its own: no GOAMD64 level fuses them.
		t.runMean[j] = float64((1-bnMomentum)*t.runMean[j]) + float64(bnMomentum*float64(mean[j]))
		t.runVar[j] = float64((1-bnMomentum)*t.runVar[j]) + float64(bnMomentum*float64(variance[j])*unbias)
	}
}

// syncInference copies the trained weights into the inference graph and
// folds batch normalization (running statistics, gamma, beta) into one
// scale and shift per hidden unit.
func (t *trainer) syncInference() {
	for i, p := range t.trainedParams {
		copy(t.evalParams[i].Value().Data().([]float32), p.Value().Data().([]float32))
	}
	if !t.mlp {
		return
	}
	gamma := t.gamma.Value().Data().([]float32)
	beta := t.beta.Value().Data().([]float32)
	scale := t.scale.Data().([]float32)
	shift := t.shift.Data().([]float32)
	for j := range scale {
		s := float64(gamma[j]) / math.Sqrt(t.runVar[j]+bnEpsilon)
		scale[j] = float32(s)
		shift[j] = float32(float64(beta[j]) - t.runMean[j]*s)
	}
}

// predict returns the probe's class for every row of f, scoring evalRows
// rows at a time (the last chunk is padded with zero rows whose predictions
// are discarded).
func (t *trainer) predict(f *Features) ([]int, error) {
	t.syncInference()
	pred := make([]int, f.N)
	xs := t.ex.Data().([]float32)
	for start := 0; start < f.N; start += t.evalRows {
		rows := min(t.evalRows, f.N-start)
		for k := 0; k < rows; k++ {
			t.norm.copyRow(xs[k*t.d:(k+1)*t.d], f.Row(start+k))
		}
		clear(xs[rows*t.d:])
		if err := t.evm.RunAll(); err != nil {
			t.evm.Reset()
			return nil, fmt.Errorf("probe: scoring rows %d to %d: %w", start, start+rows, err)
		}
		t.evm.Reset()
		logits := t.logits.Data().([]float32)
		for k := 0; k < rows; k++ {
			pred[start+k] = argmax(logits[k*t.classes : (k+1)*t.classes])
		}
	}
	return pred, nil
}

// argmax returns the index of the largest value, the first on ties.
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
