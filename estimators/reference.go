package estimators

import (
	"fmt"
	"math"
)

// This file holds the plain float64 arithmetic that the estimators'
// Reference methods share, and the checks their factories share.

// boundReference checks scores and mask for the estimator name and returns
// the loss -MI and the estimate MI = bound(scores, mask) of an estimator
// trained by ascending its bound.
func boundReference(name string, scores []float64, mask *Mask, bound func([]float64, *Mask) float64) (loss, mi float64) {
	checkReference(name, scores, mask)
	mi = bound(scores, mask)
	return -mi, mi
}

// checkReference panics with a clear message when scores and mask disagree:
// Reference is a specification used by tests and reports, and a mismatch
// there is a programming error, not a user mistake.
func checkReference(name string, scores []float64, mask *Mask) {
	if err := mask.Validate(); err != nil {
		panic(fmt.Sprintf("%s.Reference: %v", name, err))
	}
	if len(scores) != mask.Rows*mask.Cols {
		panic(fmt.Sprintf("%s.Reference: %d scores for a %dx%d mask", name, len(scores), mask.Rows, mask.Cols))
	}
}

// softplus returns log(1 + e^x), written so that it neither overflows for
// large x nor loses precision for very negative x.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// logSumExp returns log sum_i exp(v_i), subtracting the largest value first.
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// selected returns the scores whose role is r, in row-major order.
func selected(scores []float64, mask *Mask, r Role) []float64 {
	var out []float64
	for i, role := range mask.Roles {
		if role == r {
			out = append(out, scores[i])
		}
	}
	return out
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// referenceJSDLoss is mean over negatives of softplus(s) plus mean over
// positives of softplus(-s).
func referenceJSDLoss(scores []float64, mask *Mask) float64 {
	var neg, pos []float64
	for _, s := range selected(scores, mask, Negative) {
		neg = append(neg, softplus(s))
	}
	for _, s := range selected(scores, mask, Positive) {
		pos = append(pos, softplus(-s))
	}
	return mean(neg) + mean(pos)
}

// referenceNWJ is 1 + mean over positives of s - mean over negatives of e^s.
func referenceNWJ(scores []float64, mask *Mask) float64 {
	var expNeg []float64
	for _, s := range selected(scores, mask, Negative) {
		expNeg = append(expNeg, math.Exp(s))
	}
	return 1 + mean(selected(scores, mask, Positive)) - mean(expNeg)
}

// referenceDV is mean over positives of s - log mean over negatives of e^s.
func referenceDV(scores []float64, mask *Mask) float64 {
	neg := selected(scores, mask, Negative)
	return mean(selected(scores, mask, Positive)) - (logSumExp(neg) - math.Log(float64(len(neg))))
}
