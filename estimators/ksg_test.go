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

// harmonicDigamma returns ψ(n) for a whole n ≥ 1 from its closed form
// -γ + Σ_{j<n} 1/j, independently of the digamma the estimator calls.
func harmonicDigamma(n int) float64 {
	const eulerGamma = 0.57721566490153286060651209008240243104215933593992
	s := -eulerGamma
	for j := 1; j < n; j++ {
		s += 1 / float64(j)
	}
	return s
}

// bruteKSG is Kraskov et al.'s estimator 1 (their Eq. 8) written from the
// paper by brute force: ε_i is the max-norm distance from (x_i, y_i) to
// its k-th nearest other point in the joint space, n_x(i) and n_y(i) count
// the other points strictly closer than ε_i in each marginal space, and
// I = ψ(k) + ψ(N) - mean_i [ψ(n_x(i)+1) + ψ(n_y(i)+1)].
func bruteKSG(s Sample, k int) float64 {
	dist := func(a, b []float64) float64 {
		var d float64
		for j := range a {
			d = math.Max(d, math.Abs(a[j]-b[j]))
		}
		return d
	}
	var sum float64
	for i := range s.N {
		joint := make([]float64, 0, s.N-1)
		for j := range s.N {
			if j != i {
				joint = append(joint, math.Max(dist(s.XRow(i), s.XRow(j)), dist(s.YRow(i), s.YRow(j))))
			}
		}
		slices.Sort(joint)
		eps := joint[k-1]
		var nx, ny int
		for j := range s.N {
			if j == i {
				continue
			}
			if dist(s.XRow(i), s.XRow(j)) < eps {
				nx++
			}
			if dist(s.YRow(i), s.YRow(j)) < eps {
				ny++
			}
		}
		sum += harmonicDigamma(nx+1) + harmonicDigamma(ny+1)
	}
	return harmonicDigamma(k) + harmonicDigamma(s.N) - sum/float64(s.N)
}

// TestKSGMatchesThePapersFormula checks KSG's estimate against bruteKSG,
// an independent O(N²) implementation of Kraskov et al.'s Eq. 8, to 1e-9
// on small correlated samples (gonum's Digamma is good to about 1e-11 at
// whole numbers): the tolerance of the Gaussian tests cannot tell ψ(n)
// from ψ(n+1), nor ψ(N) from ψ(N-1), which differ by 1/n ≥ 1/N here.
// N = 65 puts the last point alone at the start of a block of
// parallelFor, so that a block loop that stops one short shows.
func TestKSGMatchesThePapersFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ n, dx, dy, k int }{{40, 1, 1, 1}, {60, 2, 3, 3}, {65, 3, 1, 10}} {
		s := Sample{N: c.n, DimX: c.dx, DimY: c.dy, X: make([]float64, c.n*c.dx), Y: make([]float64, c.n*c.dy)}
		for i := range s.X {
			s.X[i] = rng.NormFloat64()
		}
		for i := range s.N {
			for j := range c.dy {
				s.Y[i*c.dy+j] = s.X[i*c.dx+j%c.dx] + 0.5*rng.NormFloat64()
			}
		}
		got, err := KSG{K: c.k}.Estimate(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteKSG(s, c.k); math.Abs(got-want) > 1e-9 {
			t.Errorf("N=%d dims %d,%d k=%d: KSG %.15g, the paper's formula %.15g", c.n, c.dx, c.dy, c.k, got, want)
		}
	}
}
