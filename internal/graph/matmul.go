package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MatMul returns the matrix product a·b, as G.Mul does for two matrices and
// with the very same arithmetic: it runs gorgonia's own product op, and its
// gradients are gorgonia's own gradient products. What differs is where
// the result goes. gorgonia's tape machine gives every product a freshly
// allocated output on every run (its alloc instruction finds the register
// emptied by Reset), which made the product outputs most of a DIM step's
// bytes allocated; MatMul's op computes into an output buffer it keeps
// from run to run. The product writes its whole output without reading it
// (BLAS with beta = 0), so the buffer's old contents never matter.
func MatMul(a, b *G.Node) (*G.Node, error) {
	if a.Shape().Dims() != 2 || b.Shape().Dims() != 2 {
		return nil, fmt.Errorf("graph.MatMul: shapes %v and %v are not two matrices", a.Shape(), b.Shape())
	}
	g := G.NewGraph()
	prod, err := G.Mul(scratchLike(g, a, "a"), scratchLike(g, b, "b"))
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newMatMulOp(prod), a, b)
}

// scratchLike returns a matrix input named name of n's type and shape in
// the scratch graph g, for building gorgonia's ops without adding nodes to
// n's graph.
func scratchLike(g *G.ExprGraph, n *G.Node, name string) *G.Node {
	return G.NewMatrix(g, n.Dtype(), G.WithShape(n.Shape()...), G.WithName(name))
}

// matMulOp runs gorgonia's product op inner (a product of two matrices,
// either or both transposed) into its kept output buffer.
type matMulOp struct {
	customOp
	inner interface {
		G.Op
		G.SDOp
		G.UsePreallocDoer
	}
	shape tensor.Shape
}

// newMatMulOp wraps the op of prod, a product node of a scratch graph.
func newMatMulOp(prod *G.Node) *matMulOp {
	inner, ok := prod.Op().(interface {
		G.Op
		G.SDOp
		G.UsePreallocDoer
	})
	if !ok {
		panic(fmt.Sprintf("graph: gorgonia's product op %T lacks SymDiff or UsePreallocDo", prod.Op()))
	}
	return &matMulOp{inner: inner, shape: prod.Shape().Clone()}
}

func (op *matMulOp) Arity() int    { return 2 }
func (op *matMulOp) Type() hm.Type { return op.inner.Type() }

func (op *matMulOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	return op.inner.InferShape(ns...)
}

func (op *matMulOp) WriteHash(h hash.Hash) {
	fmt.Fprint(h, "kept-")
	op.inner.WriteHash(h)
}
func (op *matMulOp) Hashcode() uint32 { return hashcode(op) }
func (op *matMulOp) String() string   { return op.inner.String() }

// Do computes the product into the kept buffer through gorgonia's own
// UsePreallocDo, the path its tape machine takes for a product.
func (op *matMulOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("%s: got %d values, want 2", op, len(vals))
	}
	return op.inner.UsePreallocDo(op.out.get(vals[0].Dtype(), op.shape), vals...)
}

// DiffWRT says the product is differentiable in both matrices.
func (op *matMulOp) DiffWRT(inputs int) []bool { return op.inner.DiffWRT(inputs) }

// SymDiff builds gorgonia's gradient products for the inner op, on
// scratch copies of the nodes, and applies each of them, wrapped as a
// matMulOp, to the real nodes.
func (op *matMulOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%s: got %d inputs, want 2", op, len(inputs))
	}
	g := G.NewGraph()
	real := map[*G.Node]*G.Node{}
	scratch := make(G.Nodes, 0, 4)
	for i, n := range []*G.Node{inputs[0], inputs[1], output, grad} {
		s := scratchLike(g, n, fmt.Sprint("n", i))
		real[s] = n
		scratch = append(scratch, s)
	}
	ds, err := op.inner.SymDiff(scratch[:2], scratch[2], scratch[3])
	if err != nil {
		return nil, err
	}
	out := make(G.Nodes, len(ds))
	for i, d := range ds {
		if d == nil {
			continue
		}
		var args G.Nodes
		for it := g.From(d.ID()); it.Next(); {
			r, ok := real[it.Node().(*G.Node)]
			if !ok {
				return nil, fmt.Errorf("%s: gorgonia's gradient %v reads a node other than the product's", op, d)
			}
			args = append(args, r)
		}
		if out[i], err = G.ApplyOp(newMatMulOp(d), args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}
