package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pairs lists the entries (Rows[k], Cols[k]) of an (N, R) score matrix
// that a critic scores, for [GatherPairSums] and [ScatterPairs]: a critic
// whose estimator ignores most of its N × R pairs (one negative per
// positive, say) runs its layers on those rows only. The ops built on a
// Pairs read its entries at every run, so a caller may rewrite them in
// place between runs (keeping their number) to score other entries.
type Pairs struct {
	// N and R are the score matrix's rows and columns.
	N, R int
	// Rows and Cols, of equal length, are the entries' row and column.
	Rows, Cols []int
}

// Len returns the number of entries.
func (p *Pairs) Len() int { return len(p.Rows) }

// Validate reports whether the entries lie in the (N, R) matrix, each at
// most once (a scattered score holds one value per entry, so a repeated
// entry would count twice in the gradient).
func (p *Pairs) Validate() error {
	if p.N < 1 || p.R < 1 || len(p.Rows) != len(p.Cols) || len(p.Rows) == 0 {
		return fmt.Errorf("pairs: %d rows and %d columns of a %dx%d matrix; want as many of each, at least one, in a non-empty matrix", len(p.Rows), len(p.Cols), p.N, p.R)
	}
	seen := make([]bool, p.N*p.R)
	for k, r := range p.Rows {
		c := p.Cols[k]
		if r < 0 || r >= p.N || c < 0 || c >= p.R {
			return fmt.Errorf("pairs: entry %d is (%d, %d), outside the %dx%d matrix", k, r, c, p.N, p.R)
		}
		if seen[r*p.R+c] {
			return fmt.Errorf("pairs: entry %d repeats (%d, %d); list each entry once", k, r, c)
		}
		seen[r*p.R+c] = true
	}
	return nil
}

// GatherPairSums returns the (P, H) matrix whose row k is
// b[Rows[k]] + a[Cols[k]], for b of shape (N, H) and a of shape (R, H):
// the first-layer pre-activations of a concat critic, split into the part
// of each code (b) and of each feature row (a), at the pairs listed
// instead of at all N × R. Its gradient adds each row of the output's
// gradient back into the rows of b and a it came from.
func GatherPairSums(b, a *G.Node, p *Pairs) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return G.ApplyOp(&pairOp{kind: gatherSums, pairs: p}, b, a)
}

// ScatterPairs returns the (N, R) matrix that holds s[k] at entry
// (Rows[k], Cols[k]) and zero everywhere else, for s of P values (shape
// (P, 1) or (P)): the scores of the pairs listed, in the layout an
// estimator's mask expects. Its gradient reads the output's gradient at
// the listed entries.
func ScatterPairs(s *G.Node, p *Pairs) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return G.ApplyOp(&pairOp{kind: scatter, pairs: p, dims: s.Shape().Dims()}, s)
}

// pairKind is what a pairOp computes.
type pairKind uint8

const (
	gatherSums  pairKind = iota // (b, a) → rows b[Rows[k]] + a[Cols[k]]
	addRowsBack                 // dy (P, H) → (N or R, H), the rows added back (byCols: into a)
	scatter                     // s (P) → (N, R), zero off the pairs
	gather                      // dy (N, R) → (P), the entries at the pairs
)

var pairKindNames = [...]string{gatherSums: "GatherPairSums", addRowsBack: "AddPairRowsBack", scatter: "ScatterPairs", gather: "GatherPairs"}

// pairOp computes one pairKind over pairs. dims is the rank of the scores
// that scatter reads and gather writes; byCols picks, for addRowsBack, the
// columns' indices (into a, R rows) instead of the rows' (into b).
type pairOp struct {
	customOp
	kind   pairKind
	pairs  *Pairs
	dims   int
	byCols bool
}

func (op *pairOp) Arity() int {
	if op.kind == gatherSums {
		return 2
	}
	return 1
}

func (op *pairOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	switch op.kind {
	case gatherSums:
		return hm.NewFnType(m, m, m)
	case scatter:
		return hm.NewFnType(G.TensorType{Dims: op.dims, Of: a}, m)
	case gather:
		return hm.NewFnType(m, G.TensorType{Dims: op.dims, Of: a})
	}
	return hm.NewFnType(m, m)
}

// outShape returns the output's shape for an input of shape in (the first
// input's).
func (op *pairOp) outShape(in tensor.Shape) tensor.Shape {
	p := op.pairs
	switch op.kind {
	case gatherSums:
		return tensor.Shape{p.Len(), in[1]}
	case addRowsBack:
		if op.byCols {
			return tensor.Shape{p.R, in[1]}
		}
		return tensor.Shape{p.N, in[1]}
	case scatter:
		return tensor.Shape{p.N, p.R}
	}
	if op.dims == 1 {
		return tensor.Shape{p.Len()}
	}
	return tensor.Shape{p.Len(), 1}
}

// checkShapes reports whether the inputs have the shapes the op reads.
func (op *pairOp) checkShapes(in ...tensor.Shape) error {
	p := op.pairs
	bad := false
	switch op.kind {
	case gatherSums:
		bad = len(in) != 2 || in[0].Dims() != 2 || in[1].Dims() != 2 || in[0][0] != p.N || in[1][0] != p.R || in[0][1] != in[1][1]
	case addRowsBack:
		bad = len(in) != 1 || in[0].Dims() != 2 || in[0][0] != p.Len()
	case scatter:
		bad = len(in) != 1 || in[0].TotalSize() != p.Len() || in[0].Dims() > 2
	case gather:
		bad = len(in) != 1 || !in[0].Eq(tensor.Shape{p.N, p.R})
	}
	if bad {
		return fmt.Errorf("%s: input shapes %v do not fit %d pairs of a %dx%d matrix", op, in, p.Len(), p.N, p.R)
	}
	return nil
}

func (op *pairOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(ns))
	for i, n := range ns {
		s, ok := n.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("%s: input %d is %T, not a shape", op, i, n)
		}
		shapes[i] = s
	}
	if err := op.checkShapes(shapes...); err != nil {
		return nil, err
	}
	return op.outShape(shapes[0]), nil
}

// WriteHash writes the op's kind, its pairs' address and sizes: two ops
// over different pairs must never be taken for the same node.
func (op *pairOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s{pairs:%p n:%d r:%d p:%d dims:%d cols:%t}", op, op.pairs, op.pairs.N, op.pairs.R, op.pairs.Len(), op.dims, op.byCols)
}

func (op *pairOp) Hashcode() uint32 { return hashcode(op) }

func (op *pairOp) String() string { return pairKindNames[op.kind] }

func (op *pairOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), op.outShape(vals[0].Shape())), vals...)
}

// UsePreallocDo computes into prealloc when its shape and type fit.
func (op *pairOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	ins := make([]*tensor.Dense, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		d, ok := v.(*tensor.Dense)
		if !ok || d.Dtype() != out.Dtype() || d.RequiresIterator() {
			return nil, fmt.Errorf("%s: input %d is not a contiguous dense tensor of the output's type", op, i)
		}
		ins[i], shapes[i] = d, d.Shape()
	}
	if err := op.checkShapes(shapes...); err != nil {
		return nil, err
	}
	if out.Shape().TotalSize() != op.outShape(shapes[0]).TotalSize() {
		return nil, fmt.Errorf("%s: destination %v does not fit", op, out.Shape())
	}
	switch out.Dtype() {
	case tensor.Float32:
		runPairs(op, out.Float32s(), ins, (*tensor.Dense).Float32s)
	case tensor.Float64:
		runPairs(op, out.Float64s(), ins, (*tensor.Dense).Float64s)
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, out.Dtype())
	}
	return out, nil
}

// runPairs computes op into out from the inputs' backing arrays.
func runPairs[T float32 | float64](op *pairOp, out []T, ins []*tensor.Dense, data func(*tensor.Dense) []T) {
	p := op.pairs
	switch op.kind {
	case gatherSums:
		b, a := data(ins[0]), data(ins[1])
		h := ins[0].Shape()[1]
		parallelRows(p.Len(), h, func(_, lo, hi int) {
			for k := lo; k < hi; k++ {
				row, br, ar := out[k*h:(k+1)*h], b[p.Rows[k]*h:][:h], a[p.Cols[k]*h:][:h]
				for j := range row {
					row[j] = br[j] + ar[j]
				}
			}
		})
	case addRowsBack:
		idx := p.Rows
		if op.byCols {
			idx = p.Cols
		}
		addRowsInto(out, data(ins[0]), idx, ins[0].Shape()[1])
	case scatter:
		clear(out)
		for k, v := range data(ins[0]) {
			out[p.Rows[k]*p.R+p.Cols[k]] = v
		}
	case gather:
		dy := data(ins[0])
		for k := range out {
			out[k] = dy[p.Rows[k]*p.R+p.Cols[k]]
		}
	}
}

// addRowsInto sets out's row r, of h values, to the sum of the rows k of
// dy with idx[k] = r, added in increasing k whatever the split: each
// goroutine owns a range of out's rows and scans every k.
func addRowsInto[T float32 | float64](out, dy []T, idx []int, h int) {
	rows := len(out) / h
	parallelRows(rows, len(dy)/rows, func(_, lo, hi int) {
		clear(out[lo*h : hi*h])
		for k, r := range idx {
			if r < lo || r >= hi {
				continue
			}
			dst, src := out[r*h:(r+1)*h], dy[k*h:(k+1)*h]
			for j, v := range src {
				dst[j] += v
			}
		}
	})
}

// DiffWRT says gatherSums is differentiable in both inputs, scatter in its
// one; the gradients' ops are not differentiated.
func (op *pairOp) DiffWRT(inputs int) []bool {
	d := op.kind == gatherSums || op.kind == scatter
	if inputs == 2 {
		return []bool{d, d}
	}
	return []bool{d}
}

// SymDiff returns the gradients: the output's gradient added back into the
// rows of b and of a (gatherSums), or read at the pairs (scatter).
func (op *pairOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	switch op.kind {
	case gatherSums:
		db, err := G.ApplyOp(&pairOp{kind: addRowsBack, pairs: op.pairs}, grad)
		if err != nil {
			return nil, err
		}
		da, err := G.ApplyOp(&pairOp{kind: addRowsBack, pairs: op.pairs, byCols: true}, grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{db, da}, nil
	case scatter:
		ds, err := G.ApplyOp(&pairOp{kind: gather, pairs: op.pairs, dims: op.dims}, grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{ds}, nil
	}
	return nil, fmt.Errorf("%s: no second derivative", op)
}
