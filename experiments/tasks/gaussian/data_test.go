package gaussian

import (
	"math"
	"strings"
	"testing"

	"github.com/infomax/infomax/internal/seed"
)

// TestRhoGivesTheTargetMI checks RhoForMI against the closed form
// I = -(d/2) log(1 - rho²) and against values worked out by hand.
func TestRhoGivesTheTargetMI(t *testing.T) {
	for _, d := range []int{1, 5, 20} {
		for _, mi := range []float64{0, 0.5, 2, 4, 10} {
			rho := RhoForMI(mi, d)
			if got := -float64(d) / 2 * math.Log(1-rho*rho); math.Abs(got-mi) > 1e-7*(1+mi) {
				t.Errorf("d=%d, MI %g: rho %g gives MI %g", d, mi, rho, got)
			}
		}
	}
	// d = 1, rho = 0.6: I = -log(0.64)/2.
	if got, want := GaussianMI(0.6, 1), 0.5*math.Log(1/0.64); math.Abs(got-want) > 1e-12 {
		t.Errorf("GaussianMI(0.6, 1) = %v, want %v", got, want)
	}
	// d = 20, 2 nats: rho² = 1 - exp(-0.2).
	if got, want := RhoForMI(2, 20), math.Sqrt(1-math.Exp(-0.2)); math.Abs(got-want) > 1e-12 {
		t.Errorf("RhoForMI(2, 20) = %v, want %v", got, want)
	}
}

func TestStaircaseHoldsEachLevel(t *testing.T) {
	s := Staircase{Levels: []float64{2, 4, 6}, StepsPerLevel: 3}
	if s.Steps() != 9 {
		t.Fatalf("Steps() = %d, want 9", s.Steps())
	}
	want := []float64{2, 2, 2, 4, 4, 4, 6, 6, 6}
	for step, w := range want {
		if got := s.TrueMI(step); got != w {
			t.Errorf("TrueMI(%d) = %g, want %g", step, got, w)
		}
		if got := GaussianMI(s.Rho(step, 20), 20); math.Abs(got-w) > 1e-9 {
			t.Errorf("step %d: the sampled correlation has MI %g, want %g", step, got, w)
		}
	}
}

// TestSamplerMatchesTheDistribution checks the empirical moments of a large
// batch: unit variances, correlation rho within each coordinate pair, none
// across coordinates; and, with cubic, that the cube root of y has the
// same correlation with x.
func TestSamplerMatchesTheDistribution(t *testing.T) {
	const n, d = 40000, 3
	for _, cubic := range []bool{false, true} {
		rho := RhoForMI(2, d)
		s := NewSampler(d, cubic, 7)
		x := make([]float32, n*d)
		y := make([]float32, n*d)
		s.Sample(x, y, rho)
		col := func(v []float32, k int, cube bool) []float64 {
			out := make([]float64, n)
			for i := range out {
				out[i] = float64(v[i*d+k])
				if cube {
					out[i] = math.Cbrt(out[i])
				}
			}
			return out
		}
		// Sampling error of a correlation with n = 40000 is about 0.005.
		const tol = 0.025
		for k := 0; k < d; k++ {
			xk, yk := col(x, k, false), col(y, k, cubic)
			if v := variance(xk); math.Abs(v-1) > tol {
				t.Errorf("cubic=%v: var(x_%d) = %g, want 1", cubic, k, v)
			}
			if v := variance(yk); math.Abs(v-1) > tol {
				t.Errorf("cubic=%v: var(y_%d) = %g, want 1", cubic, k, v)
			}
			if r := correlation(xk, yk); math.Abs(r-rho) > tol {
				t.Errorf("cubic=%v: corr(x_%d, y_%d) = %g, want rho = %g", cubic, k, k, r, rho)
			}
			other := col(y, (k+1)%d, cubic)
			if r := correlation(xk, other); math.Abs(r) > tol {
				t.Errorf("cubic=%v: corr(x_%d, y_%d) = %g, want 0", cubic, k, (k+1)%d, r)
			}
		}
	}
}

func TestSamplerIsSeeded(t *testing.T) {
	draw := func(seed uint64) []float32 {
		x, y := make([]float32, 12), make([]float32, 12)
		NewSampler(4, false, seed).Sample(x, y, 0.5)
		return append(x, y...)
	}
	a, b, c := draw(1), draw(1), draw(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 1 drew different values at %d: %v vs %v", i, a[i], b[i])
		}
	}
	if a[0] == c[0] && a[1] == c[1] {
		t.Errorf("seeds 1 and 2 drew the same values")
	}
	if seed.Derive(5, initStream) == seed.Derive(5, dataStream) {
		t.Errorf("the init and data streams of seed 5 share a seed")
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func variance(v []float64) float64 {
	m, s := mean(v), 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return s / float64(len(v))
}

func correlation(a, b []float64) float64 {
	ma, mb := mean(a), mean(b)
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestSummarizeUsesTheSecondHalfOfEachLevel checks the per-level statistics
// against a hand computation.
func TestSummarizeUsesTheSecondHalfOfEachLevel(t *testing.T) {
	s := Staircase{Levels: []float64{2, 4}, StepsPerLevel: 4}
	// Level 2: second half is {1, 3}; level 4: second half is {5, 5}.
	est := []float64{100, -100, 1, 3, 100, 100, 5, 5}
	got := Summarize(s, est)
	want := map[string]float64{
		"level_2_mean": 2, "level_2_bias": 0, "level_2_variance": 1, "level_2_mse": 1,
		"level_4_mean": 5, "level_4_bias": 1, "level_4_variance": 0, "level_4_mse": 1,
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-12 {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("summary has %d keys, want %d: %v", len(got), len(want), got)
	}
	// An odd level length keeps the later, larger half: 3 steps -> last 2.
	odd := Summarize(Staircase{Levels: []float64{0.5}, StepsPerLevel: 3}, []float64{9, 1, 2})
	if odd["level_0.5_mean"] != 1.5 {
		t.Errorf("odd level: mean %v, want 1.5 over the last two steps", odd["level_0.5_mean"])
	}
}

// TestValidateNamesTheKey checks that each impossible setting is rejected
// with its key in the message.
func TestValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		key    string
		change func(*Config)
	}{
		{"dim", func(c *Config) { c.Dim = 0 }},
		{"batch_size", func(c *Config) { c.BatchSize = 1 }},
		{"mi_levels", func(c *Config) { c.MILevels = nil }},
		{"mi_levels[1]", func(c *Config) { c.MILevels = []float64{2, -1} }},
		{"mi_levels[0]", func(c *Config) { c.MILevels = []float64{1e6} }},
		{"mi_levels[2]", func(c *Config) { c.MILevels = []float64{2, 0.5, 2.0} }},
		{"steps_per_level", func(c *Config) { c.StepsPerLevel = 0 }},
		{"lr", func(c *Config) { c.LR = -1e-3 }},
		{"beta1", func(c *Config) { c.Beta1 = 1 }},
		{"adam_moments", func(c *Config) { c.AdamMoments = "float16" }},
		{"beta2", func(c *Config) { c.Beta2 = -0.5 }},
		{"hidden", func(c *Config) { c.Hidden = 0 }},
		{"layers", func(c *Config) { c.Layers = -1 }},
		{"embed", func(c *Config) { c.Embed = 0 }},
		{"concat_hidden", func(c *Config) { c.ConcatHidden = -1 }},
		{"log_every", func(c *Config) { c.LogEvery = 0 }},
		{"estimator", func(c *Config) { c.Estimator = "no-such-estimator" }},
		{"critic", func(c *Config) { c.Critic = "seperable" }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.change(c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: invalid value accepted", tc.key)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.key+" ") {
			t.Errorf("%s: error %q does not start with the key", tc.key, err)
		}
	}
}

func TestConcatHiddenAppliesToConcatOnly(t *testing.T) {
	c := DefaultConfig()
	c.Hidden, c.ConcatHidden = 256, 64
	if got := c.CriticHidden(); got != 256 {
		t.Errorf("separable critic width %d, want hidden = 256", got)
	}
	c.Critic = "concat"
	if got := c.CriticHidden(); got != 64 {
		t.Errorf("concat critic width %d, want concat_hidden = 64", got)
	}
	c.ConcatHidden = 0
	if got := c.CriticHidden(); got != 256 {
		t.Errorf("concat critic width %d with concat_hidden = 0, want hidden = 256", got)
	}
}
