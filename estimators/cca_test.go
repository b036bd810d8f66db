package estimators

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// withCovariance returns n rows whose sample covariance (divisor n-1) is
// exactly cov: Gaussian rows, centred and whitened by their own Cholesky
// factor, then coloured by cov's.
func withCovariance(t *testing.T, rng *rand.Rand, n int, cov *mat.SymDense) *mat.Dense {
	t.Helper()
	d := cov.SymmetricDim()
	z := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			z.Set(i, j, rng.NormFloat64())
		}
	}
	for j := range d {
		col := mat.Col(nil, j, z)
		var m float64
		for _, v := range col {
			m += v
		}
		m /= float64(n)
		for i := range n {
			z.Set(i, j, z.At(i, j)-m)
		}
	}
	var s mat.SymDense
	s.SymOuterK(1/float64(n-1), z.T())
	var chS, chC mat.Cholesky
	if !chS.Factorize(&s) || !chC.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	var lS, lC, lSInv mat.TriDense
	chS.LTo(&lS)
	chC.LTo(&lC)
	if err := lSInv.InverseTri(&lS); err != nil {
		t.Fatal(err)
	}
	// rows r_i = L_C L_S^-1 z_i, so that cov(r) = L_C L_S^-1 S L_S^-T L_C^T = cov.
	var a, out mat.Dense
	a.Mul(&lC, &lSInv)
	out.Mul(z, a.T())
	return &out
}

// splitSample turns rows (x then y) into a Sample.
func splitSample(rows *mat.Dense, dx int) Sample {
	n, d := rows.Dims()
	s := Sample{N: n, DimX: dx, DimY: d - dx}
	for i := range n {
		r := rows.RawRowView(i)
		s.X = append(s.X, r[:dx]...)
		s.Y = append(s.Y, r[dx:]...)
	}
	return s
}

// TestCCAExactOnGaussianCovariance checks CCA against canonical
// correlations known by construction: x of size 3 and y of size 2 whose
// only cross-covariances are x₀–y₀ (0.8) and x₂–y₁ (-0.5), with the
// coordinates of unit variance and otherwise uncorrelated, so the canonical
// correlations are 0.8 and 0.5 and the MI -½(log 0.36 + log 0.75). The
// sample's covariance is made exactly this, so CCA must return the MI to
// rounding, at any scale and offset of the coordinates.
func TestCCAExactOnGaussianCovariance(t *testing.T) {
	cov := mat.NewSymDense(5, nil)
	for j := range 5 {
		cov.SetSym(j, j, 1)
	}
	cov.SetSym(0, 3, 0.8)
	cov.SetSym(2, 4, -0.5)
	want := -0.5 * (math.Log(1-0.64) + math.Log(1-0.25))
	rng := rand.New(rand.NewPCG(5, 6))
	s := splitSample(withCovariance(t, rng, 200, cov), 3)
	got, err := CCA{}.Estimate(s)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-10 {
		t.Errorf("CCA = %.12f, want %.12f", got, want)
	}
	// An affine map of each coordinate leaves the canonical correlations.
	for i := range s.X {
		s.X[i] = 3*s.X[i] - 7
	}
	for i := range s.Y {
		s.Y[i] = -0.01*s.Y[i] + 100
	}
	if again, err := (CCA{}).Estimate(s); err != nil || math.Abs(again-want) > 1e-9 {
		t.Errorf("CCA after rescaling = %.12f, %v; want %.12f", again, err, want)
	}
}

// TestCCAGaussianSamples checks CCA on plain samples: 2 nats in 4
// dimensions, within 0.05 at N = 5000 (its standard error is about 0.02).
func TestCCAGaussianSamples(t *testing.T) {
	rho := math.Sqrt(-math.Expm1(-2 * 2.0 / 4))
	got, err := CCA{}.Estimate(gaussianPairs(rand.New(rand.NewPCG(7, 8)), 5000, 4, rho))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-2) > 0.05 {
		t.Errorf("CCA = %.4f, want 2 ± 0.05", got)
	}
}

func TestCCAErrors(t *testing.T) {
	few := Sample{N: 3, DimX: 2, DimY: 1, X: make([]float64, 6), Y: make([]float64, 3)}
	if _, err := (CCA{}).Estimate(few); err == nil || !strings.Contains(err.Error(), "more pairs") {
		t.Errorf("3 pairs in 3 dimensions: %v", err)
	}
	flat := gaussianPairs(rand.New(rand.NewPCG(1, 1)), 50, 2, 0.5)
	for i := range flat.N {
		flat.X[2*i+1] = 4 // a constant coordinate
	}
	if _, err := (CCA{}).Estimate(flat); err == nil || !strings.Contains(err.Error(), "singular") {
		t.Errorf("a constant coordinate: %v", err)
	}
}
