// Package stats holds the summary statistics that both a task and the
// reports compute, so that a run's summary and a report read from its
// metrics agree to the last bit.
package stats

// Level summarizes estimates of one known true value, such as the estimates
// of the Gaussian benchmark over the second half of a staircase stage.
type Level struct {
	// Level is the true value, such as the stage's MI in nats.
	Level float64
	// N is the number of estimates summarized.
	N int
	// Mean is the mean estimate; Bias is Mean - Level.
	Mean, Bias float64
	// Variance is the population variance of the estimates (divisor N), so
	// that MSE = Bias² + Variance.
	Variance float64
	// MSE is the mean of (estimate - Level)².
	MSE float64
}

// OfLevel summarizes the estimates xs of the true value level. Each sum runs
// over xs in order, so the same estimates always give the same bits. An
// empty xs gives NaN statistics.
func OfLevel(level float64, xs []float64) Level {
	s := Level{Level: level, N: len(xs)}
	n := float64(len(xs))
	for _, x := range xs {
		s.Mean += x
		s.MSE += float64((x - level) * (x - level)) // rounded: no GOAMD64 level fuses it
	}
	s.Mean /= n
	s.MSE /= n
	for _, x := range xs {
		s.Variance += (x - s.Mean) * (x - s.Mean)
	}
	s.Variance /= n
	s.Bias = s.Mean - level
	return s
}
