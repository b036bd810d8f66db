package graph

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// normTestMatrix returns rows × cols values of large magnitude and mixed
// signs around an offset, so that any change in the order of a sum shows
// in its bits.
func normTestMatrix(rows, cols int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(1e3 + rng.NormFloat64()*1e4)
	}
	return x
}

// TestEachRowStatsIsRowStats checks that the four-row statistics give
// every row the bits of rowStats, for row counts with and without a
// remainder of four.
func TestEachRowStatsIsRowStats(t *testing.T) {
	const cols = 37
	for _, rows := range []int{1, 4, 11} {
		x := normTestMatrix(rows, cols, uint64(rows))
		seen := 0
		eachRowStats(x, cols, 0, rows, 1e-5, func(i int, mean, inv float64) {
			wm, wi := rowStats(x[i*cols:(i+1)*cols], 1e-5)
			if i != seen || math.Float64bits(mean) != math.Float64bits(wm) || math.Float64bits(inv) != math.Float64bits(wi) {
				t.Fatalf("%d rows: call %d for row %d: mean %v, inv %v; rowStats %v, %v", rows, seen, i, mean, inv, wm, wi)
			}
			seen++
		})
		if seen != rows {
			t.Fatalf("%d rows: %d calls", rows, seen)
		}
	}
}

// TestRowSumsRoundEachProduct checks the layer norm's row statistics
// and gradient sums against the same sums written out with math.FMA
// ruled out: each product rounded to float64 before it is added, in the
// rows' order. At GOAMD64=v3 (a step of .ci/run) the compiler fuses a
// product into its sum unless the code converts it explicitly; a missing
// conversion there changes the bits and fails this test.
func TestRowSumsRoundEachProduct(t *testing.T) {
	const rows, cols = 64, 101
	x, dy, gamma := normTestMatrix(rows, cols, 6), normTestMatrix(rows, cols, 7), normTestMatrix(1, cols, 8)
	round := func(v float64) float64 { return math.Float64frombits(math.Float64bits(v)) }
	var group [4]layerRow
	eachRowStats(x, cols, 0, rows, 1e-5, func(i int, mean, inv float64) {
		row := x[i*cols : (i+1)*cols]
		var s, q float64
		for _, v := range row {
			s += float64(v)
		}
		m := s / cols
		for _, v := range row {
			d := float64(v) - m
			q += round(d * d)
		}
		if wi := 1 / math.Sqrt(q/cols+1e-5); math.Float64bits(mean) != math.Float64bits(m) || math.Float64bits(inv) != math.Float64bits(wi) {
			t.Fatalf("row %d: mean %v, inv %v; with each product rounded %v, %v", i, mean, inv, m, wi)
		}
		group[i%4] = layerRow{i: i, mean: mean, inv: inv}
		if i%4 != 3 {
			return
		}
		layerGradSums4(x, dy, gamma, cols, &group)
		for _, r := range group {
			var ws, wsx float64
			for c := range cols {
				g := round(float64(dy[r.i*cols+c]) * float64(gamma[c]))
				ws += g
				wsx += round(g * (float64(x[r.i*cols+c]) - r.mean))
			}
			if math.Float64bits(r.s) != math.Float64bits(ws) || math.Float64bits(r.sx) != math.Float64bits(wsx) {
				t.Fatalf("row %d: gradient sums %v, %v; with each product rounded %v, %v", r.i, r.s, r.sx, ws, wsx)
			}
		}
	})
}

// TestNormGradientsUseTheForwardsStatistics checks, for a training batch
// norm and a layer norm, that gradient ops that read their forward op's
// statistics give the bits of gradient ops without a forward op (which
// compute every statistic themselves); that they do read them (after the
// input's first value changes, they differ from those computed afresh);
// and that after their forward ran on another input, or, for a batch norm,
// in evaluation mode, they compute their own again.
func TestNormGradientsUseTheForwardsStatistics(t *testing.T) {
	const rows, cols = 24, 19
	gamma, beta := normTestMatrix(1, cols, 3), normTestMatrix(1, cols, 4)
	dy := normTestMatrix(rows, cols, 5)
	for _, kind := range []NormKind{NormBatch, NormLayer} {
		state := func() *NormState {
			ones := make([]float64, cols)
			for c := range ones {
				ones[c] = 1
			}
			return &NormState{Name: "n", Kind: kind, Channels: cols, Eps: 1e-5, Momentum: 0.1, Training: true,
				RunningMean: make([]float64, cols), RunningVar: ones}
		}
		// grads runs the gradient ops of the forward op fwd (without one
		// when fwd's state is new) on x.
		grads := func(fwd *normOp, x []float32) []float32 {
			dx, dg := make([]float32, rows*cols), make([]float32, cols)
			normCompute(&normOp{st: fwd.st, part: partGradGamma, fwd: fwd}, rows, cols, x, [][]float32{dy}, dg)
			normCompute(&normOp{st: fwd.st, part: partGradX, fwd: fwd}, rows, cols, x, [][]float32{gamma, dy}, dx)
			return append(dx, dg...)
		}
		fresh := func(x []float32) []float32 { return grads(&normOp{st: state()}, x) }
		forward := func(op *normOp, x []float32) {
			normCompute(op, rows, cols, x, [][]float32{gamma, beta}, make([]float32, rows*cols))
		}
		x := normTestMatrix(rows, cols, 7)
		fwd := &normOp{st: state()}
		forward(fwd, x)
		if !equalBits(grads(fwd, x), fresh(x)) {
			t.Errorf("kind %d: the gradients from the forward's statistics differ from those computed afresh", kind)
		}
		x[0] *= 3
		if equalBits(grads(fwd, x), fresh(x)) {
			t.Errorf("kind %d: the gradients computed their statistics again after the forward", kind)
		}
		forward(fwd, normTestMatrix(rows, cols, 8))
		if !equalBits(grads(fwd, x), fresh(x)) {
			t.Errorf("kind %d: after a forward of another input, the gradients used its statistics", kind)
		}
		if kind == NormBatch {
			forward(fwd, x)
			fwd.st.Training = false
			forward(fwd, x) // an evaluation forward: the running statistics
			eval := state()
			eval.Training = false
			copy(eval.RunningMean, fwd.st.RunningMean) // as the training forwards left them
			copy(eval.RunningVar, fwd.st.RunningVar)
			if !equalBits(grads(fwd, x), grads(&normOp{st: eval}, x)) {
				t.Errorf("in evaluation mode, the gradients used the batch statistics of the training forward")
			}
		}
	}
}

// equalBits reports whether a and b hold the same float32 bits.
func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestLayerNormGradXMatchesRowByRow checks layerNormGradX, which takes the
// sums of four rows at once and the rest one by one, against the row by
// row computation it replaced, bit for bit, for row counts that leave 0
// to 3 rows past the groups of four and split across goroutines, with
// statistics saved by a forward run and without.
func TestLayerNormGradXMatchesRowByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, cols := range []int{19, 512} {
		for _, rows := range []int{1, 3, 5, 7, 4101} {
			x, dy, gamma := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, cols)
			for i := range x {
				x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			for i := range gamma {
				gamma[i] = float32(rng.NormFloat64())
			}
			st := &NormState{Name: "ln", Kind: NormLayer, Channels: cols, Eps: 1e-5}
			want := make([]float32, rows*cols)
			n := float64(cols)
			for i := 0; i < rows; i++ {
				xr, dr, or := x[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], want[i*cols:(i+1)*cols]
				mean, inv := rowStats(xr, st.Eps)
				var s, sx float64
				for c, v := range xr {
					g := float64(dr[c]) * float64(gamma[c])
					s += g
					sx += g * (float64(v) - mean)
				}
				sx *= inv
				k := -inv * inv * sx / n
				a, b, kt := float32(inv), float32(-inv*s/n-k*mean), float32(k)
				for c, v := range xr {
					or[c] = float32(float32(a*dr[c])*gamma[c]) + float32(kt*v) + b
				}
			}
			for _, saved := range []bool{false, true} {
				sv := &normSaved{}
				if saved {
					out := make([]float32, rows*cols)
					layerNormForward(st, sv, rows, cols, x, gamma, gamma, out, false)
				}
				got := make([]float32, rows*cols)
				layerNormGradX(st, sv, rows, cols, x, gamma, dy, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("rows %d, cols %d, saved statistics %v: element %d = %v, want %v", rows, cols, saved, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestNormOpsReuseTheirBuffers checks that a norm's ops, run again, keep
// their working memory: the bytes a training run of the forward and both
// gradient ops allocates do not grow with the number of channels (what is
// left is the closures the parallel loops take); and that the reused
// buffers leave the results those of ops run for the first time, on a
// second input as on the first.
func TestNormOpsReuseTheirBuffers(t *testing.T) {
	const rows = 64
	for _, kind := range []NormKind{NormBatch, NormLayer} {
		// setup returns a run of the three ops on x, and its results.
		setup := func(cols int) (run func(x []float32), results func() []float32) {
			ones := make([]float64, cols)
			for c := range ones {
				ones[c] = 1
			}
			st := &NormState{Name: "n", Kind: kind, Channels: cols, Eps: 1e-5, Momentum: 0.1, Training: true,
				RunningMean: make([]float64, cols), RunningVar: ones}
			fwd := &normOp{st: st}
			gx := &normOp{st: st, part: partGradX, fwd: fwd}
			gg := &normOp{st: st, part: partGradGamma, fwd: fwd}
			gamma, beta, dy := normTestMatrix(1, cols, 3), normTestMatrix(1, cols, 4), normTestMatrix(rows, cols, 5)
			y, dx, dg := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, cols)
			in, grad, gradX := [][]float32{gamma, beta}, [][]float32{dy}, [][]float32{gamma, dy}
			run = func(x []float32) {
				normCompute(fwd, rows, cols, x, in, y)
				normCompute(gg, rows, cols, x, grad, dg)
				normCompute(gx, rows, cols, x, gradX, dx)
			}
			return run, func() []float32 { return slices.Concat(y, dx, dg) }
		}
		bytesPerRun := func(cols int) uint64 {
			const runs = 20
			run, _ := setup(cols)
			x := normTestMatrix(rows, cols, 7)
			run(x)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				run(x)
			}
			runtime.ReadMemStats(&after)
			return (after.TotalAlloc - before.TotalAlloc) / runs
		}
		if narrow, wide := bytesPerRun(8), bytesPerRun(1024); wide > narrow+1024 {
			t.Errorf("kind %d: %d bytes allocated a run at 1024 channels against %d at 8: some buffer is made anew each run", kind, wide, narrow)
		}
		const cols = 37
		x1, x2 := normTestMatrix(rows, cols, 7), normTestMatrix(rows, cols, 8)
		once := func(x []float32) []float32 {
			run, results := setup(cols)
			run(x)
			return results()
		}
		reused, results := setup(cols)
		reused(x1)
		if reused(x2); !equalBits(results(), once(x2)) {
			t.Errorf("kind %d: ops run a second time, on another input, differ from ops run once on it", kind)
		}
		if reused(x1); !equalBits(results(), once(x1)) {
			t.Errorf("kind %d: ops run a third time differ from ops run once", kind)
		}
	}
}
