package estimators

import (
	"math"

	G "gorgonia.org/gorgonia"
)

// InfoNCE is the noise-contrastive estimator of van den Oord et al. 2018
// (CPC), as analysed by Poole et al. 2019.
//
// Every positive entry (r, c) is classified against the negatives of its
// own row r, a K_r-way classification with K_r = 1 + the number of
// negatives in row r:
//
//	MI   = mean_pos [ s_rc - log(e^s_rc + sum_{neg c' in row r} e^s_rc') + log K_r ]
//	loss = -mean_pos [ s_rc - log(e^s_rc + sum_{neg c' in row r} e^s_rc') ]
//
// For a batch of n pairs with positives on the diagonal ([Diagonal]) this
// is the familiar mean_i [s_ii - logsumexp_j s_ij] + log n. When a row holds
// several positives ([Blocks]) each one is classified against the row's
// negatives alone, not against the other positives.
//
// Bias and variance: every term is at most log K_r, so the estimate never
// exceeds the mean log K (see [InfoNCE.Ceiling]) and is badly biased low
// whenever the true MI is larger (log 64 = 4.16 nats for a batch of 64). In
// exchange its variance is low, and it stays low as the MI grows.
//
// The official Deep InfoMax code's local infonce_loss keeps each image's
// own other locations in a positive's softmax as the constant score -10;
// this estimator leaves every entry of the mask that is neither positive
// nor negative out, so with [Blocks] the image's own locations weigh 0, not
// e^-10 each (README.md, "Deep InfoMax on images").
//
// The log-softmax is computed as -softplus(L_r - s_rc), where L_r is the
// max-subtracted log-sum-exp of row r's negatives, so it is stable in
// float32 and its gradient is a sigmoid.
type InfoNCE struct{}

func init() {
	registerFixed("infonce", "InfoNCE (CPC): softmax over each row's negatives; low variance, never above log K",
		InfoNCE{})
}

// Ceiling returns the largest value the estimate can take for mask: the
// mean over positive entries of log K_r, K_r being one plus the number of
// negatives in the positive's row. It is log n for [Diagonal](n).
func (InfoNCE) Ceiling(mask *Mask) float64 {
	return meanOverPositives(mask, func(neg int) float64 { return math.Log(float64(1 + neg)) })
}

// meanOverPositives returns the mean over mask's positive entries of
// f(n_r), n_r being the number of negatives in the positive's row; 0
// where mask has no positive. The bounded estimators' ceilings are such
// means.
func meanOverPositives(mask *Mask, f func(neg int) float64) float64 {
	pos, _ := roleCounts(mask, Positive)
	neg, _ := roleCounts(mask, Negative)
	var sum float64
	var count int
	for r, p := range pos {
		if p > 0 {
			sum += float64(p) * f(neg[r])
		}
		count += p
	}
	if count == 0 {
		return 0
	}
	return sum / float64(count)
}

// Build adds the InfoNCE loss and estimate of scores to their graph.
func (e InfoNCE) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	gm, err := newGraphMask("infonce", scores, mask)
	if err != nil {
		return nil, err
	}
	o := &op{}
	rowNeg := gm.rowLogSumExpNegatives(o, scores)
	// gap[r][c] = L_r - s_rc, so that log-softmax = -softplus(gap).
	gap := o.do(func() (*G.Node, error) { return broadcastSub(rowNeg, scores, []byte{1}, nil) })
	loss := gm.maskedMean(o, o.softplus(gap), gm.pos, gm.nPos)
	mi := o.sub(gm.scalar(e.Ceiling(mask)), loss)
	if o.err != nil {
		return nil, o.err
	}
	return &Terms{Loss: loss, MI: mi}, nil
}

// Reference computes the InfoNCE loss and estimate in float64. It panics if
// scores and mask do not match. Each positive's log-softmax against its
// row's negatives is computed row by row, rows split between cores on a
// large mask (eachRows), and the terms are added in row-major order.
func (InfoNCE) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	checkReference("infonce", scores, mask)
	first := positivesBefore(mask)
	count := first[mask.Rows]
	// terms holds each positive's log-softmax and log K, in row-major order.
	terms := make([]float64, 2*count)
	eachRows(mask, func(r0, r1 int) {
		row := make([]float64, 1, 1+mask.Cols) // a positive, then its row's negatives
		scratch := make([]float64, 1+mask.Cols)
		for r := r0; r < r1; r++ {
			roles, rowScores := mask.Roles[r*mask.Cols:(r+1)*mask.Cols], scores[r*mask.Cols:(r+1)*mask.Cols]
			row = row[:1]
			for c, role := range roles {
				if role == Negative {
					row = append(row, rowScores[c])
				}
			}
			t := terms[2*first[r]:]
			for c, role := range roles {
				if role != Positive {
					continue
				}
				s := rowScores[c]
				row[0] = s
				t[0], t[1] = s-logSumExp(row, scratch), math.Log(float64(len(row)))
				t = t[2:]
			}
		}
	})
	var logSoftmax, logK float64
	for i := 0; i < count; i++ {
		logSoftmax += terms[2*i]
		logK += terms[2*i+1]
	}
	meanLogSoftmax := logSoftmax / float64(count)
	return -meanLogSoftmax, meanLogSoftmax + logK/float64(count)
}
