package dim

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/internal/graph"
)

// calibrateRandomEncoder calibrates the batch norms of the random
// baseline's untrained encoder on the training images, before its features
// are extracted: one training-mode forward pass over train in its stored
// order, in full batches of the run's batch_size (a last partial batch is
// left out, as in training), with no weight update. Each batch norm's
// running statistics become a cumulative average over the batches (see
// [architectures.CalibrateBatchNorms]): the mean of the per-batch channel
// means and the mean of the per-batch unbiased channel variances, as
// PyTorch's momentum=None. Without it, evaluation-mode batch norm would
// run on the initial statistics (mean 0, variance 1) and be the identity,
// the random-uncalibrated baseline.
func calibrateRandomEncoder(m *Model, train *data.Set) error {
	batches := train.N / m.batch
	if batches < 1 {
		return fmt.Errorf("dim: batch_size = %d: larger than the %d training images, nothing to calibrate on", m.batch, train.N)
	}
	vm := graph.NewTapeMachine(m.g)
	defer graph.CloseMachine(vm)
	indices := make([]int, m.batch)
	err := architectures.CalibrateBatchNorms(m.Encoder.BatchNorms(), batches, func(k int) error {
		for i := range indices {
			indices[i] = k*m.batch + i
		}
		train.Batch(indices, m.Input)
		defer vm.Reset()
		if err := G.Let(m.x, m.xValue); err != nil {
			return err
		}
		return vm.RunAll()
	})
	if err != nil {
		return fmt.Errorf("dim: random encoder: %w", err)
	}
	return nil
}
