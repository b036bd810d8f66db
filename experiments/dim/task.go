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
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/infomax/infomax/experiments"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/results"
)

func init() {
	experiments.RegisterTask(experiments.TaskInfo{
		Name:    "dim",
		Summary: "Deep InfoMax on images (Hjelm et al. 2019): global/local/prior objectives, judged by probes",
		Task:    Task{},
	})
}

// Task is the Deep InfoMax task.
type Task struct{}

// NewConfig returns the defaults of [DefaultConfig].
func (Task) NewConfig() experiments.Config { return DefaultConfig() }

// The streams of the run seed: each random choice draws from its own.
const (
	initStream  = 1 // encoder, critic and discriminator weights
	dataStream  = 2 // subsets and the per-epoch shuffles
	priorStream = 3 // samples of the uniform prior
	probeStream = 4 // the probes
)

// deriveSeed maps a run seed and a stream number to an independent 64-bit
// seed (SplitMix64's finalizer).
func deriveSeed(seed int64, stream uint64) uint64 {
	z := uint64(seed) + stream*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Run trains the configured model (unless it is a baseline), logs per-epoch
// metrics (loss, mi_local, mi_global, prior_d_loss, prior_g_loss,
// images_per_second) and returns the probe accuracies and training figures
// described in the package's sweep files: mlp_<f>_acc and linear_<f>_acc for
// each probed feature f (conv, fc, y; input for the pixel baseline),
// mi_local and mi_global (the last epoch's mean estimates in nats, for the
// trained terms), train_seconds and images_per_second.
func (Task) Run(ctx context.Context, cfg experiments.Config, run *experiments.Run) (results.Values, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("dim: config is a %T, want *dim.Config", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	train, test, err := data.Load(c.Dataset, data.Options{
		Path: c.DataPath, TrainSubset: c.TrainSubset, TestSubset: c.TestSubset,
		Normalize: c.Normalize, Seed: deriveSeed(run.Seed, dataStream),
	})
	if err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	if train.H != train.W {
		return nil, fmt.Errorf("dim: dataset = %q has %dx%d images; the encoder needs square ones", c.Dataset, train.H, train.W)
	}
	obj := c.Objective()
	logf(run, "dim run starting", "model", obj.Model, "estimator", c.Estimator,
		"alpha", obj.Alpha, "beta", obj.Beta, "gamma", obj.Gamma, "train", train.N, "test", test.N)
	summary := results.Values{}
	if obj.Model == ModelPixels {
		if err := probePixels(ctx, c, train, test, deriveSeed(run.Seed, probeStream), summary); err != nil {
			return nil, err
		}
		return summary, nil
	}
	if c.BatchSize > train.N {
		return nil, fmt.Errorf("batch_size = %d: larger than the %d training images", c.BatchSize, train.N)
	}
	m, err := NewModel(c, train.C, train.H, deriveSeed(run.Seed, initStream))
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if obj.Model == ModelDIM {
		if err := trainModel(ctx, c, m, train, run, summary); err != nil {
			return nil, err
		}
	}
	if err := probeEncoder(ctx, c, m, train, test, deriveSeed(run.Seed, probeStream), summary); err != nil {
		return nil, err
	}
	return summary, nil
}

// trainModel is the training loop: for each epoch a seeded shuffle, then
// for each full batch an encoder step and, with a prior term, a
// discriminator step. It adds the training figures to summary.
func trainModel(ctx context.Context, c *Config, m *Model, train *data.Set, run *experiments.Run, summary results.Values) error {
	steps := train.N / c.BatchSize
	total := c.Epochs * steps
	priorRNG := rand.New(rand.NewPCG(deriveSeed(run.Seed, priorStream), 0))
	shuffleSeed := deriveSeed(run.Seed, dataStream)
	indices := make([]int, c.BatchSize)
	var trainTime time.Duration
	var last epochMeans
	step := 0
	for epoch := 0; epoch < c.Epochs; epoch++ {
		order := train.Shuffle(shuffleSeed + uint64(epoch))
		var sums epochMeans
		start := time.Now()
		for b := 0; b < steps; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			copy(indices, order[b*c.BatchSize:(b+1)*c.BatchSize])
			train.Batch(indices, m.Input)
			st, err := m.EncoderStep()
			if err != nil {
				return fmt.Errorf("dim: step %d: %w", step, err)
			}
			if reason := nonFinite(st); reason != "" {
				return &experiments.DivergedError{Step: step, Reason: reason}
			}
			m.SamplePrior(priorRNG)
			dLoss, err := m.DiscriminatorStep()
			if err != nil {
				return fmt.Errorf("dim: step %d, prior discriminator: %w", step, err)
			}
			if m.PriorAdam != nil && (math.IsNaN(dLoss) || math.IsInf(dLoss, 0)) {
				return &experiments.DivergedError{Step: step, Reason: fmt.Sprintf("prior discriminator loss is %g", dLoss)}
			}
			sums.add(st, dLoss)
			step++
			run.UpdateProgress(step, total)
		}
		elapsed := time.Since(start)
		trainTime += elapsed
		last = sums.mean()
		if run.Metrics != nil {
			v := last.values()
			v["epoch"] = float64(epoch + 1)
			v["images_per_second"] = float64(steps*c.BatchSize) / elapsed.Seconds()
			if err := run.Metrics.Log(step, v); err != nil {
				return fmt.Errorf("dim: logging epoch %d: %w", epoch+1, err)
			}
		}
		logf(run, "epoch done", "epoch", epoch+1, "loss", last.Loss, "mi_local", last.LocalMI, "mi_global", last.GlobalMI)
	}
	for k, v := range last.values() {
		if k == "loss" || k == "mi_local" || k == "mi_global" {
			summary[k] = v
		}
	}
	summary["train_seconds"] = trainTime.Seconds()
	if trainTime > 0 {
		summary["images_per_second"] = float64(total*c.BatchSize) / trainTime.Seconds()
	}
	return nil
}

// epochMeans accumulates the step values of an epoch.
type epochMeans struct {
	n                                           int
	Loss, LocalMI, GlobalMI, PriorG, PriorDLoss float64
}

func (e *epochMeans) add(st StepStats, dLoss float64) {
	e.n++
	e.Loss += st.Loss
	e.LocalMI += st.LocalMI
	e.GlobalMI += st.GlobalMI
	e.PriorG += st.PriorG
	e.PriorDLoss += dLoss
}

func (e epochMeans) mean() epochMeans {
	n := float64(max(e.n, 1))
	return epochMeans{n: e.n, Loss: e.Loss / n, LocalMI: e.LocalMI / n, GlobalMI: e.GlobalMI / n,
		PriorG: e.PriorG / n, PriorDLoss: e.PriorDLoss / n}
}

// values returns the means by metric name, leaving out the terms that are
// not trained (NaN).
func (e epochMeans) values() results.Values {
	v := results.Values{"loss": e.Loss}
	for k, x := range map[string]float64{"mi_local": e.LocalMI, "mi_global": e.GlobalMI,
		"prior_g_loss": e.PriorG, "prior_d_loss": e.PriorDLoss} {
		if !math.IsNaN(x) {
			v[k] = x
		}
	}
	return v
}

// nonFinite returns why a step's values are unusable, or "" when the loss
// and every built term are finite.
func nonFinite(st StepStats) string {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case bad(st.Loss):
		return fmt.Sprintf("loss is %g", st.Loss)
	case math.IsInf(st.LocalMI, 0):
		return fmt.Sprintf("local MI estimate is %g", st.LocalMI)
	case math.IsInf(st.GlobalMI, 0):
		return fmt.Sprintf("global MI estimate is %g", st.GlobalMI)
	}
	return ""
}

func logf(run *experiments.Run, msg string, args ...any) {
	if run.Log != nil {
		run.Log.Info(msg, args...)
	}
}
