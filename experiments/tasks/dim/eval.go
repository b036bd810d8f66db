package dim

import (
	"context"
	"fmt"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/train/probe"
)

// extractBatch is the batch size of feature extraction; evaluation-mode
// batch norm treats images independently, so it does not change the
// features.
const extractBatch = 250

// probeEncoder extracts the requested features of the train and test
// splits with fx, a frozen copy of the model's encoder (evaluation mode,
// batch norm on running statistics), which it closes, and trains both
// probes on each, adding mlp_<f>_acc and linear_<f>_acc to summary; then
// performs the configured evaluations ([evaluate]).
func probeEncoder(ctx context.Context, c *Config, fx *architectures.FeatureExtractor, train, test *data.Set, seed uint64, summary results.Values) error {
	trainF, testF, err := extractFeatures(fx, train, test)
	if err != nil {
		return err
	}
	for k, name := range c.ProbeFeatures {
		tr := pick(trainF, name, train.Labels)
		te := pick(testF, name, test.Labels)
		if err := runProbes(ctx, c, name, tr, te, train.Classes, seed+uint64(k), summary); err != nil {
			return err
		}
	}
	return evaluate(ctx, c, trainF, testF, train, test, seed, summary)
}

// extractFeatures returns the features of the train and test splits under
// fx and closes it. The extractor's graph holds a batch's activations
// (about 100 MB at a sweep's widths); it is dropped here, before the probes
// train, rather than kept alive beside them.
func extractFeatures(fx *architectures.FeatureExtractor, train, test *data.Set) (trainF, testF *architectures.Features, err error) {
	defer fx.Close()
	if trainF, err = fx.Extract(train.Images, train.N); err != nil {
		return nil, nil, fmt.Errorf("dim: extracting training features: %w", err)
	}
	if testF, err = fx.Extract(test.Images, test.N); err != nil {
		return nil, nil, fmt.Errorf("dim: extracting test features: %w", err)
	}
	return trainF, testF, nil
}

// pick returns one kind of extracted features as probe features.
func pick(f *architectures.Features, name string, labels []int) *probe.Features {
	switch name {
	case "conv":
		return &probe.Features{X: f.Conv, N: f.N, D: f.ConvDim, Labels: labels}
	case "fc":
		return &probe.Features{X: f.FC, N: f.N, D: f.FCDim, Labels: labels}
	}
	return &probe.Features{X: f.Y, N: f.N, D: f.YDim, Labels: labels}
}

// probePixels trains both probes on the raw (possibly normalized) images,
// adding mlp_input_acc and linear_input_acc to summary, then the SVM if
// it is configured ([evaluatePixels]).
func probePixels(ctx context.Context, c *Config, train, test *data.Set, seed uint64, summary results.Values) error {
	tr := &probe.Features{X: train.Images, N: train.N, D: train.Dim(), Labels: train.Labels}
	te := &probe.Features{X: test.Images, N: test.N, D: test.Dim(), Labels: test.Labels}
	if err := runProbes(ctx, c, "input", tr, te, train.Classes, seed, summary); err != nil {
		return err
	}
	return evaluatePixels(ctx, c, train, test, seed, summary)
}

// runProbes trains the MLP and the linear probe on one kind of features.
func runProbes(ctx context.Context, c *Config, name string, train, test *probe.Features, classes int, seed uint64, summary results.Values) error {
	pc := c.probeConfig(seed)
	if pc.BatchSize > train.N {
		return fmt.Errorf("probe_batch_size = %d: larger than the %d training images", pc.BatchSize, train.N)
	}
	mlp, err := probe.TrainMLP(ctx, train, test, classes, pc)
	if err != nil {
		return fmt.Errorf("dim: MLP probe on %s features: %w", name, withSettings(err, c.probeSettings()))
	}
	lin, err := probe.TrainLinear(ctx, train, test, classes, pc)
	if err != nil {
		return fmt.Errorf("dim: linear probe on %s features: %w", name, withSettings(err, c.probeSettings()))
	}
	summary["mlp_"+name+"_acc"] = mlp.TestAccuracy
	summary["linear_"+name+"_acc"] = lin.TestAccuracy
	return nil
}
