package graph

import (
	"math"
	"math/rand/v2"
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
