package architectures

import (
	"math"
	"slices"
	"testing"
)

// reversedRows returns the n rows of data, width wide, in reverse order.
func reversedRows(data []float32, n, width int) []float32 {
	out := make([]float32, 0, len(data))
	for i := n - 1; i >= 0; i-- {
		out = append(out, data[i*width:(i+1)*width]...)
	}
	return out
}

// TestEveryVectorCriticScoresEveryPairing holds every registered pair
// critic of vectors, a new one too, to PairCritic's contract: Scores is
// the (n, n) matrix of finite T(x_j, y_i), row i for y_i and column j for
// x_j (reversing the x rows reverses the columns, reversing the y rows
// the rows), and the critic has parameters to learn.
func TestEveryVectorCriticScoresEveryPairing(t *testing.T) {
	n, spec := 4, CriticSpec{DimX: 3, DimY: 2, Hidden: 5, Layers: 1, Embed: 3, Seed: 9}
	xs, ys := pairBatch(4, n, spec.DimX, spec.DimY)
	for _, name := range VectorCriticNames() {
		c, s := runScores(t, name, spec, n, xs, ys)
		if len(c.Learnables()) == 0 {
			t.Errorf("critic %q: no Learnables", name)
		}
		if slices.ContainsFunc(s, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
			t.Errorf("critic %q: scores %v are not all finite", name, s)
		}
		_, sx := runScores(t, name, spec, n, reversedRows(xs, n, spec.DimX), ys)
		_, sy := runScores(t, name, spec, n, xs, reversedRows(ys, n, spec.DimY))
		for i := range n {
			for j := range n {
				if d := math.Abs(sx[i*n+n-1-j] - s[i*n+j]); d > 1e-5 {
					t.Fatalf("critic %q: reversing the x rows moved entry [%d][%d] by %g, not to column %d: columns are for x", name, i, j, d, n-1-j)
				}
				if d := math.Abs(sy[(n-1-i)*n+j] - s[i*n+j]); d > 1e-5 {
					t.Fatalf("critic %q: reversing the y rows moved entry [%d][%d] by %g, not to row %d: rows are for y", name, i, j, d, n-1-i)
				}
			}
		}
	}
}
