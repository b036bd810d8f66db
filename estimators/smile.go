package estimators

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// SMILE is the Smoothed Mutual Information Lower-bound Estimator of Song &
// Ermon 2020. The critic is trained exactly as [JSD] trains it; the estimate
// is the Donsker-Varadhan value with the partition term computed on scores
// clipped to [-tau, tau]:
//
//	loss = mean_neg softplus(s) + mean_pos softplus(-s)
//	MI   = mean_pos s - log mean_neg e^clip(s, -tau, tau)
//
// (Song & Ermon pass the gradient through the Jensen-Shannon bound with a
// stop-gradient trick; here the loss is simply the JS loss, which has the
// same gradient.) Only the partition term is clipped, as in their code.
//
// Bias and variance: clipping bounds e^s by e^tau, so the variance of the
// partition term no longer grows exponentially with the MI; the price is
// bias, because the clipped estimate cannot rise much above what tau
// allows. A small tau (1) gives low variance and more bias, a large tau
// recovers DV-with-a-JS-critic, with DV's variance. The default is 5, as in
// the paper's main results. tau must be positive; a very large tau (for
// example 1e9) means no clipping.
type SMILE struct {
	// Tau is the clipping threshold.
	Tau float64
}

func init() {
	Register(Info{
		Name:    "smile",
		Summary: "SMILE: JS-trained critic, DV estimate with the partition term clipped to [-tau, tau]",
		Params:  Params{"tau": 5},
		New: func(p Params) (Estimator, error) {
			tau := paramOr(p, "tau", 5)
			if !(tau > 0) {
				return nil, &ParamError{Param: "tau", Err: fmt.Errorf("estimator \"smile\": tau = %g must be positive (a large tau, such as 1e9, means no clipping)", tau)}
			}
			return SMILE{Tau: tau}, nil
		},
	})
}

// Build adds the JS loss and the clipped DV estimate of scores to their
// graph.
func (e SMILE) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	if !(e.Tau > 0) {
		return nil, fmt.Errorf("smile: tau = %g must be positive", e.Tau)
	}
	gm, err := newGraphMask("smile", scores, mask)
	if err != nil {
		return nil, err
	}
	o := &op{}
	loss := gm.jsdLoss(o, scores)
	// clip(s) = s - relu(s - tau) + relu(-tau - s)
	tau := gm.scalar(e.Tau)
	above := o.relu(o.sub(scores, tau))
	below := o.relu(o.sub(o.neg(scores), tau))
	clipped := o.add(o.sub(scores, above), below)
	meanPos := gm.maskedMean(o, scores, gm.pos, gm.nPos)
	mi := o.sub(meanPos, gm.logMeanExpNegatives(o, clipped))
	if o.err != nil {
		return nil, o.err
	}
	return &Terms{Loss: loss, MI: mi}, nil
}

// Reference computes the JS loss and the clipped DV estimate in float64.
// It panics if scores and mask do not match.
func (e SMILE) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	mi = e.ReferenceEstimate(scores, mask)
	return referenceJSDLoss(scores, mask), mi
}

// ReferenceEstimate computes Reference's clipped DV estimate alone. It
// panics if scores and mask do not match.
func (e SMILE) ReferenceEstimate(scores []float64, mask *Mask) float64 {
	checkReference("smile", scores, mask)
	return maskedMean(scores, mask, Positive, identity) - maskedLogMeanExp(scores, mask, Negative, e.clip())
}

// clip returns the function that clips a score to [-Tau, Tau] as
// math.Max(-Tau, math.Min(Tau, s)) does.
func (e SMILE) clip() func(float64) float64 {
	if e.Tau > 0 {
		// The same bits, without math's calls: the builtins differ from
		// math.Max only where NaN meets +Inf, and from math.Min where NaN
		// meets -Inf (math's infinity, the builtins' NaN), and a positive
		// Tau is not NaN, nor -Tau +Inf, nor Tau -Inf.
		return func(s float64) float64 { return max(-e.Tau, min(e.Tau, s)) }
	}
	return func(s float64) float64 { return math.Max(-e.Tau, math.Min(e.Tau, s)) }
}
