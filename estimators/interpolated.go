package estimators

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Interpolated is the interpolated bound I_α of Poole et al. 2019 ("On
// Variational Bounds of Mutual Information"), built as their reference
// code builds it (interpolated_lower_bound with
// compute_log_loomean and log_interpolate, in the paper's colab,
// google-research/vbmi/vbmi_demo.ipynb). It is the multi-sample TUBA bound
//
//	I ≥ 1 + E[log e^f(x_1,y)/a(y; x_1:K)] - E_{p(x_1:K)p(y)}[e^f(x_1,y)/a(y; x_1:K)]
//
// with the baseline a(y; x_1:K) = α m(y; x_1:K) + (1-α) q(y), where
// m(y; x_1:K) = (1/K) Σ_l e^f(x_l,y) is InfoNCE's baseline. In a batch of
// B pairs (scores[i][j] = f(x_j, y_i), positives on the diagonal, K = B-1),
// the code holds out each pair j in turn: y_j is the independent sample of
// the second term and x_{≠j} the K codes of the baseline:
//
//	MI   = 1 + 1/(B(B-1)) Σ_{i≠j} [s_ii - log a(y_i; x_{≠j})]
//	         - 1/(B(B-1)) Σ_{i≠j} e^s_ji / a(y_j; x_{≠j})
//	a(y_i; x_{≠j}) = α (1/(B-1)) Σ_{l≠j} e^s_il + (1-α) q(y_i)
//	loss = -MI
//
// So both terms average over K = B-1 codes: in the first, the baseline of
// a positive s_ii leaves out one negative x_j (j ≠ i) and keeps the
// positive itself (compute_log_loomean's leave-one-out mean of row i); in
// the second, the baseline of row j leaves out the row's own positive x_j
// and averages its B-1 negatives (the diagonal of the leave-one-out
// matrix), and every negative s_ji of the row is divided by it.
//
// Poole et al.'s code takes only a square batch with the positives on its
// diagonal; what follows for other masks is this package's generalisation,
// not theirs. On any mask, row r's negatives N_r (n_r of them) play
// x_{≠j}: a positive s_rc is paired with each held-out negative c' ∈ N_r in
// turn, its baseline averaging e^s over s_rc and N_r without c' (n_r
// codes), the row's other positives left out; each negative s_rc' is
// divided by the baseline averaging N_r (n_r codes); the first term is the
// mean over positives, the second over negatives. On a [Diagonal] mask
// this is the formula above, term for term. The bound's argument needs the
// codes of a row to be independent draws of x, independent of y; with
// [Blocks] a row's negatives are every location of each other image, so
// that a held-out negative is not independent of the codes left in its
// baseline (its own image's other locations), and there the estimate is a
// surrogate, not a proven lower bound. A row of several positives ([Blocks]) also costs a pass over the
// score matrix for each of them: a 20-step Deep InfoMax run on MNIST
// (local objective, 64 locations an image) took 49 s and 1.7 GB against
// infonce's 6 s and 0.5 GB (README.md, "Deep InfoMax on images").
//
// The baseline q(y) is the constant 1 (log q = 0): the estimator receives
// the critic's scores alone, not a network of y. Nothing is lost: the bound
// of the critic f with any q(y) is exactly the bound of the critic
// f - log q(y) with q = 1 (every ratio e^f/a is unchanged), so a critic
// free to add a function of y learns it: the concat critic can, the
// separable g(x)ᵀh(y) only through a constant coordinate of g. Poole et
// al.'s colab trains a separate "unnormalized" MLP for log q(y); here the
// critic has to.
//
// The ends:
//
//   - α = 0: a = 1 and the bound is exactly [NWJ] (1 + mean_pos s - mean_neg
//     e^s), the same value and graph.
//   - α = 1: the second term is exactly 1, and the bound is the mean, over
//     the B held-out pairs j, of InfoNCE on the batch of the B-1 other
//     pairs: InfoNCE with K = B-1, never above log(B-1). It is not
//     [InfoNCE] of the whole batch, whose K is B and ceiling log B.
//
// For 0 < α ≤ 1 every term of the first sum is at most log(n_r/α), so the
// estimate never exceeds 1 + mean_pos log(n_r/α) (1 + log(63/α) for a
// batch of 64; [Interpolated.Ceiling]); α trades InfoNCE's bias for NWJ's
// variance. The default, 0.01, is near the smallest α the colab tries
// (alpha_logit = -5, α = 0.0067, beside 0.5 and 0.9933).
//
// Numerics: log a is computed as log(1-α) + softplus(log α - log(1-α) +
// log m), stable in float32 (log_interpolate's logsumexp of the two
// terms). A positive's leave-one-out sum is its own e^s, plus the sum of
// its row's negatives less the held-out one, each shifted by the row's
// largest score, plus the smallest normal number, so that the log stays
// finite where every term underflows. The subtraction cancels where the
// held-out negative outweighs the rest of its row: from about 16 nats in
// float32 (37 in float64) the other negatives round away and that term's
// baseline counts the positive alone, so the term reads high (at most by
// log of the ratio of the true sum to the positive's e^s, never past the
// ceiling) and its gradient is that of the rounded sum; a 4 x 4 float32
// batch at α = 0.5 with one negative 20 nats above the rest reads 0.034
// above Reference (TestInterpolatedFloat32Cancellation). Poole et al.'s
// compute_log_loomean cancels at the same place and replaces a zero
// difference by 1, taking the rest as e - 1 times the held-out term: their
// term reads low there. The relu on the difference is a guard only: a
// rounded sum of non-negative terms is never below any one of them.
// Reference computes the leave-one-out sums exactly, in log space from the
// log-sum-exps of prefixes and suffixes, so that no term underflows.
type Interpolated struct {
	// Alpha is the weight of InfoNCE's baseline, in [0, 1].
	Alpha float64
}

func init() {
	Register(Info{
		Name:    "interpolated",
		Summary: "Poole et al.'s interpolated bound I_alpha: NWJ at alpha = 0, InfoNCE with K-1 codes at alpha = 1",
		Params:  Params{"alpha": 0.01},
		New: func(p Params) (Estimator, error) {
			alpha := paramOr(p, "alpha", 0.01)
			if !(alpha >= 0 && alpha <= 1) {
				return nil, &ParamError{Param: "alpha", Err: fmt.Errorf("estimator \"interpolated\": alpha = %g must be in [0, 1] (0 is nwj, 1 InfoNCE with K-1 codes)", alpha)}
			}
			return Interpolated{Alpha: alpha}, nil
		},
		// alpha = 0 and 1 are Build's other two branches; 0.5 is a second
		// alpha between them, beside the default.
		TestParams: []Params{{"alpha": 0}, {"alpha": 0.5}, {"alpha": 1}},
	})
}

// Build adds the interpolated bound's loss and estimate of scores to their
// graph.
func (e Interpolated) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	const name = "interpolated"
	if !(e.Alpha >= 0 && e.Alpha <= 1) {
		return nil, fmt.Errorf("%s: alpha = %g must be in [0, 1]", name, e.Alpha)
	}
	if e.Alpha == 0 {
		return ascendBound(name, scores, mask, (*graphMask).nwjValue)
	}
	gm, err := newGraphMask(name, scores, mask)
	if err != nil {
		return nil, err
	}
	b := &interpolatedGraph{gm: gm, o: &op{}, alpha: e.Alpha, scores: scores}
	b.negs, _ = roleCounts(mask, Negative)
	logAlpha := math.Log(e.Alpha)
	b.logMean = gm.constFrom(fmt.Sprintf("mask-interpolated-log-alpha-over-n-%v-%v-%s", e.Alpha, gm.dtype, maskKey(mask)), []int{mask.Rows}, func(dst []float64) {
		for r, n := range b.negs {
			dst[r] = logAlpha - math.Log(float64(max(n, 1)))
		}
	})
	o := b.o
	meanPos := gm.maskedMean(o, scores, gm.pos, gm.nPos)
	mi := o.sub(o.add(gm.scalar(1), o.sub(meanPos, b.joint())), b.marginal())
	loss := o.neg(mi)
	if o.err != nil {
		return nil, o.err
	}
	return &Terms{Loss: loss, MI: mi}, nil
}

// interpolatedGraph holds what the terms of the interpolated bound share
// in one graph.
type interpolatedGraph struct {
	gm     *graphMask
	o      *op
	alpha  float64
	scores *G.Node
	// negs[r] is n_r, row r's number of negatives; logMean[r] is log α -
	// log n_r, so that log α + log of a mean is log of the sum + logMean.
	negs    []int
	logMean *G.Node
}

// interpolate returns log(α m + (1-α)) = log(1-α) + softplus(u -
// log(1-α)) of u = log α + log m, a matrix or a vector: log_interpolate
// with log q = 0.
func (b *interpolatedGraph) interpolate(u *G.Node) *G.Node {
	if b.alpha == 1 {
		return u
	}
	log1mAlpha := b.gm.scalar(math.Log1p(-b.alpha))
	return b.o.add(b.o.softplus(b.o.sub(u, log1mAlpha)), log1mAlpha)
}

// marginal returns the second term, mean_neg e^(s - log a_r), a_r
// averaging row r's negatives.
func (b *interpolatedGraph) marginal() *G.Node {
	gm, o := b.gm, b.o
	logBase := b.interpolate(o.add(gm.rowLogSumExpNegatives(o, b.scores), b.logMean))
	return o.exp(gm.logMeanExpNegatives(o, o.do(func() (*G.Node, error) { return broadcastSub(b.scores, logBase, nil, []byte{1}) })))
}

// joint returns the first term less the mean positive score: mean_pos of
// the mean over the row's held-out negatives c' of log a, a positive slot
// at a time (see positiveSlot).
func (b *interpolatedGraph) joint() *G.Node {
	gm, o, m := b.gm, b.o, b.gm.mask
	// rowMax[r] is the largest positive or negative score of row r;
	// ex[r][c] = e^(s_rc - rowMax[r]) on negatives, 0 elsewhere; loo[r][c]
	// the sum of row r's ex without ex[r][c]; logShift[r][c] = rowMax[r] +
	// log α - log n_r, broadcast once here rather than in every slot.
	active := gm.constMatrix("interpolated-active", func(r Role) float64 { return indicator(r != Ignored) })
	activeOffset := gm.constMatrix("interpolated-active-offset", func(r Role) float64 {
		if r == Ignored {
			return maskedScore
		}
		return 0
	})
	rowMax := o.max(o.add(o.mul(b.scores, active), activeOffset), 1)
	shiftedNeg := o.add(o.mul(b.scores, gm.neg), gm.negOffset)
	ex := o.exp(o.do(func() (*G.Node, error) { return broadcastSub(shiftedNeg, rowMax, nil, []byte{1}) }))
	loo := o.relu(o.do(func() (*G.Node, error) { return broadcastSub(o.sum(ex, 1), ex, []byte{1}, nil) }))
	zero := gm.constMatrix("zero", func(Role) float64 { return 0 })
	logShift := o.do(func() (*G.Node, error) { return broadcastSub(zero, o.neg(o.add(rowMax, b.logMean)), nil, []byte{1}) })
	tiny := gm.scalar(smallestNormal(gm.dtype))
	var joint *G.Node
	for k, slot := range positiveSlots(m) {
		sel := gm.constFrom(fmt.Sprintf("mask-interpolated-positive%d-%v-%s", k, gm.dtype, maskKey(m)), []int{m.Rows, m.Cols}, slot.fillSelection)
		lacks := gm.constFrom(fmt.Sprintf("mask-interpolated-lacks%d-%v-%s", k, gm.dtype, maskKey(m)), []int{m.Rows}, func(dst []float64) {
			for r := range dst {
				dst[r] = indicator(!slot.has[r])
			}
		})
		weights := gm.constFrom(fmt.Sprintf("mask-interpolated-weights%d-%v-%s", k, gm.dtype, maskKey(m)), []int{m.Rows, m.Cols}, func(dst []float64) {
			for i, role := range m.Roles {
				dst[i] = 0
				if r := i / m.Cols; role == Negative && slot.has[r] {
					dst[i] = 1 / float64(b.negs[r]*gm.nPos)
				}
			}
		})
		// pos[r] is row r's k-th positive score, or rowMax[r] where the
		// row has none (a finite stand-in that the weights zero);
		// sum[r][c'] = e^(pos[r] - rowMax[r]) + tiny + loo[r][c'].
		pos := o.add(o.sum(o.mul(b.scores, sel), 1), o.mul(rowMax, lacks))
		own := o.add(o.exp(o.sub(pos, rowMax)), tiny)
		sum := o.do(func() (*G.Node, error) { return broadcastSub(loo, o.neg(own), nil, []byte{1}) })
		term := o.weightedSum(b.interpolate(o.add(o.log(sum), logShift)), weights)
		if joint == nil {
			joint = term
		} else {
			joint = o.add(joint, term)
		}
	}
	return joint
}

// smallestNormal returns the smallest positive normal number of dt.
func smallestNormal(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 0x1p-126
	}
	return 0x1p-1022
}

// positiveSlot is the k-th positive of every row that has k or more: the
// positives of a row are paired with its held-out negatives one slot at a
// time, so that a row of several positives ([Blocks]) needs one matrix a
// positive it holds, not one a pair of a positive and a negative.
type positiveSlot struct {
	mask *Mask
	k    int
	// has[r] reports whether row r has a k-th positive; rows keep their
	// counts when the mask changes ([Mask.Changed]), so it stays true.
	has []bool
}

// positiveSlots returns one slot for each k below the largest number of
// positives in a row of mask.
func positiveSlots(mask *Mask) []positiveSlot {
	counts, _ := roleCounts(mask, Positive)
	most := 0
	for _, c := range counts {
		most = max(most, c)
	}
	slots := make([]positiveSlot, most)
	for k := range slots {
		slots[k] = positiveSlot{mask: mask, k: k, has: make([]bool, mask.Rows)}
		for r, c := range counts {
			slots[k].has[r] = c > k
		}
	}
	return slots
}

// fillSelection writes 1 at the slot's positive of every row, from the
// mask's current roles, and 0 elsewhere.
func (s positiveSlot) fillSelection(dst []float64) {
	m := s.mask
	for r := range m.Rows {
		k := 0
		for c, role := range m.Roles[r*m.Cols : (r+1)*m.Cols] {
			dst[r*m.Cols+c] = 0
			if role == Positive {
				if k == s.k {
					dst[r*m.Cols+c] = 1
				}
				k++
			}
		}
	}
}

// Ceiling returns the largest value the estimate can take for mask: 1 plus
// the mean, over positive entries, of log(n_r/α), n_r being the number of
// negatives in the positive's row (a positive's term s - log a is at most
// log(n_r/α), since its own e^s is one of the n_r codes its baseline
// averages, and the second term is never negative; a positive in a row
// without negatives adds 0). It is 1 + log((n-1)/α) for [Diagonal](n),
// approached as the positives' scores rise and the negatives' fall (both
// are needed below α = 1: the baseline's (1-α) q(y) = 1-α must become
// small beside the positive's α e^s/n); at α = 1, where the second term
// is exactly 1, it is log(n-1), InfoNCE's with K = n-1; at α = 0, where the
// bound is NWJ's, there is none and it is +Inf.
func (e Interpolated) Ceiling(mask *Mask) float64 {
	if e.Alpha <= 0 {
		return math.Inf(1)
	}
	logAlpha := math.Log(e.Alpha) // not log(n_r/α): n_r/α overflows for an α below 1e-306
	first := meanOverPositives(mask, func(neg int) float64 {
		if neg == 0 { // a positive of a row without negatives adds 0 to the first term
			return 0
		}
		return math.Log(float64(neg)) - logAlpha
	})
	if e.Alpha == 1 { // the second term is exactly 1
		return first
	}
	return 1 + first
}

// Reference computes the interpolated bound's loss and estimate in float64,
// each leave-one-out sum exactly (the log-sum-exps of a prefix and a
// suffix). It panics if scores and mask do not match.
func (e Interpolated) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	const name = "interpolated"
	if e.Alpha == 0 {
		return boundReference(name, scores, mask, referenceNWJ)
	}
	checkReference(name, scores, mask)
	// Per row: the first term's sum, the log baseline of the second term
	// and the largest negative score less it.
	rows := interpolatedRows{e: e, joint: make([]float64, mask.Rows), logBase: make([]float64, mask.Rows), margMax: make([]float64, mask.Rows)}
	eachRows(mask, func(r0, r1 int) {
		neg := make([]float64, 0, mask.Cols)
		scratch, suffix := make([]float64, mask.Cols), make([]float64, mask.Cols+1)
		for r := r0; r < r1; r++ {
			rows.row(r, mask.Roles[r*mask.Cols:(r+1)*mask.Cols], scores[r*mask.Cols:(r+1)*mask.Cols], neg, scratch, suffix)
		}
	})
	var jointSum float64
	top := math.Inf(-1)
	for r := range mask.Rows {
		jointSum += rows.joint[r]
		top = math.Max(top, rows.margMax[r])
	}
	var margSum float64
	for i, role := range mask.Roles {
		if role == Negative {
			margSum += math.Exp(scores[i] - rows.logBase[i/mask.Cols] - top)
		}
	}
	marg := math.Exp(top + math.Log(margSum) - math.Log(float64(mask.Count(Negative))))
	mi = 1 + jointSum/float64(mask.Count(Positive)) - marg
	return -mi, mi
}

// interpolatedRows holds Reference's sums row by row.
type interpolatedRows struct {
	e Interpolated
	// joint[r] is the sum over row r's positives of the mean over its
	// held-out negatives of s - log a; logBase[r] is log a_r of the
	// second term; margMax[r] the largest s - logBase[r] over its
	// negatives (-Inf for a row without).
	joint, logBase, margMax []float64
}

// interpolate returns log(α m + (1-α)) of u = log α + log m.
func (x interpolatedRows) interpolate(u float64) float64 {
	if x.e.Alpha == 1 {
		return u
	}
	log1mAlpha := math.Log1p(-x.e.Alpha)
	return log1mAlpha + softplus(u-log1mAlpha)
}

// row fills row r's sums from its roles and scores, with neg (empty, of
// capacity Cols), scratch (Cols) and suffix (Cols + 1) to work in.
func (x interpolatedRows) row(r int, roles []Role, row, neg, scratch, suffix []float64) {
	for c, role := range roles {
		if role == Negative {
			neg = append(neg, row[c])
		}
	}
	x.margMax[r] = math.Inf(-1)
	if len(neg) == 0 {
		return
	}
	logAlpha, logN := math.Log(x.e.Alpha), math.Log(float64(len(neg)))
	x.logBase[r] = x.interpolate(logAlpha + logSumExp(neg, scratch) - logN)
	for _, s := range neg {
		x.margMax[r] = math.Max(x.margMax[r], s-x.logBase[r])
	}
	// others[i] is log Σ_{k≠i} e^neg[k], the row's negatives with neg[i]
	// held out, from suffix and prefix log-sum-exps: no e^s underflows,
	// however far apart the scores.
	others := scratch[:len(neg)]
	suffix[len(neg)] = math.Inf(-1)
	for i := len(neg) - 1; i >= 0; i-- {
		suffix[i] = logAddExp(suffix[i+1], neg[i])
	}
	prefix := math.Inf(-1)
	for i, s := range neg {
		others[i] = logAddExp(prefix, suffix[i+1])
		prefix = logAddExp(prefix, s)
	}
	for c, role := range roles {
		if role != Positive {
			continue
		}
		var sum float64
		for _, o := range others {
			sum += row[c] - x.interpolate(logAlpha+logAddExp(row[c], o)-logN)
		}
		x.joint[r] += sum / float64(len(neg))
	}
}

// logAddExp returns log(e^a + e^b), -Inf where both are -Inf.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + softplus(b-a) // b-a <= 0: log1p(e^(b-a))
}
