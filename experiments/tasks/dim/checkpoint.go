package dim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/infomax/infomax/internal/seed"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
)

// Names of the values a run's checkpoint holds (see [trainer.saveState]).
const (
	stateStep          = "step"
	stateSeed          = "seed"
	stateTrainImages   = "train_images"
	stateConfig        = "config" // + "/<key>" for each of trainingSettings
	stateEncoder       = "encoder"
	stateEncoderBN     = "encoder_bn"
	stateLocalCritic   = "local_critic"
	stateLocalBN       = "local_critic_bn"
	stateGlobalCritic  = "global_critic"
	stateGlobalBN      = "global_critic_bn"
	stateDiscriminator = "discriminator"
	stateAdam          = "adam"
	statePriorAdam     = "prior_adam"
	statePriorRNG      = "prior_rng"
	stateLocalEst      = "estimator_state/local"
	stateGlobalEst     = "estimator_state/global"
	stateEpochSums     = "epoch_sums"
	stateLastEpoch     = "last_epoch"
	stateTrainSeconds  = "train_seconds"
)

// setting is one config key that a checkpoint must have been saved under,
// with its value as text.
type setting struct {
	key, value string
	// absent, when set, is the value of a checkpoint saved before the key
	// existed, which lacks it.
	absent *string
}

// absentYEmbedding is y_embedding in a checkpoint saved before the key
// existed.
var absentYEmbedding = yEmbedAlways

// float64Moments is adam_moments in a checkpoint saved before the key
// existed.
var float64Moments = string(optim.Float64Moments)

// trainingSettings returns the keys that decide the model's shapes and the
// course of its training, so that a checkpoint saved under other values is
// refused with the key named. The probes' keys are left out: probes are
// not checkpointed, they run after training from their own seed.
func trainingSettings(c *Config) []setting {
	obj := c.Objective()
	s := func(key string, v any) setting { return setting{key: key, value: fmt.Sprintf("%v", v)} }
	return append([]setting{
		s("dataset", c.Dataset), s("train_subset", c.TrainSubset), s("normalize", c.Normalize),
		s("model", obj.Model), s("alpha", obj.Alpha), s("beta", obj.Beta), s("gamma", obj.Gamma),
		s("estimator", c.Estimator), s("estimator_params", c.EstimatorParams), s("negatives", c.Negatives),
		s("local_critic", c.LocalCritic), s("global_critic", c.GlobalCritic),
		s("mi_units", c.MIUnits), s("global_units", c.GlobalUnits), s("prior_hidden", c.PriorHidden),
		{key: "y_embedding", value: cmp.Or(c.YEmbedding, absentYEmbedding), absent: &absentYEmbedding},
		s("prior_penalty", c.PriorPenalty),
		s("conv1", c.Conv1), s("conv2", c.Conv2), s("conv3", c.Conv3), s("fc", c.FC), s("code", c.Code),
		s("first_bn", c.FirstBN),
		s("epochs", c.Epochs), s("batch_size", c.BatchSize), s("lr", c.LR), s("beta1", c.Beta1), s("beta2", c.Beta2),
		{key: "adam_moments", value: cmp.Or(c.AdamMoments, float64Moments), absent: &float64Moments},
	}, variantSettings(c)...)
}

// trainer is the state of a run's training loop: the model and everything
// besides it that the rest of the run depends on, which its checkpoints
// hold.
type trainer struct {
	c     *Config
	m     *Model
	train *data.Set
	run   *tasks.Run

	// perEpoch is the number of full batches of an epoch; total the
	// number of steps of the run.
	perEpoch, total int
	// shuffleSeed + epoch seeds each epoch's shuffle, so the order of an
	// epoch is known from its number alone.
	shuffleSeed uint64
	// negativesSeed seeds the negatives drawn at each step (see
	// negativesStream).
	negativesSeed uint64
	// priorSource draws the prior's samples through prior.
	priorSource *rand.PCG
	prior       *rand.Rand

	// step is the number of steps finished.
	step int
	// loop keeps the checkpoint contract of the training loop.
	loop *tasks.Loop
	// sums accumulates the steps of the current epoch; last holds the
	// means of the last finished epoch, from which the summary's training
	// figures come.
	sums, last epochMeans
	// trainSeconds is the time spent training, over every attempt, up to
	// the last call of clock; mark is when that was.
	trainSeconds float64
	mark         time.Time
}

// newTrainer returns a trainer at step 0.
func newTrainer(c *Config, m *Model, train *data.Set, run *tasks.Run) *trainer {
	run = tasks.Unresumable(run, m.unsavedState(c.Estimator))
	perEpoch := train.N / c.BatchSize
	total := c.Epochs * perEpoch
	if c.Steps > 0 {
		total = c.Steps
	}
	src := rand.NewPCG(seed.Derive(uint64(run.Seed), priorStream), 0)
	t := &trainer{c: c, m: m, train: train, run: run,
		perEpoch: perEpoch, total: total,
		negativesSeed: seed.Derive(uint64(run.Seed), negativesStream),
		shuffleSeed:   seed.Derive(uint64(run.Seed), dataStream),
		priorSource:   src, prior: rand.New(src),
		last: epochMeans{Loss: math.NaN(), LocalMI: math.NaN(), GlobalMI: math.NaN(), PriorG: math.NaN(), PriorDLoss: math.NaN(),
			LocalDiv: math.NaN(), GlobalDiv: math.NaN()},
	}
	t.loop = &tasks.Loop{Run: run, Task: "dim", Total: t.total, Save: t.save}
	return t
}

// criticBatchNorms returns the batch-norm layers of a local or global
// critic (nil for the critics that have none), first to last.
func criticBatchNorms(critic any) []*architectures.BatchNorm {
	var nets []*architectures.EmbedNet
	switch c := critic.(type) {
	case *architectures.EncodeAndDot:
		nets = []*architectures.EmbedNet{c.Local, c.Global}
	case *architectures.EncodeAndDotGlobal:
		nets = []*architectures.EmbedNet{c.Features, c.Global}
	}
	var bns []*architectures.BatchNorm
	for _, n := range nets {
		if n != nil {
			bns = append(bns, n.BN)
		}
	}
	return bns
}

// putBatchNorms stores the running statistics of bns under prefix.
func putBatchNorms(st *checkpoint.State, prefix string, bns []*architectures.BatchNorm) {
	st.PutInt(prefix+"/n", int64(len(bns)))
	for i, b := range bns {
		mean, variance := b.RunningStats()
		st.PutFloat64s(fmt.Sprintf("%s/%d/mean", prefix, i), mean)
		st.PutFloat64s(fmt.Sprintf("%s/%d/var", prefix, i), variance)
	}
}

// getBatchNorms restores the running statistics stored by putBatchNorms.
func getBatchNorms(st *checkpoint.State, prefix string, bns []*architectures.BatchNorm) error {
	n, err := st.GetInt(prefix + "/n")
	if err != nil {
		return err
	}
	if int(n) != len(bns) {
		return fmt.Errorf("the checkpoint has %d batch-norm layers in %s, the model has %d (did the model change?)", n, prefix, len(bns))
	}
	for i, b := range bns {
		mean, err := st.GetFloat64s(fmt.Sprintf("%s/%d/mean", prefix, i))
		if err != nil {
			return err
		}
		variance, err := st.GetFloat64s(fmt.Sprintf("%s/%d/var", prefix, i))
		if err != nil {
			return err
		}
		if err := b.SetRunningStats(mean, variance); err != nil {
			return fmt.Errorf("%s: %w (did the model change?)", prefix, err)
		}
	}
	return nil
}

// learnables returns the parameters of a critic that may be nil.
func learnables(critic interface{ Learnables() G.Nodes }) G.Nodes {
	if critic == nil {
		return nil
	}
	return critic.Learnables()
}

// float64s returns the accumulator as a slice, for a checkpoint.
func (e epochMeans) float64s() []float64 {
	return []float64{float64(e.n), e.Loss, e.LocalMI, e.GlobalMI, e.PriorG, e.PriorDLoss, e.LocalDiv, e.GlobalDiv}
}

// epochMeansFrom is the inverse of [epochMeans.float64s]. It also reads the
// 6 values of checkpoints written before the divergences were kept, whose
// divergences are then unknown (NaN) for the rest of that epoch.
func epochMeansFrom(name string, v []float64) (epochMeans, error) {
	if (len(v) != 8 && len(v) != 6) || v[0] < 0 || v[0] != math.Trunc(v[0]) {
		return epochMeans{}, fmt.Errorf("the checkpoint's %s holds %v, want a count and 7 sums", name, v)
	}
	e := epochMeans{n: int(v[0]), Loss: v[1], LocalMI: v[2], GlobalMI: v[3], PriorG: v[4], PriorDLoss: v[5],
		LocalDiv: math.NaN(), GlobalDiv: math.NaN()}
	if len(v) == 8 {
		e.LocalDiv, e.GlobalDiv = v[6], v[7]
	}
	return e, nil
}

// unsavedState returns why a checkpoint cannot hold the state of the
// model's estimators, both registered as name (see
// estimators.UnsavedState), or "" when it can.
func (m *Model) unsavedState(name string) string {
	for _, t := range []*miTerm{m.local, m.global} {
		if e := t.estimator(); e != nil {
			if reason := estimators.UnsavedState(name, e); reason != "" {
				return reason
			}
		}
	}
	return ""
}

// statefulEstimators pairs the model's estimators with their state names;
// an estimator that keeps no state (or is not built) is left out.
func (t *trainer) statefulEstimators() []struct {
	key string
	est estimators.Stateful
} {
	var out []struct {
		key string
		est estimators.Stateful
	}
	for _, e := range []struct {
		key string
		est estimators.Estimator
	}{{stateLocalEst, t.m.local.estimator()}, {stateGlobalEst, t.m.global.estimator()}} {
		if s, ok := e.est.(estimators.Stateful); ok && e.est != nil {
			out = append(out, struct {
				key string
				est estimators.Stateful
			}{e.key, s})
		}
	}
	return out
}

// saveState puts into st everything the rest of the run depends on after
// t.step steps: the training settings and seed (to refuse a checkpoint of
// another run clearly), the weights of the encoder, the critics and the
// prior discriminator (the master copy; the encoder graph's copy is synced
// from it), every batch norm's running statistics, both Adam states, the
// prior's random source, the estimators' own state (mine's moving
// average), the current epoch's sums, the last epoch's means and the
// training time so far. The position in the epoch is t.step modulo the
// epoch's length, and the epoch's shuffle order follows from its number.
func (t *trainer) saveState(st *checkpoint.State) error {
	st.PutInt(stateStep, int64(t.step))
	st.PutInt(stateSeed, t.run.Seed)
	st.PutInt(stateTrainImages, int64(t.train.N))
	for _, s := range trainingSettings(t.c) {
		st.PutBytes(stateConfig+"/"+s.key, []byte(s.value))
	}
	m := t.m
	for _, p := range parameterGroups(m) {
		if err := st.PutNodes(p.key, p.nodes); err != nil {
			return err
		}
	}
	for _, b := range batchNormGroups(m) {
		putBatchNorms(st, b.key, b.bns)
	}
	st.PutAdam(stateAdam, m.Adam)
	if m.PriorAdam != nil {
		st.PutAdam(statePriorAdam, m.PriorAdam)
	}
	if err := st.PutRand(statePriorRNG, t.priorSource); err != nil {
		return err
	}
	for _, e := range t.statefulEstimators() {
		b, err := e.est.MarshalState()
		if err != nil {
			return fmt.Errorf("estimator %s: %w", t.c.Estimator, err)
		}
		st.PutBytes(e.key, b)
	}
	st.PutFloat64s(stateEpochSums, t.sums.float64s())
	st.PutFloat64s(stateLastEpoch, t.last.float64s())
	st.PutFloat64s(stateTrainSeconds, []float64{t.trainSeconds})
	return nil
}

// restoreState copies a state written by [trainer.saveState] back into the
// trainer and its model, which must have been made for the same config and
// seed, and sets t.step to the checkpoint's step.
func (t *trainer) restoreState(st *checkpoint.State) error {
	step, err := t.checkOrigin(st)
	if err != nil {
		return err
	}
	if err := t.restoreModel(st); err != nil {
		return err
	}
	if err := t.restoreEpochs(st, step); err != nil {
		return err
	}
	t.step = step
	return nil
}

// checkOrigin checks that st was saved by a run of this one's training
// settings, seed and training images, and returns its step, which must be
// one of the run's.
func (t *trainer) checkOrigin(st *checkpoint.State) (step int, err error) {
	for _, s := range trainingSettings(t.c) {
		b, err := st.GetBytes(stateConfig + "/" + s.key)
		if _, saved := st.Bytes[stateConfig+"/"+s.key]; !saved && s.absent != nil {
			b, err = []byte(*s.absent), nil
		}
		if err != nil {
			return 0, err
		}
		if string(b) != s.value {
			return 0, fmt.Errorf("the checkpoint was saved with %s = %s, the config has %s = %s", s.key, b, s.key, s.value)
		}
	}
	seed, err := st.GetInt(stateSeed)
	if err != nil {
		return 0, err
	}
	if seed != t.run.Seed {
		return 0, fmt.Errorf("the checkpoint was saved by a run with seed %d, this run has seed %d", seed, t.run.Seed)
	}
	images, err := st.GetInt(stateTrainImages)
	if err != nil {
		return 0, err
	}
	if int(images) != t.train.N {
		return 0, fmt.Errorf("the checkpoint was saved training on %d images, the data set now gives %d", images, t.train.N)
	}
	s, err := st.GetInt(stateStep)
	if err != nil {
		return 0, err
	}
	if s < 1 || s > int64(t.total) {
		return 0, fmt.Errorf("the checkpoint's step %d is outside the run's steps 1 to %d", s, t.total)
	}
	return int(s), nil
}

// restoreModel restores the model's part of st: the weights (and the
// encoder graph's copy of the discriminator's), the batch norms' running
// statistics, both Adam states, the prior's random source and the
// estimators' own state.
func (t *trainer) restoreModel(st *checkpoint.State) error {
	m := t.m
	for _, p := range parameterGroups(m) {
		if err := st.GetNodes(p.key, p.nodes); err != nil {
			return err
		}
	}
	if m.Discriminator != nil {
		if err := architectures.CopyValues(m.discriminatorCopy.Learnables(), m.Discriminator.Learnables()); err != nil {
			return err
		}
	}
	for _, b := range batchNormGroups(m) {
		if err := getBatchNorms(st, b.key, b.bns); err != nil {
			return err
		}
	}
	if err := st.GetAdam(stateAdam, m.Adam); err != nil {
		return err
	}
	if m.PriorAdam != nil {
		if err := st.GetAdam(statePriorAdam, m.PriorAdam); err != nil {
			return err
		}
	}
	if err := st.GetRand(statePriorRNG, t.priorSource); err != nil {
		return err
	}
	for _, e := range t.statefulEstimators() {
		b, err := st.GetBytes(e.key)
		if err != nil {
			return err
		}
		if err := e.est.UnmarshalState(b); err != nil {
			return err
		}
	}
	return nil
}

// restoreEpochs restores the current epoch's sums, which must count the
// steps of its epoch that step has finished (none after the last step,
// which closes the last epoch however short), the last epoch's means and
// the training time.
func (t *trainer) restoreEpochs(st *checkpoint.State, step int) error {
	for _, a := range []struct {
		key string
		dst *epochMeans
	}{{stateEpochSums, &t.sums}, {stateLastEpoch, &t.last}} {
		v, err := st.GetFloat64s(a.key)
		if err != nil {
			return err
		}
		if *a.dst, err = epochMeansFrom(a.key, v); err != nil {
			return err
		}
	}
	into := step % t.perEpoch
	if step == t.total {
		into = 0
	}
	if into != t.sums.n {
		return fmt.Errorf("the checkpoint's step %d is %d steps into its epoch, but its epoch sums count %d", step, into, t.sums.n)
	}
	secs, err := st.GetFloat64s(stateTrainSeconds)
	if err != nil {
		return err
	}
	if len(secs) != 1 {
		return fmt.Errorf("the checkpoint's %s holds %d values, want 1", stateTrainSeconds, len(secs))
	}
	t.trainSeconds = secs[0]
	return nil
}

// resume restores the run's last checkpoint, if there is one, so that
// training continues after its step.
func (t *trainer) resume() error {
	restored := false
	at, err := checkpoint.Resume(t.run.Checkpoint, func(st *checkpoint.State) error {
		restored = true
		return t.restoreState(st)
	})
	if err != nil && !restored {
		return fmt.Errorf("dim: reading the checkpoint: %w (if it is corrupt, delete %s in the run directory to start the run over)", err, checkpoint.FileName)
	}
	if err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	if restored && at != t.step {
		return fmt.Errorf("dim: the checkpoint file says step %d but its state is of step %d (delete %s in the run directory to start the run over)", at, t.step, checkpoint.FileName)
	}
	return nil
}

// save writes a checkpoint after step, the current step; it is the Save
// of t.loop, which names the step in its errors.
func (t *trainer) save(step int) error {
	t.clock()
	if err := checkpoint.SaveState(t.run.Checkpoint, step, t.saveState); err != nil {
		return err
	}
	if !t.mark.IsZero() {
		t.mark = time.Now() // the save's own time is not training time
	}
	return nil
}

// laterSave encodes now the checkpoint that t.loop would save if the run
// were stopped (see [tasks.Loop.Stopped]) and returns a function that
// saves it, so that the model can be released before the checkpoint is
// needed. It returns nil when the loop would save nothing or the run has
// no checkpointer.
func (t *trainer) laterSave() (func() error, error) {
	if !t.loop.Pending() || t.run.Checkpoint == nil {
		return nil, nil
	}
	t.clock()
	st := checkpoint.NewState()
	if err := t.saveState(st); err != nil {
		return nil, fmt.Errorf("dim: saving the checkpoint after step %d: %w", t.step, err)
	}
	b, err := st.Encode()
	if err != nil {
		return nil, fmt.Errorf("dim: saving the checkpoint after step %d: %w", t.step, err)
	}
	cp, step := t.run.Checkpoint, t.step
	return func() error {
		if err := cp.Save(step, b); err != nil {
			return fmt.Errorf("dim: saving the checkpoint after step %d: %w", step, err)
		}
		return nil
	}, nil
}

// clock adds the time since the last call, or since training started, to
// the training time. It does nothing while training is not running (a
// zero mark).
func (t *trainer) clock() {
	if t.mark.IsZero() {
		return
	}
	now := time.Now()
	t.trainSeconds += now.Sub(t.mark).Seconds()
	t.mark = now
}

// parameterGroup is one network's parameters under their checkpoint key.
type parameterGroup struct {
	key   string
	nodes G.Nodes
}

// parameterGroups lists the networks whose weights a checkpoint holds, in
// one place so that saving and restoring always agree.
func parameterGroups(m *Model) []parameterGroup {
	return []parameterGroup{
		{stateEncoder, m.Encoder.Learnables()},
		{stateLocalCritic, learnables(m.LocalCritic)},
		{stateGlobalCritic, learnables(m.GlobalCritic)},
		{stateDiscriminator, learnables(m.Discriminator)},
		{stateCoordHead, m.coordHead}, // DIM(coord), model_variants.go
	}
}

// batchNormGroup is one network's batch-norm layers under their
// checkpoint key.
type batchNormGroup struct {
	key string
	bns []*architectures.BatchNorm
}

// batchNormGroups lists the batch-norm layers whose running statistics a
// checkpoint holds, in one place so that saving and restoring always
// agree.
func batchNormGroups(m *Model) []batchNormGroup {
	return []batchNormGroup{
		{stateEncoderBN, m.Encoder.BatchNorms()},
		{stateLocalBN, criticBatchNorms(m.LocalCritic)},
		{stateGlobalBN, criticBatchNorms(m.GlobalCritic)},
	}
}
