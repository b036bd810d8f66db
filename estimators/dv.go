package estimators

import G "gorgonia.org/gorgonia"

// DV is the Donsker-Varadhan estimator, the bound MINE optimizes
// (Belghazi et al. 2018), trained by ascending the bound itself:
//
//	MI   = mean_pos s - log mean_neg e^s
//	loss = -MI
//
// The bound is tight at the critic s = log p(x,y)/(p(x)p(y)) + c for any
// constant c, so the critic's offset is free.
//
// Bias and variance: DV is tighter than NWJ for a given critic, but the
// log of a sample mean makes it biased (upward, by about half the variance
// of mean_neg e^s, for the optimal critic) and its gradient is a biased
// estimate of the bound's gradient. Its variance, like NWJ's, grows
// exponentially with the true MI (Song & Ermon 2020), because e^s of rare
// negatives dominates the partition term.
//
// This is the paper's Eq. 2 (Hjelm et al. 2019) over the mask's
// negatives. The official Deep InfoMax code's donsker_varadhan_loss means
// to compute the same, but its masks broadcast against the wrong axes of
// the score tensor (a reading of its code), so its DV runs are not
// reproduced here (README.md, "Deep InfoMax on images").
type DV struct{}

func init() {
	registerFixed("dv", "Donsker-Varadhan: mean positive - log mean exp negative; high variance at high MI",
		DV{})
}

// Build adds the DV loss and estimate of scores to their graph.
func (DV) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	return ascendBound("dv", scores, mask, (*graphMask).dvValue)
}

// Reference computes the DV loss and estimate in float64. It panics if
// scores and mask do not match.
func (DV) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	return boundReference("dv", scores, mask, referenceDV)
}
