package graph

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/vec"
)

// NewTapeMachine is G.NewTapeMachine with [Engine] as the engine of every
// value the machine computes, so that gorgonia's own element-wise
// additions on them (the sums of several gradient contributions, and
// with G.BindDualValues the summing of each gradient into its
// parameter's) run split across cores. Without options, its RunAll runs
// the program on the calling goroutine ([syncTape]).
func NewTapeMachine(g *G.ExprGraph, opts ...G.VMOpt) G.VM {
	vm := G.NewTapeMachine(g, append(opts, G.WithEngine(Engine))...)
	if len(opts) > 0 {
		return vm
	}
	return newSyncTape(vm)
}

// Engine is gorgonia's tensor engine (G.StandardEngine, the tape machine's
// default, with its own Transpose) with a faster Add for the
// case gorgonia's tape machine runs most: two float32 matrices of the same
// shape, neither a view, the sum written into the first (gorgonia's
// UnsafeDo, and the addition of a gradient into a bound dual value). That
// case is added eight floats at a time and split across cores; each
// element is the same IEEE addition with the first operand first, so the
// bits are those of the standard engine. Every other case, and every other
// operation, is gorgonia's engine's.
var Engine tensor.Engine = engine{}

type engine struct{ G.StandardEngine }

// Add adds b into a in place for the case Engine describes, and leaves
// every other case to the standard engine.
func (e engine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if da, db, ok := sameDense32(a, b); ok {
		fo := tensor.ParseFuncOpts(opts...)
		unsafe, plain := !fo.Safe(), fo.Reuse() == nil && fo.Incr() == nil && !fo.Same() && fo.As().Type == nil
		if unsafe && plain {
			x, y := da.Float32s(), db.Float32s()
			parallelRows(len(x), 1, func(_, lo, hi int) { vec.Add(x[lo:hi], y[lo:hi]) })
			return a, nil
		}
	}
	return e.StandardEngine.Add(a, b, opts...)
}

// sameDense32 returns a and b as dense float32 tensors of the same shape
// whose data are their own contiguous row-major arrays (not views), or
// false.
func sameDense32(a, b tensor.Tensor) (*tensor.Dense, *tensor.Dense, bool) {
	da, ok1 := a.(*tensor.Dense)
	db, ok2 := b.(*tensor.Dense)
	if !ok1 || !ok2 || da.Dtype() != tensor.Float32 || db.Dtype() != tensor.Float32 ||
		!da.Shape().Eq(db.Shape()) || da.IsView() || db.IsView() || da.RequiresIterator() || db.RequiresIterator() ||
		!da.DataOrder().IsRowMajor() || !db.DataOrder().IsRowMajor() {
		return nil, nil, false
	}
	return da, db, true
}
