// Package consistency is Song and Ermon's self-consistency tests of MI
// estimators on images ("Understanding the Limitations of Variational
// Mutual Information Estimators", ICLR 2020, §6), where the MI is not
// known but its properties are. X is an image, Y_t the same image with its
// rows from t on set to 0. A run trains two critics with one estimator and
// reports the ratio of their estimates on held-out images:
//
//   - baseline: I(X; Y_t) / I(X; X), which should rise with t, towards 1;
//   - data_processing: I([X, X]; [Y_t, Y_{t-drop}]) / I(X; Y_t), which
//     should be 1, as Y_{t-drop} is a function of Y_t;
//   - additivity: I([X1, X2]; [Y1_t, Y2_t]) / I(X; Y_t), for two
//     independent images, which should be 2.
//
// The summary holds "mi" (the test's estimate, the numerator), "mi_ref"
// (the reference's, the denominator) and "ratio", and for the
// data-processing and additivity tests "ideal", the ratio of a consistent
// estimator (1 and 2). Runs are short (seconds to a minute) and keep no
// checkpoint: an interrupted run starts over, and ends with the same
// numbers.
//
// Importing the package registers the task "consistency".
package consistency

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/pair"
	"github.com/infomax/infomax/internal/seed"
)

func init() {
	tasks.Register(tasks.TaskInfo{
		Name: "consistency",
		Summary: "Song and Ermon's self-consistency tests on images (ICLR 2020): test = \"baseline\", \"data_processing\" " +
			"or \"additivity\", Y the image with its rows from t (rows) on set to 0; critic = \"separable-conv\" also reads " +
			"conv_channels, a list (default [64, 128])",
		Task: Task{},
	})
}

// Task is the self-consistency task.
type Task struct{}

// NewConfig returns the defaults (see [DefaultConfig]).
func (Task) NewConfig() tasks.Config { return DefaultConfig() }

// NoCheckpoints says why a consistency run keeps no checkpoint (see
// [tasks.Uncheckpointed]).
func (Task) NoCheckpoints() string {
	return tasks.ShortRunsStartOver
}

// The streams derived from a run's seed.
const (
	dataStream  = 1
	initStream  = 2
	batchStream = 3
	pairStream  = 4
)

// Metrics names the metrics of a run: the summary's, and every log_every
// steps each critic's mean training loss and estimate ("loss", "train_mi"
// for the test's critic, "loss_ref", "train_mi_ref" for the reference's).
func (Task) Metrics(cfg tasks.Config) tasks.Metrics {
	m := tasks.Metrics{
		Summary: []string{"mi", "mi_ref", "ratio", "train_mi", "train_mi_ref"},
		Logged:  []string{"loss", "loss_ref", "train_mi", "train_mi_ref"},
	}
	if c, ok := cfg.(*Config); ok && c.ideal() > 0 {
		m.Summary = append([]string{"ideal"}, m.Summary...)
	}
	return m
}

// ideal returns the ratio a consistent estimator gives in the test: 1 for
// data processing, 2 for additivity, and 0 for the baseline, whose ratio
// should rise with rows but has no one value.
func (c *Config) ideal() float64 {
	switch c.Test {
	case TestDataProcessing:
		return 1
	case TestAdditivity:
		return 2
	}
	return 0
}

// Run loads the images, trains the test's critic and the reference's side
// by side for steps steps, each on batches of its own pairs, and takes
// each one's estimate on the evaluation split: the mean of its estimates
// of consecutive batches (a last partial batch left out), as Song and
// Ermon score theirs. A reference estimate not above 0, whose ratio would
// mean nothing, ends the run as diverged (deterministic, it would again).
func (Task) Run(ctx context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("consistency: config is a %T, want *consistency.Config", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	train, eval, err := loadImages(ctx, c, run.Seed)
	if err != nil {
		return nil, err
	}
	runSeed := uint64(run.Seed)
	views := [2]view{c.testView(), c.referenceView()}
	var critics [2]*critic
	for i, v := range views {
		if critics[i], err = newCritic(c, v, train, seed.Derive(runSeed, initStream)+uint64(i), seed.Derive(runSeed, batchStream)+uint64(i)); err != nil {
			return nil, err
		}
		defer critics[i].m.Close()
	}
	run.Log.Info("consistency run starting", "test", c.Test, "rows", c.Rows, "estimator", c.Estimator,
		"train", train.N, eval.Split, eval.N)
	last, err := trainSideBySide(ctx, c, run, critics)
	if err != nil {
		return nil, err
	}
	out := results.Values{"train_mi": last["train_mi"], "train_mi_ref": last["train_mi_ref"]}
	partner := partners(rand.New(rand.NewPCG(seed.Derive(runSeed, pairStream), 0x9a17)), eval.N)
	for i, key := range []string{"mi", "mi_ref"} {
		if out[key], err = critics[i].estimate(eval, partner); err != nil {
			return nil, err
		}
		if reason := tasks.NonFinite(key, out[key]); reason != "" {
			return nil, &tasks.DivergedError{Step: c.Steps, Reason: reason}
		}
	}
	if out["mi_ref"] <= 0 {
		return nil, &tasks.DivergedError{Step: c.Steps, Reason: fmt.Sprintf("mi_ref = %.4g on the %s split (%.4g in training): "+
			"the reference's estimate is not above 0, and a ratio over it would mean nothing", out["mi_ref"], eval.Split, out["train_mi_ref"])}
	}
	out["ratio"] = out["mi"] / out["mi_ref"]
	if c.ideal() > 0 {
		out["ideal"] = c.ideal()
	}
	run.Log.Info("consistency run done", "mi", out["mi"], "mi_ref", out["mi_ref"], "ratio", out["ratio"])
	return out, nil
}

// loadImages loads the training images and those the estimates are taken
// on (eval_split's), with the subsets drawn from the run's seed, and
// checks that rows fits them.
func loadImages(ctx context.Context, c *Config, runSeed int64) (train, eval *data.Set, err error) {
	sets, err := tasks.Setup(ctx, func() ([2]*data.Set, error) {
		sp, err := data.LoadSplits(c.Dataset, data.Options{Path: c.DataPath, TrainSubset: c.TrainSubset, TestSubset: c.TestSubset,
			ValidationSubset: c.ValidationSubset, Seed: seed.Derive(uint64(runSeed), dataStream)})
		if err != nil {
			return [2]*data.Set{}, err
		}
		if c.EvalSplit == data.SplitValidation {
			return [2]*data.Set{sp.Train, sp.Validation}, nil
		}
		return [2]*data.Set{sp.Train, sp.Test}, nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	train, eval = sets[0], sets[1]
	switch {
	case c.Rows > train.H:
		return nil, nil, fmt.Errorf("rows = %d: dataset = %q has images of %d rows; use at most %d", c.Rows, c.Dataset, train.H, train.H)
	case c.BatchSize > train.N || c.BatchSize > eval.N:
		return nil, nil, fmt.Errorf("batch_size = %d: more than the %d training or %d %s images", c.BatchSize, train.N, eval.N, eval.Split)
	case c.Test != TestBaseline && blankRows(train, c.Rows):
		return nil, nil, fmt.Errorf("rows = %d: the first %d rows of every training image are 0 (MNIST's 28x28 digits are padded with 2 rows of 0 to 32x32), "+
			"so Y holds nothing and I(X; Y), the %s ratio's denominator, is 0; use more rows", c.Rows, c.Rows, c.Test)
	}
	return train, eval, nil
}

// blankRows reports whether the first rows rows of every image of s, in
// every channel, are 0.
func blankRows(s *data.Set, rows int) bool {
	pix, plane := s.Dim(), s.H*s.W
	for i := range s.N {
		for ch := range s.C {
			start := i*pix + ch*plane
			for _, v := range s.Images[start : start+min(rows, s.H)*s.W] {
				if v != 0 {
					return false
				}
			}
		}
	}
	return true
}

// trainSideBySide trains the two critics for c.Steps steps, a step of each
// in turn, logging every log_every steps their mean losses and estimates
// since the last record, and returns the last record.
func trainSideBySide(ctx context.Context, c *Config, run *tasks.Run, critics [2]*critic) (results.Values, error) {
	var sums [4]float64 // loss, mi, loss_ref, mi_ref
	window := 0
	var last results.Values
	for step := 1; step <= c.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i, cr := range critics {
			loss, mi, err := cr.step()
			if de := tasks.Diverged(step, err); de != nil {
				return nil, de
			}
			if err != nil {
				return nil, fmt.Errorf("consistency: step %d: %w", step, err)
			}
			if reason := pair.NonFinite(loss, mi); reason != "" {
				return nil, &tasks.DivergedError{Step: step, Reason: critics[i].name + "'s " + reason}
			}
			sums[2*i], sums[2*i+1] = sums[2*i]+loss, sums[2*i+1]+mi
		}
		window++
		run.UpdateProgress(step, c.Steps)
		if step%c.LogEvery != 0 && step != c.Steps {
			continue
		}
		w := float64(window)
		last = results.Values{"loss": sums[0] / w, "train_mi": sums[1] / w, "loss_ref": sums[2] / w, "train_mi_ref": sums[3] / w}
		if run.Metrics != nil {
			if err := run.Metrics.Log(step, last); err != nil {
				return nil, fmt.Errorf("consistency: logging step %d: %w", step, err)
			}
		}
		sums, window = [4]float64{}, 0
	}
	return last, nil
}

// critic is one of a run's two critics: its model, the view of the
// images it scores, the training images and its batches' source.
type critic struct {
	name  string
	m     *pair.Model
	batch int
	v     view
	two   bool // v reads a second image
	train *data.Set
	rng   *rand.Rand
}

// newCritic builds the critic of v on the training images, its weights
// seeded by initSeed and its batches by batchSeed.
func newCritic(c *Config, v view, train *data.Set, initSeed, batchSeed uint64) (*critic, error) {
	if train.H != train.W {
		return nil, fmt.Errorf("consistency: images of %dx%d: the critics read square images", train.H, train.W)
	}
	dim := train.Dim() * v.images()
	m, err := pair.New(pair.Spec{
		Estimator: c.Estimator, EstimatorParams: c.EstimatorParams, Critic: c.Critic,
		CriticSpec: architectures.CriticSpec{DimX: dim, DimY: dim, Hidden: c.Hidden, Layers: c.Layers, Embed: c.Embed,
			ImageSide: train.H, Channels: c.channels(), Seed: initSeed},
		BatchSize: c.BatchSize, LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Moments: optim.Moments(c.AdamMoments),
	})
	if err != nil {
		return nil, fmt.Errorf("consistency: %w", err)
	}
	return &critic{name: v.name, m: m, batch: c.BatchSize, v: v, two: v.twoImages(), train: train, rng: rand.New(rand.NewPCG(batchSeed, 0xc0de))}, nil
}

// step trains the critic on a batch of training images drawn at random
// (with a second image each, another drawn at random, for a view of two
// images).
func (cr *critic) step() (loss, mi float64, err error) {
	for j := range cr.batch {
		a, b := drawPair(cr.rng, cr.train.N, cr.two)
		cr.v.load(cr.m, j, cr.train, a, b)
	}
	return cr.m.Step()
}

// estimate returns the critic's mean estimate over consecutive batches of
// the images of s, each image i paired, in a view of two images, with
// image partner[i].
func (cr *critic) estimate(s *data.Set, partner []int) (float64, error) {
	b := cr.batch
	batches := s.N / b
	var sum float64
	for k := range batches {
		for j := range b {
			i := k*b + j
			cr.v.load(cr.m, j, s, i, partner[i])
		}
		_, mi, err := cr.m.Eval()
		if err != nil {
			return 0, fmt.Errorf("consistency: %s's estimate: %w", cr.name, err)
		}
		sum += mi
	}
	return sum / float64(batches), nil
}
