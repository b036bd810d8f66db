package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AllPairSums returns the (N·R, H) matrix whose row i·R + j is b_i + a_j,
// for b of shape (N, H) and a of shape (R, H): a concat critic's first
// layer on every pair, from its two halves. It is gorgonia's
// G.BroadcastAdd of b as (N, 1, H) and a as (1, R, H), reshaped, bit for
// bit, as one op split across cores, whose gradients are two more: in b
// the sums over j of each block of R rows of the output's gradient, in a
// the sums over i, each added up from the first row in order as gorgonia's
// reductions of the repeats do, without the two repeated (N, R, H)
// operands or gorgonia's single-core reduction along the middle axis.
func AllPairSums(b, a *G.Node) (*G.Node, error) {
	if b == nil || a == nil {
		return nil, fmt.Errorf("graph.AllPairSums: nil operand")
	}
	bs, as := b.Shape(), a.Shape()
	if bs.Dims() != 2 || as.Dims() != 2 || bs[1] != as[1] || b.Dtype() != a.Dtype() || bs.TotalSize() == 0 || as.TotalSize() == 0 {
		return nil, fmt.Errorf("graph.AllPairSums: halves of shapes %v and %v (%v, %v); want two non-empty matrices of one width and type",
			bs, as, b.Dtype(), a.Dtype())
	}
	return G.ApplyOp(&allPairsOp{n: bs[0], r: as[0], h: bs[1]}, b, a)
}

// allPairsOp is the pair sums (part pairSums: inputs b and a) or one of
// their gradients (pairGradB, pairGradA: input dy).
type allPairsOp struct {
	customOp
	n, r, h int
	part    pairPart
}

// pairPart says which computation an allPairsOp performs.
type pairPart uint8

const (
	pairSums  pairPart = iota // (N·R, H) sums of b and a
	pairGradB                 // (N, H) sums over j of dy
	pairGradA                 // (R, H) sums over i of dy
)

var pairPartNames = [...]string{pairSums: "AllPairSums", pairGradB: "AllPairSums∂b", pairGradA: "AllPairSums∂a"}

func (op *allPairsOp) Arity() int {
	if op.part == pairSums {
		return 2
	}
	return 1
}

func (op *allPairsOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	if op.part == pairSums {
		return hm.NewFnType(m, m, m)
	}
	return hm.NewFnType(m, m)
}

func (op *allPairsOp) outShape() tensor.Shape {
	switch op.part {
	case pairGradB:
		return tensor.Shape{op.n, op.h}
	case pairGradA:
		return tensor.Shape{op.r, op.h}
	}
	return tensor.Shape{op.n * op.r, op.h}
}

// inShapes returns the shapes the op's inputs must have.
func (op *allPairsOp) inShapes() []tensor.Shape {
	if op.part == pairSums {
		return []tensor.Shape{{op.n, op.h}, {op.r, op.h}}
	}
	return []tensor.Shape{{op.n * op.r, op.h}}
}

func (op *allPairsOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	want := op.inShapes()
	if len(ns) != len(want) {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op, len(ns), len(want))
	}
	for i, n := range ns {
		if s, ok := n.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return nil, fmt.Errorf("%s: input %d has shape %v, want %v", op, i, n, want[i])
		}
	}
	return op.outShape(), nil
}

func (op *allPairsOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%d-%d-%d", op, op.n, op.r, op.h) }
func (op *allPairsOp) Hashcode() uint32      { return hashcode(op) }
func (op *allPairsOp) String() string        { return pairPartNames[op.part] }

// Do computes into the op's kept buffer.
func (op *allPairsOp) Do(vals ...G.Value) (G.Value, error) {
	want := op.inShapes()
	if len(vals) != len(want) {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), len(want))
	}
	ins := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		d, ok := v.(*tensor.Dense)
		if !ok || !d.Shape().Eq(want[i]) || d.Dtype() != vals[0].Dtype() || !d.IsNativelyAccessible() || d.IsView() {
			return nil, fmt.Errorf("%s: input %d of shape %v, want a contiguous %v of one type", op, i, v.Shape(), want[i])
		}
		ins[i] = d
	}
	out := op.out.get(ins[0].Dtype(), op.outShape())
	switch ins[0].Dtype() {
	case tensor.Float32:
		runAllPairs(op, out.Float32s(), ins, (*tensor.Dense).Float32s)
	case tensor.Float64:
		runAllPairs(op, out.Float64s(), ins, (*tensor.Dense).Float64s)
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, ins[0].Dtype())
	}
	return out, nil
}

// runAllPairs computes op's part into out: the sums split by rows of b,
// b's gradient by blocks, a's gradient by columns (see biasPass), so that
// every element is added up in the same order however the work is split.
func runAllPairs[T float32 | float64](op *allPairsOp, out []T, ins []*tensor.Dense, data func(*tensor.Dense) []T) {
	n, r, h := op.n, op.r, op.h
	switch op.part {
	case pairSums:
		b, a := data(ins[0]), data(ins[1])
		parallelRows(n, r*h, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				bi := b[i*h : (i+1)*h]
				for j := range r {
					row, aj := out[(i*r+j)*h:][:h], a[j*h:][:h]
					for c, v := range bi {
						row[c] = v + aj[c]
					}
				}
			}
		})
	case pairGradB:
		dy := data(ins[0])
		parallelRows(n, r*h, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				sumRows(r, h, dy[i*r*h:(i+1)*r*h], out[i*h:(i+1)*h])
			}
		})
	default:
		biasPass(true, n, r*h, data(ins[0]), nil, out)
	}
}

// DiffWRT says the sums are differentiable in both halves.
func (op *allPairsOp) DiffWRT(inputs int) []bool {
	if op.part != pairSums {
		return make([]bool, inputs)
	}
	return []bool{true, true}
}

// SymDiff returns the two gradients, sums of the output's gradient.
func (op *allPairsOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.part != pairSums {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	db, err := G.ApplyOp(&allPairsOp{n: op.n, r: op.r, h: op.h, part: pairGradB}, grad)
	if err != nil {
		return nil, err
	}
	da, err := G.ApplyOp(&allPairsOp{n: op.n, r: op.r, h: op.h, part: pairGradA}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{db, da}, nil
}
