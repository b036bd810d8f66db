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
	"github.com/infomax/infomax/internal/graph"
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
// own Adam on mean(softplus(-D(real))) + mean(softplus(D(fake))) +
// prior_penalty * ½(GP(real) + GP(fake)), with real samples from
// Uniform[0,1]^code and fake ones the detached codes sigmoid(Y) of the
// last encoder step (copied values). GP is the official code's gradient
// penalty, the batch mean of ‖∂D(z)/∂z‖², built in closed form (see
// [architectures.PriorDiscriminator.ForwardWithInputGradient]); it is left
// out when prior_penalty is 0. After every
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
	// LocalMask is the local objective's mask; GlobalMask the global
	// one's (nil when the term is not built).
	LocalMask, GlobalMask *estimators.Mask
	// samplers draw the negatives of the terms that keep K per positive
	// (num_negatives, num_global_negatives) at every step.
	samplers []*estimators.NegativeSampler

	obj     Preset
	batch   int
	code    int
	g, gd   *G.ExprGraph
	x       *G.Node
	xValue  *tensor.Dense
	vm, vmD G.VM
	loss    *G.Node
	// local and global are the MI terms; nil when not built.
	local, global *miTerm
	priorG        *G.Node
	codes         *G.Node
	// priorGOut copies priorG, to be read after a run (see keep).
	priorGOut *G.Node

	// occ masks the global path's copy of the batch (DIM(occlude)); nil
	// without occlusion. coordHead is DIM(coord)'s head; nil without it.
	occ       *occluder
	coordHead G.Nodes

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

// miTerm is one MI term of the objective, local or global: its estimator,
// the estimator's loss and estimate nodes, and the copies of the estimate
// and, for an estimator that reports a divergence from its loss (see
// [estimators.Divergence]), of the loss, which a step reads (see keep).
type miTerm struct {
	est      estimators.Estimator
	terms    *estimators.Terms
	mi, loss *G.Node
	// scored lists the entries of mask that the critic scores when it
	// scores only those (see scoreEntries); nil when it scores them all.
	scored *graph.Pairs
	mask   *estimators.Mask
}

// estimator returns the term's estimator, or nil when the term is nil
// (not built).
func (t *miTerm) estimator() estimators.Estimator {
	if t == nil {
		return nil
	}
	return t.est
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
	out, err := m.forward(c, channels, size, initSeed) // see model_variants.go
	if err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	if obj.Model != ModelDIM {
		// A baseline is never trained: the encoder alone, no objective.
		return m, nil
	}
	terms, params, err := m.buildObjective(c, spec, out, init, initSeed)
	if err != nil {
		return nil, err
	}
	m.loss = terms[0]
	for _, t := range terms[1:] {
		if m.loss, err = G.Add(m.loss, t); err != nil {
			return nil, err
		}
	}
	grads, live, err := graph.Grad(m.loss, params...)
	if err != nil {
		return nil, fmt.Errorf("dim: differentiating the loss: %w", err)
	}
	if m.Adam, err = optim.NewAdamMoments(optim.Moments(c.AdamMoments), params, grads, c.LR, c.Beta1, c.Beta2); err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	m.vm = graph.NewTapeMachine(live)
	return m, nil
}

// buildObjective builds the terms of the encoder's objective whose weight
// is positive into the encoder graph, in this order: the local MI term
// (beta), the global MI term (alpha) and the prior term (gamma, see
// [Model.buildPrior]). It returns the weighted terms, whose sum is the
// loss, and the parameters the loss trains: the encoder's and the MI
// critics'.
func (m *Model) buildObjective(c *Config, spec architectures.EncoderSpec, out *architectures.EncoderOutput, init *architectures.Init, initSeed uint64) (terms, params G.Nodes, err error) {
	obj, n := m.obj, m.batch
	params = m.Encoder.Learnables()
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
			return nil, nil, err
		}
		if m.LocalMask, err = m.sampled("num_negatives", m.LocalMask, c.NumNegatives); err != nil {
			return nil, nil, err
		}
		newCritic := func() (architectures.LocalCritic, error) {
			return architectures.NewLocalCritic(m.g, init, c.LocalCritic,
				architectures.LocalCriticSpec{LocalChannels: spec.Conv2, GlobalDim: spec.Out, Units: c.MIUnits, IdentityY: c.YEmbedding == yEmbedOfficial})
		}
		if m.LocalCritic, m.local, err = buildMITerm(c, "local", newCritic, out.LocalRows, out.Y, m.LocalMask); err != nil {
			return nil, nil, err
		}
		if err := weighted(obj.Beta, m.local.terms.Loss); err != nil {
			return nil, nil, err
		}
		params = append(params, m.LocalCritic.Learnables()...)
	}
	if obj.Alpha > 0 {
		newCritic := func() (architectures.GlobalCritic, error) {
			return architectures.NewGlobalCritic(m.g, init, c.GlobalCritic,
				architectures.GlobalCriticSpec{FeatureDim: spec.ConvFeatures(), GlobalDim: spec.Out, Units: c.GlobalUnits, IdentityY: c.YEmbedding == yEmbedOfficial})
		}
		if m.GlobalMask, err = m.sampled("num_global_negatives", estimators.Diagonal(n), c.NumGlobalNegatives); err != nil {
			return nil, nil, err
		}
		if m.GlobalCritic, m.global, err = buildMITerm(c, "global", newCritic, out.ConvFlat, out.Y, m.GlobalMask); err != nil {
			return nil, nil, err
		}
		if err := weighted(obj.Alpha, m.global.terms.Loss); err != nil {
			return nil, nil, err
		}
		params = append(params, m.GlobalCritic.Learnables()...)
	}
	if obj.Gamma > 0 {
		if err := m.buildPrior(c, out.Y, initSeed); err != nil {
			return nil, nil, err
		}
		if err := weighted(obj.Gamma, m.priorG); err != nil {
			return nil, nil, err
		}
	}
	if c.CoordWeight > 0 { // DIM(coord), see model_variants.go
		coord, head, err := coordTerm(m.g, init, out.LocalRows, out.Y, n, spec.LocalSize(), c.CoordHidden)
		if err != nil {
			return nil, nil, fmt.Errorf("dim: coord_weight: %w", err)
		}
		if err := weighted(c.CoordWeight, coord); err != nil {
			return nil, nil, err
		}
		m.coordHead = head
		params = append(params, head...)
	}
	return terms, params, nil
}

// sampled returns base, or with k > 0 the mask of a new sampler of k
// negatives per row of base, which [Model.SampleNegatives] then draws
// anew; key names the setting for errors.
func (m *Model) sampled(key string, base *estimators.Mask, k int) (*estimators.Mask, error) {
	if k == 0 {
		return base, nil
	}
	s, err := estimators.NewNegativeSampler(base, k)
	if err != nil {
		return nil, fmt.Errorf("dim: %s = %d: %w", key, k, err)
	}
	m.samplers = append(m.samplers, s)
	return s.Mask, nil
}

// SampleNegatives draws the negatives of step for every term that keeps K
// per positive (num_negatives, num_global_negatives), from a source seeded
// with seed and the step number, so that a resumed run draws what an
// uninterrupted one would; without such a term it does nothing.
func (m *Model) SampleNegatives(seed uint64, step int) error {
	if len(m.samplers) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, uint64(step)))
	for _, s := range m.samplers {
		if err := s.Sample(rng); err != nil {
			return fmt.Errorf("dim: sampling negatives: %w", err)
		}
		// A term whose critic scores only the kept pairs follows its
		// sampler's new draw; a fixed mask's pairs never change.
		for _, t := range []*miTerm{m.local, m.global} {
			if t != nil && t.scored != nil && t.mask == s.Mask {
				if err := t.listScored(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// NegativeCounts returns, for the local and the global term, the number
// of negatives per positive K and InfoNCE's ceiling on the estimate,
// log(K+1) (see [estimators.InfoNCE.Ceiling]); a term that is not built
// is left out of the map. The keys are negatives_local, ceiling_local,
// negatives_global and ceiling_global.
func (m *Model) NegativeCounts() map[string]float64 {
	out := map[string]float64{}
	for _, t := range []struct {
		name string
		mask *estimators.Mask
	}{{"local", m.LocalMask}, {"global", m.GlobalMask}} {
		if t.mask == nil {
			continue
		}
		out["negatives_"+t.name] = float64(t.mask.Count(estimators.Negative)) / float64(t.mask.Rows)
		out["ceiling_"+t.name] = estimators.InfoNCE{}.Ceiling(t.mask)
	}
	return out
}

// critic is what an MI term needs of its critic, local or global.
type critic interface {
	Scores(x, y *G.Node) (*G.Node, error)
	Learnables() G.Nodes
}

// buildMITerm builds the MI term called name ("local" or "global") into
// the encoder graph: a new estimator of c's, the critic that newCritic
// makes, the critic's scores of x against the codes y, and the
// estimator's loss and estimate on them under mask, with the copies that
// a step reads. It returns the critic and the term.
func buildMITerm[C critic](c *Config, name string, newCritic func() (C, error), x, y *G.Node, mask *estimators.Mask) (C, *miTerm, error) {
	var none C
	est, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams))
	if err != nil {
		return none, nil, fmt.Errorf("dim: estimator = %q: %w", c.Estimator, err)
	}
	cr, err := newCritic()
	if err != nil {
		return none, nil, fmt.Errorf("dim: %s_critic: %w", name, err)
	}
	t := &miTerm{est: est, mask: mask}
	scores, err := t.scoreEntries(cr, x, y)
	if err != nil {
		return none, nil, fmt.Errorf("dim: %s critic: %w", name, err)
	}
	registered := c.LocalCritic
	if name == "global" {
		registered = c.GlobalCritic
	}
	if err := architectures.CheckScores(registered, scores, mask.Rows, mask.Cols); err != nil {
		return none, nil, fmt.Errorf("dim: %s_critic: %w", name, err)
	}
	if t.terms, err = estimators.Build(est, scores, mask); err != nil {
		return none, nil, fmt.Errorf("dim: %s %s: %w", name, c.Estimator, err)
	}
	if t.mi, err = keep(t.terms.MI); err != nil {
		return none, nil, err
	}
	if _, ok := est.(estimators.Divergence); ok {
		if t.loss, err = keep(t.terms.Loss); err != nil {
			return none, nil, err
		}
	}
	return cr, t, nil
}

// scoreSubsets lets a critic score only the entries its mask keeps (see
// scoreEntries); the tests turn it off to compare with scoring them all.
var scoreSubsets = true

// scoreEntries returns the critic's scores of x against y: every entry of
// the score matrix, or, when the mask ignores some and the critic can
// score a subset ([architectures.PairSubsetScorer]), only the others (with
// one negative per positive, 2N of the global critic's N² pairs). The
// estimator reads only those entries, so the loss and its gradient are the
// same either way, up to the order of float32 sums.
func (t *miTerm) scoreEntries(cr critic, x, y *G.Node) (*G.Node, error) {
	sub, ok := cr.(architectures.PairSubsetScorer)
	if !ok || !scoreSubsets || t.mask.Count(estimators.Ignored) == 0 {
		return cr.Scores(x, y)
	}
	t.scored = &graph.Pairs{N: t.mask.Rows, R: t.mask.Cols}
	if err := t.listScored(); err != nil {
		return nil, err
	}
	return sub.ScoresAt(x, y, t.scored)
}

// listScored writes the entries of the mask that are not ignored into
// scored, row by row; after the first call their number must not change
// (a sampler redraws the same number of negatives per row).
func (t *miTerm) listScored() error {
	p, m := t.scored, t.mask
	kept := len(m.Roles) - m.Count(estimators.Ignored)
	if p.Len() == 0 {
		p.Rows, p.Cols = make([]int, kept), make([]int, kept)
	} else if kept != p.Len() {
		return fmt.Errorf("dim: the mask scores %d entries, the critic was built for %d", kept, p.Len())
	}
	k := 0
	for i, role := range m.Roles {
		if role != estimators.Ignored {
			p.Rows[k], p.Cols[k] = i/m.Cols, i%m.Cols
			k++
		}
	}
	return nil
}

// buildPrior builds the generator loss into the encoder graph and the
// discriminator's own graph.
func (m *Model) buildPrior(c *Config, y *G.Node, initSeed uint64) error {
	if err := m.buildGenerator(c, y, initSeed); err != nil {
		return err
	}
	return m.buildDiscriminator(c, initSeed)
}

// buildGenerator builds into the encoder graph the weight-frozen copy of
// the prior discriminator and the generator loss
// priorG = mean(softplus(-D(sigmoid(y)))), keeping copies of it and of
// the codes sigmoid(y) to read after a step.
func (m *Model) buildGenerator(c *Config, y *G.Node, initSeed uint64) error {
	h1, h2 := c.PriorHidden[0], c.PriorHidden[1]
	// Both copies start from the same weights (the same seed); they are
	// also synchronised explicitly (see buildDiscriminator).
	var err error
	m.discriminatorCopy, err = architectures.NewPriorDiscriminator(m.g, architectures.NewInit(initSeed^priorInitSalt), c.Code, h1, h2)
	if err != nil {
		return fmt.Errorf("dim: prior_hidden: %w", err)
	}
	var o ops
	squashed := o.do(architectures.Squash, y)
	logits := o.do(m.discriminatorCopy.Forward, squashed)
	m.priorG = o.do(mean, o.do(graph.Softplus, o.do(G.Neg, logits)))
	m.priorGOut = o.do(keep, m.priorG)
	m.codes = o.do(keep, squashed)
	return o.err
}

// buildDiscriminator builds the prior discriminator's own graph, its loss
// (see [Model.discriminatorLoss]) and its Adam, and copies its weights
// into the encoder graph's copy.
func (m *Model) buildDiscriminator(c *Config, initSeed uint64) error {
	h1, h2 := c.PriorHidden[0], c.PriorHidden[1]
	m.gd = G.NewGraph()
	var err error
	if m.Discriminator, err = architectures.NewPriorDiscriminator(m.gd, architectures.NewInit(initSeed^priorInitSalt), c.Code, h1, h2); err != nil {
		return fmt.Errorf("dim: prior_hidden: %w", err)
	}
	n := m.batch
	m.realValue = tensor.New(tensor.Of(architectures.Dtype), tensor.WithShape(n, c.Code))
	m.fakeValue = tensor.New(tensor.Of(architectures.Dtype), tensor.WithShape(n, c.Code))
	m.real = G.NewMatrix(m.gd, architectures.Dtype, G.WithShape(n, c.Code), G.WithName("prior.real"), G.WithValue(m.realValue))
	m.fake = G.NewMatrix(m.gd, architectures.Dtype, G.WithShape(n, c.Code), G.WithName("prior.fake"), G.WithValue(m.fakeValue))
	if m.lossD, err = m.discriminatorLoss(c.PriorPenalty); err != nil {
		return err
	}
	dParams := m.Discriminator.Learnables()
	dGrads, live, err := graph.Grad(m.lossD, dParams...)
	if err != nil {
		return fmt.Errorf("dim: differentiating the discriminator loss: %w", err)
	}
	if m.PriorAdam, err = optim.NewAdamMoments(optim.Moments(c.AdamMoments), dParams, dGrads, c.LR, c.Beta1, c.Beta2); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	m.vmD = graph.NewTapeMachine(live)
	return architectures.CopyValues(m.discriminatorCopy.Learnables(), dParams)
}

// discriminatorLoss builds the discriminator's loss on the real and fake
// batches: mean(softplus(-D(real))) + mean(softplus(D(fake))), plus
// penalty * ½(GP(real) + GP(fake)) when penalty is positive, GP the
// gradient penalty of [architectures.GradientPenalty].
func (m *Model) discriminatorLoss(penalty float64) (*G.Node, error) {
	var o ops
	var dReal, dFake, gReal, gFake *G.Node
	if penalty > 0 {
		var err error
		if dReal, gReal, err = m.Discriminator.ForwardWithInputGradient(m.real); err != nil {
			return nil, err
		}
		if dFake, gFake, err = m.Discriminator.ForwardWithInputGradient(m.fake); err != nil {
			return nil, err
		}
	} else {
		dReal, dFake = o.do(m.Discriminator.Forward, m.real), o.do(m.Discriminator.Forward, m.fake)
	}
	spReal := o.do(graph.Softplus, o.do(G.Neg, dReal))
	spFake := o.do(graph.Softplus, dFake)
	loss := o.do2(G.Add, o.do(mean, spReal), o.do(mean, spFake))
	if penalty > 0 {
		gp := o.do2(G.Add, o.do(architectures.GradientPenalty, gReal), o.do(architectures.GradientPenalty, gFake))
		gp = o.do2(G.Mul, gp, G.NewConstant(float32(0.5*penalty)))
		loss = o.do2(G.Add, loss, gp)
	}
	return loss, o.err
}

// ops builds gorgonia nodes one after another and keeps the first error:
// once an op has failed, the later ones are not built and give nil. The
// nodes are built in the order of the calls.
type ops struct{ err error }

// do returns op(x), or nil after an error.
func (o *ops) do(op func(*G.Node) (*G.Node, error), x *G.Node) *G.Node {
	if o.err != nil {
		return nil
	}
	n, err := op(x)
	o.err = err
	return n
}

// do2 returns op(a, b), or nil after an error.
func (o *ops) do2(op func(a, b *G.Node) (*G.Node, error), a, b *G.Node) *G.Node {
	if o.err != nil {
		return nil
	}
	n, err := op(a, b)
	o.err = err
	return n
}

// mean is G.Mean over every axis.
func mean(x *G.Node) (*G.Node, error) { return G.Mean(x) }

// priorInitSalt separates the discriminator's initial weights from the
// encoder's, which share the run's init seed.
const priorInitSalt = 0x9d1b5a7c3e2f4861

// divergence converts the value of the term's kept loss into the
// divergence its estimator reports, or returns NaN when the term is not
// built (nil) or its estimator reports none.
func (t *miTerm) divergence() (float64, error) {
	d, ok := t.estimator().(estimators.Divergence)
	if !ok || t.loss == nil {
		return math.NaN(), nil
	}
	v, err := architectures.Scalar(t.loss)
	if err != nil {
		return math.NaN(), err
	}
	return d.Divergence(v), nil
}

// DivergenceName returns the name of the divergence that the model's
// estimator reports beside the MI (such as "js" for jsd), or "" when it
// reports none or the model has no MI term.
func (m *Model) DivergenceName() string {
	for _, t := range []*miTerm{m.local, m.global} {
		if d, ok := t.estimator().(estimators.Divergence); ok {
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
	st, update, err := m.encoderPass()
	if err != nil || !update {
		return st, err
	}
	return st, m.Adam.Update()
}

// Step runs one full training step: EncoderStep, SamplePrior(rng) and
// DiscriminatorStep, with their results bit for bit, but with the
// encoder's Adam update running on a helper core while the discriminator
// step runs on the calling one, which then joins the update. (The
// discriminator reads the detached codes and its own weights, which the
// encoder's update does not touch.) Where the encoder step's loss is not
// finite it stops there, with no update and a NaN discriminator loss;
// without a prior term it is EncoderStep.
func (m *Model) Step(rng *rand.Rand) (StepStats, float64, error) {
	if m.vmD == nil {
		st, err := m.EncoderStep()
		return st, math.NaN(), err
	}
	st, update, err := m.encoderPass()
	if err != nil || !update {
		return st, math.NaN(), err
	}
	wait, err := m.Adam.Start()
	if err != nil {
		return st, math.NaN(), err
	}
	dLoss, err := func() (float64, error) {
		defer wait() // on a panic too, so that the helper is freed
		m.SamplePrior(rng)
		return m.DiscriminatorStep()
	}()
	if err != nil {
		err = fmt.Errorf("prior discriminator: %w", err)
	}
	return st, dLoss, err
}

// encoderPass runs EncoderStep but for its Adam update, and reports
// whether that update is due: the loss is finite.
func (m *Model) encoderPass() (StepStats, bool, error) {
	if m.vm == nil {
		return StepStats{}, false, fmt.Errorf("dim: the %s baseline has no objective to train", m.obj.Model)
	}
	defer m.vm.Reset()
	m.occlude()
	if err := G.Let(m.x, m.xValue); err != nil {
		return StepStats{}, false, err
	}
	if err := m.vm.RunAll(); err != nil {
		return StepStats{}, false, err
	}
	st := StepStats{LocalMI: math.NaN(), GlobalMI: math.NaN(), PriorG: math.NaN(),
		LocalDiv: math.NaN(), GlobalDiv: math.NaN()}
	var err error
	if st.Loss, err = architectures.Scalar(m.loss); err != nil {
		return st, false, err
	}
	if m.local != nil {
		if st.LocalMI, err = architectures.Scalar(m.local.mi); err != nil {
			return st, false, err
		}
	}
	if m.global != nil {
		if st.GlobalMI, err = architectures.Scalar(m.global.mi); err != nil {
			return st, false, err
		}
	}
	if st.LocalDiv, err = m.local.divergence(); err != nil {
		return st, false, err
	}
	if st.GlobalDiv, err = m.global.divergence(); err != nil {
		return st, false, err
	}
	if m.priorG != nil {
		if st.PriorG, err = architectures.Scalar(m.priorGOut); err != nil {
			return st, false, err
		}
		// Detach the codes for the discriminator's step.
		copy(m.fakeValue.Float32s(), m.codes.Value().Data().([]float32))
	}
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, false, nil
	}
	for _, t := range []*miTerm{m.local, m.global} {
		if u, ok := t.estimator().(estimators.Updater); ok {
			if err := u.Update(); err != nil {
				return st, false, fmt.Errorf("estimator update: %w", err)
			}
		}
	}
	return st, true, nil
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
// encoder graph. It returns the discriminator's loss before the update,
// its gradient penalty included.
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
		return loss, nil
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
	return loss, nil
}

// Close releases the model's tape machines (see
// [graph.CloseMachine]).
func (m *Model) Close() error {
	err := graph.CloseMachine(m.vm)
	if e := graph.CloseMachine(m.vmD); err == nil {
		err = e
	}
	return err
}
