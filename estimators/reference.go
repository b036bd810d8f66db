package estimators

import (
	"fmt"
	"math"

	"github.com/infomax/infomax/internal/vec"
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

// logSumExp returns log sum_i exp(v_i), subtracting the largest value
// first and adding the terms in order, each e^(v_i - max) computed into
// scratch (at least as long as v) by vec.Exp64, math.Exp's bits.
func logSumExp(v, scratch []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	scratch = scratch[:len(v)]
	for i, x := range v {
		scratch[i] = x - m
	}
	vec.Exp64(scratch, scratch)
	var s float64
	for _, e := range scratch {
		s += e
	}
	return m + math.Log(s)
}

// maskedMean returns the mean of f(s) over the scores s whose role is r,
// summed in row-major order (NaN when there are none); see roleSum.
func maskedMean(scores []float64, mask *Mask, r Role, f func(float64) float64) float64 {
	sum, n := roleSum(scores, mask, r, f, false)
	return sum / float64(n)
}

// maskedMeanExp returns the mean of e^f(s) over the scores s whose role is
// r, as maskedMean of math.Exp(f(s)) would, the same bits.
func maskedMeanExp(scores []float64, mask *Mask, r Role, f func(float64) float64) float64 {
	sum, n := roleSum(scores, mask, r, f, true)
	return sum / float64(n)
}

// maskedLogMeanExp returns log mean e^f(s) over the scores s whose role is
// r, subtracting the largest value first (-Inf when every f(s) is -Inf,
// NaN when there are none).
func maskedLogMeanExp(scores []float64, mask *Mask, r Role, f func(float64) float64) float64 {
	m, n := roleMax(scores, mask, r, f)
	if math.IsInf(m, -1) {
		return m - math.Log(float64(n))
	}
	sum, _ := roleSum(scores, mask, r, func(s float64) float64 { return f(s) - m }, true)
	return m + math.Log(sum) - math.Log(float64(n))
}

// identity returns s.
func identity(s float64) float64 { return s }

// softplusOfMinus returns softplus(-s).
func softplusOfMinus(s float64) float64 { return softplus(-s) }

// referenceJSDLoss is mean over negatives of softplus(s) plus mean over
// positives of softplus(-s).
func referenceJSDLoss(scores []float64, mask *Mask) float64 {
	return maskedMean(scores, mask, Negative, softplus) + maskedMean(scores, mask, Positive, softplusOfMinus)
}

// referenceNWJ is 1 + mean over positives of s - mean over negatives of e^s.
func referenceNWJ(scores []float64, mask *Mask) float64 {
	return 1 + maskedMean(scores, mask, Positive, identity) - maskedMeanExp(scores, mask, Negative, identity)
}

// referenceDV is mean over positives of s - log mean over negatives of e^s.
func referenceDV(scores []float64, mask *Mask) float64 {
	return maskedMean(scores, mask, Positive, identity) - maskedLogMeanExp(scores, mask, Negative, identity)
}
