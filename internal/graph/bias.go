package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/infomax/infomax/internal/vec"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AddBias returns y + b with the vector b added to every row of the matrix
// y, as one op split across cores, whose gradient in b is another: the
// column sums of the output's gradient (in y it is that gradient itself).
// It gives the bits of gorgonia's broadcast G.Add(y, repeat(b)) and of
// that repeat's gradient, Sum along rows: each column summed in float32,
// row after row from the first, as gorgonia's reduction does, without the
// repeated copy of b or the single-core passes.
func AddBias(y, b *G.Node) (*G.Node, error) {
	return applyBias(y, b, false)
}

// AddBiasReLU is [ReLU] of [AddBias], bit for bit, as one op: each row
// goes through the ReLU while it is in the cache. Its gradient is ReLU's,
// dy where the output is positive, then AddBias's. The encoder's first
// convolution, without a batch norm, is followed by one.
func AddBiasReLU(y, b *G.Node) (*G.Node, error) {
	return applyBias(y, b, true)
}

// AddBiasAdd returns (y + b) + s, AddBias of y and b plus the matrix s
// of y's shape, bit for bit, as one op: the sum of the bias and the
// addition are made on each row while it is in the cache, where the two
// ops wrote the first sum whole and read it back. Its gradient is the
// output's gradient in y and in s and its column sums in b. The local
// critic's embeddings add their linear shortcut to their second layer's
// biased product so.
func AddBiasAdd(y, b, s *G.Node) (*G.Node, error) {
	if y == nil || s == nil {
		return nil, fmt.Errorf("graph.AddBiasAdd: nil operand")
	}
	if !s.Shape().Eq(y.Shape()) || s.Dtype() != y.Dtype() {
		return nil, fmt.Errorf("graph.AddBiasAdd: addend of shape %v (%v) for rows of shape %v (%v); want the same", s.Shape(), s.Dtype(), y.Shape(), y.Dtype())
	}
	return applyBias(y, b, false, s)
}

// applyBias checks y and b and builds the bias op: with relu
// AddBiasReLU's, with an addend AddBiasAdd's, else AddBias's.
func applyBias(y, b *G.Node, relu bool, addend ...*G.Node) (*G.Node, error) {
	if y == nil || b == nil {
		return nil, fmt.Errorf("graph.AddBias: nil operand")
	}
	ys, bs := y.Shape(), b.Shape()
	if ys.Dims() != 2 || bs.Dims() != 1 || bs[0] != ys[1] {
		return nil, fmt.Errorf("graph.AddBias: bias of shape %v for rows of shape %v; want a vector of %d", bs, ys, ys[1])
	}
	return G.ApplyOp(&biasOp{relu: relu, add: len(addend) > 0}, append([]*G.Node{y, b}, addend...)...)
}

// biasOp adds a bias to every row (sums false: inputs y and b) or sums the
// columns of a gradient (sums true: input dy).
type biasOp struct {
	customOp
	sums bool
	relu bool // the sum goes through ReLU (AddBiasReLU)
	add  bool // a third input is added to the sum (AddBiasAdd)
}

func (op *biasOp) Arity() int {
	switch {
	case op.sums:
		return 1
	case op.add:
		return 3
	}
	return 2
}

func (op *biasOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m, v := G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}
	switch {
	case op.sums:
		return hm.NewFnType(m, v)
	case op.add:
		return hm.NewFnType(m, v, m, m)
	}
	return hm.NewFnType(m, v, m)
}

func (op *biasOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op, len(ns), op.Arity())
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok || s.Dims() != 2 {
		return nil, fmt.Errorf("%s: input %v is not a matrix", op, ns[0])
	}
	if op.sums {
		return tensor.Shape{s[1]}, nil
	}
	return s.Clone(), nil
}

func (op *biasOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op) }
func (op *biasOp) Hashcode() uint32      { return hashcode(op) }

func (op *biasOp) String() string {
	switch {
	case op.sums:
		return "BiasGrad"
	case op.relu:
		return "AddBias+ReLU"
	case op.add:
		return "AddBias+Add"
	}
	return "AddBias"
}

func (op *biasOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	s := vals[0].Shape()
	if s.Dims() != 2 {
		return nil, fmt.Errorf("%s: input %v is not a matrix", op, s)
	}
	out := s.Clone()
	if op.sums {
		out = tensor.Shape{s[1]}
	}
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), out), vals...)
}

// UsePreallocDo computes into prealloc when its shape and type fit.
func (op *biasOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok || x.Dtype() != out.Dtype() || x.Shape().Dims() != 2 || x.RequiresIterator() {
		return nil, fmt.Errorf("%s: input is not a contiguous matrix of the destination's type", op)
	}
	rows, cols := x.Shape()[0], x.Shape()[1]
	want := rows * cols
	if op.sums {
		want = cols
	}
	if out.Shape().TotalSize() != want {
		return nil, fmt.Errorf("%s: destination %v does not fit input %v", op, out.Shape(), x.Shape())
	}
	var b *tensor.Dense
	if !op.sums {
		if b, ok = vals[1].(*tensor.Dense); !ok || b.Dtype() != x.Dtype() || b.Shape().TotalSize() != cols || b.RequiresIterator() {
			return nil, fmt.Errorf("%s: bias does not fit %d columns", op, cols)
		}
	}
	var addend *tensor.Dense
	if op.add {
		if addend, ok = vals[2].(*tensor.Dense); !ok || addend.Dtype() != x.Dtype() || addend.Shape().TotalSize() != rows*cols || addend.RequiresIterator() {
			return nil, fmt.Errorf("%s: addend does not fit %d x %d", op, rows, cols)
		}
	}
	switch x.Dtype() {
	case tensor.Float32:
		biasPass(op.sums, op.relu, rows, cols, x.Float32s(), b, dataOf[float32](addend), out.Float32s())
	case tensor.Float64:
		biasPass(op.sums, op.relu, rows, cols, x.Float64s(), b, dataOf[float64](addend), out.Float64s())
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// biasPass adds the bias b to every row of x into out (sums false) or sets
// out to the column sums of x (sums true). Rows are split across cores for
// the addition, columns for the sums, so that each column is still summed
// from the first row to the last. With relu each row of the sum goes
// through ReLU in place; with an addend s each row of s is added to it,
// as the engine's Add does.
func biasPass[T float32 | float64](sums, relu bool, rows, cols int, x []T, b *tensor.Dense, s, out []T) {
	if sums {
		if rows == 0 {
			clear(out) // an empty sum, as gorgonia's reduction gives
			return
		}
		parallelRows(cols, rows, func(_, lo, hi int) { sumRows(rows, cols, x[lo:], out[lo:hi]) })
		return
	}
	bias := b.Data().([]T)
	// The first multiple of eight columns of a float32 row are copied and
	// the bias added by vec.Add's AVX2 kernel, the rest by the loop, both
	// with x as the first operand: x + b, whose NaN, when both are NaNs,
	// is x's. (vec.Add's own Go loop computes b + x.)
	wide := 0
	if _, ok := any(bias).([]float32); ok && hasAVX2 {
		wide = cols &^ 7
	}
	parallelRows(rows, cols, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			dst, src := out[r*cols:(r+1)*cols], x[r*cols:(r+1)*cols]
			if wide > 0 {
				copy(dst[:wide], src[:wide])
				vec.Add(any(dst[:wide]).([]float32), any(bias[:wide]).([]float32))
			}
			for j, v := range src[wide:] {
				dst[wide+j] = v + bias[wide+j]
			}
			if s != nil {
				addInto(dst, s[r*cols:(r+1)*cols]) // dst + s, as the engine's Add
			}
			if relu {
				reluInto(dst, nil, dst)
			}
		}
	})
}

// sumRows sets out[c] to the sum of column c of rows rows of x, stride
// apart, from the first row down: vec.SumRows for float32, which holds
// the sums in registers down the rows, the same loop in Go for float64.
func sumRows[T float32 | float64](rows, stride int, x, out []T) {
	if o, ok := any(out).([]float32); ok {
		vec.SumRows(rows, stride, any(x).([]float32), o)
		return
	}
	copy(out, x[:len(out)])
	for r := 1; r < rows; r++ {
		addInto(out, x[r*stride:r*stride+len(out)])
	}
}

// DiffWRT says the addition is differentiable in y and b (and the
// addend).
func (op *biasOp) DiffWRT(inputs int) []bool {
	switch {
	case op.sums:
		return []bool{false}
	case op.add:
		return []bool{true, true, true}
	}
	return []bool{true, true}
}

// SymDiff returns the gradient itself for y (and the addend) and its
// column sums for b, after ReLU's gradient for AddBiasReLU.
func (op *biasOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.sums {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	if op.relu {
		var err error
		if grad, err = reluGrad(output, grad); err != nil {
			return nil, err
		}
	}
	db, err := G.ApplyOp(&biasOp{sums: true}, grad)
	if err != nil {
		return nil, err
	}
	if op.add {
		return G.Nodes{grad, db, grad}, nil
	}
	return G.Nodes{grad, db}, nil
}

// dataOf returns t's elements, or nil for a nil t.
func dataOf[T float32 | float64](t *tensor.Dense) []T {
	if t == nil {
		return nil
	}
	return t.Data().([]T)
}
