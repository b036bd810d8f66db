package reports

import (
	"maps"
	"math"
	"slices"

	"github.com/infomax/infomax/internal/stats"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/infomax/infomax/experiments/engine/results"
)

// MeanSD returns the mean and the sample standard deviation (divisor n-1) of
// xs. The deviation is NaN for fewer than two values, the mean for none.
func MeanSD(xs []float64) (mean, sd float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(n-1))
}

// TInterval returns the mean of xs and the half-width of its two-sided
// confidence interval at level conf (0.95 for 95%) from Student's t
// distribution with n-1 degrees of freedom: t(1-(1-conf)/2, n-1)*sd/sqrt(n).
// The half-width is NaN for fewer than two values.
func TInterval(xs []float64, conf float64) (mean, half float64) {
	mean, sd := MeanSD(xs)
	n := len(xs)
	if n < 2 {
		return mean, math.NaN()
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-conf)/2)
	return mean, t * sd / math.Sqrt(float64(n))
}

// Smooth returns xs smoothed for display. A factor in [0, 1) is an
// exponential moving average, debiased so that the start is not pulled
// towards zero: m_t = factor*m_{t-1} + (1-factor)*x_t from m_{-1} = 0, and
// s_t = m_t / (1 - factor^(t+1)) (pandas' ewm with adjust=True; a span of S
// steps is factor 1-2/(S+1)). A factor of 1 or more is a trailing moving
// average over that many values and must be an integer. Non-finite values
// are skipped: the smoothed value holds its last value across them.
func Smooth(xs []float64, factor float64) []float64 {
	out := make([]float64, len(xs))
	if factor >= 1 {
		window := int(factor)
		var sum float64
		var finite []float64 // ring of the last finite values
		for i, x := range xs {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				finite = append(finite, x)
				sum += x
				if len(finite) > window {
					sum -= finite[0]
					finite = finite[1:]
				}
			}
			if len(finite) == 0 {
				out[i] = math.NaN()
			} else {
				out[i] = sum / float64(len(finite))
			}
		}
		return out
	}
	var m, weight float64
	for i, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			m = factor*m + (1-factor)*x
			weight = factor*weight + (1 - factor)
		}
		if weight == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = m / weight
		}
	}
	return out
}

// LevelStats summarizes an estimate over the second half of every stage of
// a staircase at one true MI level; see [stats.Level].
type LevelStats = stats.Level

// StaircaseStats computes per-level statistics of the estimate logged as
// metric against the true MI logged as truth, in the way the Gaussian
// benchmark summarizes a run: a stage is a maximal stretch of consecutive
// records with the same true MI, only the second half of each stage is used
// (the critic has adapted by then), and stages at the same level are pooled.
// Records lacking either value, or with a non-finite one, are skipped.
// Levels are returned in increasing order.
func StaircaseStats(recs []results.Record, metric, truth string) []LevelStats {
	type point struct{ est, truth float64 }
	var stages [][]point
	for _, rec := range recs {
		est, ok1 := rec.Values[metric]
		tr, ok2 := rec.Values[truth]
		if !ok1 || !ok2 || !finite(est) || !finite(tr) {
			continue
		}
		if n := len(stages); n == 0 || stages[n-1][0].truth != tr {
			stages = append(stages, nil)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], point{est, tr})
	}
	pooled := map[float64][]float64{}
	for _, st := range stages {
		half := st[len(st)/2:]
		for _, p := range half {
			pooled[p.truth] = append(pooled[p.truth], p.est)
		}
	}
	levels := slices.Sorted(maps.Keys(pooled))
	out := make([]LevelStats, 0, len(levels))
	for _, l := range levels {
		out = append(out, stats.OfLevel(l, pooled[l]))
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
