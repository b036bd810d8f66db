package gaussian

import (
	"math"
	"math/rand/v2"
)

// GaussianMI returns the mutual information in nats between x ~ N(0, I_d)
// and y = rho x + sqrt(1-rho²) eps, eps ~ N(0, I_d): each of the d
// coordinate pairs is a bivariate normal with correlation rho, so
// I(x; y) = -(d/2) log(1 - rho²).
func GaussianMI(rho float64, dim int) float64 {
	return -float64(dim) / 2 * math.Log1p(-rho*rho)
}

// RhoForMI returns the correlation rho >= 0 at which GaussianMI(rho, dim) is
// mi: rho = sqrt(1 - exp(-2 mi / d)).
func RhoForMI(mi float64, dim int) float64 {
	return math.Sqrt(-math.Expm1(-2 * mi / float64(dim)))
}

// Staircase is the schedule of true MI values: level k is held for steps
// [k*StepsPerLevel, (k+1)*StepsPerLevel).
type Staircase struct {
	Levels        []float64
	StepsPerLevel int
}

// Steps returns the schedule's length in steps.
func (s Staircase) Steps() int { return len(s.Levels) * s.StepsPerLevel }

// Level returns the index of the level that step (counted from 0) belongs
// to; steps past the end stay on the last level.
func (s Staircase) Level(step int) int {
	return min(step/s.StepsPerLevel, len(s.Levels)-1)
}

// TrueMI returns the target MI in nats at step.
func (s Staircase) TrueMI(step int) float64 { return s.Levels[s.Level(step)] }

// Rho returns the correlation that gives the target MI at step in dim
// dimensions.
func (s Staircase) Rho(step, dim int) float64 { return RhoForMI(s.TrueMI(step), dim) }

// Sampler draws batches of correlated Gaussian pairs from its own seeded
// source.
type Sampler struct {
	dim   int
	cubic bool
	src   *rand.PCG
	rng   *rand.Rand
}

// NewSampler returns a sampler of dim-dimensional pairs seeded with seed.
// With cubic set, it returns y³ in place of y, which leaves the MI
// unchanged since the map is invertible.
func NewSampler(dim int, cubic bool, seed uint64) *Sampler {
	src := rand.NewPCG(seed, 0x6a09e667f3bcc908)
	return &Sampler{dim: dim, cubic: cubic, src: src, rng: rand.New(src)}
}

// MarshalBinary returns the state of the sampler's random source, for a
// checkpoint; it implements encoding.BinaryMarshaler.
func (s *Sampler) MarshalBinary() ([]byte, error) { return s.src.MarshalBinary() }

// UnmarshalBinary restores a state returned by [Sampler.MarshalBinary], so
// that the sampler draws the batches it would have drawn next; it implements
// encoding.BinaryUnmarshaler.
func (s *Sampler) UnmarshalBinary(state []byte) error { return s.src.UnmarshalBinary(state) }

// Sample fills x and y, each holding n rows of dim values in row-major
// order, with n independent pairs: x ~ N(0, I), y = rho x + sqrt(1-rho²)
// eps.
func (s *Sampler) Sample(x, y []float32, rho float64) {
	noise := math.Sqrt(1 - rho*rho)
	for k := range x {
		xv := s.rng.NormFloat64()
		yv := float64(rho*xv) + float64(noise*s.rng.NormFloat64()) // each product rounded: no GOAMD64 level fuses them
		if s.cubic {
			yv = yv * yv * yv
		}
		x[k] = float32(xv)
		y[k] = float32(yv)
	}
}

// The streams derived from a run's seed.
const (
	initStream = 1
	dataStream = 2
)
