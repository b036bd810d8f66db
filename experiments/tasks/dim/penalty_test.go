package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/infomax/infomax/architectures"
)

// discriminatorRef evaluates the logit of a prior discriminator on one
// input z in float64, from its weights, independently of the graph.
func discriminatorRef(d *architectures.PriorDiscriminator, z []float64) float64 {
	x := z
	for i, l := range d.Net.Layers {
		w := l.W.Value().Data().([]float32)
		b := l.B.Value().Data().([]float32)
		in, out := l.W.Shape()[0], l.W.Shape()[1]
		y := make([]float64, out)
		for o := 0; o < out; o++ {
			y[o] = float64(b[o])
			for k := 0; k < in; k++ {
				y[o] += x[k] * float64(w[k*out+o])
			}
			if i+1 < len(d.Net.Layers) {
				y[o] = max(y[o], 0)
			}
		}
		x = y
	}
	return x[0]
}

// penaltyRef returns the gradient penalty of d on the rows of batch (n,
// dim), the batch mean of ‖∂D(z)/∂z‖², with each partial derivative a
// central finite difference of discriminatorRef.
func penaltyRef(d *architectures.PriorDiscriminator, batch []float32, n, dim int) float64 {
	var sum float64
	for r := 0; r < n; r++ {
		z := make([]float64, dim)
		for k := range z {
			z[k] = float64(batch[r*dim+k])
		}
		for k := range z {
			const h = 1e-6
			orig := z[k]
			z[k] = orig + h
			up := discriminatorRef(d, z)
			z[k] = orig - h
			down := discriminatorRef(d, z)
			z[k] = orig
			g := (up - down) / (2 * h)
			sum += g * g
		}
	}
	return sum / float64(n)
}

// TestDiscriminatorLossAddsTheGradientPenalty checks that, with
// prior_penalty = w, the discriminator's loss is the loss without the
// penalty plus w·½(GP(real) + GP(fake)), GP computed independently from
// finite differences of the discriminator evaluated outside the graph, and
// that prior_penalty = 0 gives the plain GAN loss.
func TestDiscriminatorLossAddsTheGradientPenalty(t *testing.T) {
	const w = 2.5
	losses := map[float64]float64{}
	var m *Model
	for _, penalty := range []float64{0, w} {
		c := tinyConfig()
		c.PriorPenalty = penalty
		rng := rand.New(rand.NewPCG(1, 2))
		m = newNoisyModel(t, c, 1, 7, rng)
		if _, err := m.EncoderStep(); err != nil {
			t.Fatal(err)
		}
		m.SamplePrior(rng)
		loss, err := m.DiscriminatorLoss()
		if err != nil {
			t.Fatal(err)
		}
		losses[penalty] = loss
	}
	c := tinyConfig()
	gp := 0.5 * (penaltyRef(m.Discriminator, m.realValue.Float32s(), c.BatchSize, c.Code) +
		penaltyRef(m.Discriminator, m.fakeValue.Float32s(), c.BatchSize, c.Code))
	if gp <= 0 {
		t.Fatalf("the reference penalty is %v: the test checks nothing", gp)
	}
	got, want := losses[w]-losses[0], w*gp
	if math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
		t.Errorf("the penalty adds %v to the discriminator's loss, want %v·½(GP real + GP fake) = %v", got, w, want)
	}
}
