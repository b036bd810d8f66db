package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// WeightedSum returns Σᵢ xᵢwᵢ over every element of x and w, which share
// their shape, as one op: gorgonia's G.Sum(G.HadamardProd(x, w)) bit for
// bit (each product rounded on its own, then added up in memory order, as
// gorgonia's full reduction does), without the product's temporary. w is
// a constant to it, such as an estimator's mask: the gradient is only in
// x, w ⊙ dy, one pass split across cores, where gorgonia would repeat dy
// into a matrix first and multiply that. The estimators' masked means and
// weighted losses over the 64 × 4,096 local scores are such sums.
func WeightedSum(x, w *G.Node) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, fmt.Errorf("graph.WeightedSum: nil operand")
	}
	if !x.Shape().Eq(w.Shape()) || x.IsScalar() || x.Dtype() != w.Dtype() {
		return nil, fmt.Errorf("graph.WeightedSum: x of shape %v (%v) and weights of shape %v (%v); want one shape and type, not scalars",
			x.Shape(), x.Dtype(), w.Shape(), w.Dtype())
	}
	return G.ApplyOp(&weightedSumOp{dims: x.Shape().Dims(), shape: x.Shape().Clone()}, x, w)
}

// weightedSumOp sums x ⊙ w (grad false: inputs x and w, a scalar output)
// or computes the gradient w ⊙ dy (grad true: inputs w and the scalar dy,
// an output of x's shape).
type weightedSumOp struct {
	customOp
	dims  int
	shape tensor.Shape
	grad  bool
}

func (op *weightedSumOp) Arity() int { return 2 }

func (op *weightedSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: op.dims, Of: a}
	if op.grad {
		return hm.NewFnType(t, a, t)
	}
	return hm.NewFnType(t, t, a)
}

func (op *weightedSumOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != 2 {
		return nil, fmt.Errorf("%s: got %d inputs, want 2", op, len(ns))
	}
	if op.grad {
		return op.shape.Clone(), nil
	}
	return tensor.ScalarShape(), nil
}

func (op *weightedSumOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%v", op, op.shape) }
func (op *weightedSumOp) Hashcode() uint32      { return hashcode(op) }

func (op *weightedSumOp) String() string {
	if op.grad {
		return "WeightedSum∂"
	}
	return "WeightedSum"
}

// Do computes the sum, or the gradient into the op's kept buffer.
func (op *weightedSumOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("%s: got %d values, want 2", op, len(vals))
	}
	a, ok := vals[0].(*tensor.Dense)
	if !ok || a.Shape().TotalSize() != op.shape.TotalSize() || a.IsView() || !a.IsNativelyAccessible() {
		return nil, fmt.Errorf("%s: input %v is not a contiguous tensor of shape %v", op, vals[0].Shape(), op.shape)
	}
	if op.grad {
		out := op.out.get(a.Dtype(), op.shape)
		switch d := vals[1].Data().(type) {
		case float32:
			scaleSplit(a.Float32s(), d, out.Float32s())
		case float64:
			scaleSplit(a.Float64s(), d, out.Float64s())
		default:
			return nil, fmt.Errorf("%s: gradient of type %T, want a float scalar", op, d)
		}
		return out, nil
	}
	b, ok := vals[1].(*tensor.Dense)
	if !ok || b.Dtype() != a.Dtype() || b.Shape().TotalSize() != op.shape.TotalSize() || b.IsView() {
		return nil, fmt.Errorf("%s: weights %v do not match the input", op, vals[1].Shape())
	}
	switch a.Dtype() {
	case tensor.Float32:
		return G.NewF32(dot(a.Float32s(), b.Float32s())), nil
	case tensor.Float64:
		return G.NewF64(dot(a.Float64s(), b.Float64s())), nil
	}
	return nil, fmt.Errorf("%s: unsupported type %v", op, a.Dtype())
}

// dot returns Σ x[i]*w[i], each product rounded to T before it is added,
// added up from the first element to the last.
func dot[T float32 | float64](x, w []T) T {
	w = w[:len(x)]
	var s T
	for i, v := range x {
		s += T(v * w[i])
	}
	return s
}

// scaleSplit writes w[i]*d to out, split across cores.
func scaleSplit[T float32 | float64](w []T, d T, out []T) {
	out = out[:len(w)]
	parallelRows(len(w), 1, func(_, lo, hi int) {
		for i, v := range w[lo:hi] {
			out[lo+i] = v * d
		}
	})
}

// DiffWRT says the sum is differentiable in x only.
func (op *weightedSumOp) DiffWRT(inputs int) []bool { return []bool{!op.grad, false} }

// SymDiff returns w ⊙ dy for x and nothing for w.
func (op *weightedSumOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	dx, err := G.ApplyOp(&weightedSumOp{dims: op.dims, shape: op.shape, grad: true}, inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil}, nil
}
