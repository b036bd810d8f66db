package bmi

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/infomax/infomax/internal/registry"
)

// The families of distributions a problem draws from.
const (
	// Dense is a Gaussian over (x, y) in which every pair of the M+N
	// coordinates has the correlation rho (default 0.5), BMI's
	// multinormal-dense.
	Dense = "dense"
	// Sparse is a Gaussian in which only the first pairs (default 2)
	// coordinates interact, xᵢ with yᵢ at correlation rho (default 0.8),
	// and every other coordinate is independent: BMI's 2-pair multinormal.
	Sparse = "sparse"
	// Student is a multivariate Student-t over (x, y) with dof degrees of
	// freedom and a dense dispersion matrix of correlation rho (default 0,
	// the identity), BMI's student-identity.
	Student = "student"
	// Uniform is x ~ U(0, 1)^M and y = x + n, n ~ U(-eps, eps)^M (M = N),
	// BMI's additive-noise task.
	Uniform = "uniform"
)

// familyParams lists each family's parameters with their defaults; NaN
// marks a parameter that the problem must give.
var familyParams = map[string]map[string]float64{
	Dense:   {"rho": 0.5},
	Sparse:  {"pairs": 2, "rho": 0.8},
	Student: {"dof": math.NaN(), "rho": 0},
	Uniform: {"eps": math.NaN()},
}

// Problem is a distribution of (x, y) with a known MI, parsed from a
// problem string (see [ParseProblem]).
type Problem struct {
	// Family is Dense, Sparse, Student or Uniform; DimX and DimY are the
	// sizes of x and y.
	Family     string
	DimX, DimY int
	// Rho, Pairs, Dof and Eps are the family's parameters (see the
	// families); the others are 0.
	Rho   float64
	Pairs int
	Dof   float64
	Eps   float64
	// Transforms are applied to x and to y, in order, after sampling.
	Transforms []string
}

// ParseProblem reads a problem string,
//
//	<family>-<M>x<N>[-<param><value>...][+<transform>...]
//
// such as "dense-5x5", "sparse-3x3+normal-cdf+spiral",
// "student-2x2-dof1+asinh" or "uniform-1x1-eps0.1": a family (dense,
// sparse, student, uniform), the sizes M of x and N of y, the family's
// parameters (rho, pairs, dof, eps; see the families for their defaults)
// and MI-preserving transforms (the registered ones: normal-cdf,
// half-cube, asinh and spiral ship; see [RegisterTransform]), applied in
// order to x and to y. It checks every value, and the error
// says what to write instead.
func ParseProblem(s string) (Problem, error) {
	parts := strings.Split(s, "+")
	fields := strings.Split(parts[0], "-")
	p := Problem{Family: fields[0], Transforms: parts[1:]}
	params, ok := familyParams[p.Family]
	if !ok {
		return p, fmt.Errorf("%s (a problem is <family>-<M>x<N>[-<param><value>...][+<transform>...], such as \"student-2x2-dof1+asinh\")",
			registry.UnknownError("family", p.Family, slices.Sorted(maps.Keys(familyParams))))
	}
	if len(fields) < 2 {
		return p, fmt.Errorf("family %s needs the sizes of x and y, as in %s-2x2", p.Family, p.Family)
	}
	var err error
	if p.DimX, p.DimY, err = parseDims(fields[1]); err != nil {
		return p, err
	}
	values, err := parseParams(p.Family, params, fields[2:])
	if err != nil {
		return p, err
	}
	p.Rho, p.Dof, p.Eps = values["rho"], values["dof"], values["eps"]
	if pairs := values["pairs"]; pairs != math.Trunc(pairs) || math.Abs(pairs) > 1e6 {
		return p, fmt.Errorf("pairs = %g: the number of interacting pairs must be a whole number", pairs)
	}
	p.Pairs = int(values["pairs"])
	if err := p.check(); err != nil {
		return p, err
	}
	for i, name := range p.Transforms {
		if err := checkTransform(name, p, i); err != nil {
			return p, err
		}
	}
	return p, nil
}

// parseDims reads "<M>x<N>".
func parseDims(s string) (m, n int, err error) {
	ms, ns, ok := strings.Cut(s, "x")
	m, errM := strconv.Atoi(ms)
	n, errN := strconv.Atoi(ns)
	if !ok || errM != nil || errN != nil || m < 1 || n < 1 {
		return 0, 0, fmt.Errorf("%q is not the sizes of x and y: write <M>x<N> with M, N at least 1, such as 3x3", s)
	}
	return m, n, nil
}

// maxDof is the largest dof of a Student problem.
const maxDof = 1e9

// minDof is the smallest dof of a Student problem. Draw divides a
// Gaussian by √(χ²/ν), and a χ² draw of ν degrees of freedom underflows
// float64 (below about 10⁻³⁰⁸) with probability about 10^(-154ν): 3% of
// draws at ν = 0.01, whose samples hold ±Inf (and so NaN once
// standardized, which a run records as its estimator diverging), and
// 4·10⁻¹⁶ at ν = 0.1.
const minDof = 0.1

// minEps is the smallest eps of a uniform problem, 13.1 nats a coordinate.
// The neural estimators train on the standardized sample in float32, whose
// values near the largest (about 1.7) are 1.2·10⁻⁷ apart: the noise's
// width, 2·eps over a standard deviation of about 0.29, spans some 58 of
// them at 10⁻⁶, and ever fewer below, until y rounds to x and the data no
// longer carry the stated MI (in float64 too, below about 10⁻¹⁶).
const minEps = 1e-6

// parseParams reads the family's parameters, such as "dof3" and "rho0.5",
// over their defaults; a parameter without a default must be given.
func parseParams(family string, params map[string]float64, fields []string) (map[string]float64, error) {
	known := slices.Sorted(maps.Keys(params))
	values := map[string]float64{}
	for _, f := range fields {
		name := f[:len(f)-len(strings.TrimLeftFunc(f, unicode.IsLetter))]
		if _, ok := params[name]; !ok {
			return nil, fmt.Errorf("family %s has no parameter %q in %q (it takes %s, each followed by its value, as in %s2)",
				family, name, f, strings.Join(known, ", "), known[0])
		}
		v, err := strconv.ParseFloat(f[len(name):], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q: %s needs a number right after it, as in %s2", f, name, name)
		}
		if _, dup := values[name]; dup {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		values[name] = v
	}
	for _, name := range known {
		if _, ok := values[name]; ok {
			continue
		}
		if math.IsNaN(params[name]) {
			return nil, fmt.Errorf("family %s needs %s, as in %s-2x2-%s%s", family, name, family, name, example[name])
		}
		values[name] = params[name]
	}
	return values, nil
}

// example is a typical value of each parameter that must be given, for
// error messages.
var example = map[string]string{"dof": "3", "eps": "0.1"}

// check reports a family parameter out of its range.
func (p Problem) check() error {
	switch p.Family {
	case Dense:
		if !(p.Rho > 0 && p.Rho < 1) {
			return fmt.Errorf("rho = %g: the dense correlation must be above 0 and below 1", p.Rho)
		}
	case Sparse:
		if p.Pairs < 1 {
			return fmt.Errorf("pairs = %d: at least one pair must interact", p.Pairs)
		}
		if p.DimX < p.Pairs || p.DimY < p.Pairs {
			return fmt.Errorf("sparse-%dx%d is too small for %d interacting pairs: x and y need at least %d dimensions each "+
				"(write sparse-%dx%d, or fewer pairs, as in sparse-%dx%d-pairs%d)",
				p.DimX, p.DimY, p.Pairs, p.Pairs, max(p.DimX, p.Pairs), max(p.DimY, p.Pairs), p.DimX, p.DimY, min(p.DimX, p.DimY))
		}
		if !(p.Rho > 0 && p.Rho < 1) {
			return fmt.Errorf("rho = %g: the pairs' correlation must be above 0 and below 1 (a problem string has no minus sign; -rho has the MI of rho)", p.Rho)
		}
	case Student:
		if !(p.Dof > 0) {
			return fmt.Errorf("dof = %g: the degrees of freedom must be positive, and at least %s (1 is the Cauchy, larger is lighter-tailed)", p.Dof, number(minDof))
		}
		if p.Dof < minDof {
			return fmt.Errorf("dof = %g: at least %g, below which the sampler's χ² draws underflow float64 (3%% of them at 0.01) and the sample holds ±Inf: write dof%s or more", p.Dof, minDof, number(minDof))
		}
		if p.Dof > maxDof {
			return fmt.Errorf("dof = %g: at most %g, where the Student-t's MI exceeds the Gaussian's by about MN/(2ν²) nats (5·10⁻¹⁹ at 1×1): for a Gaussian use the dense family", p.Dof, maxDof)
		}
		if !(p.Rho >= 0 && p.Rho < 1) {
			return fmt.Errorf("rho = %g: the dispersion's correlation must be at least 0 (the identity) and below 1", p.Rho)
		}
	case Uniform:
		if !(p.Eps > 0) {
			return fmt.Errorf("eps = %g: the noise half-width must be positive, and at least %s", p.Eps, number(minEps))
		}
		if p.Eps < minEps {
			return fmt.Errorf("eps = %g: at least %g (%.1f nats a coordinate), below which float32 barely resolves the noise and y rounds towards x, so the data no longer carry the stated MI: write eps%s or more", p.Eps, minEps, UniformNoiseMI(minEps), number(minEps))
		}
		if p.DimX != p.DimY {
			return fmt.Errorf("uniform-%dx%d: y = x + noise needs x and y of one size, as in uniform-%dx%d", p.DimX, p.DimY, p.DimX, p.DimX)
		}
	}
	return nil
}

// String writes the problem in the form ParseProblem reads, with every
// parameter spelled out.
func (p Problem) String() string {
	s := fmt.Sprintf("%s-%dx%d", p.Family, p.DimX, p.DimY)
	switch p.Family {
	case Dense:
		s += "-rho" + number(p.Rho)
	case Sparse:
		s += fmt.Sprintf("-pairs%d-rho%s", p.Pairs, number(p.Rho))
	case Student:
		s += "-dof" + number(p.Dof) + "-rho" + number(p.Rho)
	case Uniform:
		s += "-eps" + number(p.Eps)
	}
	for _, t := range p.Transforms {
		s += "+" + t
	}
	return s
}

// number writes v as a problem string's parameter: in decimals, never with
// an exponent, whose sign ParseProblem would read as a field's dash or a
// transform's plus (1e-05, 1e+09).
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
