package estimators

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMINEMovingAverageGradient runs MINE's graph for three steps on
// different scores and checks, at every step, the moving average that
// Update keeps and the surrogate's gradient against MINE's formula
// -(pos/nPos) + (neg e^s / nNeg) / A_t, with A_t = m A_(t-1) + (1-m) P_t.
//
// It does so for the default momentum 0.9 and for momentum 0, where A_t is
// P_t and every step's gradient is DV's.
func TestMINEMovingAverageGradient(t *testing.T) {
	for _, momentum := range []float64{0.9, 0} {
		checkMINEMovingAverage(t, momentum)
	}
}

// checkMINEMovingAverage is TestMINEMovingAverageGradient for one momentum.
func checkMINEMovingAverage(t *testing.T, momentum float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	for maskName, mask := range testMasks() {
		est := mustNew(t, "mine", Params{"momentum": momentum}).(*MINE)
		if err := est.Update(); err == nil {
			t.Fatalf("%s: Update before any Build and run succeeded", maskName)
		}
		g := G.NewGraph()
		scores := randomScores(rng, mask.Rows*mask.Cols, 2)
		x := newScoresNode(g, scores, mask, tensor.Float64)
		terms, err := est.Build(x, mask)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(terms.Loss, x)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		var average float64
		nPos, nNeg := float64(mask.Count(Positive)), float64(mask.Count(Negative))
		for step := 1; step <= 3; step++ {
			if step > 1 {
				scores = randomScores(rng, mask.Rows*mask.Cols, 2)
				if err := G.Let(x, tensor.New(tensor.WithShape(mask.Rows, mask.Cols), tensor.WithBacking(append([]float64(nil), scores...)))); err != nil {
					t.Fatal(err)
				}
			}
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			var partition float64
			for i, r := range mask.Roles {
				if r == Negative {
					partition += math.Exp(scores[i]) / nNeg
				}
			}
			if step == 1 {
				average = partition
			} else {
				average = momentum*average + (1-momentum)*partition
			}
			grad := floats(grads[0].Value())
			for i, r := range mask.Roles {
				var want float64
				switch r {
				case Positive:
					want = -1 / nPos
				case Negative:
					want = math.Exp(scores[i]) / nNeg / average
				}
				if math.Abs(grad[i]-want) > 1e-12 {
					t.Errorf("momentum %g, %s step %d: d loss/d s[%d] = %.12g, want %.12g", momentum, maskName, step, i, grad[i], want)
				}
			}
			_, wantMI := DV{}.Reference(scores, mask)
			if got := scalarValue(terms.MI.Value()); !close(got, wantMI, 1e-12) {
				t.Errorf("%s step %d: MI %v, want the DV value %v", maskName, step, got, wantMI)
			}
			if err := est.Update(); err != nil {
				t.Fatal(err)
			}
			if got, ok := est.Average(); !ok || !close(got, average, 1e-12) {
				t.Errorf("%s step %d: moving average %v, want %v", maskName, step, got, average)
			}
			vm.Reset()
			if err := est.Update(); err == nil {
				t.Errorf("%s step %d: a second Update without a run succeeded", maskName, step)
			}
		}
		vm.Close()
	}
}

// ranMINE returns a mine estimator whose graph ran once on the float32
// scores of a batch of 3 pairs (row-major, positives on the diagonal),
// before its Update.
func ranMINE(t *testing.T, scores []float64) *MINE {
	t.Helper()
	mask := Diagonal(3)
	est := mustNew(t, "mine", nil).(*MINE)
	g := G.NewGraph()
	if _, err := est.Build(newScoresNode(g, scores, mask, tensor.Float32), mask); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return est
}

// TestMINEAverageIsFloored checks the floor that keeps the denominator of
// the gradient away from zero when every negative score is very low.
func TestMINEAverageIsFloored(t *testing.T) {
	est := ranMINE(t, []float64{0, -30, -30, -30, 0, -30, -30, -30, 0})
	if err := est.Update(); err != nil {
		t.Fatal(err)
	}
	if got, _ := est.Average(); got != mineMinAverage {
		t.Errorf("average %g, want the floor %g", got, mineMinAverage)
	}
}

// TestMINEOverflowIsDivergence checks that a partition term that
// overflowed float32 (negative scores of 100) makes Update return a
// *DivergedError, which the tasks record as a diverged run.
func TestMINEOverflowIsDivergence(t *testing.T) {
	est := ranMINE(t, []float64{0, 100, 100, 100, 0, 100, 100, 100, 0})
	var de *DivergedError
	if err := est.Update(); !errors.As(err, &de) || !strings.Contains(de.Reason, "partition term mean_neg exp(s) of graph 0 is +Inf") {
		t.Fatalf("Update: %v, want a *DivergedError naming the partition term", err)
	}
}

func TestMINEMomentumChecked(t *testing.T) {
	for _, m := range []float64{-0.1, 1, 1.5, math.NaN()} {
		if _, err := New("mine", Params{"momentum": m}); err == nil {
			t.Errorf("momentum %v accepted", m)
		}
	}
}

// TestMINEFloorIsSongErmons checks the value of the floor, not only that
// one is applied: Song & Ermon's mine_lower_bound floors the average at
// 1e-4, so a first partition term of e^-8 (3.4e-4) is kept as it is and
// one of e^-10 (4.5e-5) is raised to exactly 1e-4.
func TestMINEFloorIsSongErmons(t *testing.T) {
	for _, c := range []struct {
		neg, want float64
	}{{-8, math.Exp(-8)}, {-10, 1e-4}} {
		n := c.neg
		est := ranMINE(t, []float64{0, n, n, n, 0, n, n, n, 0})
		if err := est.Update(); err != nil {
			t.Fatal(err)
		}
		// The graph runs in float32: the partition term is e^n to float32's
		// precision.
		if got, _ := est.Average(); math.Abs(got-c.want) > 1e-6*c.want {
			t.Errorf("negative scores %g: average %g, want %g", n, got, c.want)
		}
	}
}

// TestMINEVanishedPartitionIsDivergence checks that a partition term that
// is not a positive number is reported as divergence and not folded into
// the average: 0, which is e^-200 in float32, and NaN, from a NaN score.
// math.Max lets a NaN through the floor, so a NaN average would otherwise
// poison every later step's gradient.
func TestMINEVanishedPartitionIsDivergence(t *testing.T) {
	for _, n := range []float64{-200, math.NaN()} {
		est := ranMINE(t, []float64{0, n, n, n, 0, n, n, n, 0})
		var de *DivergedError
		if err := est.Update(); !errors.As(err, &de) || !strings.Contains(de.Reason, "partition term") {
			t.Errorf("negative scores %g: Update returned %v, want a *DivergedError naming the partition term", n, err)
		}
	}
}
