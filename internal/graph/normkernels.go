package graph

import (
	"math"
	"runtime"

	"github.com/infomax/infomax/internal/vec"
)

// columnSums returns, for every column c, Σ_r a[r][c] and
// Σ_r a[r][c]·(b[r][c] - shift[c]) when b is given, or Σ_r (a[r][c] -
// shift[c]) and Σ_r (a[r][c] - shift[c])² when b is nil. Sums are in
// float64, accumulated per chunk of rows in parallel.
// The per-chunk partial sums are kept in parts, reused from call to call;
// s1 and s2 are the first chunk's, valid until the next call with parts.
func columnSums[T float32 | float64](rows, cols int, a, b []T, shift []float64, parts *[2][]float64) (s1, s2 []float64) {
	workers := max(1, min(runtime.GOMAXPROCS(0), rows))
	p1, p2 := zeroed(&parts[0], workers*cols), zeroed(&parts[1], workers*cols)
	n := parallelRows(rows, cols, func(chunk, lo, hi int) {
		q1, q2 := p1[chunk*cols:(chunk+1)*cols], p2[chunk*cols:(chunk+1)*cols]
		if a32, ok := any(a).([]float32); ok { // sixteen columns at a time, the same bits
			var b32 []float32
			if b != nil {
				b32 = any(b).([]float32)[lo*cols : hi*cols]
			}
			vec.ColumnSums(hi-lo, cols, a32[lo*cols:hi*cols], b32, shift, q1, q2)
			return
		}
		for r := lo; r < hi; r++ {
			ar := a[r*cols : (r+1)*cols]
			if b == nil {
				for c, v := range ar {
					d := float64(v) - shift[c]
					q1[c] += d
					q2[c] += float64(d * d) // rounded, as vec.ColumnSums does
				}
				continue
			}
			br := b[r*cols : (r+1)*cols]
			for c, v := range ar {
				q1[c] += float64(v)
				q2[c] += float64(float64(v) * (float64(br[c]) - shift[c]))
			}
		}
	})
	s1, s2 = p1[:cols], p2[:cols]
	for k := 1; k < n; k++ {
		for c := 0; c < cols; c++ {
			s1[c] += p1[k*cols+c]
			s2[c] += p2[k*cols+c]
		}
	}
	return s1, s2
}

// batchStats returns the per-column mean and inverse standard deviation a
// batch norm normalizes with, updating the running statistics when it
// trains and update is set. They are written into sc's buffers, valid
// until its next call with sc.
func batchStats[T float32 | float64](st *NormState, sc *normScratch[T], rows, cols int, x []T, update bool) (mean, inv []float64) {
	mean, inv = zeroed(&sc.mean, cols), zeroed(&sc.inv, cols)
	if !st.Training {
		for c := range mean {
			mean[c] = st.RunningMean[c]
			inv[c] = 1 / math.Sqrt(st.RunningVar[c]+st.Eps)
		}
		return mean, inv
	}
	// Shifting by the first row keeps the one-pass variance accurate.
	shift := zeroed(&sc.shift, cols)
	for c := range shift {
		shift[c] = float64(x[c])
	}
	s1, s2 := columnSums(rows, cols, x, nil, shift, &sc.statSums)
	n := float64(rows)
	for c := range mean {
		d := s1[c] / n
		mean[c] = shift[c] + d
		ss := max(s2[c]-float64(n*d*d), 0) // Σ (x - mean)², the product rounded: no GOAMD64 level fuses it
		inv[c] = 1 / math.Sqrt(ss/n+st.Eps)
		if update {
			unbiased := ss
			if rows > 1 {
				unbiased /= n - 1
			}
			// Each product rounded on its own: no GOAMD64 level fuses them.
			st.RunningMean[c] = float64((1-st.Momentum)*st.RunningMean[c]) + float64(st.Momentum*mean[c])
			st.RunningVar[c] = float64((1-st.Momentum)*st.RunningVar[c]) + float64(st.Momentum*unbiased)
		}
	}
	return mean, inv
}

// rowStats returns the mean and inverse standard deviation of one row.
func rowStats[T float32 | float64](row []T, eps float64) (mean, inv float64) {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	var ss float64
	for _, v := range row {
		d := float64(v) - mean
		ss += float64(d * d) // rounded: no GOAMD64 level fuses it
	}
	return mean, 1 / math.Sqrt(ss/float64(len(row))+eps)
}

// eachRowStats calls f(i, mean, inv) with rowStats of row i of x, for the
// rows [lo, hi) in order. Four rows' statistics are computed at once, each
// with rowStats' arithmetic in rowStats' order: a row's sums are one chain
// of dependent additions, and four chains overlap where one would wait on
// each addition's latency.
func eachRowStats[T float32 | float64](x []T, cols, lo, hi int, eps float64, f func(i int, mean, inv float64)) {
	i := lo
	for ; i+4 <= hi; i += 4 {
		mean, inv := rowStats4(x[i*cols:(i+4)*cols], cols, eps)
		for k := range 4 {
			f(i+k, mean[k], inv[k])
		}
	}
	for ; i < hi; i++ {
		mean, inv := rowStats(x[i*cols:(i+1)*cols], eps)
		f(i, mean, inv)
	}
}

// rowStats4 is rowStats of the four rows of x, cols values each.
func rowStats4[T float32 | float64](x []T, cols int, eps float64) (mean, inv [4]float64) {
	r0, r1, r2, r3 := x[:cols], x[cols:2*cols], x[2*cols:3*cols], x[3*cols:4*cols]
	var s0, s1, s2, s3 float64
	for c := range r0 {
		s0 += float64(r0[c])
		s1 += float64(r1[c])
		s2 += float64(r2[c])
		s3 += float64(r3[c])
	}
	n := float64(cols)
	m0, m1, m2, m3 := s0/n, s1/n, s2/n, s3/n
	var q0, q1, q2, q3 float64
	for c := range r0 {
		d0, d1, d2, d3 := float64(r0[c])-m0, float64(r1[c])-m1, float64(r2[c])-m2, float64(r3[c])-m3
		q0 += float64(d0 * d0) // each rounded, as in rowStats
		q1 += float64(d1 * d1)
		q2 += float64(d2 * d2)
		q3 += float64(d3 * d3)
	}
	mean = [4]float64{m0, m1, m2, m3}
	for k, q := range [4]float64{q0, q1, q2, q3} {
		inv[k] = 1 / math.Sqrt(q/n+eps)
	}
	return mean, inv
}

// affineRows sets out[r][c] = x[r][c]·p[c] + q[c] for every row, in
// parallel, then, with relu, the ReLU of each row in place.
func affineRows[T float32 | float64](rows, cols int, x, out, p, q []T, relu bool) {
	parallelRows(rows, cols, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := out[r*cols : (r+1)*cols]
			vec.Affine(row, x[r*cols:(r+1)*cols], p, q)
			if relu {
				reluInto(row, nil, row)
			}
		}
	})
}

// normCompute runs op's part of its layer's normalization on x, a
// (rows, cols) matrix, with the op's other inputs in (γ and β, γ and dy,
// or dy), writing the result to out.
func normCompute[T float32 | float64](op *normOp, rows, cols int, x []T, in [][]T, out []T) {
	st, sv, sc := op.st, op.savedStore(), normScratchOf[T](op)
	switch {
	case st.Kind == NormBatch && op.part == partForward:
		batchNormForward(st, sv, sc, rows, cols, x, in[0], in[1], out, op.relu)
	case st.Kind == NormBatch && op.part == partGradGamma:
		batchNormGradGamma(st, sv, sc, rows, cols, x, in[0], out)
	case st.Kind == NormBatch && op.part == partGradX:
		batchNormGradX(st, sv, sc, rows, cols, x, in[0], in[1], out)
	case op.part == partForward:
		layerNormForward(st, sv, rows, cols, x, in[0], in[1], out, op.relu)
	case op.part == partGradGamma:
		layerNormGradGamma(st, sv, sc, rows, cols, x, in[0], out)
	default:
		layerNormGradX(st, sv, rows, cols, x, in[0], in[1], out)
	}
}

// batchNormForward sets out = γ (x - μ) inv + β, computed as
// x·(γ inv) + (β - μ γ inv), with the batch's statistics (updating the
// running ones) or the running ones, then, with relu, to its ReLU.
func batchNormForward[T float32 | float64](st *NormState, sv *normSaved, sc *normScratch[T], rows, cols int, x, gamma, beta, out []T, relu bool) {
	mean, inv := batchStats(st, sc, rows, cols, x, true)
	if st.Training {
		saveStats(sv, x, mean, inv)
	} else {
		sv.forwards++
		sv.valid = false // the gradients use the running statistics
	}
	p, q, _ := sc.coefficients(cols)
	for c := range p {
		a := float64(gamma[c]) * inv[c]
		p[c], q[c] = T(a), T(float64(beta[c])-mean[c]*a)
	}
	affineRows(rows, cols, x, out, p, q, relu)
}

// gradStats returns the batch statistics of x for a gradient op: those
// the forward op saved of x in this run, or, without them, computed again.
func gradStats[T float32 | float64](st *NormState, sv *normSaved, sc *normScratch[T], rows, cols int, x []T) (mean, inv []float64) {
	if mean, inv, ok := savedStats(sv, x); ok && st.Training {
		return mean, inv
	}
	return batchStats(st, sc, rows, cols, x, false)
}

// gradColumnSums returns columnSums(dy, x, mean), the sums both gradient
// ops of a training batch norm need: computed by the first of them to run
// and saved for the other when the statistics are the forward's. They are
// kept in sc, which the op that computes them owns.
func gradColumnSums[T float32 | float64](sv *normSaved, sc *normScratch[T], rows, cols int, x, dy []T, mean []float64) (sd, sdx []float64) {
	_, _, fromForward := savedStats(sv, x)
	fromForward = fromForward && len(dy) == len(x)
	if fromForward && sv.sumsOf == sv.forwards && sv.dy == any(&dy[0]) {
		return sv.sd, sv.sdx
	}
	sd, sdx = columnSums(rows, cols, dy, x, mean, &sc.gradSums)
	if fromForward {
		sv.sumsOf, sv.dy, sv.sd, sv.sdx = sv.forwards, &dy[0], sd, sdx
	}
	return sd, sdx
}

// batchNormGradGamma sets out to ∂L/∂γ = Σ dy x̂ = inv Σ dy (x - μ), per
// column.
func batchNormGradGamma[T float32 | float64](st *NormState, sv *normSaved, sc *normScratch[T], rows, cols int, x, dy, out []T) {
	mean, inv := gradStats(st, sv, sc, rows, cols, x)
	_, sdx := gradColumnSums(sv, sc, rows, cols, x, dy, mean)
	for c := range sdx {
		out[c] = T(sdx[c] * inv[c])
	}
}

// batchNormGradX sets out to ∂L/∂x. In training mode the batch statistics
// depend on x: with a = γ inv, S = Σ dy and SX = Σ dy x̂ per column,
// dx = a dy - a S/n - a x̂ SX/n = a dy + k x + (-a S/n - k μ), where
// k = -a inv SX/n. In evaluation mode dx = a dy.
func batchNormGradX[T float32 | float64](st *NormState, sv *normSaved, sc *normScratch[T], rows, cols int, x, gamma, dy, out []T) {
	n := float64(rows) // the group is a column
	mean, inv := gradStats(st, sv, sc, rows, cols, x)
	p, q, r := sc.coefficients(cols)
	if st.Training {
		sd, sdx := gradColumnSums(sv, sc, rows, cols, x, dy, mean)
		for c := range p {
			a := float64(gamma[c]) * inv[c]
			k := -a * inv[c] * sdx[c] * inv[c] / n
			p[c], q[c], r[c] = T(a), T(k), T(-a*sd[c]/n-k*mean[c])
		}
	} else {
		for c := range p {
			p[c] = T(float64(gamma[c]) * inv[c])
		}
	}
	parallelRows(rows, cols, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vec.Affine2(out[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], x[i*cols:(i+1)*cols], p, q, r)
		}
	})
}

// layerNormForward sets each row of out to γ x̂ + β, x̂ being the row of x
// normalized by its own mean and standard deviation, then, with relu, to
// its ReLU.
func layerNormForward[T float32 | float64](st *NormState, sv *normSaved, rows, cols int, x, gamma, beta, out []T, relu bool) {
	means, invs := zeroed(&sv.mean, rows), zeroed(&sv.inv, rows)
	parallelRows(rows, cols, func(_, lo, hi int) {
		eachRowStats(x, cols, lo, hi, st.Eps, func(i int, mean, inv float64) {
			means[i], invs[i] = mean, inv
			row := out[i*cols : (i+1)*cols]
			vec.ScaleShift(row, x[i*cols:(i+1)*cols], gamma, beta, T(inv), T(-mean*inv))
			if relu {
				reluInto(row, nil, row)
			}
		})
	})
	saveStats(sv, x, means, invs)
}

// layerRowStats calls f(i, mean, inv) for the rows [lo, hi) of x with the
// statistics the forward op saved of x in this run, or, without them,
// computed again (see eachRowStats).
func layerRowStats[T float32 | float64](st *NormState, sv *normSaved, x []T, cols, lo, hi int, f func(i int, mean, inv float64)) {
	means, invs, ok := savedStats(sv, x)
	if !ok || len(means) != len(x)/cols {
		eachRowStats(x, cols, lo, hi, st.Eps, f)
		return
	}
	for i := lo; i < hi; i++ {
		f(i, means[i], invs[i])
	}
}

// layerNormGradGamma sets out to ∂L/∂γ = Σ dy x̂ over the rows, summed in
// float64 per chunk of rows in parallel.
func layerNormGradGamma[T float32 | float64](st *NormState, sv *normSaved, sc *normScratch[T], rows, cols int, x, dy, out []T) {
	workers := max(1, min(runtime.GOMAXPROCS(0), rows))
	partial := zeroed(&sc.statSums[0], workers*cols)
	chunks := parallelRows(rows, cols, func(chunk, lo, hi int) {
		acc := partial[chunk*cols : (chunk+1)*cols]
		layerRowStats(st, sv, x, cols, lo, hi, func(i int, mean, inv float64) {
			vec.AddNormalized(acc, dy[i*cols:(i+1)*cols], x[i*cols:(i+1)*cols], mean, inv)
		})
	})
	for c := 0; c < cols; c++ {
		var s float64
		for k := 0; k < chunks; k++ {
			s += partial[k*cols+c]
		}
		out[c] = T(s)
	}
}

// layerNormGradX sets out to ∂L/∂x, row by row: with g = dy γ, S = Σ g and
// SX = Σ g x̂ over the row, dx = inv g - inv S/n - x̂ inv SX/n. The sums
// of four rows are taken at once (layerGradSums4), each in the order of
// its row, as eachRowStats takes the statistics.
func layerNormGradX[T float32 | float64](st *NormState, sv *normSaved, rows, cols int, x, gamma, dy, out []T) {
	parallelRows(rows, cols, func(_, lo, hi int) {
		var group [4]layerRow
		g := 0
		layerRowStats(st, sv, x, cols, lo, hi, func(i int, mean, inv float64) {
			group[g] = layerRow{i: i, mean: mean, inv: inv}
			if g++; g == 4 {
				layerGradSums4(x, dy, gamma, cols, &group)
				for _, r := range group {
					layerGradRow(x, dy, gamma, out, cols, r)
				}
				g = 0
			}
		})
		for _, r := range group[:g] {
			r.s, r.sx = layerGradSums(x[r.i*cols:(r.i+1)*cols], dy[r.i*cols:(r.i+1)*cols], gamma, r.mean)
			layerGradRow(x, dy, gamma, out, cols, r)
		}
	})
}

// layerRow is a row of a layer norm's gradient: its index, statistics,
// and the sums S = Σ g and Σ g (x - μ) of g = dy γ.
type layerRow struct {
	i         int
	mean, inv float64
	s, sx     float64
}

// layerGradSums returns Σ g and Σ g (x - mean) over the row, g = dy γ.
func layerGradSums[T float32 | float64](xr, dr, gamma []T, mean float64) (s, sx float64) {
	for c, v := range xr {
		g := float64(float64(dr[c]) * float64(gamma[c])) // rounded (exactly, here): no GOAMD64 level fuses it into s
		s += g
		sx += float64(g * (float64(v) - mean)) // rounded: no GOAMD64 level fuses it
	}
	return s, sx
}

// layerGradSums4 sets the sums of the four rows of group, each with
// layerGradSums' arithmetic in its order: eight chains of dependent
// additions overlap where two would wait on each addition's latency.
func layerGradSums4[T float32 | float64](x, dy, gamma []T, cols int, group *[4]layerRow) {
	row := func(k int) ([]T, []T) {
		i := group[k].i
		return x[i*cols : (i+1)*cols], dy[i*cols : (i+1)*cols]
	}
	x0, d0 := row(0)
	x1, d1 := row(1)
	x2, d2 := row(2)
	x3, d3 := row(3)
	m0, m1, m2, m3 := group[0].mean, group[1].mean, group[2].mean, group[3].mean
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	for c := range x0[:cols] {
		gc := float64(gamma[c])
		g0, g1, g2, g3 := float64(float64(d0[c])*gc), float64(float64(d1[c])*gc), float64(float64(d2[c])*gc), float64(float64(d3[c])*gc)
		s0, s1, s2, s3 = s0+g0, s1+g1, s2+g2, s3+g3
		q0 += float64(g0 * (float64(x0[c]) - m0)) // each rounded, as in layerGradSums
		q1 += float64(g1 * (float64(x1[c]) - m1))
		q2 += float64(g2 * (float64(x2[c]) - m2))
		q3 += float64(g3 * (float64(x3[c]) - m3))
	}
	for k, sums := range [4][2]float64{{s0, q0}, {s1, q1}, {s2, q2}, {s3, q3}} {
		group[k].s, group[k].sx = sums[0], sums[1]
	}
}

// layerGradRow writes row r of ∂L/∂x from its sums.
func layerGradRow[T float32 | float64](x, dy, gamma, out []T, cols int, r layerRow) {
	n := float64(cols) // the group is a row
	xr, dr, or := x[r.i*cols:(r.i+1)*cols], dy[r.i*cols:(r.i+1)*cols], out[r.i*cols:(r.i+1)*cols]
	sx := r.sx * r.inv
	k := -r.inv * r.inv * sx / n
	vec.LayerGrad(or, dr, xr, gamma, T(r.inv), T(k), T(-r.inv*r.s/n-k*r.mean))
}
