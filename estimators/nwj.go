package estimators

import G "gorgonia.org/gorgonia"

// NWJ is the estimator of Nguyen, Wainwright and Jordan 2010, the f-GAN
// KL bound, which Poole et al. 2019 write as TUBA(f-1):
//
//	MI   = 1 + mean_pos s - mean_neg e^s
//	loss = -MI
//
// The bound is tight at s = log p(x,y)/(p(x)p(y)), the log density ratio
// itself (Poole et al.'s f is this s plus one).
//
// Bias and variance: for a fixed critic the estimate is unbiased (it is
// linear in sample means), and it is a lower bound on the MI in
// expectation. Its variance grows exponentially with the true MI (Song &
// Ermon 2020): for the optimal critic, Var(e^s) over negatives is
// E_pos[e^s] - 1, at least e^MI - 1 by Jensen's inequality (their
// Theorem 2), and e^(2 MI) - 1 for the correlated Gaussians of the
// staircase, so a batch of 64 needs luck well before 10 nats.
type NWJ struct{}

func init() {
	registerFixed("nwj", "NWJ / f-GAN KL / TUBA(f-1): 1 + mean positive - mean exp negative; unbiased, high variance",
		NWJ{})
}

// Build adds the NWJ loss and estimate of scores to their graph.
func (NWJ) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	return ascendBound("nwj", scores, mask, (*graphMask).nwjValue)
}

// Reference computes the NWJ loss and estimate in float64. It panics if
// scores and mask do not match.
func (NWJ) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	return boundReference("nwj", scores, mask, referenceNWJ)
}
