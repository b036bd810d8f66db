package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Normalization of matrices of shape (rows, channels), for the batch-norm
// and layer-norm layers of package architectures.
//
// gorgonia v0.9.18's own BatchNorm op cannot be used: its UsePreallocDo
// normalizes the previous contents of the output register instead of the
// input (so every run after the first computes garbage), and its DoDiff reads
// two inputs an arity-1 op does not have. [Norm] is a fused op of its own,
// with the scale and shift applied inside the op and analytic gradients: one
// pass over the data instead of the half dozen broadcast temporaries a
// primitive-op version needs.

// NormKind says over which axis a normalization takes its statistics.
type NormKind uint8

const (
	NormBatch NormKind = iota // per column, over the rows (batch norm)
	NormLayer                 // per row, over the columns (layer norm)
)

// NormState is what a normalization layer keeps between runs: its mode and
// its running statistics. The ops of one layer share it: the forward op
// reads Training and, when it trains a batch norm, updates the running
// statistics on every run.
type NormState struct {
	Name     string // the layer's name, for errors and the op's name
	Kind     NormKind
	Channels int
	Eps      float64
	Momentum float64 // of the running statistics (batch norm)
	Training bool    // batch statistics (true) or running ones (batch norm)
	// RunningMean and RunningVar are the batch-norm running statistics
	// (PyTorch's convention: unbiased variance, new = (1-m) old + m batch).
	RunningMean, RunningVar []float64
}

// normSaved is what a forward op computed that its gradient ops, later in
// the same run, would compute again from the same values: the mean and
// inverse standard deviation of each column (batch norm) or row (layer
// norm) of its input and, for a batch norm, the column sums of dy and of
// dy (x - μ), which both gradient ops need (computed by the first of
// them to run). It belongs to the forward op, which its gradient ops
// point to and read after it (they take its output as an input, so the
// tape machine runs them after it); it is keyed by the input's first
// element and length, and the sums also by the gradient's and the
// forward's count, so that a gradient op never reads a statistic of
// another run or another input. Reusing values computed once instead of
// twice leaves every result's bits as they were.
type normSaved struct {
	valid     bool   // the last forward saved its statistics (not a batch norm's evaluation)
	forwards  uint64 // forward runs so far
	x         any    // &x[0] of the input the statistics are of
	n         int    // and its length
	mean, inv []float64
	sumsOf    uint64 // the forward run the column sums belong to
	dy        any    // &dy[0] of the gradient they are of
	sd, sdx   []float64
}

// saveStats records the statistics a forward computed of x.
func saveStats[T float32 | float64](sv *normSaved, x []T, mean, inv []float64) {
	sv.forwards++
	if len(x) == 0 {
		sv.valid = false
		return
	}
	sv.valid, sv.x, sv.n, sv.mean, sv.inv = true, &x[0], len(x), mean, inv
	sv.dy, sv.sd, sv.sdx = nil, nil, nil
}

// savedStats returns the statistics the last forward saved of x, or false.
// sv is nil for a gradient op without a forward op to read.
func savedStats[T float32 | float64](sv *normSaved, x []T) (mean, inv []float64, ok bool) {
	if sv == nil || !sv.valid || len(x) == 0 || sv.x != any(&x[0]) || sv.n != len(x) {
		return nil, nil, false
	}
	return sv.mean, sv.inv, true
}

// Norm normalizes x of shape (rows, st.Channels) as st says, then scales
// each channel by gamma and shifts it by beta (both of shape (channels)):
// y = γ (x - μ)/sqrt(σ² + ε) + β, with μ and σ² per column over the rows
// (NormBatch; in evaluation mode the running statistics) or per row over
// the columns (NormLayer). It is differentiable in x, γ and β.
func Norm(st *NormState, x, gamma, beta *G.Node) (*G.Node, error) {
	return applyNorm(st, x, gamma, beta, false)
}

// NormReLU is [ReLU] of [Norm], bit for bit, as one op: each row of the
// normalized output goes through the ReLU while it is in the cache, where
// the two ops wrote the whole output and read it back. Its gradient is
// ReLU's, dy where the output is positive (the output is positive exactly
// where the normalized value is), then Norm's. The encoder's and the local
// critic's batch norms are followed by ReLUs.
func NormReLU(st *NormState, x, gamma, beta *G.Node) (*G.Node, error) {
	return applyNorm(st, x, gamma, beta, true)
}

// applyNorm checks x against st and builds the forward op, followed by
// ReLU where relu is set.
func applyNorm(st *NormState, x, gamma, beta *G.Node, relu bool) (*G.Node, error) {
	if x.Shape().Dims() != 2 || x.Shape()[1] != st.Channels {
		return nil, fmt.Errorf("%s: input of shape %v, want (rows, %d)", st.Name, x.Shape(), st.Channels)
	}
	return G.ApplyOp(&normOp{st: st, part: partForward, relu: relu}, x, gamma, beta)
}

// normPart says which computation a normOp performs.
type normPart uint8

const (
	partForward   normPart = iota // y = γ x̂ + β, inputs (x, γ, β)
	partGradX                     // ∂L/∂x, inputs (x, γ, dy, y)
	partGradGamma                 // ∂L/∂γ, inputs (x, dy, y)
)

// normOp is a gorgonia op computing one part of a normalization layer.
type normOp struct {
	customOp
	st   *NormState
	part normPart
	relu bool // a forward op's output goes through ReLU (NormReLU)
	// saved is a forward op's statistics; fwd, of a gradient op, the
	// forward op whose statistics it reads.
	saved normSaved
	fwd   *normOp
	// s32 and s64 are the op's working buffers for float32 and float64
	// values (see normScratchOf).
	s32 *normScratch[float32]
	s64 *normScratch[float64]
}

// normScratch is the memory a norm op computes in, kept from run to run
// so that a training step allocates none: the statistics and sums a batch
// norm's forward or first gradient op saves for the others (see
// normSaved) live here until the op's next run.
type normScratch[T float32 | float64] struct {
	mean, inv, shift []float64    // a batch norm's column statistics and the shift they are summed from
	statSums         [2][]float64 // the per-chunk sums of the statistics
	gradSums         [2][]float64 // the per-chunk column sums of a batch norm's gradient
	coef             [3][]T       // per-column coefficients of an affine pass
}

// coefficients returns the three per-column coefficient buffers, cols
// long and zeroed.
func (sc *normScratch[T]) coefficients(cols int) (p, q, r []T) {
	return zeroed(&sc.coef[0], cols), zeroed(&sc.coef[1], cols), zeroed(&sc.coef[2], cols)
}

// normScratchOf returns op's working buffers for values of type T, made on
// first use.
func normScratchOf[T float32 | float64](op *normOp) *normScratch[T] {
	var zero T
	if _, ok := any(zero).(float32); ok {
		if op.s32 == nil {
			op.s32 = new(normScratch[float32])
		}
		return any(op.s32).(*normScratch[T])
	}
	if op.s64 == nil {
		op.s64 = new(normScratch[float64])
	}
	return any(op.s64).(*normScratch[T])
}

// zeroed returns *buf resized to n and zeroed, reallocating it only when
// it is too short.
func zeroed[T float32 | float64](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}

// savedStore returns the statistics the op writes (a forward op) or reads
// (a gradient op), or nil.
func (op *normOp) savedStore() *normSaved {
	if op.part == partForward {
		return &op.saved
	}
	if op.fwd != nil {
		return &op.fwd.saved
	}
	return nil
}

// Arity counts, for a gradient op, the forward's output y, which it does
// not read but takes so that it runs after the forward (see normSaved).
func (op *normOp) Arity() int {
	switch op.part {
	case partGradX:
		return 4
	default:
		return 3
	}
}

func (op *normOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	v := G.TensorType{Dims: 1, Of: a}
	switch op.part {
	case partForward:
		return hm.NewFnType(m, v, v, m)
	case partGradX:
		return hm.NewFnType(m, v, m, m, m)
	default:
		return hm.NewFnType(m, m, m, v)
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

func (op *normOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "norm-%p-%d-%p-%v", op.st, op.part, op.fwd, op.relu)
}

func (op *normOp) Hashcode() uint32 { return hashcode(op) }

func (op *normOp) String() string {
	names := [...]string{"", "∂x", "∂γ"}
	if op.relu {
		return fmt.Sprintf("norm(%s)+ReLU", op.st.Name)
	}
	return fmt.Sprintf("norm(%s)%s", op.st.Name, names[op.part])
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
	if cols != op.st.Channels {
		return nil, fmt.Errorf("%s: input has %d channels, want %d", op, cols, op.st.Channels)
	}
	switch x.Dtype() {
	case tensor.Float32:
		normCompute(op, rows, cols, x.Float32s(), denseData[float32](vals[1:]), out.Float32s())
	case tensor.Float64:
		normCompute(op, rows, cols, x.Float64s(), denseData[float64](vals[1:]), out.Float64s())
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
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
	if op.relu {
		var err error
		if grad, err = reluGrad(output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := G.ApplyOp(&normOp{st: op.st, part: partGradX, fwd: op}, x, gamma, grad, output)
	if err != nil {
		return nil, err
	}
	dgamma, err := G.ApplyOp(&normOp{st: op.st, part: partGradGamma, fwd: op}, x, grad, output)
	if err != nil {
		return nil, err
	}
	// dβ is the column sums of the gradient: gorgonia's G.Sum(grad, 0)
	// bit for bit, on both cores (see AddBias).
	dbeta, err := G.ApplyOp(&biasOp{sums: true}, grad)
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
