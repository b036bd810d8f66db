package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// bruteKth and bruteCount are the k-d tree's queries by brute force.
func bruteKth(pts []float64, dim, self, k int) float64 {
	q := pts[self*dim : (self+1)*dim]
	var ds []float64
	for j := 0; j < len(pts)/dim; j++ {
		if j != self {
			ds = append(ds, maxDistanceBelow(pts[j*dim:(j+1)*dim], q, math.Inf(1)))
		}
	}
	slices.Sort(ds)
	return ds[k-1]
}

func bruteCount(pts []float64, dim, self int, r float64) int {
	q := pts[self*dim : (self+1)*dim]
	c := 0
	for j := 0; j < len(pts)/dim; j++ {
		if j != self && maxDistanceBelow(pts[j*dim:(j+1)*dim], q, math.Inf(1)) < r {
			c++
		}
	}
	return c
}

// TestKDTreeMatchesBruteForce checks both queries of the tree against brute
// force on continuous points and on points on a coarse integer grid (many
// ties, and distances equal to the radius), in 1, 3, 7 and kdMaxDim+2 dimensions (where the tree is one leaf).
func TestKDTreeMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 3, 7, kdMaxDim + 2} {
		for _, grid := range []bool{false, true} {
			n := 300
			pts := make([]float64, n*dim)
			for i := range pts {
				pts[i] = rng.NormFloat64()
				if grid {
					pts[i] = math.Round(2 * pts[i])
				}
			}
			tree := newKDTree(pts, dim)
			for self := 0; self < n; self += 7 {
				q := pts[self*dim : (self+1)*dim]
				for _, k := range []int{1, 4, 10} {
					if got, want := tree.kthDistance(q, self, k), bruteKth(pts, dim, self, k); got != want {
						t.Fatalf("dim %d grid %v point %d: %d-th distance %v, brute force %v", dim, grid, self, k, got, want)
					}
				}
				for _, r := range []float64{0, 0.5, 1, 1.7, 3} {
					if got, want := tree.countWithin(q, self, r), bruteCount(pts, dim, self, r); got != want {
						t.Fatalf("dim %d grid %v point %d: %d within %v, brute force %d", dim, grid, self, got, r, want)
					}
				}
			}
		}
	}
}

// TestKSGGaussianOneNat is the check: on a 2-D Gaussian (x and y
// scalar) with 1 nat, KSG is within 0.05 at N = 10,000. (KSG's bias there
// is about 0.01 nats and its standard deviation about 0.01.)
func TestKSGGaussianOneNat(t *testing.T) {
	rho := math.Sqrt(-math.Expm1(-2))
	got, err := KSG{K: 10}.Estimate(gaussianPairs(rand.New(rand.NewPCG(3, 4)), 10000, 1, rho))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-1) > 0.05 {
		t.Errorf("KSG = %.4f, want 1 ± 0.05", got)
	}
}

// TestKSGIndependentAndDeterministic checks that independent variables give
// an estimate near 0, and that the estimate does not depend on the number
// of goroutines.
func TestKSGIndependentAndDeterministic(t *testing.T) {
	s := gaussianPairs(rand.New(rand.NewPCG(5, 6)), 3000, 3, 0)
	e := KSG{K: 5}
	got, err := e.Estimate(s)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got) > 0.05 {
		t.Errorf("KSG on independent 3+3 dimensions = %.4f, want 0 ± 0.05", got)
	}
	prev := runtime.GOMAXPROCS(1)
	one, err := e.Estimate(s)
	runtime.GOMAXPROCS(4)
	four, err2 := e.Estimate(s)
	runtime.GOMAXPROCS(prev)
	if err != nil || err2 != nil || one != got || four != got {
		t.Errorf("KSG with 1 and 4 goroutines: %v, %v (errors %v, %v); with %d: %v", one, four, err, err2, prev, got)
	}
	if _, err := (KSG{K: 10}).Estimate(Sample{N: 10, DimX: 1, DimY: 1, X: make([]float64, 10), Y: make([]float64, 10)}); err == nil {
		t.Error("KSG with k = 10 on 10 pairs gave no error")
	}
}

// BenchmarkKSG measures one KSG estimate (k = 10) of N = 10,000 Gaussian
// pairs at several sizes of x and y; one op is one estimate.
func BenchmarkKSG(b *testing.B) {
	for _, d := range []int{1, 5, 25} {
		s := gaussianPairs(rand.New(rand.NewPCG(1, 2)), 10000, d, 0.5)
		b.Run(fmt.Sprintf("N=10000/dim=%dx%d", d, d), func(b *testing.B) {
			for b.Loop() {
				if _, err := (KSG{K: 10}).Estimate(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
