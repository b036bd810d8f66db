// Package dim is Deep InfoMax (Hjelm et al., ICLR 2019) on images: an
// encoder trained to maximize the mutual information between its global
// code Y and its local feature map (DIM(L)), its conv features (DIM(G)), or
// both, with any registered estimator, plus adversarial matching of
// sigmoid(Y) to a uniform prior; then judged by probes trained on the
// frozen features of the training split and scored on the test split.
//
// Faithful to the paper where the popular ports are not: the local
// negatives of an image are every location of every other image of the
// batch (negatives = "all"; "roll" gives the ports' one shifted image, to
// measure the difference), the prior discriminator is trained
// adversarially with its own optimizer on detached codes, and the probes
// are scored on the held-out test split.
//
// Importing the package registers the task "dim".
package dim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/infomax/infomax/internal/seed"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

func init() {
	tasks.Register(tasks.TaskInfo{
		Name:    "dim",
		Summary: "Deep InfoMax on images (Hjelm et al. 2019): global/local/prior objectives, judged by probes",
		Task:    Task{},
	})
}

// Task is the Deep InfoMax task.
type Task struct{}

// NewConfig returns the defaults of [DefaultConfig].
func (Task) NewConfig() tasks.Config { return DefaultConfig() }

// The streams of the run seed: each random choice draws from its own.
const (
	initStream  = 1 // encoder, critic and discriminator weights
	dataStream  = 2 // subsets and the per-epoch shuffles
	priorStream = 3 // samples of the uniform prior
	probeStream = 4 // the probes
	// negativesStream seeds the negatives drawn at each step
	// (num_negatives): step s draws from a source seeded with the
	// stream's seed and s, so a resumed run draws what an uninterrupted
	// one would.
	negativesStream = 5
)

// Run trains the configured model (unless it is a baseline), logs per-epoch
// metrics (epoch, loss, mi_local, mi_global, prior_d_loss, prior_g_loss and
// the wall-clock images_per_second, plus train_seconds with the last epoch)
// and returns the probe accuracies and training figures described in the
// package's sweep files: mlp_<f>_acc and linear_<f>_acc for each probed
// feature f (conv, fc, y; input for the pixel baseline), and loss, mi_local
// and mi_global (the last epoch's mean loss and estimates in nats, for the
// trained terms). Wall-clock figures are kept out of the summary, which an
// interrupted and resumed run must reproduce exactly.
//
// With run.Checkpoint set, a trained model follows the checkpoint contract
// of package checkpoint at the granularity of a step: Run first resumes
// from the last checkpoint, if any (in mid-epoch too), saves one after
// every step s (counted from 1, as the metrics' steps are) for which
// Checkpoint.Due(s) is true, and when ctx is done saves one for the last
// finished step before returning ctx.Err(). The probes are not
// checkpointed: a run stopped after training, while probing, resumes from
// its last step and runs the probes again, which are deterministic given
// the run's seed. A resumed run logs and returns exactly what an
// uninterrupted run with the same seed would, except for the wall-clock
// images_per_second and train_seconds.
//
// With run.KeepModel, the encoder is written to KeptEncoder in run.Dir
// once trained (or calibrated), before the probes, and again, the same
// bytes, by a run resumed after its training. With encoder_file set, Run
// trains nothing: it loads that encoder and probes it, returning the
// probe and evaluation metrics alone, which are those of the run that
// kept it where the seed, data and probe settings are the same.
func (Task) Run(ctx context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("dim: config is a %T, want *dim.Config", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	// Loading and building take a while and cannot stop midway: an
	// interrupt leaves them to finish in the background.
	sets, err := tasks.Setup(ctx, func() ([2]*data.Set, error) {
		train, test, err := loadData(c, run.Seed)
		return [2]*data.Set{train, test}, err
	}, nil)
	if err != nil {
		return nil, err
	}
	train, test := sets[0], sets[1]
	probeSeed := seed.Derive(uint64(run.Seed), probeStream)
	summary := results.Values{}
	if obj := c.Objective(); obj.Model == ModelPixels {
		logf(run, "dim run starting", "model", obj.Model, "train", train.N, test.Split, test.N)
		if err := probePixels(ctx, c, train, test, probeSeed, summary); err != nil {
			return nil, evaluationDiverged(0, err)
		}
		return summary, nil
	}
	var fx *architectures.FeatureExtractor
	var saveTraining func() error
	var steps int
	if c.EncoderFile != "" {
		fx, err = keptExtractor(c, run, train, test)
	} else {
		fx, saveTraining, steps, err = trainEncoder(ctx, c, run, train, test, summary)
	}
	if err != nil {
		return nil, err
	}
	if err := probeEncoder(ctx, c, fx, train, test, probeSeed, summary); err != nil {
		err = evaluationDiverged(steps, err)
		var de *tasks.DivergedError
		if (ctx.Err() != nil || errors.As(err, &de)) && saveTraining != nil {
			// Stopped or diverged while probing: keep the finished
			// training, to resume from it.
			if serr := saveTraining(); serr != nil {
				return nil, errors.Join(err, serr)
			}
		}
		return nil, err
	}
	return summary, nil
}

// evaluationDiverged returns err as a *tasks.DivergedError at step, the
// encoder's last training step, after training, when a probe or an
// evaluation model diverged, its reason err's whole message (which names
// the probe or the evaluation): deterministic, so running the run again
// would diverge again. Any other err is returned as it is.
func evaluationDiverged(step int, err error) error {
	if de := tasks.Diverged(step, err); de != nil {
		de.Reason, de.AfterTraining = err.Error(), true
		return de
	}
	return err
}

// withSettings adds to err, when a probe or an evaluation model diverged,
// the settings that would tame it, such as "probe_lr = 0.001".
func withSettings(err error, settings string) error {
	if tasks.Diverged(0, err) != nil {
		return fmt.Errorf("%w (%s)", err, settings)
	}
	return err
}

// probeSettings are the settings of a diverged probe's message.
func (c *Config) probeSettings() string {
	return fmt.Sprintf("probe_lr = %g, probe_standardize = %v", c.ProbeLR, c.ProbeStandardize)
}

// loadData loads the training split and the split the probes are scored
// on (eval_split: the test split, or the validation images held out of the
// training split), their subsets drawn from the run seed's data stream
// (data.LoadSplits checks that they are ImageSide square). With
// eval_split = "validation" the test split is dropped here, unused.
func loadData(c *Config, runSeed int64) (train, test *data.Set, err error) {
	sp, err := data.LoadSplits(c.Dataset, data.Options{
		Path: c.DataPath, TrainSubset: c.TrainSubset, TestSubset: c.TestSubset, ValidationSubset: c.ValidationSubset,
		Normalize: c.Normalize, Seed: seed.Derive(uint64(runSeed), dataStream),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("dim: %w", err)
	}
	train, test = sp.Train, sp.Test
	if c.EvalSplit == data.SplitValidation {
		test = sp.Validation
	}
	return train, test, nil
}

// trainEncoder builds the model and, unless it is a random baseline,
// trains it from the run's last checkpoint, if any, adding the training
// figures to summary; the random baseline's batch norms are calibrated on
// the training images instead (see calibrateRandomEncoder). The probes need only a frozen copy of the encoder:
// trainEncoder returns that copy, the function that saves the
// checkpoint of the finished training when the probes are stopped (nil
// when there is none to save) and the number of training steps (0 for an
// encoder not trained), and releases the training model, whose
// graphs hold a training batch's activations and gradients (most of a
// run's memory), before the features are extracted and the probes
// trained.
func trainEncoder(ctx context.Context, c *Config, run *tasks.Run, train, test *data.Set, summary results.Values) (fx *architectures.FeatureExtractor, save func() error, steps int, err error) {
	obj := c.Objective()
	if c.BatchSize > train.N {
		return nil, nil, 0, fmt.Errorf("batch_size = %d: larger than the %d training images", c.BatchSize, train.N)
	}
	m, err := tasks.Setup(ctx, func() (*Model, error) {
		return NewModel(c, train.C, train.H, seed.Derive(uint64(run.Seed), initStream))
	}, func(m *Model) { m.Close() })
	if err != nil {
		return nil, nil, 0, err
	}
	defer m.Close()
	var t *trainer
	if obj.Model == ModelDIM {
		t = newTrainer(c, m, train, run)
		if err := t.resume(); err != nil {
			return nil, nil, 0, err
		}
	}
	args := []any{"model", obj.Model, "estimator", c.Estimator,
		"alpha", obj.Alpha, "beta", obj.Beta, "gamma", obj.Gamma, "train", train.N, test.Split, test.N}
	if t != nil && t.step > 0 {
		logf(run, "dim run resuming", append(args, "step", t.step, "steps", t.total)...)
	} else {
		logf(run, "dim run starting", args...)
	}
	if t != nil {
		if err := t.trainModel(ctx); err != nil {
			return nil, nil, 0, err
		}
		div := m.DivergenceName()
		for k, v := range t.last.values(div) {
			switch k {
			case "loss", "mi_local", "mi_global", div + "_local", div + "_global":
				summary[k] = v
			}
		}
		maps.Copy(summary, m.NegativeCounts())
	}
	if err := settleEncoder(c, run, m, train); err != nil {
		return nil, nil, 0, err
	}
	fx, err = architectures.NewFeatureExtractor(m.Encoder, extractBatch)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("dim: %w", err)
	}
	if t != nil {
		if save, err = t.laterSave(); err != nil {
			fx.Close()
			return nil, nil, 0, err
		}
		steps = t.step
	}
	fx.Detach()
	return fx, save, steps, nil
}

// settleEncoder readies the encoder that training left for the probes:
// it calibrates the random baseline's batch norms (see
// calibrateRandomEncoder) and, when the run keeps its model, writes the
// encoder to its folder (see keepEncoder).
func settleEncoder(c *Config, run *tasks.Run, m *Model, train *data.Set) error {
	if c.Objective().Model == ModelRandom {
		if err := calibrateRandomEncoder(m, train); err != nil {
			return err
		}
	}
	if run.KeepModel && run.Dir != "" {
		return keepEncoder(c, run, m.Encoder, train)
	}
	return nil
}

// untrainedHint is what a divergence of the MI terms at step adds to its
// reason: nothing after the first step; at the first, before any update,
// that no learning rate helps, since the untrained critics' scores already
// break the estimator, and, where the local term has the encode-and-dot
// critic, why its scores are large and what runs instead. Its initial
// scores are dot products of two layer-normed embeddings mi_units wide,
// of the order of sqrt(mi_units) (45 at 2048) and several times that at
// the extremes of a batch's pairs; a loss with a mean of e^s over K
// negatives, as nwj's and mine's, passes the divergence limit
// (tasks.MaxMagnitude, 1e6) from a score of about 14 + log K, and
// overflows float32 from 88.
func untrainedHint(c *Config, step int) string {
	if step > 0 {
		return ""
	}
	hint := fmt.Sprintf("; this is the untrained model's first step, so no learning rate helps: its critics' first scores already break estimator = %q", c.Estimator)
	if obj := c.Objective(); obj.Beta > 0 && c.LocalCritic == encodeAndDot {
		others := slices.DeleteFunc([]string{"jsd", "infonce", "dv", "smile"}, func(e string) bool { return e == c.Estimator })
		hint += fmt.Sprintf(" (the encode-and-dot local critic's first scores are of the order of sqrt(mi_units) = %.0f, several times that at a batch's extremes, "+
			"and a loss with a mean of e^s over the negatives, as nwj's and mine's, passes %g from scores of about 14 + log(negatives)); "+
			"use an estimator without one (%s) or local_critic = %q", math.Sqrt(float64(c.MIUnits)), float64(tasks.MaxMagnitude), strings.Join(others, ", "), concatAndConvolve)
	}
	return hint
}

// trainModel is the training loop, from step t.step on: each epoch is a
// seeded shuffle (the seed is the epoch's, so a resumed epoch has the same
// order), then for each full batch an encoder step and, with a prior term,
// a discriminator step. It logs each epoch's means (see
// [trainer.endEpoch]) and keeps the checkpoint contract of [Task.Run]
// through t.loop.
func (t *trainer) trainModel(ctx context.Context) error {
	c, m := t.c, t.m
	indices := make([]int, c.BatchSize)
	var order []int
	t.mark = time.Now()
	defer func() { t.clock(); t.mark = time.Time{} }()
	epochStart, epochImages := time.Now(), 0
	for t.step < t.total {
		if err := t.loop.Stopped(ctx); err != nil {
			return err
		}
		epoch, b := t.step/t.perEpoch, t.step%t.perEpoch
		if order == nil || b == 0 {
			order = t.train.Shuffle(t.shuffleSeed + uint64(epoch))
		}
		copy(indices, order[b*c.BatchSize:(b+1)*c.BatchSize])
		t.train.Batch(indices, m.Input)
		if err := m.SampleNegatives(t.negativesSeed, t.step); err != nil {
			return err
		}
		st, dLoss, err := m.Step(t.prior)
		if de := tasks.Diverged(t.step+1, err); de != nil {
			de.Reason += untrainedHint(c, t.step)
			return de
		}
		if err != nil {
			return fmt.Errorf("dim: step %d: %w", t.step, err)
		}
		if reason := nonFinite(st); reason != "" {
			return &tasks.DivergedError{Step: t.step + 1, Reason: reason + untrainedHint(c, t.step)}
		}
		if m.PriorAdam != nil {
			if reason := tasks.NonFinite("prior discriminator loss", dLoss); reason != "" {
				return &tasks.DivergedError{Step: t.step + 1, Reason: reason}
			}
		}
		t.sums.add(st, dLoss)
		t.step++
		epochImages += c.BatchSize
		if b == t.perEpoch-1 || t.step == t.total {
			if err := t.endEpoch(epoch, epochStart, epochImages); err != nil {
				return err
			}
			epochStart, epochImages = time.Now(), 0
		}
		if err := t.loop.StepDone(t.step, t.step); err != nil {
			return err
		}
	}
	return nil
}

// endEpoch closes epoch (counted from 0), whose last step has just
// finished: its means become t.last and are logged, to the metrics with
// the wall-clock images_per_second of the images trained since start in
// this attempt (and train_seconds after the last epoch), and to the log.
func (t *trainer) endEpoch(epoch int, start time.Time, images int) error {
	c, m, run := t.c, t.m, t.run
	t.last, t.sums = t.sums.mean(), epochMeans{}
	if run.Metrics != nil {
		v := t.last.values(m.DivergenceName())
		v["epoch"] = float64(epoch + 1)
		// Wall-clock figures differ between runs, so they are logged
		// here and kept out of the summary. An epoch resumed in its
		// middle counts this attempt's images.
		if elapsed := time.Since(start).Seconds(); elapsed > 0 {
			v["images_per_second"] = float64(images) / elapsed
		}
		if t.step == t.total {
			t.clock()
			v["train_seconds"] = t.trainSeconds
		}
		if err := run.Metrics.Log(t.step, v); err != nil {
			return fmt.Errorf("dim: logging epoch %d: %w", epoch+1, err)
		}
	}
	// The log names the trained terms only: a term with weight 0 has no
	// value (NaN), and is left out as in the metrics.
	shown := t.last.values(m.DivergenceName())
	args := []any{"epoch", epoch + 1}
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		args = append(args, k, shown[k])
	}
	logf(run, "epoch done", args...)
	if math.IsInf(t.last.LocalMI, 0) || math.IsInf(t.last.GlobalMI, 0) {
		logf(run, "an MI read-out overflowed this epoch and is left out of the metrics; the loss is finite, so training goes on",
			"epoch", epoch+1, "estimator", c.Estimator)
	}
	return nil
}

// epochMeans accumulates the step values of an epoch.
type epochMeans struct {
	n                                           int
	Loss, LocalMI, GlobalMI, PriorG, PriorDLoss float64
	LocalDiv, GlobalDiv                         float64
}

func (e *epochMeans) add(st StepStats, dLoss float64) {
	e.n++
	e.Loss += st.Loss
	e.LocalMI += st.LocalMI
	e.GlobalMI += st.GlobalMI
	e.PriorG += st.PriorG
	e.PriorDLoss += dLoss
	e.LocalDiv += st.LocalDiv
	e.GlobalDiv += st.GlobalDiv
}

func (e epochMeans) mean() epochMeans {
	n := float64(max(e.n, 1))
	return epochMeans{n: e.n, Loss: e.Loss / n, LocalMI: e.LocalMI / n, GlobalMI: e.GlobalMI / n,
		PriorG: e.PriorG / n, PriorDLoss: e.PriorDLoss / n, LocalDiv: e.LocalDiv / n, GlobalDiv: e.GlobalDiv / n}
}

// values returns the means by metric name, leaving out the terms that are
// not trained (NaN) and read-outs that overflowed (±Inf). div names the
// divergence the estimator reports (see [Model.DivergenceName]): its values
// are <div>_local and <div>_global.
func (e epochMeans) values(div string) results.Values {
	v := results.Values{"loss": e.Loss}
	named := map[string]float64{"mi_local": e.LocalMI, "mi_global": e.GlobalMI,
		"prior_g_loss": e.PriorG, "prior_d_loss": e.PriorDLoss}
	if div != "" {
		named[div+"_local"], named[div+"_global"] = e.LocalDiv, e.GlobalDiv
	}
	for k, x := range named {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v[k] = x
		}
	}
	return v
}

// nonFinite returns why a step's values are unusable, or "" when its loss
// is finite. A non-finite MI read-out with a finite loss is not a
// divergence: jsd's NWJ read-out, e^s averaged over the negatives,
// overflows float32 once a critic's scores pass about 88, while the
// softplus loss it trains on stays finite; such an epoch's read-out is left
// out of the metrics and reported in the log (see [epochMeans.values]).
func nonFinite(st StepStats) string { return tasks.NonFinite("loss", st.Loss) }

func logf(run *tasks.Run, msg string, args ...any) {
	if run.Log != nil {
		run.Log.Info(msg, args...)
	}
}
