package bmi

import (
	"cmp"
	"fmt"
	"math"

	"github.com/infomax/infomax/internal/registry"
)

// DefaultSpiralSpeed is the speed of the spiral transform, BMI's default
// (transform_spiral_task(speed=1.0, normalize_speed=True), which its
// benchmark's spiral tasks use): [Problem.Draw] divides it by the size of
// each side, so that x turns by ‖x‖²/dim x and y by ‖y‖²/dim y, ⅓·‖v‖² at
// 3×3 and ⅕·‖v‖² at 5×5. (BMI's first version turned both sides by ⅓·‖v‖²
// at every size; the figure script of its high-MI study passes 1/3 into
// the normalized version.)
const DefaultSpiralSpeed = 1.0

// Side says which variable a transform is applied to: the spiral turns x
// and y in different planes.
type Side int

// The two sides of a pair.
const (
	SideX Side = iota
	SideY
)

// Transform is an invertible map applied to every draw of x and of y,
// which leaves the MI unchanged (I(f(x); g(y)) = I(x; y) for invertible f
// and g). Forward and Inverse work in place on one draw.
type Transform struct {
	Name    string
	Summary string
	// MinDimX and MinDimY are the smallest sizes of x and y it applies to.
	MinDimX, MinDimY int
	Forward          func(v []float64, side Side, speed float64)
	Inverse          func(v []float64, side Side, speed float64)
}

// transforms holds the registered transforms: each needs both directions,
// a summary and the smallest sizes it applies to.
var transforms = registry.New("transform", func(t Transform) (string, error) {
	return t.Name, cmp.Or(registry.Require(t.Forward != nil && t.Inverse != nil, "Forward and Inverse"),
		registry.RequireSummary(t.Summary), registry.Require(t.MinDimX >= 1 && t.MinDimY >= 1, "MinDimX and MinDimY of at least 1"))
})

// RegisterTransform makes a transform available by name in problem
// strings (dense-3x3+<name>), from an init function, as every plug-in
// registers. It panics on an empty name, a missing direction or summary,
// a MinDimX or MinDimY below 1, or a name registered twice; go test
// ./experiments/tasks/bmi then checks that Inverse undoes Forward on each
// side, at the sizes it needs, which is what keeps the true MI.
func RegisterTransform(t Transform) { transforms.Register(t) }

func init() {
	for _, t := range shippedTransforms {
		RegisterTransform(t)
	}
}

// shippedTransforms are the transforms this package registers.
var shippedTransforms = map[string]Transform{
	"normal-cdf": {
		Name: "normal-cdf", Summary: "Φ, the standard normal CDF, on each coordinate (Gaussian margins become uniform)",
		MinDimX: 1, MinDimY: 1,
		Forward: eachCoordinate(func(v float64) float64 { return 0.5 * math.Erfc(-v/math.Sqrt2) }),
		Inverse: eachCoordinate(func(u float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*u) }),
	},
	"half-cube": {
		Name: "half-cube", Summary: "v·√|v| on each coordinate",
		MinDimX: 1, MinDimY: 1,
		Forward: eachCoordinate(func(v float64) float64 { return v * math.Sqrt(math.Abs(v)) }),
		Inverse: eachCoordinate(func(u float64) float64 { return math.Copysign(math.Cbrt(u*u), u) }),
	},
	"asinh": {
		Name: "asinh", Summary: "asinh on each coordinate (shortens heavy tails to logarithmic ones)",
		MinDimX: 1, MinDimY: 1,
		Forward: eachCoordinate(math.Asinh),
		Inverse: eachCoordinate(math.Sinh),
	},
	"spiral": {
		Name: "spiral", Summary: "BMI's spiral: x turned in the plane of coordinates 0 and 1, y in that of 1 and 2, " +
			"by the angle speed·‖v‖²",
		MinDimX: 2, MinDimY: 3,
		Forward: func(v []float64, side Side, speed float64) { spiral(v, side, speed) },
		Inverse: func(v []float64, side Side, speed float64) { spiral(v, side, -speed) },
	},
}

// eachCoordinate makes a transform that applies f to every coordinate.
func eachCoordinate(f func(float64) float64) func([]float64, Side, float64) {
	return func(v []float64, _ Side, _ float64) {
		for i, x := range v {
			v[i] = f(x)
		}
	}
}

// spiral turns v by the angle speed·‖v‖² in the plane of coordinates 0 and
// 1 for x, 1 and 2 for y: v ↦ exp(speed‖v‖²A) v with A BMI's so(n)
// generator of that plane (A[i][j] = -1, A[j][i] = 1). A turn keeps ‖v‖,
// so the same call with -speed undoes it.
func spiral(v []float64, side Side, speed float64) {
	i := 0
	if side == SideY {
		i = 1
	}
	var r2 float64
	for _, x := range v {
		r2 += float64(x * x) // rounded: no GOAMD64 level fuses it
	}
	sin, cos := math.Sincos(speed * r2)
	a, b := v[i], v[i+1]
	v[i], v[i+1] = float64(cos*a)-float64(sin*b), float64(sin*a)+float64(cos*b) // rounded: no GOAMD64 level fuses them
}

// TransformNames returns the known transforms, sorted.
func TransformNames() []string { return transforms.Names() }

// LookupTransform returns the named transform; an unknown name is an error
// that lists the known ones and suggests the closest.
func LookupTransform(name string) (Transform, error) {
	return transforms.Lookup(name)
}

// checkTransform reports a transform that does not exist or does not apply
// to p's sizes, or the normal CDF where it would lose MI: it is
// invertible, but in float64 Φ(v) rounds to 1 for v above 8.3, which
// Student-t draws and the output of other transforms reach (half-cube maps
// 4.2 there), merging distinct draws. At the head of a Gaussian or uniform
// problem it never comes near (|v| > 8.3 has probability 1e-16 per
// Gaussian coordinate).
func checkTransform(name string, p Problem, position int) error {
	t, err := LookupTransform(name)
	if err != nil {
		return err
	}
	if p.DimX < t.MinDimX || p.DimY < t.MinDimY {
		return fmt.Errorf("transform %s needs x of size at least %d and y of size at least %d, and this problem has %dx%d",
			name, t.MinDimX, t.MinDimY, p.DimX, p.DimY)
	}
	if name == "normal-cdf" && (position > 0 || p.Family == Student) {
		return fmt.Errorf("normal-cdf must come first, on a dense, sparse or uniform problem: in float64 it rounds " +
			"every value above 8.3 to 1, which Student-t tails and other transforms reach, and the rounding loses MI")
	}
	return nil
}
