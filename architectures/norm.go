package architectures

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"runtime"
	"sync"

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
	out  outputBuffer
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
	outShape := x.Shape()
	if op.part == partGradGamma {
		outShape = tensor.Shape{x.Shape()[1]}
	}
	return op.UsePreallocDo(op.out.get(x.Dtype(), outShape), vals...)
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

// parallelRows calls f on contiguous row ranges that cover [0, rows), on
// up to GOMAXPROCS goroutines when the matrix is large enough to pay for
// them. chunk receives the range's index.
func parallelRows(rows, cols int, f func(chunk, lo, hi int)) int {
	workers := min(runtime.GOMAXPROCS(0), rows)
	if workers <= 1 || rows*cols < 1<<15 {
		f(0, 0, rows)
		return 1
	}
	size := (rows + workers - 1) / workers
	var wg sync.WaitGroup
	n := 0
	for lo := 0; lo < rows; lo += size {
		wg.Add(1)
		go func(chunk, lo, hi int) {
			defer wg.Done()
			f(chunk, lo, hi)
		}(n, lo, min(lo+size, rows))
		n++
	}
	wg.Wait()
	return n
}

// columnSums returns, for every column c, Σ_r a[r][c] and
// Σ_r a[r][c]·(b[r][c] - shift[c]) when b is given, or Σ_r (a[r][c] -
// shift[c]) and Σ_r (a[r][c] - shift[c])² when b is nil. Sums are in
// float64, accumulated per chunk of rows in parallel.
func columnSums[T float32 | float64](rows, cols int, a, b []T, shift []float64) (s1, s2 []float64) {
	workers := max(1, min(runtime.GOMAXPROCS(0), rows))
	p1 := make([]float64, workers*cols)
	p2 := make([]float64, workers*cols)
	n := parallelRows(rows, cols, func(chunk, lo, hi int) {
		q1, q2 := p1[chunk*cols:(chunk+1)*cols], p2[chunk*cols:(chunk+1)*cols]
		for r := lo; r < hi; r++ {
			ar := a[r*cols : (r+1)*cols]
			if b == nil {
				for c, v := range ar {
					d := float64(v) - shift[c]
					q1[c] += d
					q2[c] += d * d
				}
				continue
			}
			br := b[r*cols : (r+1)*cols]
			for c, v := range ar {
				q1[c] += float64(v)
				q2[c] += float64(v) * (float64(br[c]) - shift[c])
			}
		}
	})
	s1, s2 = p1[:cols], p2[:cols]
	for k := 1; k < n; k++ {
		for c := 0; c < cols; c++ {
			s1[c] += p1[k*cols+c]
			s2[c] += p2[k*cols+c]
		}
	}
	return s1, s2
}

// batchStats returns the per-column mean and inverse standard deviation a
// batch norm normalizes with, updating the running statistics when it
// trains and update is set.
func batchStats[T float32 | float64](st *normState, rows, cols int, x []T, update bool) (mean, inv []float64) {
	mean = make([]float64, cols)
	inv = make([]float64, cols)
	if !st.training {
		for c := range mean {
			mean[c] = st.runningMean[c]
			inv[c] = 1 / math.Sqrt(st.runningVar[c]+st.eps)
		}
		return mean, inv
	}
	// Shifting by the first row keeps the one-pass variance accurate.
	shift := make([]float64, cols)
	for c := range shift {
		shift[c] = float64(x[c])
	}
	s1, s2 := columnSums(rows, cols, x, nil, shift)
	n := float64(rows)
	for c := range mean {
		d := s1[c] / n
		mean[c] = shift[c] + d
		ss := max(s2[c]-n*d*d, 0) // Σ (x - mean)²
		inv[c] = 1 / math.Sqrt(ss/n+st.eps)
		if update {
			unbiased := ss
			if rows > 1 {
				unbiased /= n - 1
			}
			st.runningMean[c] = (1-st.momentum)*st.runningMean[c] + st.momentum*mean[c]
			st.runningVar[c] = (1-st.momentum)*st.runningVar[c] + st.momentum*unbiased
		}
	}
	return mean, inv
}

// rowStats returns the mean and inverse standard deviation of one row.
func rowStats[T float32 | float64](row []T, eps float64) (mean, inv float64) {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	var ss float64
	for _, v := range row {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, 1 / math.Sqrt(ss/float64(len(row))+eps)
}

// affineRows sets out[r][c] = x[r][c]·p[c] + q[c] for every row, in
// parallel.
func affineRows[T float32 | float64](rows, cols int, x, out, p, q []T) {
	parallelRows(rows, cols, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
			for c, v := range xr {
				or[c] = v*p[c] + q[c]
			}
		}
	})
}

func normCompute[T float32 | float64](op *normOp, rows, cols int, x []T, in [][]T, out []T) error {
	st := op.st
	n := float64(cols) // layer norm: the group is a row
	if st.kind == normBatch {
		n = float64(rows) // batch norm: the group is a column
	}
	switch {
	case st.kind == normBatch && op.part == partForward:
		// y = γ (x - μ) inv + β = x·(γ inv) + (β - μ γ inv).
		gamma, beta := in[0], in[1]
		mean, inv := batchStats(st, rows, cols, x, true)
		p, q := make([]T, cols), make([]T, cols)
		for c := range p {
			a := float64(gamma[c]) * inv[c]
			p[c], q[c] = T(a), T(float64(beta[c])-mean[c]*a)
		}
		affineRows(rows, cols, x, out, p, q)
	case st.kind == normBatch && op.part == partGradGamma:
		// ∂L/∂γ = Σ dy x̂ = inv Σ dy (x - μ).
		dy := in[0]
		mean, inv := batchStats(st, rows, cols, x, false)
		_, sdx := columnSums(rows, cols, dy, x, mean)
		for c := range sdx {
			out[c] = T(sdx[c] * inv[c])
		}
	case st.kind == normBatch && op.part == partGradX:
		gamma, dy := in[0], in[1]
		mean, inv := batchStats(st, rows, cols, x, false)
		p, q, r := make([]T, cols), make([]T, cols), make([]T, cols)
		if st.training {
			// With a = γ inv, S = Σ dy, SX = Σ dy x̂:
			// dx = a dy - a S/n - a x̂ SX/n = a dy + k x + (-a S/n - k μ),
			// k = -a inv SX/n.
			sd, sdx := columnSums(rows, cols, dy, x, mean)
			for c := range p {
				a := float64(gamma[c]) * inv[c]
				k := -a * inv[c] * sdx[c] * inv[c] / n
				p[c], q[c], r[c] = T(a), T(k), T(-a*sd[c]/n-k*mean[c])
			}
		} else {
			for c := range p {
				p[c] = T(float64(gamma[c]) * inv[c])
			}
		}
		parallelRows(rows, cols, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				xr, dr, or := x[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], out[i*cols:(i+1)*cols]
				for c, v := range xr {
					or[c] = p[c]*dr[c] + q[c]*v + r[c]
				}
			}
		})
	case op.part == partForward: // layer norm
		gamma, beta := in[0], in[1]
		parallelRows(rows, cols, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				xr, or := x[i*cols:(i+1)*cols], out[i*cols:(i+1)*cols]
				mean, inv := rowStats(xr, st.eps)
				a, b := T(inv), T(-mean*inv)
				for c, v := range xr {
					or[c] = (v*a+b)*gamma[c] + beta[c]
				}
			}
		})
	case op.part == partGradGamma: // layer norm
		dy := in[0]
		workers := max(1, min(runtime.GOMAXPROCS(0), rows))
		partial := make([]float64, workers*cols)
		chunks := parallelRows(rows, cols, func(chunk, lo, hi int) {
			acc := partial[chunk*cols : (chunk+1)*cols]
			for i := lo; i < hi; i++ {
				xr, dr := x[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols]
				mean, inv := rowStats(xr, st.eps)
				for c, v := range xr {
					acc[c] += float64(dr[c]) * (float64(v) - mean) * inv
				}
			}
		})
		for c := 0; c < cols; c++ {
			var s float64
			for k := 0; k < chunks; k++ {
				s += partial[k*cols+c]
			}
			out[c] = T(s)
		}
	default: // layer norm, ∂L/∂x
		gamma, dy := in[0], in[1]
		parallelRows(rows, cols, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				xr, dr, or := x[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], out[i*cols:(i+1)*cols]
				mean, inv := rowStats(xr, st.eps)
				// With g = dy γ, S = Σ g, SX = Σ g x̂:
				// dx = inv g - inv S/n - x̂ inv SX/n.
				var s, sx float64
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					s += g
					sx += g * (float64(v) - mean)
				}
				sx *= inv
				k := -inv * inv * sx / n
				a, b := T(inv), T(-inv*s/n-k*mean)
				kt := T(k)
				for c, v := range xr {
					or[c] = a*dr[c]*gamma[c] + kt*v + b
				}
			}
		})
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
