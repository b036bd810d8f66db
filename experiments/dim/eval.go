package dim

import (
	"context"
	"fmt"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/probe"
	"github.com/infomax/infomax/experiments/results"
)

// extractBatch is the batch size of feature extraction; evaluation-mode
// batch norm treats images independently, so it does not change the
// features.
const extractBatch = 250

// probeEncoder freezes the model's encoder (a copy in evaluation mode, batch
// norm on running statistics), extracts the requested features of the
// train and test splits, and trains both probes on each, adding
// mlp_<f>_acc and linear_<f>_acc to summary.
func probeEncoder(ctx context.Context, c *Config, m *Model, train, test *data.Set, seed uint64, summary results.Values) error {
	fx, err := architectures.NewFeatureExtractor(m.Encoder, extractBatch)
	if err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	defer fx.Close()
	trainF, err := fx.Extract(train.Images, train.N)
	if err != nil {
		return fmt.Errorf("dim: extracting training features: %w", err)
	}
	testF, err := fx.Extract(test.Images, test.N)
	if err != nil {
		return fmt.Errorf("dim: extracting test features: %w", err)
	}
	for k, name := range c.ProbeFeatures {
		tr := pick(trainF, name, train.Labels)
		te := pick(testF, name, test.Labels)
		if err := runProbes(ctx, c, name, tr, te, train.Classes, seed+uint64(k), summary); err != nil {
			return err
		}
	}
	return nil
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
// adding mlp_input_acc and linear_input_acc to summary.
func probePixels(ctx context.Context, c *Config, train, test *data.Set, seed uint64, summary results.Values) error {
	tr := &probe.Features{X: train.Images, N: train.N, D: train.Dim(), Labels: train.Labels}
	te := &probe.Features{X: test.Images, N: test.N, D: test.Dim(), Labels: test.Labels}
	return runProbes(ctx, c, "input", tr, te, train.Classes, seed, summary)
}

// runProbes trains the MLP and the linear probe on one kind of features.
func runProbes(ctx context.Context, c *Config, name string, train, test *probe.Features, classes int, seed uint64, summary results.Values) error {
	pc := c.probeConfig(seed)
	if pc.BatchSize > train.N {
		return fmt.Errorf("probe_batch_size = %d: larger than the %d training images", pc.BatchSize, train.N)
	}
	mlp, err := probe.TrainMLP(ctx, train, test, classes, pc)
	if err != nil {
		return fmt.Errorf("dim: MLP probe on %s features: %w", name, err)
	}
	lin, err := probe.TrainLinear(ctx, train, test, classes, pc)
	if err != nil {
		return fmt.Errorf("dim: linear probe on %s features: %w", name, err)
	}
	summary["mlp_"+name+"_acc"] = mlp.TestAccuracy
	summary["linear_"+name+"_acc"] = lin.TestAccuracy
	return nil
}
