package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgonia's tape machine gives every op that says it calls external code
// (the matrix products, and repeat, which broadcasting is built from) a
// freshly allocated output on every run: its alloc instruction finds the
// register emptied by Reset. Those outputs were most of the bytes a DIM
// step allocated. MatMul and Broadcast build gorgonia's own ops, but each
// such op wrapped as a keptOp, which computes through the same
// UsePreallocDo the tape machine would call into an output buffer it keeps
// from run to run: the same arithmetic, into reused memory.

// MatMul returns the matrix product a·b, as G.Mul does for two matrices,
// with gorgonia's own product op and gradient products, each computing
// into a kept buffer. The product writes its whole output without reading
// it (BLAS with beta = 0), so the buffer's old contents never matter.
func MatMul(a, b *G.Node) (*G.Node, error) {
	if a.Shape().Dims() != 2 || b.Shape().Dims() != 2 {
		return nil, fmt.Errorf("graph.MatMul: shapes %v and %v are not two matrices", a.Shape(), b.Shape())
	}
	s := newScratch(a, b)
	prod, err := G.Mul(s.of(a), s.of(b))
	if err != nil {
		return nil, err
	}
	out, err := s.transplant(prod)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Broadcast is G.Broadcast (the nodes that G.BroadcastAdd and the other
// broadcasting operations combine) with each repeat computing into a kept
// buffer; a repeat overwrites its whole output.
func Broadcast(a, b *G.Node, left, right []byte) (*G.Node, *G.Node, error) {
	s := newScratch(a, b)
	a2, b2, err := G.Broadcast(s.of(a), s.of(b), G.NewBroadcastPattern(left, right))
	if err != nil {
		return nil, nil, err
	}
	out, err := s.transplant(a2, b2)
	if err != nil {
		return nil, nil, err
	}
	return out[0], out[1], nil
}

// scratch is a graph of its own in which gorgonia's functions build their
// nodes from stand-ins of real nodes, to be rebuilt in the real graph by
// transplant.
type scratch struct {
	g    *G.ExprGraph
	in   map[*G.Node]*G.Node // real node -> stand-in
	real map[*G.Node]*G.Node // stand-in (or rebuilt scratch node) -> real node
}

// newScratch returns a scratch graph with a stand-in, of the same type
// and shape, for each of nodes.
func newScratch(nodes ...*G.Node) *scratch {
	s := &scratch{g: G.NewGraph(), in: map[*G.Node]*G.Node{}, real: map[*G.Node]*G.Node{}}
	for i, n := range nodes {
		if _, ok := s.in[n]; ok {
			continue
		}
		name := G.WithName(fmt.Sprint("in", i))
		var st *G.Node
		if n.Shape().Dims() == 0 {
			st = G.NewScalar(s.g, n.Dtype(), name)
		} else {
			st = G.NewTensor(s.g, n.Dtype(), n.Shape().Dims(), G.WithShape(n.Shape()...), name)
		}
		s.in[n], s.real[st] = st, n
	}
	return s
}

// of returns n's stand-in.
func (s *scratch) of(n *G.Node) *G.Node { return s.in[n] }

// transplant rebuilds the scratch nodes outs, and the scratch nodes they
// read, in the real graph, children before parents and in the order they
// are read, as gorgonia built them; ops that would get a fresh output
// every run are wrapped as keptOps.
func (s *scratch) transplant(outs ...*G.Node) (G.Nodes, error) {
	res := make(G.Nodes, len(outs))
	for i, n := range outs {
		if n == nil {
			continue
		}
		r, err := s.rebuild(n)
		if err != nil {
			return nil, err
		}
		res[i] = r
	}
	return res, nil
}

func (s *scratch) rebuild(n *G.Node) (*G.Node, error) {
	if r, ok := s.real[n]; ok {
		return r, nil
	}
	if n.Op() == nil {
		return nil, fmt.Errorf("graph: gorgonia's %v reads an input other than the given nodes", n)
	}
	var args G.Nodes
	for it := s.g.From(n.ID()); it.Next(); {
		r, err := s.rebuild(it.Node().(*G.Node))
		if err != nil {
			return nil, err
		}
		args = append(args, r)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("graph: gorgonia's %v is a constant or an input other than the given nodes", n)
	}
	op := n.Op()
	if inner, ok := op.(keptInner); ok && op.CallsExtern() {
		op = &keptOp{inner: inner, shape: n.Shape().Clone()}
	}
	r, err := G.ApplyOp(op, args...)
	if err != nil {
		return nil, err
	}
	s.real[n] = r
	return r, nil
}

// keptInner is what keptOp needs of the gorgonia op it wraps.
type keptInner interface {
	G.Op
	G.SDOp
	G.UsePreallocDoer
}

// keptOp runs gorgonia's op inner into its kept output buffer.
type keptOp struct {
	customOp
	inner keptInner
	shape tensor.Shape
}

func (op *keptOp) Arity() int    { return op.inner.Arity() }
func (op *keptOp) Type() hm.Type { return op.inner.Type() }

func (op *keptOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	return op.inner.InferShape(ns...)
}

func (op *keptOp) WriteHash(h hash.Hash) {
	fmt.Fprint(h, "kept-")
	op.inner.WriteHash(h)
}
func (op *keptOp) Hashcode() uint32 { return hashcode(op) }
func (op *keptOp) String() string   { return op.inner.String() }

// Do computes into the kept buffer through gorgonia's own UsePreallocDo,
// the path its tape machine takes for the op.
func (op *keptOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() || len(vals) == 0 {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	return op.inner.UsePreallocDo(op.out.get(vals[0].Dtype(), op.shape), vals...)
}

// DiffWRT is the inner op's.
func (op *keptOp) DiffWRT(inputs int) []bool { return op.inner.DiffWRT(inputs) }

// SymDiff builds the inner op's gradient on stand-ins of the nodes and
// transplants it into the real graph, so that gradient products compute
// into kept buffers too.
func (op *keptOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	s := newScratch(append(append(G.Nodes{}, inputs...), output, grad)...)
	var ins G.Nodes
	for _, n := range inputs {
		ins = append(ins, s.of(n))
	}
	ds, err := op.inner.SymDiff(ins, s.of(output), s.of(grad))
	if err != nil {
		return nil, err
	}
	return s.transplant(ds...)
}
