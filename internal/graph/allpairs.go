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
	op, err := newAllPairs("graph.AllPairSums", b, a)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(op, b, a)
}

// AllPairSumsRectify returns [Rectify] of [AllPairSums](b, a), bit for
// bit, as one op that never stores the sums: each is rectified as it is
// made. Its gradient is another op that recomputes each sum from b and a
// for Rectify's mask (sum >= 0) and masks the output's gradient with it,
// then AllPairSums's two sums of that. On the concat Gaussian critic
// (4096 × 256 pairs) this saves Rectify's pass over the sums forward and,
// backward, the read of the stored sums.
func AllPairSumsRectify(b, a *G.Node) (*G.Node, error) {
	op, err := newAllPairs("graph.AllPairSumsRectify", b, a)
	if err != nil {
		return nil, err
	}
	op.rectify = true
	return G.ApplyOp(op, b, a)
}

// newAllPairs returns the pair sums of b and a, or the error that name
// reports for halves that are not two non-empty matrices of one width
// and type.
func newAllPairs(name string, b, a *G.Node) (*allPairsOp, error) {
	if b == nil || a == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	bs, as := b.Shape(), a.Shape()
	if bs.Dims() != 2 || as.Dims() != 2 || bs[1] != as[1] || b.Dtype() != a.Dtype() || bs.TotalSize() == 0 || as.TotalSize() == 0 {
		return nil, fmt.Errorf("%s: halves of shapes %v and %v (%v, %v); want two non-empty matrices of one width and type",
			name, bs, as, b.Dtype(), a.Dtype())
	}
	return &allPairsOp{n: bs[0], r: as[0], h: bs[1]}, nil
}

// allPairsOp is the pair sums (part pairSums: inputs b and a), rectified
// when rectify is set, or a step of their gradient: the rectified sums'
// mask applied to dy (pairMask: inputs b, a and dy), or the sums of a
// gradient dy (pairGradB, pairGradA: input dy).
type allPairsOp struct {
	customOp
	n, r, h int
	part    pairPart
	rectify bool
}

// pairPart says which computation an allPairsOp performs.
type pairPart uint8

const (
	pairSums  pairPart = iota // (N·R, H) sums of b and a
	pairGradB                 // (N, H) sums over j of dy
	pairGradA                 // (R, H) sums over i of dy
	pairMask                  // (N·R, H) dy masked where b_i + a_j >= 0
)

var pairPartNames = [...]string{pairSums: "AllPairSums", pairGradB: "AllPairSums∂b", pairGradA: "AllPairSums∂a", pairMask: "AllPairSumsRectify∂"}

func (op *allPairsOp) Arity() int { return len(op.inShapes()) }

func (op *allPairsOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = m
	}
	return hm.NewFnType(ts...)
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
	switch op.part {
	case pairSums:
		return []tensor.Shape{{op.n, op.h}, {op.r, op.h}}
	case pairMask:
		return []tensor.Shape{{op.n, op.h}, {op.r, op.h}, {op.n * op.r, op.h}}
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
func (op *allPairsOp) String() string {
	if op.part == pairSums && op.rectify {
		return "AllPairSumsRectify"
	}
	return pairPartNames[op.part]
}

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

// runAllPairs computes op's part into out: the sums (rectified or not)
// and the masked gradient split by rows of b, b's gradient by blocks, a's
// gradient by columns (see biasPass), so that every element is added up
// in the same order however the work is split.
func runAllPairs[T float32 | float64](op *allPairsOp, out []T, ins []*tensor.Dense, data func(*tensor.Dense) []T) {
	n, r, h := op.n, op.r, op.h
	switch op.part {
	case pairSums, pairMask:
		b, a := data(ins[0]), data(ins[1])
		var dy []T
		if op.part == pairMask {
			dy = data(ins[2])
		}
		parallelRows(n, r*h, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				bi := b[i*h : (i+1)*h]
				for j := range r {
					row, aj := out[(i*r+j)*h:][:h], a[j*h:][:h]
					switch {
					case dy != nil:
						pairRectifyInto(bi, aj, dy[(i*r+j)*h:][:h], row)
					case op.rectify:
						pairRectifyInto(bi, aj, nil, row)
					default:
						for c, v := range bi {
							row[c] = v + aj[c]
						}
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
		biasPass(true, false, n, r*h, data(ins[0]), nil, nil, out)
	}
}

// pairRectifyInto writes rectifyInto's result for x = b + a (b the first
// operand), with the gradient d when it is not nil, into out: x ⊙ (x >= 0),
// or d ⊙ (x >= 0). Where the CPU has AVX2, pairRectify8 does float32's
// first multiple of eight without storing x; the rest of the sums are
// stored in out and rectified there by rectifyInto itself.
func pairRectifyInto[T float32 | float64](b, a, d, out []T) {
	a, out = a[:len(b)], out[:len(b)]
	done := 0
	if b32, ok := any(b).([]float32); ok && hasAVX2 && len(b) >= 8 {
		done = len(b) &^ 7
		var dp *float32
		if d != nil {
			dp = &any(d).([]float32)[0]
		}
		pairRectify8(done, &b32[0], &any(a).([]float32)[0], dp, &any(out).([]float32)[0])
	}
	if done == len(b) {
		return
	}
	x := out[done:]
	for c, v := range b[done:] {
		x[c] = v + a[done+c]
	}
	var dr []T
	if d != nil {
		dr = d[done:len(b)]
	}
	rectifyInto(x, dr, x)
}

// DiffWRT says the sums are differentiable in both halves.
func (op *allPairsOp) DiffWRT(inputs int) []bool {
	if op.part != pairSums {
		return make([]bool, inputs)
	}
	return []bool{true, true}
}

// SymDiff returns the two gradients, sums of the output's gradient (for
// rectified sums, of that gradient masked where the sums are negative).
func (op *allPairsOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.part != pairSums {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	if op.rectify {
		var err error
		if grad, err = G.ApplyOp(&allPairsOp{n: op.n, r: op.r, h: op.h, part: pairMask}, inputs[0], inputs[1], grad); err != nil {
			return nil, err
		}
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
