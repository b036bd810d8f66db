package consistency

import (
	"math/rand/v2"

	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/train/pair"
)

// whole keeps every row of an image, whatever its height.
const whole = 1 << 30

// part is one image of a side of a view: the first image of a pair or the
// second, with its rows from rows on set to 0.
type part struct {
	second bool
	rows   int
}

// view is what a critic sees of one or two images, a and b: its x and y,
// each the concatenation of parts (as many for x as for y).
type view struct {
	name string
	x, y []part
}

// testView is the view of the test's critic, the ratio's numerator.
func (c *Config) testView() view {
	t := c.Rows
	switch c.Test {
	case TestDataProcessing:
		return view{name: "the critic of [X, X] and [Y, h(Y)]", x: []part{{rows: whole}, {rows: whole}}, y: []part{{rows: t}, {rows: max(t-c.Drop, 0)}}}
	case TestAdditivity:
		return view{name: "the critic of [X1, X2] and [Y1, Y2]", x: []part{{rows: whole}, {second: true, rows: whole}}, y: []part{{rows: t}, {second: true, rows: t}}}
	}
	return view{name: "the critic of X and Y", x: []part{{rows: whole}}, y: []part{{rows: t}}}
}

// referenceView is the view of the reference's critic, the ratio's
// denominator: X and X for the baseline, X and Y otherwise.
func (c *Config) referenceView() view {
	if c.Test == TestBaseline {
		return view{name: "the critic of X and X", x: []part{{rows: whole}}, y: []part{{rows: whole}}}
	}
	return view{name: "the critic of X and Y", x: []part{{rows: whole}}, y: []part{{rows: c.Rows}}}
}

// images returns how many images each side of the view holds.
func (v view) images() int { return len(v.x) }

// twoImages reports whether the view reads a second image.
func (v view) twoImages() bool {
	for _, side := range [][]part{v.x, v.y} {
		for _, p := range side {
			if p.second {
				return true
			}
		}
	}
	return false
}

// load writes the view of images a and b of s into row j of the model's
// batch.
func (v view) load(m *pair.Model, j int, s *data.Set, a, b int) {
	dim := s.Dim() * v.images()
	loadSide(m.X[j*dim:(j+1)*dim], v.x, s, a, b)
	loadSide(m.Y[j*dim:(j+1)*dim], v.y, s, a, b)
}

// loadSide writes parts of images a and b of s side by side into dst, each
// with its rows from part.rows on, in every channel, set to 0.
func loadSide(dst []float32, parts []part, s *data.Set, a, b int) {
	pix := s.Dim()
	for k, p := range parts {
		i := a
		if p.second {
			i = b
		}
		out := dst[k*pix : (k+1)*pix]
		copy(out, s.Images[i*pix:(i+1)*pix])
		keep := min(p.rows, s.H) * s.W
		for ch := range s.C {
			clear(out[ch*s.H*s.W+keep : (ch+1)*s.H*s.W])
		}
	}
}

// drawPair draws the images of a training pair: a at random, and b, for
// a view of two images, another at random.
func drawPair(rng *rand.Rand, n int, two bool) (a, b int) {
	a = rng.IntN(n)
	if !two || n < 2 {
		return a, a
	}
	for b = rng.IntN(n); b == a; b = rng.IntN(n) {
	}
	return a, b
}

// partners pairs each of n images with another, for the estimate of a
// view of two images: image i with partner[i], a random cycle through
// them all, so that no image meets itself.
func partners(rng *rand.Rand, n int) []int {
	order := rng.Perm(n)
	partner := make([]int, n)
	for k, i := range order {
		partner[i] = order[(k+1)%n]
	}
	return partner
}
