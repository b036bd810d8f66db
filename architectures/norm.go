package architectures

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Normalization layers for matrices of shape (rows, channels).
//
// gorgonia v0.9.18's own BatchNorm op cannot be used: its UsePreallocDo
// normalizes the previous contents of the output register instead of the
// input (so every run after the first computes garbage), and its DoDiff reads
// two inputs an arity-1 op does not have. BatchNorm and LayerNorm here are
// fused ops of their own, with the scale and shift applied inside the op and
// analytic gradients: one pass over the data instead of the half dozen
// broadcast temporaries a primitive-op version needs.

// normKind says over which axis a normOp takes its statistics.
type normKind uint8

const (
	normBatch normKind = iota // per column, over the rows (batch norm)
	normLayer                 // per row, over the columns (layer norm)
)

// normState is what a normalization layer keeps between runs: its mode and
// its running statistics. The ops of one layer share it.
type normState struct {
	name     string
	kind     normKind
	channels int
	eps      float64
	momentum float64
	training bool
	// runningMean and runningVar are the batch-norm running statistics
	// (PyTorch's convention: unbiased variance, new = (1-m) old + m batch).
	runningMean, runningVar []float64
}

// normPart says which computation a normOp performs.
type normPart uint8

const (
	partForward   normPart = iota // y = γ x̂ + β, inputs (x, γ, β)
	partGradX                     // ∂L/∂x, inputs (x, γ, dy)
	partGradGamma                 // ∂L/∂γ, inputs (x, dy)
)

// normOp is a gorgonia op computing one part of a normalization layer.
type normOp struct {
	st   *normState
	part normPart
}

func (op *normOp) Arity() int {
	if op.part == partGradGamma {
		return 2
	}
	return 3
}

func (op *normOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	v := G.TensorType{Dims: 1, Of: a}
	switch op.part {
	case partForward:
		return hm.NewFnType(m, v, v, m)
	case partGradX:
		return hm.NewFnType(m, v, m, m)
	default:
		return hm.NewFnType(m, m, v)
	}
}

func (op *normOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op, len(ns), op.Arity())
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok || s.Dims() != 2 {
		return nil, fmt.Errorf("%s: input must be a matrix, got %v", op, ns[0])
	}
	if op.part == partGradGamma {
		return tensor.Shape{s[1]}, nil
	}
	return s.Clone(), nil
}

func (op *normOp) ReturnsPtr() bool     { return false }
func (op *normOp) CallsExtern() bool    { return false }
func (op *normOp) OverwritesInput() int { return -1 }

func (op *normOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "norm-%p-%d", op.st, op.part)
}

func (op *normOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *normOp) String() string {
	names := [...]string{"", "∂x", "∂γ"}
	return fmt.Sprintf("norm(%s)%s", op.st.name, names[op.part])
}

func (op *normOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: input is %T, want a dense tensor", op, vals[0])
	}
	outShape := x.Shape().Clone()
	if op.part == partGradGamma {
		outShape = tensor.Shape{x.Shape()[1]}
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(outShape...))
	return op.UsePreallocDo(out, vals...)
}

// UsePreallocDo computes into prealloc when its shape and type fit.
func (op *normOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	x := vals[0].(*tensor.Dense)
	rows, cols := x.Shape()[0], x.Shape()[1]
	want := rows * cols
	if op.part == partGradGamma {
		want = cols
	}
	if out.Dtype() != x.Dtype() || out.Shape().TotalSize() != want {
		return nil, fmt.Errorf("%s: destination of shape %v does not fit", op, out.Shape())
	}
	if cols != op.st.channels {
		return nil, fmt.Errorf("%s: input has %d channels, want %d", op, cols, op.st.channels)
	}
	var err error
	switch x.Dtype() {
	case tensor.Float32:
		err = normCompute(op, rows, cols, x.Float32s(), denseData[float32](vals[1:]), out.Float32s())
	case tensor.Float64:
		err = normCompute(op, rows, cols, x.Float64s(), denseData[float64](vals[1:]), out.Float64s())
	default:
		err = fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DiffWRT says the forward op is differentiable in x, γ and β.
func (op *normOp) DiffWRT(inputs int) []bool {
	if op.part != partForward {
		return make([]bool, inputs)
	}
	return []bool{true, true, true}
}

// SymDiff returns the gradient nodes for x, γ and β.
func (op *normOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.part != partForward {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	x, gamma := inputs[0], inputs[1]
	dx, err := G.ApplyOp(&normOp{st: op.st, part: partGradX}, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dgamma, err := G.ApplyOp(&normOp{st: op.st, part: partGradGamma}, x, grad)
	if err != nil {
		return nil, err
	}
	dbeta, err := G.Sum(grad, 0)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dgamma, dbeta}, nil
}

func denseData[T float32 | float64](vals []G.Value) [][]T {
	out := make([][]T, len(vals))
	for i, v := range vals {
		out[i] = v.(*tensor.Dense).Data().([]T)
	}
	return out
}

// normStats returns the mean and inverse standard deviation used to
// normalize each group (column for batch norm, row for layer norm), updating
// the running statistics when a batch norm trains.
func normStats[T float32 | float64](st *normState, rows, cols int, x []T) (mean, inv []float64) {
	switch {
	case st.kind == normLayer:
		mean = make([]float64, rows)
		inv = make([]float64, rows)
		for r := 0; r < rows; r++ {
			row := x[r*cols : (r+1)*cols]
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			mu := s / float64(cols)
			var ss float64
			for _, v := range row {
				d := float64(v) - mu
				ss += d * d
			}
			mean[r] = mu
			inv[r] = 1 / math.Sqrt(ss/float64(cols)+st.eps)
		}
	case st.training:
		mean = make([]float64, cols)
		inv = make([]float64, cols)
		for r := 0; r < rows; r++ {
			row := x[r*cols : (r+1)*cols]
			for c, v := range row {
				mean[c] += float64(v)
			}
		}
		for c := range mean {
			mean[c] /= float64(rows)
		}
		for r := 0; r < rows; r++ {
			row := x[r*cols : (r+1)*cols]
			for c, v := range row {
				d := float64(v) - mean[c]
				inv[c] += d * d
			}
		}
		for c := range inv {
			ss := inv[c]
			inv[c] = 1 / math.Sqrt(ss/float64(rows)+st.eps)
			unbiased := ss
			if rows > 1 {
				unbiased /= float64(rows - 1)
			}
			st.runningMean[c] = (1-st.momentum)*st.runningMean[c] + st.momentum*mean[c]
			st.runningVar[c] = (1-st.momentum)*st.runningVar[c] + st.momentum*unbiased
		}
	default:
		mean = make([]float64, cols)
		inv = make([]float64, cols)
		for c := range mean {
			mean[c] = st.runningMean[c]
			inv[c] = 1 / math.Sqrt(st.runningVar[c]+st.eps)
		}
	}
	return mean, inv
}

// normStatsNoUpdate is normStats without touching the running statistics,
// for the backward ops, which must see the statistics the forward pass used.
func normStatsNoUpdate[T float32 | float64](st *normState, rows, cols int, x []T) (mean, inv []float64) {
	if st.kind == normBatch && st.training {
		saved := *st
		saved.runningMean = make([]float64, cols)
		saved.runningVar = make([]float64, cols)
		return normStats(&saved, rows, cols, x)
	}
	return normStats(st, rows, cols, x)
}

func normCompute[T float32 | float64](op *normOp, rows, cols int, x []T, in [][]T, out []T) error {
	st := op.st
	switch op.part {
	case partForward:
		gamma, beta := in[0], in[1]
		mean, inv := normStats(st, rows, cols, x)
		for r := 0; r < rows; r++ {
			xr, or := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
			if st.kind == normLayer {
				mu, iv := mean[r], inv[r]
				for c, v := range xr {
					or[c] = T(float64(gamma[c])*(float64(v)-mu)*iv) + beta[c]
				}
				continue
			}
			for c, v := range xr {
				or[c] = T(float64(gamma[c])*(float64(v)-mean[c])*inv[c]) + beta[c]
			}
		}
	case partGradGamma:
		dy := in[0]
		mean, inv := normStatsNoUpdate(st, rows, cols, x)
		acc := make([]float64, cols)
		for r := 0; r < rows; r++ {
			xr, dr := x[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols]
			if st.kind == normLayer {
				for c, v := range xr {
					acc[c] += float64(dr[c]) * (float64(v) - mean[r]) * inv[r]
				}
				continue
			}
			for c, v := range xr {
				acc[c] += float64(dr[c]) * (float64(v) - mean[c]) * inv[c]
			}
		}
		for c := range acc {
			out[c] = T(acc[c])
		}
	case partGradX:
		gamma, dy := in[0], in[1]
		mean, inv := normStatsNoUpdate(st, rows, cols, x)
		switch {
		case st.kind == normLayer:
			n := float64(cols)
			for r := 0; r < rows; r++ {
				xr, dr, or := x[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
				var s, sx float64
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					s += g
					sx += g * (float64(v) - mean[r]) * inv[r]
				}
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					xh := (float64(v) - mean[r]) * inv[r]
					or[c] = T(inv[r] / n * (n*g - s - xh*sx))
				}
			}
		case st.training:
			n := float64(rows)
			s := make([]float64, cols)
			sx := make([]float64, cols)
			for r := 0; r < rows; r++ {
				xr, dr := x[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols]
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					s[c] += g
					sx[c] += g * (float64(v) - mean[c]) * inv[c]
				}
			}
			for r := 0; r < rows; r++ {
				xr, dr, or := x[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					xh := (float64(v) - mean[c]) * inv[c]
					or[c] = T(inv[c] / n * (n*g - s[c] - xh*sx[c]))
				}
			}
		default:
			for i, d := range dy {
				c := i % cols
				out[i] = T(float64(d) * float64(gamma[c]) * inv[c])
			}
		}
	}
	return nil
}

// BatchNorm normalizes each channel (column) of a (rows, channels) matrix
// over the rows, then scales and shifts it: y = γ (x - μ)/sqrt(σ² + ε) + β.
// Training uses the batch's statistics and updates running ones; evaluation
// uses the running statistics. For a convolution's output in row layout
// (N*H*W, C) the rows are every location of every image, as in BatchNorm2d.
type BatchNorm struct {
	// Gamma and Beta are the learnable scale (initially 1) and shift
	// (initially 0), of shape (channels).
	Gamma, Beta *G.Node
	st          *normState
}

// NewBatchNorm builds a batch-norm layer over the given number of channels
// into g, with PyTorch's defaults (ε = 1e-5, momentum 0.1, running mean 0
// and variance 1) and in training mode.
func NewBatchNorm(g *G.ExprGraph, name string, channels int) (*BatchNorm, error) {
	return newBatchNorm(g, name, channels, Dtype)
}

func newBatchNorm(g *G.ExprGraph, name string, channels int, dt tensor.Dtype) (*BatchNorm, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("batch norm %s: %d channels must be positive", name, channels)
	}
	st := &normState{name: name, kind: normBatch, channels: channels, eps: 1e-5, momentum: 0.1, training: true,
		runningMean: make([]float64, channels), runningVar: make([]float64, channels)}
	for i := range st.runningVar {
		st.runningVar[i] = 1
	}
	return &BatchNorm{
		Gamma: constNode(g, dt, name+".gamma", 1, channels),
		Beta:  constNode(g, dt, name+".beta", 0, channels),
		st:    st,
	}, nil
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
	return applyNorm(b.st, x, b.Gamma, b.Beta)
}

func applyNorm(st *normState, x, gamma, beta *G.Node) (*G.Node, error) {
	if x.Shape().Dims() != 2 || x.Shape()[1] != st.channels {
		return nil, fmt.Errorf("%s: input of shape %v, want (rows, %d)", st.name, x.Shape(), st.channels)
	}
	return G.ApplyOp(&normOp{st: st, part: partForward}, x, gamma, beta)
}

// SetTraining switches between training mode (batch statistics, running
// statistics updated on every forward run) and evaluation mode (running
// statistics, nothing updated).
func (b *BatchNorm) SetTraining(training bool) { b.st.training = training }

// Training reports whether the layer is in training mode.
func (b *BatchNorm) Training() bool { return b.st.training }

// RunningStats returns copies of the running mean and variance.
func (b *BatchNorm) RunningStats() (mean, variance []float64) {
	return append([]float64(nil), b.st.runningMean...), append([]float64(nil), b.st.runningVar...)
}

// SetRunningStats replaces the running mean and variance, which must have
// one entry per channel.
func (b *BatchNorm) SetRunningStats(mean, variance []float64) error {
	if len(mean) != b.st.channels || len(variance) != b.st.channels {
		return fmt.Errorf("batch norm %s: running stats of sizes %d and %d, want %d", b.st.name, len(mean), len(variance), b.st.channels)
	}
	copy(b.st.runningMean, mean)
	copy(b.st.runningVar, variance)
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
	st          *normState
}

// NewLayerNorm builds a layer-norm layer over the given number of channels
// into g.
func NewLayerNorm(g *G.ExprGraph, name string, channels int) (*LayerNorm, error) {
	return newLayerNorm(g, name, channels, Dtype)
}

func newLayerNorm(g *G.ExprGraph, name string, channels int, dt tensor.Dtype) (*LayerNorm, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("layer norm %s: %d channels must be positive", name, channels)
	}
	return &LayerNorm{
		Gamma: constNode(g, dt, name+".gamma", 1, channels),
		Beta:  constNode(g, dt, name+".beta", 0, channels),
		st:    &normState{name: name, kind: normLayer, channels: channels, eps: 1e-5},
	}, nil
}

// Forward normalizes the rows of x of shape (rows, channels).
func (l *LayerNorm) Forward(x *G.Node) (*G.Node, error) {
	return applyNorm(l.st, x, l.Gamma, l.Beta)
}

// Learnables returns γ and β.
func (l *LayerNorm) Learnables() G.Nodes { return G.Nodes{l.Gamma, l.Beta} }
