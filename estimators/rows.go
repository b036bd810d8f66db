package estimators

import (
	"fmt"
	"math"

	"github.com/infomax/infomax/internal/graph"

	G "gorgonia.org/gorgonia"
)

// The helpers below work row by row, for estimators whose terms are per
// row, such as InfoNCE's softmax over each row's negatives or a bound with
// a baseline per row. MaskedRowMean and MaskedRowLogMeanExp return a
// vector node of length Rows, in the scores' dtype, and MeanOverRows
// averages such a vector over the rows that take part. Each computes in
// buffers kept from run to run (so a step allocates nothing of the score
// matrix's size) and follows the mask as its roles change between steps.
// A row's number of entries of each role is fixed (see [Mask.Changed]).

// MaskedRowMean returns, for every row r of scores, the mean of the
// entries of row r whose role in mask is role; 0 for a row with no such
// entry. Other entries contribute nothing and receive zero gradient.
func MaskedRowMean(scores *G.Node, mask *Mask, role Role) (*G.Node, error) {
	gm, _, counts, err := rowSelection("MaskedRowMean", scores, mask, role)
	if err != nil {
		return nil, err
	}
	// The selection scaled by each row's 1/count: the mean is one
	// weighted sum along the row.
	weights := gm.constFrom(fmt.Sprintf("mask-row-mean-weights-role%d-%v-%s", role, gm.dtype, maskKey(mask)), []int{mask.Rows, mask.Cols}, func(dst []float64) {
		for i, r := range mask.Roles {
			dst[i] = 0
			if r == role {
				dst[i] = 1 / float64(counts[i/mask.Cols])
			}
		}
	})
	o := &op{}
	mean := o.sum(o.mul(scores, weights), 1)
	return mean, o.err
}

// MaskedRowLogMeanExp returns, for every row r of scores, log of the mean
// of e^s over the entries s of row r whose role in mask is role, with the
// row's largest such score subtracted before exponentiating, so that it
// is stable in float32 whatever the other entries hold; 0 for a row with
// no such entry. Other entries contribute nothing and receive zero
// gradient.
func MaskedRowLogMeanExp(scores *G.Node, mask *Mask, role Role) (*G.Node, error) {
	gm, sel, counts, err := rowSelection("MaskedRowLogMeanExp", scores, mask, role)
	if err != nil {
		return nil, err
	}
	offset := gm.constMatrix(fmt.Sprintf("role%d-offset", role), func(x Role) float64 {
		if x == role {
			return 0
		}
		return maskedScore
	})
	// log count for the rows with entries of role; the others are zeroed
	// by has.
	logCounts := gm.constFrom(fmt.Sprintf("mask-row-log-counts-role%d-%v-%s", role, gm.dtype, maskKey(mask)), []int{mask.Rows}, func(dst []float64) {
		for r, c := range counts {
			dst[r] = math.Log(float64(max(c, 1)))
		}
	})
	has := rowsWith(gm, counts, role)
	o := &op{}
	lme := o.mul(o.sub(gm.rowLogSumExp(o, scores, role, sel, offset), logCounts), has)
	return lme, o.err
}

// MeanOverRows returns the mean of v, a vector of one value a row of mask
// (as MaskedRowMean returns), over the rows that have an entry of role:
// the per-row terms of the rows that take part, averaged. The other rows'
// values contribute nothing and receive zero gradient.
func MeanOverRows(v *G.Node, mask *Mask, role Role) (*G.Node, error) {
	const name = "MeanOverRows"
	if v == nil {
		return nil, fmt.Errorf("%s: nil node", name)
	}
	if err := mask.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s := v.Shape(); len(s) != 1 || s[0] != mask.Rows {
		return nil, fmt.Errorf("%s: a node of shape %v is not a vector of one value for each of the mask's %d rows", name, v.Shape(), mask.Rows)
	}
	gm := &graphMask{mask: mask, dtype: v.Dtype(), scores: v}
	counts, rows := roleCounts(mask, role)
	if rows == 0 {
		return nil, fmt.Errorf("%s: no row of the mask has an entry with role %d", name, role)
	}
	weights := gm.constFrom(fmt.Sprintf("mask-rows-mean-role%d-%v-%s", role, gm.dtype, maskKey(mask)), []int{mask.Rows}, func(dst []float64) {
		for r, c := range counts {
			dst[r] = indicator(c > 0) / float64(rows)
		}
	})
	o := &op{}
	mean := o.weightedSum(v, weights)
	return mean, o.err
}

// Softplus returns log(1 + e^x) of every entry of x, stable for scores of
// any size: the binary cross-entropy's building block (jsd's loss is
// mean_neg softplus(s) + mean_pos softplus(-s)). Its gradient is the
// sigmoid.
func Softplus(x *G.Node) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("Softplus: nil node")
	}
	return graph.Softplus(x)
}

// rowSelection is roleSelection with each row's number of entries of role
// r in place of their total.
func rowSelection(name string, scores *G.Node, mask *Mask, r Role) (gm *graphMask, sel *G.Node, counts []int, err error) {
	if gm, sel, _, err = roleSelection(name, scores, mask, r); err != nil {
		return nil, nil, nil, err
	}
	counts, _ = roleCounts(mask, r)
	return gm, sel, counts, nil
}

// roleCounts returns each row's number of entries of role r in mask, and
// the number of rows that have one.
func roleCounts(mask *Mask, r Role) (counts []int, rows int) {
	counts = make([]int, mask.Rows)
	for i, x := range mask.Roles {
		if x == r {
			counts[i/mask.Cols]++
		}
	}
	for _, c := range counts {
		if c > 0 {
			rows++
		}
	}
	return counts, rows
}

// rowsWith returns a constant vector, 1 for the rows of the mask with an
// entry of role (counts[r] > 0) and 0 for the others.
func rowsWith(gm *graphMask, counts []int, role Role) *G.Node {
	m := gm.mask
	return gm.constFrom(fmt.Sprintf("mask-rows-with-role%d-%v-%s", role, gm.dtype, maskKey(m)), []int{m.Rows}, func(dst []float64) {
		for r, c := range counts {
			dst[r] = indicator(c > 0)
		}
	})
}
