package graph

import "gorgonia.org/tensor"

// outputBuffer is the output tensor an op of this package reuses from one
// run of the graph to the next, instead of allocating a new one every run
// (gorgonia's tape machine hands ops no preallocated output after Reset).
// It is safe because an op runs once per run and its output is only read
// during that run: the next run overwrites it entirely. Reading a node's
// value after a later run started is wrong for any gorgonia node.
type outputBuffer struct {
	t *tensor.Dense
}

// get returns the kept tensor if it has the dtype and shape, else a new one,
// which it keeps.
func (b *outputBuffer) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if b.t == nil || b.t.Dtype() != dt || !b.t.Shape().Eq(shape) {
		b.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	}
	return b.t
}
