package estimators

import (
	"math"
	"runtime"
	"sync"

	"github.com/infomax/infomax/internal/parallel"
	"github.com/infomax/infomax/internal/vec"
)

// The masked reductions of the float64 References (maskedMean and
// maskedLogMeanExp) read every score of a mask once or twice, and a bmi
// run scores its whole test split with them: 6.25 million pairs a scoring
// at the default 5,000 draws, 25 million at 10,000. roleSum and roleMax
// split that work between cores where there is enough of it, and give
// the bits of a plain loop over the scores in row-major order whatever
// the number of cores: roleSum computes f of each score on several cores
// but adds them up on one, in order; roleMax's maximum does not depend on
// the order (see roleMax).
// Neither allocates anything of the scores' size: roleSum fills pooled
// buffers of roleSpan values, two a core; roleMax keeps one value a core.
// With InfoNCE's rows split between cores too (eachRows) and e^s four at a
// time (vec.Exp64), and the separable critic embedding each test row once,
// a scoring of 2,500² pairs on 2 cores of the Zen 3 machine took 72-87 ms
// with jsd, 82-88 with infonce and 114-137 with smile, against 159-192,
// 225-244 and 342-373 ms before (BenchmarkScoreAll in experiments/tasks/bmi,
// three interleaved runs, 2026-12-07).

// inf is +Inf, which roleMax's fold lets win over NaN.
var inf = math.Inf(1)

// roleSpan is how many scores a goroutine takes at a time, and
// parallelScores the fewest scores that are split between cores: a
// bmi scoring's 6.25 million scores, and not a test's handful.
const (
	roleSpan       = 1 << 13
	parallelScores = 1 << 16
)

// roleSpans returns how many spans of roleSpan scores n scores make, and
// how many spans are computed at once: 1 under parallelScores scores or on
// one core.
func roleSpans(n int) (spans, atOnce int) {
	spans = (n + roleSpan - 1) / roleSpan
	if n < parallelScores {
		return spans, 1
	}
	return spans, min(spans, runtime.GOMAXPROCS(0))
}

// spanBuffers holds two halves, each of the values of f of the spans
// computed at once and how many there are: one half is added up while the
// other is filled.
type spanBuffers struct {
	vals []float64
	n    []int
}

// spanPool holds roleSum's buffers between calls, so that a scoring's
// References allocate them once.
var spanPool = sync.Pool{New: func() any { return new(spanBuffers) }}

// roleSum returns the sum of f(s), or of e^f(s) where exp is set, over the
// scores s whose role is r, added in row-major order, and how many there
// are. The values are computed a span at a time, up to GOMAXPROCS spans
// at once into one half of a buffer (e^ by vec.Exp64, math.Exp's bits
// four at a time), while the calling goroutine adds up the spans before
// them in the other half, then helps.
func roleSum(scores []float64, mask *Mask, r Role, f func(float64) float64, exp bool) (sum float64, n int) {
	spans, atOnce := roleSpans(len(scores))
	buf := spanPool.Get().(*spanBuffers)
	defer spanPool.Put(buf)
	if len(buf.n) < 2*atOnce {
		buf.vals, buf.n = make([]float64, 2*atOnce*roleSpan), make([]int, 2*atOnce)
	}
	fill := func(half, first int) parallel.Started {
		return startSpans(min(atOnce, spans-first), func(i int) {
			slot, lo := half*atOnce+i, (first+i)*roleSpan
			out, k := buf.vals[slot*roleSpan:(slot+1)*roleSpan], 0
			for j, role := range mask.Roles[lo:min(lo+roleSpan, len(scores))] {
				if role == r {
					out[k] = f(scores[lo+j])
					k++
				}
			}
			if exp {
				vec.Exp64(out[:k], out[:k])
			}
			buf.n[slot] = k
		})
	}
	pending := fill(0, 0)
	for first, half := 0, 0; first < spans; first, half = first+atOnce, 1-half {
		pending.Wait()
		if next := first + atOnce; next < spans {
			pending = fill(1-half, next)
		}
		for slot := half * atOnce; slot < half*atOnce+min(atOnce, spans-first); slot++ {
			for _, v := range buf.vals[slot*roleSpan : slot*roleSpan+buf.n[slot]] {
				sum += v
			}
			n += buf.n[slot]
		}
	}
	return sum, n
}

// startSpans starts f on spans spans as parallel.Start does, or, for a
// single span, runs it at once on the calling goroutine.
func startSpans(spans int, f func(i int)) parallel.Started {
	if spans == 1 {
		f(0)
		return parallel.Started{}
	}
	return parallel.Start(spans, f)
}

// roleMax returns the largest f(s) over the scores s whose role is r, as
// math.Max folds them (-Inf where there are none; else +Inf where any is
// +Inf, NaN where any is NaN; +0 above -0), and how many there are, each
// of up to GOMAXPROCS goroutines taking a run of spans (parallel.Ranges). The builtin max
// folds them the same way but for NaN against +Inf, and takes no call.
func roleMax(scores []float64, mask *Mask, r Role, f func(float64) float64) (m float64, n int) {
	spans, atOnce := roleSpans(len(scores))
	maxes, counts := make([]float64, atOnce), make([]int, atOnce)
	ranges := parallel.Ranges(spans, atOnce, func(g, first, end int) {
		lo, hi := first*roleSpan, min(end*roleSpan, len(scores))
		gm, k, sawInf := math.Inf(-1), 0, false
		for j, role := range mask.Roles[lo:hi] {
			if role == r {
				v := f(scores[lo+j])
				gm, sawInf = max(gm, v), sawInf || v == inf
				k++
			}
		}
		if sawInf { // math.Max's fold: +Inf wins over NaN, where the builtin's keeps NaN
			gm = inf
		}
		maxes[g], counts[g] = gm, k
	})
	m = math.Inf(-1)
	for g := range ranges {
		m, n = math.Max(m, maxes[g]), n+counts[g]
	}
	return m, n
}

// positivesBefore returns, for each row of mask and one past the last, how
// many positives the rows before it hold.
func positivesBefore(mask *Mask) []int {
	counts, _ := roleCounts(mask, Positive)
	out := make([]int, mask.Rows+1)
	for r, c := range counts {
		out[r+1] = out[r] + c
	}
	return out
}

// eachRows calls f on ranges of rows [r0, r1) that cover mask's rows
// (parallel.Ranges), a few a core where the mask holds at least
// parallelScores scores, for the cores' uneven pace; one range, on the
// calling goroutine, elsewhere.
func eachRows(mask *Mask, f func(r0, r1 int)) {
	workers := 1
	if _, atOnce := roleSpans(mask.Rows * mask.Cols); atOnce > 1 {
		workers = 4 * atOnce
	}
	parallel.Ranges(mask.Rows, workers, func(_, r0, r1 int) { f(r0, r1) })
}
