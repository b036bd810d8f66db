package gaussian

import (
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
)

// The constants of the memory estimate, fitted to the peak resident memory
// of one-run sweeps on the development machine (`/usr/bin/time -f %M sweep
// run`), here with the estimate in brackets: a 256-unit separable critic at
// batch 64 took 29 MB (42 MB), the concat critic 136 MB (153 MB), concat
// at batch 512 and width 64 1.83 GB (1.96 GB), a 4096-unit separable
// critic 1.15 GB (1.32 GB), dim = 10⁶ 0.77 GB (0.86 GB), batch 4096
// 2.17 GB (2.47 GB) and 2000 hidden layers of 8 units 190 MB (253 MB).
const (
	// baseBytes is the process before the run: runtime, code and buffers.
	baseBytes = 32e6
	// bytesPerWeight holds a weight's value, its gradient and the copies
	// gorgonia's operations make; Adam's two moments add
	// optim.MomentsBytes (36 bytes in all with float64 moments).
	bytesPerWeight = 20
	// activationCopies is how many floats each activation of the critic
	// takes: its value, its gradient and the operations' temporaries.
	activationCopies = 14
	// scoreCopies is the same for each entry of the batch's score matrix,
	// which the estimator masks, exponentiates and reduces.
	scoreCopies = 36
	// inputCopies counts the floats of a batch value: x and y, and their
	// tensors and draws.
	inputCopies = 8
	// bytesPerLayer is gorgonia's bookkeeping for a hidden layer of one
	// network: its nodes, their gradients' nodes and the tape's
	// instructions.
	bytesPerLayer = 48 << 10
)

// EstimateMemory estimates the peak memory of a run from its settings,
// part by part: the critic's weights (with their gradients and Adam's
// moments), its activations (on batch_size rows per network for the
// separable critic, on batch_size² pairings for concat), the batch's
// scores, the input batch, gorgonia's graph and the estimate of every
// step. Each part names the setting that makes it large. The arithmetic is
// in float64, so that no product of huge settings overflows.
func (c *Config) EstimateMemory() tasks.Memory {
	def := DefaultConfig()
	blame := func(keys ...string) string { return tasks.Blame(c, def, keys...) }
	n, d, h := float64(c.BatchSize), float64(c.Dim), float64(c.CriticHidden())
	layers, embed := float64(c.Layers), float64(c.Embed)
	nets, rows, in, out, width := 2.0, n, d, embed, "hidden"
	if c.Critic == "concat" {
		nets, rows, in, out = 1, n*n, 2*d, 1
		if c.ConcatHidden > 0 {
			width = "concat_hidden"
		}
	}
	return tasks.Memory{
		{What: "the process itself", Bytes: baseBytes},
		{What: "the critic's weights", Setting: blame("dim", width, "layers", "embed"),
			Bytes: (bytesPerWeight + optim.MomentsBytes(c.AdamMoments)) * nets * mlpWeights(in, h, layers, out)},
		{What: "the critic's activations", Setting: blame("batch_size", width, "layers", "embed"),
			Bytes: activationCopies * 4 * nets * rows * (h*layers + out)},
		{What: "the batch's scores (batch_size² pairs)", Setting: blame("batch_size"), Bytes: scoreCopies * 4 * n * n},
		{What: "the input batch", Setting: blame("batch_size", "dim"), Bytes: inputCopies * 4 * n * d},
		{What: "the graph of the critic's layers", Setting: blame("layers"), Bytes: bytesPerLayer * nets * layers},
		{What: "the estimate of every step", Setting: blame("steps_per_level"),
			Bytes: 8 * float64(c.StepsPerLevel) * float64(len(c.MILevels))},
	}
}

// mlpWeights is the number of weights and biases of an MLP from in to out
// units with the given number of hidden layers of width h.
func mlpWeights(in, h, layers, out float64) float64 {
	if layers == 0 {
		return in*out + out
	}
	return in*h + h + (layers-1)*(h*h+h) + h*out + out
}
