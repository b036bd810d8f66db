package architectures

import "fmt"

// CalibrateBatchNorms sets the running statistics of the batch norms bns to
// the statistics of the data that run feeds through them, a cumulative
// average over batches rather than an exponential moving one: run(k), for
// k = 0 … batches-1, must run one training-mode forward pass of batch k
// through the graph of bns (and update nothing else). Afterwards each
// layer's running mean is the average over the batches of the per-batch
// channel means, and its running variance the average of the per-batch
// unbiased channel variances (denominator rows-1, rows being every
// location of every image of the batch), which is what PyTorch's
// BatchNorm with momentum=None keeps. The average is built with the
// ordinary update, new = (1-m) old + m batch, at momentum m = 1/(k+1) for
// batch k, so the initial statistics drop out at the first batch. The
// layers' modes and momenta are restored at the end, also on an error.
func CalibrateBatchNorms(bns []*BatchNorm, batches int, run func(k int) error) (err error) {
	if batches < 1 {
		return fmt.Errorf("batch norm calibration: %d batches; need at least 1", batches)
	}
	type saved struct {
		training bool
		momentum float64
	}
	was := make([]saved, len(bns))
	for i, b := range bns {
		was[i] = saved{b.Training(), b.Momentum()}
		b.SetTraining(true)
	}
	defer func() {
		for i, b := range bns {
			b.SetTraining(was[i].training)
			if e := b.SetMomentum(was[i].momentum); err == nil {
				err = e
			}
		}
	}()
	for k := 0; k < batches; k++ {
		for _, b := range bns {
			if err := b.SetMomentum(1 / float64(k+1)); err != nil {
				return err
			}
		}
		if err := run(k); err != nil {
			return fmt.Errorf("batch norm calibration, batch %d: %w", k, err)
		}
	}
	return nil
}
