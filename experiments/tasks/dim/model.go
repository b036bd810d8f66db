package dim

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/train/optim"
)

// NegativeMask returns the mask of the local objective for a batch of n
// images with the given number of locations each: row i is the global code
// of image i and column j*locations+l location l of image j. Every location
// of image i is positive for row i. With "all" (the paper) every location
// of every other image is negative: (n-1)*locations negatives per row. With
// "roll" (the popular ports, which compare with the batch shifted by one)
// only the locations of image (i+1) mod n are negative and the rest are
// ignored: locations negatives per row.
func NegativeMask(kind string, n, locations int) (*estimators.Mask, error) {
	if n < 2 || locations < 1 {
		return nil, fmt.Errorf("negative mask: %d images of %d locations; need at least 2 images and 1 location", n, locations)
	}
	switch kind {
	case NegativesAll:
		return estimators.Blocks(n, locations), nil
	case NegativesRoll:
		m, err := estimators.NewMask(n, n*locations)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			next := (i + 1) % n
			for l := 0; l < locations; l++ {
				m.Roles[i*m.Cols+i*locations+l] = estimators.Positive
				m.Roles[i*m.Cols+next*locations+l] = estimators.Negative
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("negatives = %q: must be %q or %q", kind, NegativesAll, NegativesRoll)
}

// Model is Deep InfoMax in two gorgonia graphs, each built once.
//
// The encoder graph holds the encoder (training mode), the MI critics and
// estimators, and a copy of the prior discriminator whose weights are
// constants of that graph: the encoder's loss
// alpha*global + beta*local + gamma*prior, with the non-saturating
// generator loss prior = mean(softplus(-D(sigmoid(Y)))), is differentiated
// and descended (one Adam) with respect to the encoder's and the critics'
// parameters only.
//
// The discriminator graph holds the discriminator itself, trained by its
// own Adam on mean(softplus(-D(real))) + mean(softplus(D(fake))), with real
// samples from Uniform[0,1]^code and fake ones the detached codes
// sigmoid(Y) of the last encoder step (copied values). After every
// discriminator step its weights are copied into the encoder graph's copy.
type Model struct {
	// Input is the backing array of the image batch (N, C, S, S); write a
	// batch into it before [Model.EncoderStep].
	Input []float32
	// Encoder, LocalCritic and GlobalCritic are the trained networks; a
	// critic is nil when its term's weight is 0.
	Encoder      *architectures.Encoder
	LocalCritic  architectures.LocalCritic
	GlobalCritic architectures.GlobalCritic
	// Discriminator is the prior discriminator that is trained;
	// discriminatorCopy is its weight-frozen copy in the encoder graph.
	// Both are nil when gamma is 0.
	Discriminator *architectures.PriorDiscriminator
	// Adam trains the encoder and the MI critics; PriorAdam trains the
	// discriminator (nil when gamma is 0).
	Adam, PriorAdam *optim.Adam
	// LocalMask is the local objective's mask.
	LocalMask *estimators.Mask

	obj       Preset
	batch     int
	code      int
	g, gd     *G.ExprGraph
	x         *G.Node
	xValue    *tensor.Dense
	vm, vmD   G.VM
	loss      *G.Node
	localEst  estimators.Estimator
	globalEst estimators.Estimator
	local     *estimators.Terms
	global    *estimators.Terms
	priorG    *G.Node
	codes     *G.Node
	// Copies of the values read after a run (see keep).
	localMI, globalMI, priorGOut *G.Node
	// localLoss and globalLoss copy the MI terms' losses, kept only when
	// the estimator reports a divergence from its loss.
	localLoss, globalLoss *G.Node

	discriminatorCopy *architectures.PriorDiscriminator
	real, fake        *G.Node
	realValue         *tensor.Dense
	fakeValue         *tensor.Dense
	lossD             *G.Node
}

// StepStats are the values of one encoder step, computed before its update.
type StepStats struct {
	// Loss is the total encoder loss.
	Loss float64
	// LocalMI and GlobalMI are the estimates of the MI terms in nats (NaN
	// for a term that is not built); PriorG is the generator loss (NaN
	// without a prior term).
	LocalMI, GlobalMI, PriorG float64
	// LocalDiv and GlobalDiv are the divergences the estimator's losses
	// bound, in nats, for an estimator that reports one (see
	// [estimators.Divergence]; jsd's Jensen-Shannon bound), NaN otherwise.
	LocalDiv, GlobalDiv float64
}

// NewModel builds the model for c on batches of images with the given
// channels and size, with weights drawn from initSeed. For a baseline model
// (pixels, random) it builds the encoder alone, which cannot be stepped.
func NewModel(c *Config, channels, size int, initSeed uint64) (*Model, error) {
	obj := c.Objective()
	spec := c.encoderSpec(channels, size)
	n := c.BatchSize
	m := &Model{obj: obj, batch: n, code: c.Code, g: G.NewGraph()}
	init := architectures.NewInit(initSeed)
	var err error
	if m.Encoder, err = architectures.NewEncoder(m.g, init, spec); err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	m.Input = make([]float32, n*channels*size*size)
	m.xValue = tensor.New(tensor.WithShape(n, channels, size, size), tensor.WithBacking(m.Input))
	m.x = G.NewTensor(m.g, architectures.Dtype, 4, G.WithShape(n, channels, size, size), G.WithName("images"), G.WithValue(m.xValue))
	out, err := m.Encoder.Forward(m.x)
	if err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	if obj.Model != ModelDIM {
		// A baseline is never trained: the encoder alone, no objective.
		return m, nil
	}
	params := m.Encoder.Learnables()
	var terms []*G.Node
	weighted := func(w float64, t *G.Node) error {
		wt, err := G.Mul(t, G.NewConstant(float32(w)))
		if err != nil {
			return err
		}
		terms = append(terms, wt)
		return nil
	}
	if obj.Beta > 0 {
		locs := spec.LocalSize() * spec.LocalSize()
		if m.LocalMask, err = NegativeMask(c.Negatives, n, locs); err != nil {
			return nil, err
		}
		if m.localEst, err = estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
			return nil, fmt.Errorf("dim: estimator = %q: %w", c.Estimator, err)
		}
		m.LocalCritic, err = architectures.NewLocalCritic(m.g, init, c.LocalCritic,
			architectures.LocalCriticSpec{LocalChannels: spec.Conv2, GlobalDim: spec.Out, Units: c.MIUnits})
		if err != nil {
			return nil, fmt.Errorf("dim: local_critic: %w", err)
		}
		scores, err := m.LocalCritic.Scores(out.LocalRows, out.Y)
		if err != nil {
			return nil, fmt.Errorf("dim: local critic: %w", err)
		}
		if m.local, err = m.localEst.Build(scores, m.LocalMask); err != nil {
			return nil, fmt.Errorf("dim: local %s: %w", c.Estimator, err)
		}
		if m.localMI, err = keep(m.local.MI); err != nil {
			return nil, err
		}
		if _, ok := m.localEst.(estimators.Divergence); ok {
			if m.localLoss, err = keep(m.local.Loss); err != nil {
				return nil, err
			}
		}
		if err := weighted(obj.Beta, m.local.Loss); err != nil {
			return nil, err
		}
		params = append(params, m.LocalCritic.Learnables()...)
	}
	if obj.Alpha > 0 {
		if m.globalEst, err = estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
			return nil, fmt.Errorf("dim: estimator = %q: %w", c.Estimator, err)
		}
		m.GlobalCritic, err = architectures.NewGlobalCritic(m.g, init, c.GlobalCritic,
			architectures.GlobalCriticSpec{FeatureDim: spec.ConvFeatures(), GlobalDim: spec.Out, Units: c.GlobalUnits})
		if err != nil {
			return nil, fmt.Errorf("dim: global_critic: %w", err)
		}
		scores, err := m.GlobalCritic.Scores(out.ConvFlat, out.Y)
		if err != nil {
			return nil, fmt.Errorf("dim: global critic: %w", err)
		}
		if m.global, err = m.globalEst.Build(scores, estimators.Diagonal(n)); err != nil {
			return nil, fmt.Errorf("dim: global %s: %w", c.Estimator, err)
		}
		if m.globalMI, err = keep(m.global.MI); err != nil {
			return nil, err
		}
		if _, ok := m.globalEst.(estimators.Divergence); ok {
			if m.globalLoss, err = keep(m.global.Loss); err != nil {
				return nil, err
			}
		}
		if err := weighted(obj.Alpha, m.global.Loss); err != nil {
			return nil, err
		}
		params = append(params, m.GlobalCritic.Learnables()...)
	}
	if obj.Gamma > 0 {
		if err := m.buildPrior(c, out.Y, initSeed); err != nil {
			return nil, err
		}
		if err := weighted(obj.Gamma, m.priorG); err != nil {
			return nil, err
		}
	}
	m.loss = terms[0]
	for _, t := range terms[1:] {
		if m.loss, err = G.Add(m.loss, t); err != nil {
			return nil, err
		}
	}
	if _, err := G.Grad(m.loss, params...); err != nil {
		return nil, fmt.Errorf("dim: differentiating the loss: %w", err)
	}
	if m.Adam, err = optim.NewAdam(params, c.LR, c.Beta1, c.Beta2); err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	m.vm = G.NewTapeMachine(m.g, G.BindDualValues(params...))
	if err := m.Adam.ZeroGrads(); err != nil {
		m.Close()
		return nil, fmt.Errorf("dim: %w", err)
	}
	return m, nil
}

// buildPrior builds the generator loss into the encoder graph and the
// discriminator's own graph.
func (m *Model) buildPrior(c *Config, y *G.Node, initSeed uint64) error {
	h1, h2 := c.PriorHidden[0], c.PriorHidden[1]
	// Both copies start from the same weights (the same seed); they are
	// also synchronised explicitly below.
	var err error
	m.discriminatorCopy, err = architectures.NewPriorDiscriminator(m.g, architectures.NewInit(initSeed^priorInitSalt), c.Code, h1, h2)
	if err != nil {
		return fmt.Errorf("dim: prior_hidden: %w", err)
	}
	squashed, err := architectures.Squash(y)
	if err != nil {
		return err
	}
	logits, err := m.discriminatorCopy.Forward(squashed)
	if err != nil {
		return err
	}
	negated, err := G.Neg(logits)
	if err != nil {
		return err
	}
	sp, err := G.Softplus(negated)
	if err != nil {
		return err
	}
	if m.priorG, err = G.Mean(sp); err != nil {
		return err
	}
	if m.priorGOut, err = keep(m.priorG); err != nil {
		return err
	}
	if m.codes, err = keep(squashed); err != nil {
		return err
	}

	m.gd = G.NewGraph()
	if m.Discriminator, err = architectures.NewPriorDiscriminator(m.gd, architectures.NewInit(initSeed^priorInitSalt), c.Code, h1, h2); err != nil {
		return fmt.Errorf("dim: prior_hidden: %w", err)
	}
	n := m.batch
	m.realValue = tensor.New(tensor.Of(architectures.Dtype), tensor.WithShape(n, c.Code))
	m.fakeValue = tensor.New(tensor.Of(architectures.Dtype), tensor.WithShape(n, c.Code))
	m.real = G.NewMatrix(m.gd, architectures.Dtype, G.WithShape(n, c.Code), G.WithName("prior.real"), G.WithValue(m.realValue))
	m.fake = G.NewMatrix(m.gd, architectures.Dtype, G.WithShape(n, c.Code), G.WithName("prior.fake"), G.WithValue(m.fakeValue))
	dReal, err := m.Discriminator.Forward(m.real)
	if err != nil {
		return err
	}
	dFake, err := m.Discriminator.Forward(m.fake)
	if err != nil {
		return err
	}
	nr, err := G.Neg(dReal)
	if err != nil {
		return err
	}
	spReal, err := G.Softplus(nr)
	if err != nil {
		return err
	}
	spFake, err := G.Softplus(dFake)
	if err != nil {
		return err
	}
	lr, err := G.Mean(spReal)
	if err != nil {
		return err
	}
	lf, err := G.Mean(spFake)
	if err != nil {
		return err
	}
	if m.lossD, err = G.Add(lr, lf); err != nil {
		return err
	}
	dParams := m.Discriminator.Learnables()
	if _, err := G.Grad(m.lossD, dParams...); err != nil {
		return fmt.Errorf("dim: differentiating the discriminator loss: %w", err)
	}
	if m.PriorAdam, err = optim.NewAdam(dParams, c.LR, c.Beta1, c.Beta2); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	m.vmD = G.NewTapeMachine(m.gd, G.BindDualValues(dParams...))
	if err := m.PriorAdam.ZeroGrads(); err != nil {
		return err
	}
	return architectures.CopyValues(m.discriminatorCopy.Learnables(), dParams)
}

// priorInitSalt separates the discriminator's initial weights from the
// encoder's, which share the run's init seed.
const priorInitSalt = 0x9d1b5a7c3e2f4861

// divergence converts the value of an MI term's kept loss into the
// divergence its estimator reports, or returns NaN when the term is not
// built or its estimator reports none.
func divergence(e estimators.Estimator, loss *G.Node) (float64, error) {
	d, ok := e.(estimators.Divergence)
	if !ok || loss == nil {
		return math.NaN(), nil
	}
	v, err := architectures.Scalar(loss)
	if err != nil {
		return math.NaN(), err
	}
	return d.Divergence(v), nil
}

// DivergenceName returns the name of the divergence that the model's
// estimator reports beside the MI (such as "js" for jsd), or "" when it
// reports none or the model has no MI term.
func (m *Model) DivergenceName() string {
	for _, e := range []estimators.Estimator{m.localEst, m.globalEst} {
		if d, ok := e.(estimators.Divergence); ok {
			return d.DivergenceName()
		}
	}
	return ""
}

// keep returns a copy of n (n + 0) that no other node consumes. Values are
// read after a run from such copies: gorgonia's tape machine lets an op
// overwrite the memory of an input that is not used afterwards, so a node
// that feeds others may no longer hold its own value when the run ends; a
// root of the graph always does.
func keep(n *G.Node) (*G.Node, error) {
	return G.Add(n, G.NewConstant(float32(0)))
}

// EncoderStep runs one training step of the encoder and its MI critics on
// the batch in Input: forward and backward, the estimators' own updates and
// an Adam step. The discriminator's weights are not changed. It returns the
// step's values, computed before the update; a non-finite loss is returned
// without any update.
func (m *Model) EncoderStep() (StepStats, error) {
	if m.vm == nil {
		return StepStats{}, fmt.Errorf("dim: the %s baseline has no objective to train", m.obj.Model)
	}
	defer m.vm.Reset()
	if err := G.Let(m.x, m.xValue); err != nil {
		return StepStats{}, err
	}
	if err := m.vm.RunAll(); err != nil {
		return StepStats{}, err
	}
	st := StepStats{LocalMI: math.NaN(), GlobalMI: math.NaN(), PriorG: math.NaN(),
		LocalDiv: math.NaN(), GlobalDiv: math.NaN()}
	var err error
	if st.Loss, err = architectures.Scalar(m.loss); err != nil {
		return st, err
	}
	if m.local != nil {
		if st.LocalMI, err = architectures.Scalar(m.localMI); err != nil {
			return st, err
		}
	}
	if m.global != nil {
		if st.GlobalMI, err = architectures.Scalar(m.globalMI); err != nil {
			return st, err
		}
	}
	if st.LocalDiv, err = divergence(m.localEst, m.localLoss); err != nil {
		return st, err
	}
	if st.GlobalDiv, err = divergence(m.globalEst, m.globalLoss); err != nil {
		return st, err
	}
	if m.priorG != nil {
		if st.PriorG, err = architectures.Scalar(m.priorGOut); err != nil {
			return st, err
		}
		// Detach the codes for the discriminator's step.
		copy(m.fakeValue.Float32s(), m.codes.Value().Data().([]float32))
	}
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, m.Adam.ZeroGrads()
	}
	for _, e := range []estimators.Estimator{m.localEst, m.globalEst} {
		if u, ok := e.(estimators.Updater); ok && e != nil {
			if err := u.Update(); err != nil {
				return st, fmt.Errorf("estimator update: %w", err)
			}
		}
	}
	return st, m.Adam.Update()
}

// Codes returns the detached codes sigmoid(Y) of the last encoder step,
// (batch, code) row-major, which the next discriminator step sees as fake
// samples. It is nil without a prior term; the slice is the model's own.
func (m *Model) Codes() []float32 {
	if m.fakeValue == nil {
		return nil
	}
	return m.fakeValue.Float32s()
}

// SamplePrior fills the discriminator's real batch with draws from
// Uniform[0,1]^code taken from rng.
func (m *Model) SamplePrior(rng *rand.Rand) {
	if m.realValue == nil {
		return
	}
	real := m.realValue.Float32s()
	for i := range real {
		real[i] = float32(rng.Float64())
	}
}

// DiscriminatorStep runs one step of the prior discriminator on the real
// samples of the last [Model.SamplePrior] against the codes of the last
// encoder step (see [Model.Codes]) and copies the new weights into the
// encoder graph. It returns the discriminator's loss before the update.
// Without a prior term it does nothing and returns NaN.
func (m *Model) DiscriminatorStep() (float64, error) {
	if m.vmD == nil {
		return math.NaN(), nil
	}
	defer m.vmD.Reset()
	if err := G.Let(m.real, m.realValue); err != nil {
		return 0, err
	}
	if err := G.Let(m.fake, m.fakeValue); err != nil {
		return 0, err
	}
	if err := m.vmD.RunAll(); err != nil {
		return 0, err
	}
	loss, err := architectures.Scalar(m.lossD)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, m.PriorAdam.ZeroGrads()
	}
	if err := m.PriorAdam.Update(); err != nil {
		return 0, err
	}
	return loss, architectures.CopyValues(m.discriminatorCopy.Learnables(), m.Discriminator.Learnables())
}

// DiscriminatorLoss evaluates the discriminator's loss on the current real
// and fake batches without training it (its gradients are discarded).
func (m *Model) DiscriminatorLoss() (float64, error) {
	if m.vmD == nil {
		return math.NaN(), nil
	}
	defer m.vmD.Reset()
	if err := m.vmD.RunAll(); err != nil {
		return 0, err
	}
	loss, err := architectures.Scalar(m.lossD)
	if err != nil {
		return 0, err
	}
	return loss, m.PriorAdam.ZeroGrads()
}

// Close releases the model's tape machines (see
// [architectures.CloseMachine]).
func (m *Model) Close() error {
	err := architectures.CloseMachine(m.vm)
	if e := architectures.CloseMachine(m.vmD); err == nil {
		err = e
	}
	return err
}
