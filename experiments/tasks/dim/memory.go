package dim

import (
	"fmt"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/graph"
)

// The constants of the memory estimate, fitted to the peak resident memory
// of one-run sweeps on the development machine (`/usr/bin/time -f %M sweep
// run`, one epoch, one probe epoch, MNIST subsets of 1000 and 500 images),
// here with the estimate in brackets: the default widths at batch 64 took
// 3.55 GB (3.55 GB), at batch 128 4.12 GB (4.86 GB), at batch 32 with the
// global term and roll negatives 3.29 GB (3.09 GB), and doubled widths on
// 256 images 5.76 GB (5.92 GB). Measured again when the convolutions
// stopped forming their patch matrices (2026-12-02, 2-core Intel Xeon):
// the same first three 2.80 GB (2.76 GB), 3.59 GB (3.97 GB) and 2.81 GB
// (2.35 GB), and doubled convolution, fc, mi_units and global_units widths
// on 256 images 8.72 GB (6.85 GB; 8.79 GB before, estimated 8.48 GB): the
// estimate fell short where the local critic is wide, and the local
// critic's activations now count twelve tensors of mi_units a row, not
// six, which gives 3.79 GB, 6.02 GB, 2.86 GB and 8.89 GB (eleven would
// leave the last two short: 2.78 and 8.55 GB).
const (
	// baseBytes is the process before the run: runtime, code and buffers.
	baseBytes = 32e6
	// heapGrowth is how far Go's heap grows past the live data before a
	// collection (GOGC = 100): every live byte below costs two.
	heapGrowth = 2
	// bytesPerWeight holds a weight's value, its gradient and the rest of
	// what training keeps a weight but Adam's two moments, which
	// optim.MomentsBytes adds: 28 bytes with float64 moments.
	bytesPerWeight = 12
	// trainCopies and extractCopies are how many floats each activation
	// of an image takes in training (value, gradient, batch norm's
	// temporaries) and in feature extraction.
	trainCopies, extractCopies = 2.5, 3.5
)

// images returns the numbers of training and test images the run keeps,
// and their channels.
func (c *Config) images() (train, test, channels float64) {
	s := data.SizesOf(c.Dataset)
	train, test = float64(s.Train), float64(s.Test)
	if c.TrainSubset > 0 {
		train = min(train, float64(c.TrainSubset))
	}
	if c.TestSubset > 0 {
		test = min(test, float64(c.TestSubset))
	}
	return train, test, float64(s.Channels)
}

// EstimateMemory estimates the peak memory of a run from its settings,
// part by part: the networks' weights (with their gradients and Adam's
// state), the activations of a training batch and of a feature extraction
// batch, the probes' features and the images, each doubled for the heap's
// growth between collections. Each part names the setting that makes it
// large. The arithmetic is in float64, so that no product of huge
// settings overflows.
func (c *Config) EstimateMemory() tasks.Memory {
	train, test, channels := c.images()
	obj, def := c.Objective(), DefaultConfig()
	blame := func(keys ...string) string { return tasks.Blame(c, def, keys...) }
	mem := tasks.Memory{
		{What: "the process itself", Bytes: baseBytes},
		{What: "the images", Setting: fmt.Sprintf("dataset = %q", c.Dataset), Bytes: heapGrowth * 4 * (train + test) * channels * data.ImageSide * data.ImageSide},
		{What: "the probes' features", Setting: c.featuresBlame(def),
			Bytes: heapGrowth * 4 * (train + test) * c.features()},
	}
	if obj.Model == ModelPixels {
		return mem
	}
	if c.EncoderFile != "" {
		// A kept encoder is loaded, not trained: its weights (the file's
		// bytes, their decoded copy and the encoder's own, no gradients or
		// moments) and a feature extraction batch, no critic, prior or
		// training batch.
		return append(mem,
			tasks.MemoryPart{What: "the kept encoder's weights", Setting: blame("conv1", "conv2", "conv3", "fc", "code"),
				Bytes: heapGrowth * bytesPerWeight * c.encoderWeights(channels)},
			tasks.MemoryPart{What: "feature extraction", Setting: blame("conv1", "conv2", "conv3", "fc"),
				Bytes: heapGrowth * extractCopies * 4 * extractBatch * c.encoderActivations(channels)})
	}
	weights, acts := c.networks(obj, channels)
	mem = append(mem,
		tasks.MemoryPart{What: "the networks' weights", Setting: blame("conv1", "conv2", "conv3", "fc", "code", "mi_units", "global_units"),
			Bytes: heapGrowth * (bytesPerWeight + optim.MomentsBytes(c.AdamMoments)) * weights},
		tasks.MemoryPart{What: "feature extraction", Setting: blame("conv1", "conv2", "conv3", "fc"),
			Bytes: heapGrowth * extractCopies * 4 * extractBatch * c.encoderActivations(channels)})
	if obj.Model == ModelDIM {
		mem = append(mem, tasks.MemoryPart{What: "a training batch's activations", Setting: blame("batch_size", "mi_units", "global_units", "conv1", "conv2", "conv3", "fc"),
			Bytes: heapGrowth * trainCopies * 4 * float64(c.BatchSize) * acts})
	}
	if obj.Model == ModelRandom {
		// The calibration pass: one forward-only batch of the encoder.
		mem = append(mem, tasks.MemoryPart{What: "the batch-norm calibration's activations", Setting: blame("batch_size", "conv1", "conv2", "conv3", "fc"),
			Bytes: heapGrowth * 4 * float64(c.BatchSize) * c.encoderActivations(channels)})
	}
	return mem
}

// featuresBlame names the setting to blame for the memory of the probes'
// features, which grows with the training images and with each image's
// features: train_subset (0 for all the images) where the features are
// less than twice as wide as the defaults', and otherwise, of conv3, fc
// and code, the one that adds the most floats to an image's features
// beyond the defaults' (conv3 counts 16 times: its map is 4x4), so that
// making it smaller does the most good.
func (c *Config) featuresBlame(def *Config) string {
	if c.features() < 2*def.features() {
		return fmt.Sprintf("train_subset = %d", c.TrainSubset)
	}
	best, most := "", 0.0
	for _, s := range []struct {
		key   string
		value int
		extra float64
	}{
		{"conv3", c.Conv3, 16 * float64(c.Conv3-def.Conv3)},
		{"fc", c.FC, float64(c.FC - def.FC)},
		{"code", c.Code, float64(c.Code - def.Code)},
	} {
		if best == "" || s.extra > most {
			best, most = fmt.Sprintf("%s = %d", s.key, s.value), s.extra
		}
	}
	return best
}

// features is the number of floats of an image's features that the probes
// train on: its conv, fc and y features, all extracted whichever are
// probed, or for the pixel baseline none (the probes read the images).
func (c *Config) features() float64 {
	if c.Objective().Model == ModelPixels {
		return 0
	}
	return 16*float64(c.Conv3) + float64(c.FC) + float64(c.Code)
}

// encoderWeights is the number of the encoder's weights.
func (c *Config) encoderWeights(channels float64) float64 {
	c1, c2, c3, fc, code := float64(c.Conv1), float64(c.Conv2), float64(c.Conv3), float64(c.FC), float64(c.Code)
	return channels*16*c1 + c1*16*c2 + c2*16*c3 + c3*16*fc + fc*code
}

// encoderActivations is the number of floats of one image's activations in
// the encoder: each layer's output, batch norm and ReLU, and the columns
// of each convolution's input (the patch matrix; the second and third
// convolutions form theirs only where graph.FormsPatches says so).
func (c *Config) encoderActivations(channels float64) float64 {
	c1, c2, c3, fc := float64(c.Conv1), float64(c.Conv2), float64(c.Conv3), float64(c.FC)
	columns := channels * 16 * 256
	if graph.FormsPatches() {
		columns += c1*16*64 + c2*16*16
	}
	return columns + c1*256*3 + c2*64*3 + c3*16*3 + fc*3 + float64(c.Code)
}

// embedsY reports whether an encode-and-dot critic of the given width
// embeds Y: always, unless y_embedding = "official" and Y is already that
// wide (the official code's NopNet).
func (c *Config) embedsY(units int) bool {
	return architectures.EmbedsY(c.YEmbedding == yEmbedOfficial, c.Code, units)
}

// networks returns the number of weights of the model obj trains and the
// number of floats of one image's activations in a training step.
func (c *Config) networks(obj Preset, channels float64) (weights, acts float64) {
	c2, c3, code := float64(c.Conv2), float64(c.Conv3), float64(c.Code)
	n, u, gu := float64(c.BatchSize), float64(c.MIUnits), float64(c.GlobalUnits)
	weights = c.encoderWeights(channels)
	acts = c.encoderActivations(channels)
	if obj.Beta > 0 && c.LocalCritic == concatAndConvolve {
		weights += (c2+code)*u + u*u + u
		acts += n * 64 * u * 4 // every pairing of an image's code with a location
	} else if obj.Beta > 0 {
		// Two embedding nets (local rows, then global), each seven
		// tensors of u a row forward (two linear layers and a shortcut,
		// batch norm, ReLU, the sum, layer norm) and about as many
		// gradients: twelve (times trainCopies) is the least whole count
		// that covers the peaks measured above. Y's net is left out
		// where y_embedding = "official" leaves Y unembedded.
		weights += 2*c2*u + u*u
		acts += 64*u*12 + n*64*2
		if c.embedsY(c.MIUnits) {
			weights += 2*code*u + u*u
			acts += u * 12
		}
	}
	if obj.Alpha > 0 && c.GlobalCritic == "concat" {
		weights += (16*c3+code)*gu + gu*gu + gu
		acts += n*gu*4 + 16*c3 + 2*n
	} else if obj.Alpha > 0 {
		weights += 2*16*c3*gu + gu*gu
		acts += 6 * gu
		if c.embedsY(c.GlobalUnits) {
			weights += 2*code*gu + gu*gu
			acts += 6 * gu
		}
	}
	if obj.Gamma > 0 && len(c.PriorHidden) == 2 {
		h1, h2 := float64(c.PriorHidden[0]), float64(c.PriorHidden[1])
		weights += 2 * (code*h1 + h1*h2 + h2)
		acts += 6 * (h1 + h2)
		if c.PriorPenalty > 0 {
			// The closed-form input gradient on the real and the fake
			// batch: the ReLU masks and the back-propagated rows, forward
			// and backward.
			acts += 2 * (8*(h1+h2) + 4*code)
		}
	}
	w, a := c.variantCosts(obj, channels) // DIM(occlude) and DIM(coord), model_variants.go
	return weights + w, acts + a
}
