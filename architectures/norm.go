package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

// Normalization layers for matrices of shape (rows, channels): the
// learnable scale and shift, the mode and the running statistics around
// the fused normalization op [graph.Norm].

// BatchNorm normalizes each channel (column) of a (rows, channels) matrix
// over the rows, then scales and shifts it: y = γ (x - μ)/sqrt(σ² + ε) + β.
// Training uses the batch's statistics and updates running ones; evaluation
// uses the running statistics. For a convolution's output in row layout
// (N*H*W, C) the rows are every location of every image, as in BatchNorm2d.
type BatchNorm struct {
	// Gamma and Beta are the learnable scale (initially 1) and shift
	// (initially 0), of shape (channels).
	Gamma, Beta *G.Node
	st          *graph.NormState
}

// NewBatchNorm builds a batch-norm layer over the given number of channels
// into g, with PyTorch's defaults (ε = 1e-5, momentum 0.1, running mean 0
// and variance 1) and in training mode.
func NewBatchNorm(g *G.ExprGraph, name string, channels int) (*BatchNorm, error) {
	return newBatchNorm(g, name, channels, Dtype)
}

func newBatchNorm(g *G.ExprGraph, name string, channels int, dt tensor.Dtype) (*BatchNorm, error) {
	gamma, beta, err := scaleAndShift(g, "batch norm", name, channels, dt)
	if err != nil {
		return nil, err
	}
	st := &graph.NormState{Name: name, Kind: graph.NormBatch, Channels: channels, Eps: 1e-5, Momentum: 0.1, Training: true,
		RunningMean: make([]float64, channels), RunningVar: make([]float64, channels)}
	for i := range st.RunningVar {
		st.RunningVar[i] = 1
	}
	return &BatchNorm{Gamma: gamma, Beta: beta, st: st}, nil
}

// scaleAndShift checks the channel count of the normalization layer name
// (what: "batch norm" or "layer norm") and builds its learnable scale γ,
// initially 1, and shift β, initially 0, into g.
func scaleAndShift(g *G.ExprGraph, what, name string, channels int, dt tensor.Dtype) (gamma, beta *G.Node, err error) {
	if channels <= 0 {
		return nil, nil, fmt.Errorf("%s %s: %d channels must be positive", what, name, channels)
	}
	return constNode(g, dt, name+".gamma", 1, channels), constNode(g, dt, name+".beta", 0, channels), nil
}

func constNode(g *G.ExprGraph, dt tensor.Dtype, name string, v float64, n int) *G.Node {
	t := tensor.New(tensor.Of(dt), tensor.WithShape(n))
	switch dt {
	case tensor.Float32:
		d := t.Float32s()
		for i := range d {
			d[i] = float32(v)
		}
	default:
		d := t.Float64s()
		for i := range d {
			d[i] = v
		}
	}
	return G.NewTensor(g, dt, 1, G.WithShape(n), G.WithName(name), G.WithValue(t))
}

// Forward normalizes x of shape (rows, channels).
func (b *BatchNorm) Forward(x *G.Node) (*G.Node, error) {
	return graph.Norm(b.st, x, b.Gamma, b.Beta)
}

// ForwardReLU is graph.ReLU of Forward, bit for bit, as one op
// (graph.NormReLU).
func (b *BatchNorm) ForwardReLU(x *G.Node) (*G.Node, error) {
	return graph.NormReLU(b.st, x, b.Gamma, b.Beta)
}

// SetTraining switches between training mode (batch statistics, running
// statistics updated on every forward run) and evaluation mode (running
// statistics, nothing updated).
func (b *BatchNorm) SetTraining(training bool) { b.st.Training = training }

// Training reports whether the layer is in training mode.
func (b *BatchNorm) Training() bool { return b.st.Training }

// RunningStats returns copies of the running mean and variance.
func (b *BatchNorm) RunningStats() (mean, variance []float64) {
	return append([]float64(nil), b.st.RunningMean...), append([]float64(nil), b.st.RunningVar...)
}

// SetRunningStats replaces the running mean and variance, which must have
// one entry per channel.
func (b *BatchNorm) SetRunningStats(mean, variance []float64) error {
	if len(mean) != b.st.Channels || len(variance) != b.st.Channels {
		return fmt.Errorf("batch norm %s: running stats of sizes %d and %d, want %d", b.st.Name, len(mean), len(variance), b.st.Channels)
	}
	copy(b.st.RunningMean, mean)
	copy(b.st.RunningVar, variance)
	return nil
}

// Momentum returns the momentum m of the running statistics' update,
// new = (1-m) old + m batch.
func (b *BatchNorm) Momentum() float64 { return b.st.Momentum }

// SetMomentum sets the momentum of the running statistics' update (see
// [BatchNorm.Momentum]); m must be in (0, 1].
func (b *BatchNorm) SetMomentum(m float64) error {
	if !(m > 0 && m <= 1) {
		return fmt.Errorf("batch norm %s: momentum %v must be in (0, 1]", b.st.Name, m)
	}
	b.st.Momentum = m
	return nil
}

// Learnables returns γ and β.
func (b *BatchNorm) Learnables() G.Nodes { return G.Nodes{b.Gamma, b.Beta} }

// LayerNorm normalizes each row of a (rows, channels) matrix over its
// channels, then scales and shifts each channel: PyTorch's nn.LayerNorm over
// the last axis, ε = 1e-5.
type LayerNorm struct {
	// Gamma and Beta are the learnable scale (initially 1) and shift
	// (initially 0), of shape (channels).
	Gamma, Beta *G.Node
	st          *graph.NormState
}

// NewLayerNorm builds a layer-norm layer over the given number of channels
// into g.
func NewLayerNorm(g *G.ExprGraph, name string, channels int) (*LayerNorm, error) {
	return newLayerNorm(g, name, channels, Dtype)
}

func newLayerNorm(g *G.ExprGraph, name string, channels int, dt tensor.Dtype) (*LayerNorm, error) {
	gamma, beta, err := scaleAndShift(g, "layer norm", name, channels, dt)
	if err != nil {
		return nil, err
	}
	st := &graph.NormState{Name: name, Kind: graph.NormLayer, Channels: channels, Eps: 1e-5}
	return &LayerNorm{Gamma: gamma, Beta: beta, st: st}, nil
}

// Forward normalizes the rows of x of shape (rows, channels).
func (l *LayerNorm) Forward(x *G.Node) (*G.Node, error) {
	return graph.Norm(l.st, x, l.Gamma, l.Beta)
}

// Learnables returns γ and β.
func (l *LayerNorm) Learnables() G.Nodes { return G.Nodes{l.Gamma, l.Beta} }
