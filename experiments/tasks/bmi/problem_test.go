package bmi

import (
	"strings"
	"testing"
)

func TestParseProblem(t *testing.T) {
	for _, tc := range []struct {
		in, canonical string
	}{
		{"dense-2x2", "dense-2x2-rho0.5"},
		{"dense-1x1-rho0.75", "dense-1x1-rho0.75"},
		{"sparse-3x3+normal-cdf+spiral", "sparse-3x3-pairs2-rho0.8+normal-cdf+spiral"},
		{"sparse-5x4-rho-0.5", ""}, // "-0.5" is not a value: the dash separates fields
		{"student-2x2-dof1+asinh", "student-2x2-dof1-rho0+asinh"},
		{"student-3x2-rho0.5-dof2.5", "student-3x2-dof2.5-rho0.5"},
		{"uniform-1x1-eps0.1", "uniform-1x1-eps0.1"},
		{"sparse-2x2-pairs1", "sparse-2x2-pairs1-rho0.8"},
		// Values %g would write with an exponent's sign, which reads back
		// as a field's dash or a transform's plus.
		{"dense-1x1-rho0.00001", "dense-1x1-rho0.00001"},
		{"student-1x1-dof1e9", "student-1x1-dof1000000000-rho0"},
		{"uniform-2x2-eps0.00002", "uniform-2x2-eps0.00002"},
	} {
		p, err := ParseProblem(tc.in)
		if tc.canonical == "" {
			if err == nil {
				t.Errorf("ParseProblem(%q) = %v, want an error", tc.in, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseProblem(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.canonical {
			t.Errorf("ParseProblem(%q).String() = %q, want %q", tc.in, got, tc.canonical)
		}
		again, err := ParseProblem(p.String())
		if err != nil || again.String() != p.String() || again.TrueMI() != p.TrueMI() {
			t.Errorf("%q does not read back: %v, %v", p.String(), again, err)
		}
	}
}

// TestParseProblemErrors checks that each bad problem is an error that
// says what is wrong and what to write, among them the three: a
// degrees of freedom at or below 0, a dimension too small for sparse, and a
// transform that does not exist.
func TestParseProblemErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"student-2x2-dof0", "dof = 0: the degrees of freedom must be positive, and at least 0.1 (1 is the Cauchy"},
		{"student-1x1-dof0.01", "dof = 0.01: at least 0.1, below which the sampler's χ² draws underflow float64"},
		{"student-1x1-dof0.09", "the sample holds ±Inf: write dof0.1 or more"},
		{"student-1x1-dof1e10", "dof = 1e+10: at most 1e+09, where the Student-t's MI exceeds the Gaussian's by about MN/(2ν²) nats (5·10⁻¹⁹ at 1×1): for a Gaussian use the dense family"},
		{"student-2x2-dof-1", `"dof": dof needs a number right after it`},
		{"student-2x2", "family student needs dof, as in student-2x2-dof3"},
		{"sparse-1x1", "sparse-1x1 is too small for 2 interacting pairs: x and y need at least 2 dimensions each (write sparse-2x2, or fewer pairs, as in sparse-1x1-pairs1)"},
		{"sparse-3x1-pairs2", "sparse-3x1 is too small"},
		{"sparse-2x2+cube", `unknown transform "cube" (known: asinh, half-cube, `},
		{"sparse-2x2+half-cub", `did you mean "half-cube"?`},
		{"dense-2x2+spiral", "transform spiral needs x of size at least 2 and y of size at least 3, and this problem has 2x2"},
		{"student-2x2-dof2+normal-cdf", "normal-cdf must come first, on a dense, sparse or uniform problem"},
		{"sparse-2x2+half-cube+normal-cdf", "normal-cdf must come first"},
		{"gauss-2x2", `unknown family "gauss" (known: dense, sparse, student, uniform)`},
		{"dense", "family dense needs the sizes of x and y, as in dense-2x2"},
		{"dense-2by2", `"2by2" is not the sizes of x and y`},
		{"dense-0x2", `"0x2" is not the sizes of x and y`},
		{"dense-2x2-rho1", "rho = 1: the dense correlation must be above 0 and below 1"},
		{"dense-2x2-nu3", `family dense has no parameter "nu" in "nu3" (it takes rho`},
		{"dense-2x2-rho0.3-rho0.4", "rho is given twice"},
		{"sparse-3x3-pairs1.5", "pairs = 1.5: the number of interacting pairs must be a whole number"},
		{"uniform-1x2-eps0.1", "uniform-1x2: y = x + noise needs x and y of one size, as in uniform-1x1"},
		{"uniform-1x1-eps0", "eps = 0: the noise half-width must be positive, and at least 0.000001"},
		{"uniform-1x1-eps0.0000001", "eps = 1e-07: at least 1e-06 (13.1 nats a coordinate), below which float32 barely resolves the noise and y rounds towards x, so the data no longer carry the stated MI: write eps0.000001 or more"},
		{"sparse-2x2-rho1", "rho = 1: the pairs' correlation must be above 0 and below 1"},
		{"uniform-1x1", "family uniform needs eps, as in uniform-2x2-eps0.1"},
	} {
		_, err := ParseProblem(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProblem(%q) = %v\nwant an error containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseProblem(%q): the error spans lines: %q", tc.in, err)
		}
	}
	// The smallest values themselves are allowed.
	for _, in := range []string{"student-1x1-dof0.1", "uniform-1x1-eps0.000001"} {
		if _, err := ParseProblem(in); err != nil {
			t.Errorf("ParseProblem(%q), the smallest value allowed: %v", in, err)
		}
	}
}
