package bmi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func mustParse(t *testing.T, s string) Problem {
	t.Helper()
	p, err := ParseProblem(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrueMIMatchesBMI checks the closed forms against the true MI of
// BMI's tasks as its task list gives them, to their two decimals.
func TestTrueMIMatchesBMI(t *testing.T) {
	for _, tc := range []struct {
		problem string
		want    float64
	}{
		{"dense-1x1-rho0.75", 0.41},
		{"uniform-1x1-eps0.1", 1.71},
		{"uniform-1x1-eps0.75", 0.33},
		{"student-1x1-dof1", 0.22},
		{"dense-2x2", 0.29}, {"dense-3x3", 0.41}, {"dense-5x5", 0.59}, {"dense-25x25", 1.29}, {"dense-50x50", 1.62},
		{"sparse-2x2", 1.02}, {"sparse-25x25", 1.02},
		{"student-2x2-dof1", 0.43}, {"student-2x2-dof2", 0.19},
		{"student-3x3-dof2", 0.29}, {"student-3x3-dof3", 0.18},
		{"student-5x5-dof2", 0.45}, {"student-5x5-dof3", 0.30},
	} {
		if got := mustParse(t, tc.problem).TrueMI(); math.Abs(got-tc.want) > 0.005 {
			t.Errorf("%s: true MI %.4f, BMI gives %.2f", tc.problem, got, tc.want)
		}
	}
}

// TestTrueMIAgainstMpmath checks TrueMI on BMI's tasks and a few other
// parameters against an independent computation in mpmath at 40 digits:
// log-determinants of the correlation matrices, the Student-t from BMI's
// own formula I = h(x) + h(y) - h(x, y) with the entropy of Arellano-Valle
// et al. (2013), and the uniform noise by integrating h(y). The Student-t
// values differ by up to 2.2·10⁻¹⁰ (gonum's digamma), the others by
// 2·10⁻¹⁶.
func TestTrueMIAgainstMpmath(t *testing.T) {
	for _, tc := range []struct {
		problem string
		want    float64
	}{
		{"dense-1x1-rho0.75", 0.41333928659223397},
		{"dense-2x2", 0.29389333245105950},
		{"dense-3x3", 0.41333928659223397},
		{"dense-5x5", 0.59281183282886973},
		{"dense-25x25", 1.2921837216593192},
		{"dense-50x50", 1.6242653743036960},
		{"dense-2x5-rho0.3", 0.18893857579466767},
		{"sparse-2x2", 1.0216512475319816},
		{"sparse-3x3", 1.0216512475319816},
		{"sparse-5x5", 1.0216512475319816},
		{"sparse-25x25", 1.0216512475319816},
		{"sparse-5x3-pairs3-rho0.6", 0.66943065394262920},
		{"student-1x1-dof1", 0.22417142752923610},
		{"student-2x2-dof1", 0.43194562200144302},
		{"student-2x2-dof2", 0.19314718055994531},
		{"student-3x3-dof2", 0.29092192268276359},
		{"student-3x3-dof3", 0.17871185309236438},
		{"student-5x5-dof2", 0.44815067691532988},
		{"student-5x5-dof3", 0.29854362265276118},
		{"student-2x3-dof2-rho0.5", 0.58249201660735167},
		{"student-1x2-dof0.5", 0.62368630174498312},
		{"student-4x4-dof15", 0.024286401880338976},
		{"student-2x2-dof100-rho0.3", 0.11996957750958466},
		{"uniform-1x1-eps0.1", 1.7094379124341003},
		{"uniform-1x1-eps0.75", 0.33333333333333333},
		{"uniform-3x3-eps0.3", 2.4324768712979721},
		{"uniform-2x2-eps0.5", 1.0000000000000000},
	} {
		if got := mustParse(t, tc.problem).TrueMI(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: true MI %.17g, mpmath %.17g", tc.problem, got, tc.want)
		}
	}
}

// gaussianMIByLogDet is the MI between the first m coordinates of a
// Gaussian of covariance cov and the rest, ½ (log det Σxx + log det Σyy -
// log det Σ), by Cholesky factorizations.
func gaussianMIByLogDet(t *testing.T, cov *mat.SymDense, m int) float64 {
	t.Helper()
	logDet := func(a mat.Symmetric) float64 {
		var ch mat.Cholesky
		if !ch.Factorize(a) {
			t.Fatalf("covariance not positive definite")
		}
		return ch.LogDet()
	}
	d := cov.SymmetricDim()
	return (logDet(cov.SliceSym(0, m)) + logDet(cov.SliceSym(m, d)) - logDet(cov)) / 2
}

// TestGaussianMIMatchesLogDet checks the closed forms of the dense family
// (from its eigenvalues) and of the sparse one (a sum over its pairs)
// against log-determinants of their covariance matrices.
func TestGaussianMIMatchesLogDet(t *testing.T) {
	for _, problem := range []string{"dense-1x1-rho0.75", "dense-2x3", "dense-5x5-rho0.2", "dense-25x25", "dense-7x1-rho0.9",
		"sparse-2x2", "sparse-5x3-pairs3-rho0.6", "sparse-25x25"} {
		p := mustParse(t, problem)
		d := p.DimX + p.DimY
		cov := mat.NewSymDense(d, nil)
		for i := range d {
			cov.SetSym(i, i, 1)
			for j := i + 1; j < d && p.Family == Dense; j++ {
				cov.SetSym(i, j, p.Rho)
			}
		}
		for i := 0; i < p.Pairs; i++ {
			cov.SetSym(i, p.DimX+i, p.Rho)
		}
		if got, want := p.TrueMI(), gaussianMIByLogDet(t, cov, p.DimX); math.Abs(got-want) > 1e-10 {
			t.Errorf("%s: closed form %.12f, log-determinants %.12f", problem, got, want)
		}
	}
}

// TestBivariateNormalMIByIntegration checks the 1-D Gaussian by numerical
// integration of p log p/(p_x p_y) over [-9, 9]² (midpoint rule, step
// 0.01).
func TestBivariateNormalMIByIntegration(t *testing.T) {
	rho := 0.75
	const h, lim = 0.01, 9.0
	c := 1 / (2 * math.Pi * math.Sqrt(1-rho*rho))
	var sum float64
	for x := -lim + h/2; x < lim; x += h {
		for y := -lim + h/2; y < lim; y += h {
			q := (x*x - 2*rho*x*y + y*y) / (1 - rho*rho)
			p := c * math.Exp(-q/2)
			if p > 0 {
				logRatio := math.Log(p) + math.Log(2*math.Pi) + (x*x+y*y)/2
				sum += p * logRatio * h * h
			}
		}
	}
	if want := mustParse(t, "dense-1x1-rho0.75").TrueMI(); math.Abs(sum-want) > 1e-5 {
		t.Errorf("integration gives %.7f nats, the closed form %.7f", sum, want)
	}
}

// TestUniformNoiseMIByIntegration checks the uniform-noise closed form by
// integrating y's density, the length of [0, 1] ∩ [y-ε, y+ε] over 2ε,
// numerically: I = h(y) - log 2ε.
func TestUniformNoiseMIByIntegration(t *testing.T) {
	for _, eps := range []float64{0.05, 0.1, 0.3, 0.5, 0.75, 2} {
		lo, hi := -eps, 1+eps
		const steps = 200000
		h := (hi - lo) / steps
		var entropy float64
		for i := range steps {
			y := lo + (float64(i)+0.5)*h
			p := (math.Min(1, y+eps) - math.Max(0, y-eps)) / (2 * eps)
			if p > 0 {
				entropy -= p * math.Log(p) * h
			}
		}
		want := entropy - math.Log(2*eps)
		if got := UniformNoiseMI(eps); math.Abs(got-want) > 1e-6 {
			t.Errorf("ε = %g: closed form %.8f, integration %.8f", eps, got, want)
		}
	}
}

// TestStudentMIByMonteCarlo checks the Student-t closed form (the digamma
// correction, and with rho the dispersion's Gaussian part) by Monte Carlo
// on the known densities, E[log p(x,y) - log p(x) - log p(y)], over draws
// of the task's own sampler; each margin of a t is a t with the same ν and
// the block of the dispersion. The tolerance is 4 standard errors.
func TestStudentMIByMonteCarlo(t *testing.T) {
	for _, problem := range []string{"student-1x1-dof1", "student-2x2-dof3", "student-2x3-dof2-rho0.5", "student-1x2-dof0.5"} {
		p := mustParse(t, problem)
		const n = 40000
		s := p.Draw(n, 0, rand.NewPCG(1, 2))
		joint, px, py := studentDensities(t, p)
		var sum, sumSq float64
		row := make([]float64, p.DimX+p.DimY)
		for i := range n {
			copy(row, s.XRow(i))
			copy(row[p.DimX:], s.YRow(i))
			v := joint.LogProb(row) - px.LogProb(s.XRow(i)) - py.LogProb(s.YRow(i))
			sum, sumSq = sum+v, sumSq+v*v
		}
		mean := sum / n
		se := math.Sqrt((sumSq/n - mean*mean) / n)
		t.Logf("%s: Monte Carlo %.4f ± %.4f, closed form %.4f", problem, mean, se, p.TrueMI())
		if want := p.TrueMI(); math.Abs(mean-want) > 4*se {
			t.Errorf("%s: Monte Carlo %.4f ± %.4f, closed form %.4f", problem, mean, se, want)
		}
	}
}

// studentT is the density of a multivariate Student-t with location 0.
type studentT struct {
	nu   float64
	chol mat.Cholesky
	// norm is the log of the normalizing constant.
	norm float64
}

// LogProb returns the log density at z:
//
//	log Γ((ν+d)/2) - log Γ(ν/2) - (d/2) log(νπ) - ½ log det Σ - ((ν+d)/2) log(1 + zᵀΣ⁻¹z/ν).
func (s *studentT) LogProb(z []float64) float64 {
	var w mat.VecDense
	if err := s.chol.SolveVecTo(&w, mat.NewVecDense(len(z), append([]float64(nil), z...))); err != nil {
		panic(err)
	}
	q := mat.Dot(&w, mat.NewVecDense(len(z), z))
	return s.norm - (s.nu+float64(len(z)))/2*math.Log1p(q/s.nu)
}

// studentDensities returns the densities of p's (x, y), x and y.
func studentDensities(t *testing.T, p Problem) (joint, px, py *studentT) {
	t.Helper()
	d := p.DimX + p.DimY
	sigma := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			sigma.SetSym(i, j, p.Rho)
		}
		sigma.SetSym(i, i, 1)
	}
	density := func(s mat.Symmetric) *studentT {
		k := float64(s.SymmetricDim())
		st := &studentT{nu: p.Dof}
		if !st.chol.Factorize(s) {
			t.Fatalf("%v: dispersion not positive definite", p)
		}
		a, _ := math.Lgamma((p.Dof + k) / 2)
		b, _ := math.Lgamma(p.Dof / 2)
		st.norm = a - b - k/2*math.Log(p.Dof*math.Pi) - st.chol.LogDet()/2
		return st
	}
	return density(sigma), density(sigma.SliceSym(0, p.DimX)), density(sigma.SliceSym(p.DimX, d))
}

// TestGaussianSamplersHaveTheirCovariance checks the dense and sparse
// samplers: the sample covariance of 50,000 draws is within 0.03 of the
// covariance the closed forms assume, entry by entry.
func TestGaussianSamplersHaveTheirCovariance(t *testing.T) {
	for _, tc := range []struct {
		problem string
		cov     func(i, j int) float64 // i, j over x then y
	}{
		{"dense-2x3-rho0.5", func(i, j int) float64 { return 0.5 }},
		{"sparse-3x2-rho0.8", func(i, j int) float64 {
			if (i == 0 && j == 3) || (i == 1 && j == 4) {
				return 0.8
			}
			return 0
		}},
	} {
		p := mustParse(t, tc.problem)
		const n = 50000
		s := p.Draw(n, 0, rand.NewPCG(3, 4))
		d := p.DimX + p.DimY
		row := func(i int) []float64 { return append(append([]float64(nil), s.XRow(i)...), s.YRow(i)...) }
		for a := range d {
			for b := a; b < d; b++ {
				var sum float64
				for i := range n {
					r := row(i)
					sum += r[a] * r[b]
				}
				want := tc.cov(a, b)
				if a == b {
					want = 1
				}
				if got := sum / n; math.Abs(got-want) > 0.03 {
					t.Errorf("%s: E[z%d z%d] = %.3f, want %.3f", tc.problem, a, b, got, want)
				}
			}
		}
	}
}

// TestUniformSamplerAddsBoundedNoise checks the uniform family's draws:
// x in [0, 1), y - x in [-ε, ε], and the noise's mean 0 and variance ε²/3
// (the mean tells U(-ε, ε) from U(0, ε), whose second moment is also
// ε²/3; its standard error here is √(0.03/40000) = 0.0009).
func TestUniformSamplerAddsBoundedNoise(t *testing.T) {
	p := mustParse(t, "uniform-2x2-eps0.3")
	s := p.Draw(20000, 0, rand.NewPCG(5, 6))
	var sum, ss float64
	for i, x := range s.X {
		noise := s.Y[i] - x
		if x < 0 || x >= 1 || math.Abs(noise) > 0.3 {
			t.Fatalf("draw %d: x = %g, y - x = %g", i, x, noise)
		}
		sum += noise
		ss += noise * noise
	}
	n := float64(len(s.X))
	if m := sum / n; math.Abs(m) > 0.005 {
		t.Errorf("noise mean %.4f, want 0", m)
	}
	if v := ss/n - (sum/n)*(sum/n); math.Abs(v-0.03) > 0.002 {
		t.Errorf("noise variance %.4f, want 0.09/3 = 0.03", v)
	}
}

// TestSmallestDofDrawsAreFinite checks that at minDof, the smallest dof
// ParseProblem accepts, 100,000 draws of a 2×3 Student-t, spiralled (its
// ‖v‖² overflows first), are all finite and standardize to finite values.
// At dof 0.01, which it refuses, 2,772 of 100,000 coordinates drew ±Inf
// (ten samples of 5,000 pairs of 1×1).
func TestSmallestDofDrawsAreFinite(t *testing.T) {
	p := mustParse(t, fmt.Sprintf("student-2x3-dof%g+spiral", minDof))
	s := p.Draw(100000, DefaultSpiralSpeed, rand.NewPCG(9, 10))
	standardize(s.X, s.DimX)
	standardize(s.Y, s.DimY)
	for i, v := range append(s.X, s.Y...) {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			t.Fatalf("%v: value %d of the standardized sample is %g", p, i, v)
		}
	}
}

// TestStudentCorrectionAgainstMpmath checks StudentCorrection against the
// correction computed by mpmath at 60 digits (loggamma, digamma), from the
// Cauchy to ν = 10⁹, where the four terms' direct sum in float64 has lost
// every digit (it gave -1.9·10⁻⁶ there, a negative MI): to 2·10⁻⁷ of the
// value below ν = 12, where the sum is direct, and 10⁻⁸ from it on, where
// it is the series.
func TestStudentCorrectionAgainstMpmath(t *testing.T) {
	for _, c := range []struct {
		nu   float64
		m, n int
		want float64
	}{
		{1, 1, 1, 0.2241714275292361},
		{2, 2, 2, 0.19314718055994531},
		{3, 3, 3, 0.17871185309236438},
		{5, 1, 2, 0.029360529007397341},
		{12, 1, 1, 0.003269773996919365},
		{30, 5, 5, 0.01070593629253363},
		{200, 1, 1, 1.2458178965955305e-5},
		{1000, 3, 3, 4.4790873908744371e-6},
		{1e5, 1, 1, 4.9999666664166727e-11},
		{1e7, 2, 2, 1.9999994666667867e-14},
		{1e9, 25, 25, 3.1249998479166732e-16},
	} {
		tol := 1e-8
		if c.nu < studentSeriesFrom {
			tol = 2e-7
		}
		if got := StudentCorrection(c.nu, c.m, c.n); math.Abs(got-c.want) > tol*c.want {
			t.Errorf("StudentCorrection(%g, %d, %d) = %.17g, want %.17g (to %g of it)", c.nu, c.m, c.n, got, c.want, tol)
		}
	}
}
