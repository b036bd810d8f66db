package consistency

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/internal/graph"
)

// The constants of the memory estimate; see EstimateMemory.
const (
	// baseBytes is the process before the run: runtime, code and buffers.
	baseBytes = 32e6
	// heapGrowth doubles what the heap holds, for its growth between
	// collections.
	heapGrowth = 2
	// bytesPerWeight holds a weight's value, its gradient and gorgonia's
	// copies; Adam's moments add optim.MomentsBytes.
	bytesPerWeight = 20
	// scoreBytes is what each entry of a batch's score matrix takes with
	// its gradient and the estimator's temporaries (the gaussian task's
	// 36 float32 copies), and activationCopies each activation.
	scoreBytes, activationCopies = 36 * 4, 14
)

// EstimateMemory estimates the peak memory of a run from its settings,
// part by part: the images, the two critics' weights and their
// activations and scores. Every test is counted as the widest, whose test
// critic sees two images a side (the baseline's sees one, and is
// overestimated). Each part names the setting that makes it large.
func (c *Config) EstimateMemory() tasks.Memory {
	def := DefaultConfig()
	blame := func(keys ...string) string { return tasks.Blame(c, def, keys...) }
	s := data.SizesOf(c.Dataset)
	train, test := float64(s.Train), float64(s.Test)
	if c.TrainSubset > 0 {
		train = min(train, float64(c.TrainSubset))
	}
	if c.TestSubset > 0 {
		test = min(test, float64(c.TestSubset))
	}
	pixels := float64(s.Channels * data.ImageSide * data.ImageSide)
	in, h, layers, out, n := 3*pixels, float64(c.Hidden), float64(c.Layers), float64(c.Embed), float64(c.BatchSize)
	rows := 2 * n // the separable critics embed each side's batch
	if c.Critic == "concat" {
		rows, out = n*n, 1
	}
	perWeight := bytesPerWeight + optim.MomentsBytes(c.AdamMoments)
	cv := convSizes(c.channels(), 2*float64(s.Channels), in)
	weights := cv.last*h + h + max(layers-1, 0)*(h*h+h) + h*out + out
	m := tasks.Memory{
		{What: "the process itself", Bytes: baseBytes},
		{What: "the images", Setting: fmt.Sprintf("dataset = %q", c.Dataset), Bytes: heapGrowth * 4 * (train + test) * pixels},
		{What: "the critics' weights", Setting: c.blameWithConvolutions(blame("hidden", "layers", "embed"), float64(c.Hidden)/float64(def.Hidden)),
			Bytes: 2 * perWeight * weights},
		{What: "the critics' activations and inputs", Setting: blame("batch_size", "hidden", "layers"),
			Bytes: 2 * activationCopies * 4 * rows * (in + h*layers + out)},
		{What: "the batches' scores (batch_size² pairs)", Setting: blame("batch_size"), Bytes: 2 * scoreBytes * n * n},
	}
	if len(c.channels()) > 0 {
		m = append(m, tasks.MemoryPart{What: "the critics' convolutions: weights, maps and patch matrices",
			Setting: c.blameWithConvolutions(blame("batch_size"), float64(c.BatchSize)/float64(def.BatchSize)),
			Bytes:   2*perWeight*cv.weights + 2*4*rows*(activationCopies*cv.maps+cv.patches)})
	}
	return m
}

// blameWithConvolutions names conv_channels where it is set and its
// widest convolution is further above the default's widest than ratio,
// the ratio of other's setting to its default, and other otherwise: the
// setting to blame for a part of the memory that grows with both.
func (c *Config) blameWithConvolutions(other string, ratio float64) string {
	if len(c.ConvChannels) > 0 && float64(slices.Max(c.ConvChannels))/float64(slices.Max(architectures.DefaultConvChannels())) > ratio {
		return "conv_channels = " + tomlInts(c.ConvChannels)
	}
	return other
}

// tomlInts writes a list of integers as TOML does, [64, 128].
func tomlInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// convParts are the sizes of a critic side's convolutions: their
// weights; the floats of their maps and of the patch matrices formed, an
// image's; and the size of the last map, which the MLP after them reads.
type convParts struct {
	weights, maps, patches, last float64
}

// convSizes returns the sizes of convolutions of the given output
// channels on images of cin channels (of data.ImageSide): a patch matrix
// is formed for the first, which reads the images in NCHW order, and for
// the others where graph.FormsPatches, and it is counted once, as no
// gradient flows into it. With no convolution, the last map is the
// pixels, the MLP's input.
func convSizes(channels []int, cin, pixels float64) convParts {
	if len(channels) == 0 {
		return convParts{last: pixels}
	}
	var cs convParts
	side := data.ImageSide
	k2 := float64(architectures.ConvKernel * architectures.ConvKernel)
	for i, ch := range channels {
		side = architectures.ConvOutSide(side)
		cout, plane := float64(ch), float64(side*side)
		cs.weights += k2*cin*cout + cout
		cs.maps += plane * cout
		if i == 0 || graph.FormsPatches() {
			cs.patches += plane * k2 * cin
		}
		cin = cout
	}
	cs.last = float64(side*side) * cin
	return cs
}
