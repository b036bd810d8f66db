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

// maskedMean returns the mean of f(s) over the scores s whose role is r,
// summed in row-major order (NaN when there are none). It allocates
// nothing: a bmi run scores millions of pairs at once.
func maskedMean(scores []float64, mask *Mask, r Role, f func(float64) float64) float64 {
	var sum float64
	var n int
	for i, role := range mask.Roles {
		if role == r {
			sum += f(scores[i])
			n++
		}
	}
	return sum / float64(n)
}

// maskedLogMeanExp returns log mean e^f(s) over the scores s whose role is
// r, subtracting the largest value first (-Inf when every f(s) is -Inf,
// NaN when there are none).
func maskedLogMeanExp(scores []float64, mask *Mask, r Role, f func(float64) float64) float64 {
	m := math.Inf(-1)
	var n int
	for i, role := range mask.Roles {
		if role == r {
			m = math.Max(m, f(scores[i]))
			n++
		}
	}
	if math.IsInf(m, -1) {
		return m - math.Log(float64(n))
	}
	var sum float64
	for i, role := range mask.Roles {
		if role == r {
			sum += math.Exp(f(scores[i]) - m)
		}
	}
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
	return 1 + maskedMean(scores, mask, Positive, identity) - maskedMean(scores, mask, Negative, math.Exp)
}

// referenceDV is mean over positives of s - log mean over negatives of e^s.
func referenceDV(scores []float64, mask *Mask) float64 {
	return maskedMean(scores, mask, Positive, identity) - maskedLogMeanExp(scores, mask, Negative, identity)
}
