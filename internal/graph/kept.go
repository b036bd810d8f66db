package graph

import (
	"fmt"
	"hash"
	"reflect"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/blas"
)

// gorgonia's tape machine gives every op that says it calls external code
// (the matrix products, and repeat, which broadcasting is built from) a
// freshly allocated output on every run: its alloc instruction finds the
// register emptied by Reset; its elementwise ops allocate theirs inside.
// Those outputs were most of the bytes a DIM step allocated. MatMul and
// Kept build gorgonia's own ops, but each such op wrapped as a keptOp,
// which computes through the op's own arithmetic into an output buffer it
// keeps from run to run: the same values, into reused memory.

// MatMul returns the matrix product a·b, as G.Mul does for two matrices,
// with gorgonia's own product op and gradient products, each computing
// into a kept buffer (it is Kept of G.Mul). The product writes its whole
// output without reading it (BLAS with beta = 0), so the buffer's old
// contents never matter.
func MatMul(a, b *G.Node) (*G.Node, error) {
	if a == nil || b == nil || a.Shape().Dims() != 2 || b.Shape().Dims() != 2 {
		return nil, fmt.Errorf("graph.MatMul: operands %v and %v are not two matrices", a, b)
	}
	return Kept(func(in ...*G.Node) (*G.Node, error) { return G.Mul(in[0], in[1]) }, a, b)
}

// MatMulT returns the matrix product a·bᵀ, for a of shape (m, k) and b of
// (n, k). Where [MatMulTInPlace] reports it, it is one product that reads
// b transposed in place: gorgonia's own product op with b transposed
// (the "A × Bᵀ" that gorgonia's gradients of products build), kept as
// MatMul's is, whose gradients are gorgonia's products with transposed
// operands too, so that neither b nor, backward, its gradient is ever
// transposed. Our kernel sums each element's products in the same order
// as for MatMul(a, Transpose(b)), depth block by depth block, so the
// values are that product's bits, but for NaN payloads where it takes
// the products' operands in the other order. Elsewhere MatMulT is
// MatMul(a, Transpose(b)).
func MatMulT(a, b *G.Node) (*G.Node, error) {
	if a == nil || b == nil || a.Shape().Dims() != 2 || b.Shape().Dims() != 2 || a.Shape()[1] != b.Shape()[1] {
		return nil, fmt.Errorf("graph.MatMulT: operands %v and %v are not two matrices of one width", a, b)
	}
	if !MatMulTInPlace(a, b) {
		bt, err := Transpose(b)
		if err != nil {
			return nil, err
		}
		return MatMul(a, bt)
	}
	op, err := productWithTransposedB()
	if err != nil {
		return nil, err
	}
	return Kept(func(in ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, in[0], in[1]) }, a, b)
}

// MatMulTInPlace reports whether [MatMulT](a, b) is one product reading b
// transposed in place: where our kernel is the BLAS, both are float32
// and they are two nodes. gonum's Sgemm and Dgemm, and OpenBLAS, sum a
// transposed B in another order than a transposed copy of it, so there
// MatMulT is MatMul of the transpose, and so is it in float64, which the
// gradient checks run on gonum. gorgonia's product transposes b in place
// while it runs, so a·aᵀ would read a transposed.
func MatMulTInPlace(a, b *G.Node) bool {
	_, ours := G.WhichBLAS().(blas.Implementation)
	return ours && blas.HasKernel() && a != b && a.Dtype() == tensor.Float32 && b.Dtype() == tensor.Float32
}

// productWithTransposedB returns gorgonia's matrix product op with its
// second operand transposed. gorgonia builds it only inside its gradients
// (its fields are unexported), so it is taken from the gradient of a
// product in a graph of its own: the gradient of x·y in x is dz·yᵀ.
var productWithTransposedB = sync.OnceValues(func() (G.Op, error) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("y"))
	z, err := G.Mul(x, y)
	if err != nil {
		return nil, err
	}
	cost, err := G.Sum(z)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(cost, x)
	if err != nil {
		return nil, err
	}
	if op := grads[0].Op(); op != nil && op.String() == "A × Bᵀ" {
		return op, nil
	}
	return nil, fmt.Errorf("graph.MatMulT: gorgonia's gradient of a product in its first operand is %v, not A × Bᵀ", grads[0].Op())
})

// Kept returns build's node, an expression of gorgonia's functions of
// inputs (such as G.HadamardProd, G.Add or G.Exp), built in the inputs'
// graph with each of gorgonia's elementwise ops (and products and
// repeats) that outputs a tensor computing into a buffer it keeps from
// run to run, as MatMul's product does, and so do the ops of its
// gradient; sums and maxima keep gorgonia's own Do but are wrapped so that
// their gradients are built that way. gorgonia's elementwise ops allocate
// their output afresh on every run: over the 64 × 4,096 scores of the
// local critic, a megabyte each, in fresh pages. The arithmetic is
// gorgonia's own (see keptOp.Do), so the values are the same bits, as
// long as no node's gradient gathers more than two contributions: with
// three or more, gorgonia adds them up in the order it built their nodes,
// which the transplant can change (a test of z ⊙ z with z's maxima found
// the last bit of a few gradients changed). The estimators' graphs have at
// most two to a node. build
// must use only the stand-ins it is given, not other nodes of the graph:
// pass every node it reads as an input (constants it makes itself are
// made anew in the graph).
func Kept(build func(in ...*G.Node) (*G.Node, error), inputs ...*G.Node) (*G.Node, error) {
	for i, n := range inputs {
		if n == nil {
			return nil, fmt.Errorf("graph.Kept: input %d is nil", i)
		}
	}
	s := newScratch(inputs...)
	stand := make([]*G.Node, len(inputs))
	for i, n := range inputs {
		stand[i] = s.of(n)
	}
	n, err := build(stand...)
	if err != nil {
		return nil, err
	}
	out, err := s.transplant(n)
	if err != nil {
		return nil, err
	}
	return out[0], nil
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
		// A constant the expression or its gradient made (a scalar
		// operand, a -1): made anew in the real graph, where gorgonia
		// merges it with an equal one.
		if n.Value() == nil {
			return nil, fmt.Errorf("graph: gorgonia's %v is an input other than the given nodes", n)
		}
		r := G.NewConstant(n.Value(), G.WithName(n.Name()))
		s.real[n] = r
		return r, nil
	}
	op := n.Op()
	if inner, ok := op.(keptInner); ok && keeps(op) {
		op = &keptOp{inner: inner, dtype: n.Dtype(), shape: n.Shape().Clone(), unary: isElemUnary(op)}
	}
	r, err := G.ApplyOp(op, args...)
	if err != nil {
		return nil, err
	}
	s.real[n] = r
	return r, nil
}

// keeps reports whether op is to be wrapped as a keptOp: an op that calls
// external code (a product, a repeat) and computes through UsePreallocDo,
// and gorgonia's elementwise ops (elemBinOp, elemUnaryOp) and reductions
// (sumOp, maxOp). The elementwise ops that output a tensor compute into
// the kept buffer (see keptOp.Do); the reductions run their own Do, and
// are wrapped so that their gradients, which repeat and compare matrices,
// are built with kept buffers too. None of them returns a view of its
// input.
func keeps(op G.Op) bool {
	if op.CallsExtern() {
		_, ok := op.(G.UsePreallocDoer)
		return ok
	}
	switch gorgoniaOpName(op) {
	case "elemBinOp", "elemUnaryOp", "sumOp", "maxOp":
		return true
	}
	return false
}

// gorgoniaOpName returns the name of the type of one of gorgonia's ops
// (elemBinOp, or maxOp for a *maxOp), or "" for another package's.
func gorgoniaOpName(op G.Op) string {
	t := reflect.TypeOf(op)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() != "gorgonia.org/gorgonia" {
		return ""
	}
	return t.Name()
}

// isElemUnary reports whether op is gorgonia's elementwise unary op.
func isElemUnary(op G.Op) bool { return gorgoniaOpName(op) == "elemUnaryOp" }

// keptInner is what keptOp needs of the gorgonia op it wraps.
type keptInner interface {
	G.Op
	G.SDOp
}

// keptOp runs gorgonia's op inner into its kept output buffer.
type keptOp struct {
	customOp
	inner keptInner
	dtype tensor.Dtype // the output's, which a comparison may give as bool
	shape tensor.Shape
	unary bool // inner is gorgonia's elementwise unary op (see Do)
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

// Do computes into the kept buffer: through gorgonia's own UsePreallocDo
// where the op has one (the binary elementwise ops, products, repeats), or,
// for a unary elementwise op, by copying its input into the buffer and
// running the op's in-place UnsafeDo there, the path gorgonia's tape
// machine takes when nothing else reads the input (the same arithmetic,
// so the same bits). A scalar output, or an op with neither (sums and
// maxima, wrapped for their gradients' sake), is the inner op's Do.
func (op *keptOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() || len(vals) == 0 {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	if op.shape.Dims() == 0 {
		return op.inner.Do(vals...)
	}
	if pd, ok := op.inner.(G.UsePreallocDoer); ok {
		return pd.UsePreallocDo(op.out.get(op.dtype, op.shape), vals...)
	}
	if ud, ok := op.inner.(G.UnsafeDoer); ok && op.unary && op.Arity() == 1 {
		in, ok := vals[0].(*tensor.Dense)
		if !ok || in.Dtype() != op.dtype || !in.Shape().Eq(op.shape) {
			return nil, fmt.Errorf("%s: input %v does not fit the output %v", op, vals[0].Shape(), op.shape)
		}
		buf := op.out.get(op.dtype, op.shape)
		if err := tensor.Copy(buf, in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return ud.UnsafeDo(buf)
	}
	return op.inner.Do(vals...)
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
