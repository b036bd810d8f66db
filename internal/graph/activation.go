package graph

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns max(x, 0) elementwise as one fused op whose gradient is
// another (dy where x > 0, else 0). gorgonia's Rectify builds a comparison
// and a product forward and more ops backward; this does one pass each
// way.
func ReLU(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&reluOp{dims: x.Shape().Dims()}, x)
}

// Rectify returns gorgonia's Rectify of x, x ⊙ (x ≥ 0), bit for bit, as
// one fused op whose gradient is another, dy ⊙ (x ≥ 0). It differs from
// [ReLU] only where x is zero or negative zero (Rectify passes dy there and
// keeps the sign of a zero x, negative inputs give -0): the MLPs that were
// built on gorgonia's Rectify keep every bit of their results, without its
// comparison, product and the product's unused second gradient.
func Rectify(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&reluOp{dims: x.Shape().Dims(), gorgonia: true}, x)
}

// reluOp computes max(x, 0) (grad false, input x) or its backward pass
// (grad true, inputs x and dy); with gorgonia set it computes Rectify's
// x ⊙ (x ≥ 0) and dy ⊙ (x ≥ 0) instead.
type reluOp struct {
	customOp
	dims     int
	grad     bool
	gorgonia bool
}

func (op *reluOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op *reluOp) Type() hm.Type {
	t := G.TensorType{Dims: op.dims, Of: hm.TypeVariable('a')}
	if op.grad {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op *reluOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op, len(ns), op.Arity())
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: input is %T, not a shape", op, ns[0])
	}
	return s.Clone(), nil
}

func (op *reluOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%d-%v", op, op.dims, op.gorgonia) }
func (op *reluOp) Hashcode() uint32      { return hashcode(op) }

func (op *reluOp) String() string {
	name := "ReLU"
	if op.gorgonia {
		name = "Rectify"
	}
	if op.grad {
		return name + "∂"
	}
	return name
}

func (op *reluOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), vals[0].Shape()), vals...)
}

// UsePreallocDo computes into prealloc when its size and type fit.
func (op *reluOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok || out.Dtype() != x.Dtype() || out.Shape().TotalSize() != x.Shape().TotalSize() {
		return nil, fmt.Errorf("%s: destination does not fit the input", op)
	}
	var dy *tensor.Dense
	if op.grad {
		if dy, ok = vals[1].(*tensor.Dense); !ok || dy.Shape().TotalSize() != x.Shape().TotalSize() {
			return nil, fmt.Errorf("%s: gradient does not fit the input", op)
		}
	}
	switch x.Dtype() {
	case tensor.Float32:
		reluSplit(x.Float32s(), dy, out.Float32s(), op.gorgonia)
	case tensor.Float64:
		reluSplit(x.Float64s(), dy, out.Float64s(), op.gorgonia)
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// reluSplit runs reluInto over contiguous ranges on up to GOMAXPROCS
// goroutines (see parallelRows); every element is computed alone, so the
// result is the same however the ranges fall.
func reluSplit[T float32 | float64](x []T, dy *tensor.Dense, out []T, gorgonia bool) {
	var d []T
	if dy != nil {
		d = dy.Data().([]T)
	}
	parallelRows(len(x), 1, func(_, lo, hi int) {
		var dr []T
		if d != nil {
			dr = d[lo:hi]
		}
		if gorgonia {
			rectifyInto(x[lo:hi], dr, out[lo:hi])
		} else {
			reluInto(x[lo:hi], dr, out[lo:hi])
		}
	})
}

// rectifyInto writes gorgonia's Rectify, x times the mask (x ≥ 0) as 1 or
// 0, to out, or, with the gradient d, d times the mask: the same products
// as gorgonia's comparison and Hadamard product, so the same bits.
func rectifyInto[T float32 | float64](x, d, out []T) {
	if x32, ok := any(x).([]float32); ok {
		d32, _ := any(d).([]float32)
		rectify32(x32, d32, any(out).([]float32))
		return
	}
	for i, v := range x {
		var m T
		if v >= 0 {
			m = 1
		}
		if d == nil {
			out[i] = v * m
		} else {
			out[i] = d[i] * m
		}
	}
}

// rectify32 is rectifyInto for float32 without a branch per element: the
// mask is chosen as bits by a conditional move, since the signs of a
// layer's pre-activations are as good as random to a branch predictor
// (four times faster on 65,536 normal values).
func rectify32(x, d, out []float32) {
	out = out[:len(x)]
	if d == nil {
		for i, v := range x {
			m := uint32(0)
			if v >= 0 {
				m = 0x3f800000 // 1.0
			}
			out[i] = v * math.Float32frombits(m)
		}
		return
	}
	d = d[:len(x)]
	for i, v := range x {
		m := uint32(0)
		if v >= 0 {
			m = 0x3f800000
		}
		out[i] = d[i] * math.Float32frombits(m)
	}
}

// reluInto writes max(x, 0) to out, or, with the gradient d, d where x > 0
// and 0 elsewhere.
func reluInto[T float32 | float64](x, d, out []T) {
	if d == nil {
		for i, v := range x {
			out[i] = max(v, 0)
		}
		return
	}
	if x32, ok := any(x).([]float32); ok {
		reluGrad32(x32, any(d).([]float32), any(out).([]float32))
		return
	}
	for i, v := range x {
		if v > 0 {
			out[i] = d[i]
		} else {
			out[i] = 0
		}
	}
}

// reluGrad32 writes d where x > 0 and 0 elsewhere, keeping or clearing
// d's bits with a mask chosen by a conditional move rather than a branch
// (see rectify32).
func reluGrad32(x, d, out []float32) {
	out, d = out[:len(x)], d[:len(x)]
	for i, v := range x {
		m := uint32(0)
		if v > 0 {
			m = 0xffffffff
		}
		out[i] = math.Float32frombits(math.Float32bits(d[i]) & m)
	}
}

// DiffWRT says the forward op is differentiable in x.
func (op *reluOp) DiffWRT(inputs int) []bool { return []bool{!op.grad} }

// SymDiff returns the masked gradient.
func (op *reluOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	dx, err := G.ApplyOp(&reluOp{dims: op.dims, grad: true, gorgonia: op.gorgonia}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
