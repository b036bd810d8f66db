package estimators

import (
	"github.com/infomax/infomax/internal/graph"

	"fmt"
	"hash/fnv"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maskedScore is the value a masked-out entry takes before a max is taken
// over a selection of scores. It is far below any score a critic produces,
// so the max is always that of the selected entries, yet finite, so that
// neither exp nor its gradient turns into NaN or Inf.
const maskedScore = -1e30

// graphMask holds the constant nodes that a mask becomes in one graph. All
// nodes share the scores' dtype and are built once per Build call.
type graphMask struct {
	mask   *Mask
	dtype  tensor.Dtype
	scores *G.Node
	// pos and neg are 0/1 indicators of the positive and negative entries.
	pos, neg *G.Node
	// negOffset is 0 on negative entries and maskedScore elsewhere, so that
	// scores*neg + negOffset holds the negatives and a huge negative
	// number everywhere else.
	negOffset *G.Node
	nPos      int
	nNeg      int
}

// newGraphMask checks that scores and mask agree and turns the mask into
// nodes of the scores' dtype in the scores' graph.
func newGraphMask(name string, scores *G.Node, mask *Mask) (*graphMask, error) {
	if err := mask.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if scores == nil {
		return nil, fmt.Errorf("%s: nil scores node", name)
	}
	if s := scores.Shape(); len(s) != 2 || s[0] != mask.Rows || s[1] != mask.Cols {
		return nil, fmt.Errorf("%s: scores of shape %v do not match the %dx%d mask", name, scores.Shape(), mask.Rows, mask.Cols)
	}
	dt := scores.Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("%s: scores have dtype %v; want float32 or float64", name, dt)
	}
	if mask.built == nil {
		mask.built = mask.rowCounts()
	}
	gm := &graphMask{mask: mask, dtype: dt, scores: scores, nPos: mask.Count(Positive), nNeg: mask.Count(Negative)}
	gm.pos = gm.constMatrix("positive", func(r Role) float64 { return indicator(r == Positive) })
	gm.neg = gm.constMatrix("negative", func(r Role) float64 { return indicator(r == Negative) })
	gm.negOffset = gm.constMatrix("negative-offset", func(r Role) float64 {
		if r == Negative {
			return 0
		}
		return maskedScore
	})
	return gm, nil
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// maskKey identifies a mask's contents, so that the nodes built from
// equal masks share a name (gorgonia merges input nodes of one name, type
// and shape) and those built from different masks do not.
func maskKey(m *Mask) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%dx%d:", m.Rows, m.Cols)
	b := make([]byte, len(m.Roles))
	for i, r := range m.Roles {
		b[i] = byte(r)
	}
	h.Write(b)
	if m.id != 0 {
		return fmt.Sprintf("%dx%d-%016x-sampled%d", m.Rows, m.Cols, h.Sum64(), m.id)
	}
	return fmt.Sprintf("%dx%d-%016x", m.Rows, m.Cols, h.Sum64())
}

// constMatrix returns a node of the mask's shape whose entries are
// f of each entry's role. [Mask.Changed] rewrites it from the new roles.
func (gm *graphMask) constMatrix(what string, f func(Role) float64) *G.Node {
	m := gm.mask
	return gm.constFrom(fmt.Sprintf("mask-%s-%v-%s", what, gm.dtype, maskKey(m)), []int{m.Rows, m.Cols}, func(dst []float64) {
		for i, r := range m.Roles {
			dst[i] = f(r)
		}
	})
}

// constFrom returns an input node of the given name and shape, in the
// mask's dtype, holding values that fill computes from the mask's roles;
// no gradient flows into it. fill
// writes every value of dst. The node is registered with the mask, so that
// [Mask.Changed] calls fill again and copies the values into the node's
// own backing array.
func (gm *graphMask) constFrom(name string, shape []int, fill func(dst []float64)) *G.Node {
	n := 1
	for _, d := range shape {
		n *= d
	}
	vals := make([]float64, n)
	var backing any = vals
	var v32 []float32
	if gm.dtype == tensor.Float32 {
		v32 = make([]float32, n)
		backing = v32
	}
	load := func() {
		fill(vals)
		for i := range v32 {
			v32[i] = float32(vals[i])
		}
	}
	load()
	gm.mask.refill = append(gm.mask.refill, load)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	// An input node holding t rather than a constant: gorgonia hashes a
	// constant by printing every value as text (at DIM's 64 × 4,096
	// scores, 70% of the time a model took to build), an input by its
	// name, type and shape. Equal names still make one node.
	return G.NewTensor(gm.scores.Graph(), gm.dtype, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

// scalar returns a constant scalar node of the mask's dtype.
func (gm *graphMask) scalar(v float64) *G.Node {
	return scalarConst(gm.dtype, v)
}

// scalarConst returns a constant scalar node of dtype dt. Its name carries
// the dtype, because gorgonia merges constants that share a name.
func scalarConst(dt tensor.Dtype, v float64) *G.Node {
	name := fmt.Sprintf("const-%v-%v", dt, v)
	if dt == tensor.Float32 {
		return G.NewConstant(float32(v), G.WithName(name))
	}
	return G.NewConstant(v, G.WithName(name))
}

// op is a chain of gorgonia calls that stops at the first error, so that the
// estimators' Build methods read like their formulas.
type op struct{ err error }

func (o *op) do(f func() (*G.Node, error)) *G.Node {
	if o.err != nil {
		return nil
	}
	n, err := f()
	if err != nil {
		o.err = err
		return nil
	}
	return n
}

// kept builds gorgonia's elementwise expression build of inputs with its
// outputs, and those of its gradient, in buffers kept from run to run
// (see graph.Kept): the same values, without a fresh allocation of every
// score-sized temporary on every step.
func (o *op) kept(build func(in ...*G.Node) (*G.Node, error), inputs ...*G.Node) *G.Node {
	return o.do(func() (*G.Node, error) { return graph.Kept(build, inputs...) })
}

func (o *op) add(a, b *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Add(in[0], in[1]) }, a, b)
}

func (o *op) sub(a, b *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Sub(in[0], in[1]) }, a, b)
}

// broadcastSub is G.BroadcastSub with its repeats, its difference and its
// gradient computing into buffers kept from run to run (see graph.Kept).
func broadcastSub(a, b *G.Node, left, right []byte) (*G.Node, error) {
	return graph.Kept(func(in ...*G.Node) (*G.Node, error) { return G.BroadcastSub(in[0], in[1], left, right) }, a, b)
}

func (o *op) mul(a, b *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.HadamardProd(in[0], in[1]) }, a, b)
}

func (o *op) neg(a *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Neg(in[0]) }, a)
}

func (o *op) exp(a *G.Node) *G.Node {
	return o.do(func() (*G.Node, error) { return graph.Exp(a) })
}

func (o *op) log(a *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Log(in[0]) }, a)
}

func (o *op) softplus(a *G.Node) *G.Node {
	return o.do(func() (*G.Node, error) { return graph.Softplus(a) })
}

func (o *op) relu(a *G.Node) *G.Node {
	return o.do(func() (*G.Node, error) { return graph.Rectify(a) })
}

func (o *op) sum(a *G.Node, along ...int) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Sum(in[0], along...) }, a)
}

// weightedSum is o.sum(o.mul(x, w)) bit for bit, with w a constant, as
// one op (see graph.WeightedSum).
func (o *op) weightedSum(x, w *G.Node) *G.Node {
	return o.do(func() (*G.Node, error) { return graph.WeightedSum(x, w) })
}

func (o *op) max(a *G.Node, along ...int) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.Max(in[0], along...) }, a)
}

// maskedMean returns the mean of x over the entries where sel is 1; count
// is the number of those entries.
func (gm *graphMask) maskedMean(o *op, x, sel *G.Node, count int) *G.Node {
	return o.mul(o.weightedSum(x, sel), gm.scalar(1/float64(count)))
}

// logMeanExpNegatives returns log of the mean of exp(x) over the negative
// entries, computed with the max subtracted so that it neither overflows
// nor underflows: m + log(sum_neg exp(x - m)) - log(nNeg), where m is the
// largest negative entry. Other entries contribute exactly 0 to the sum and
// receive exactly 0 gradient.
func (gm *graphMask) logMeanExpNegatives(o *op, x *G.Node) *G.Node {
	z := o.add(o.mul(x, gm.neg), gm.negOffset)
	m := o.max(z)
	lse := o.add(o.log(o.weightedSum(o.exp(o.sub(z, m)), gm.neg)), m)
	return o.sub(lse, gm.scalar(math.Log(float64(gm.nNeg))))
}

// rowLogSumExpNegatives returns, for every row r, log sum over the negatives
// c of row r of exp(x[r][c]), as a vector of length Rows. A row without
// negatives gets maskedScore (the log of an empty sum, kept finite).
func (gm *graphMask) rowLogSumExpNegatives(o *op, x *G.Node) *G.Node {
	return gm.rowLogSumExp(o, x, Negative, gm.neg, gm.negOffset)
}

// rowLogSumExp returns, for every row r, log sum over the entries c of row
// r of role role of exp(x[r][c]), as a vector of length Rows, with each
// row's largest such entry subtracted before exponentiating. sel is the
// role's selection (1 on its entries, 0 elsewhere) and offset is 0 on its
// entries and maskedScore elsewhere. A row without such entries gets
// maskedScore (the log of an empty sum, kept finite).
func (gm *graphMask) rowLogSumExp(o *op, x *G.Node, role Role, sel, offset *G.Node) *G.Node {
	m := gm.mask
	// 1 for rows without such entries, so that log(0) is never taken.
	emptyNode := gm.constFrom(fmt.Sprintf("mask-rows-without-role%d-%v-%s", role, gm.dtype, maskKey(m)), []int{m.Rows}, func(empty []float64) {
		for r := range m.Rows {
			empty[r] = 1
			if slices.Contains(m.Roles[r*m.Cols:(r+1)*m.Cols], role) {
				empty[r] = 0
			}
		}
	})

	z := o.add(o.mul(x, sel), offset)
	rowMax := o.max(z, 1)
	diff := o.do(func() (*G.Node, error) { return broadcastSub(z, rowMax, nil, []byte{1}) })
	shifted := o.mul(o.exp(diff), sel)
	rowSum := o.add(o.sum(shifted, 1), emptyNode)
	return o.add(o.log(rowSum), rowMax)
}

// nwjValue returns 1 + mean_pos x - mean_neg exp(x), with the mean of exp
// taken as exp(logMeanExp) so that it overflows only when the mean does.
func (gm *graphMask) nwjValue(o *op, x *G.Node) *G.Node {
	meanPos := gm.maskedMean(o, x, gm.pos, gm.nPos)
	meanExpNeg := o.exp(gm.logMeanExpNegatives(o, x))
	return o.sub(o.add(gm.scalar(1), meanPos), meanExpNeg)
}

// dvValue returns mean_pos x - log mean_neg exp(x).
func (gm *graphMask) dvValue(o *op, x *G.Node) *G.Node {
	meanPos := gm.maskedMean(o, x, gm.pos, gm.nPos)
	return o.sub(meanPos, gm.logMeanExpNegatives(o, x))
}

// jsdLoss returns mean_neg softplus(x) + mean_pos softplus(-x), the binary
// cross-entropy of telling positives from negatives with each class
// weighted one half (times two). It uses softplus(-x) = softplus(x) - x so
// that the softplus, the costliest op, runs once over the matrix:
//
//	loss = sum(softplus(x) * (neg/nNeg + pos/nPos)) - mean_pos x
func (gm *graphMask) jsdLoss(o *op, x *G.Node) *G.Node {
	nNeg, nPos := float64(gm.nNeg), float64(gm.nPos)
	weights := gm.constMatrix("jsd-weights", func(r Role) float64 {
		switch r {
		case Negative:
			return 1 / nNeg
		case Positive:
			return 1 / nPos
		}
		return 0
	})
	weighted := o.weightedSum(o.softplus(x), weights)
	return o.sub(weighted, gm.maskedMean(o, x, gm.pos, gm.nPos))
}

func (o *op) div(a, b *G.Node) *G.Node {
	return o.kept(func(in ...*G.Node) (*G.Node, error) { return G.HadamardDiv(in[0], in[1]) }, a, b)
}

// ascendBound builds the terms of an estimator that is trained by ascending
// its bound: the estimate MI = bound(scores) and the loss -MI. name is the
// estimator's, for errors.
func ascendBound(name string, scores *G.Node, mask *Mask, bound func(*graphMask, *op, *G.Node) *G.Node) (*Terms, error) {
	gm, err := newGraphMask(name, scores, mask)
	if err != nil {
		return nil, err
	}
	o := &op{}
	mi := bound(gm, o, scores)
	loss := o.neg(mi)
	if o.err != nil {
		return nil, o.err
	}
	return &Terms{Loss: loss, MI: mi}, nil
}

// The helpers below are for writing estimators outside this package (see
// the "Adding an estimator" example). Each checks that scores and mask
// agree and returns a scalar node of the scores' dtype.

// MaskedMean returns the mean of scores over the entries of mask whose role
// is r. Other entries contribute nothing and receive zero gradient.
func MaskedMean(scores *G.Node, mask *Mask, r Role) (*G.Node, error) {
	gm, sel, count, err := roleSelection("MaskedMean", scores, mask, r)
	if err != nil {
		return nil, err
	}
	o := &op{}
	m := gm.maskedMean(o, scores, sel, count)
	return m, o.err
}

// MaskedLogMeanExp returns log of the mean of e^scores over the entries of
// mask whose role is r, with the largest such score subtracted before
// exponentiating, so that it is stable in float32. Other entries
// contribute nothing and receive zero gradient.
func MaskedLogMeanExp(scores *G.Node, mask *Mask, r Role) (*G.Node, error) {
	gm, sel, count, err := roleSelection("MaskedLogMeanExp", scores, mask, r)
	if err != nil {
		return nil, err
	}
	// Reuse the negatives' code path with the selection of role r.
	asNeg := *gm
	asNeg.neg = sel
	asNeg.negOffset = gm.constMatrix(fmt.Sprintf("role%d-offset", r), func(x Role) float64 {
		if x == r {
			return 0
		}
		return maskedScore
	})
	asNeg.nNeg = count
	o := &op{}
	lme := asNeg.logMeanExpNegatives(o, scores)
	return lme, o.err
}

// MaskIndicator returns a constant matrix node of the scores' shape and
// dtype holding 1 on the entries of mask whose role is r and 0 elsewhere,
// for an estimator that works on the whole score matrix. The node follows
// the mask: when its roles change between steps (DIM drawing K negatives
// afresh, see [NegativeSampler]), [Mask.Changed] rewrites it, where a
// matrix of the roles built once in Build would keep the first step's. No
// gradient flows into it. Multiplying by it does not keep an entry's
// overflow out (Inf times 0 is NaN): take exponentials of selected entries
// with [MaskedLogMeanExp].
func MaskIndicator(scores *G.Node, mask *Mask, r Role) (*G.Node, error) {
	_, sel, _, err := roleSelection("MaskIndicator", scores, mask, r)
	return sel, err
}

// roleSelection checks, for the helper name, that scores and mask agree and
// that the mask has an entry of role r. It returns the mask's nodes, the
// selection of role r (1 on its entries, 0 elsewhere) and their number.
func roleSelection(name string, scores *G.Node, mask *Mask, r Role) (gm *graphMask, sel *G.Node, count int, err error) {
	if gm, err = newGraphMask(name, scores, mask); err != nil {
		return nil, nil, 0, err
	}
	if count = mask.Count(r); count == 0 {
		return nil, nil, 0, fmt.Errorf("%s: the mask has no entry with role %d", name, r)
	}
	sel = gm.constMatrix(fmt.Sprintf("role%d", r), func(x Role) float64 { return indicator(x == r) })
	return gm, sel, count, nil
}

// Constant returns a constant scalar node with value v and the dtype of
// like, for use in formulas on like.
func Constant(like *G.Node, v float64) *G.Node {
	return scalarConst(like.Dtype(), v)
}
