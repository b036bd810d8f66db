package probe

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// adam is the Adam optimizer (Kingma & Ba 2015) over the probe's float32
// parameters. It updates their values in place and then zeroes their
// gradients, which gorgonia's tape machine accumulates across runs.
type adam struct {
	lr, beta1, beta2, eps float64
	step                  int
	m, v                  [][]float32
	params                G.Nodes
}

func newAdam(params G.Nodes, lr, beta1, beta2 float64) *adam {
	a := &adam{lr: lr, beta1: beta1, beta2: beta2, eps: 1e-8, params: params}
	for _, p := range params {
		n := p.Shape().TotalSize()
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	return a
}

// update applies one step from the gradients of the last backward pass.
func (a *adam) update() error {
	a.step++
	c1 := 1 - math.Pow(a.beta1, float64(a.step))
	c2 := 1 - math.Pow(a.beta2, float64(a.step))
	b1, b2 := float32(a.beta1), float32(a.beta2)
	// w -= lr * (m/c1) / (sqrt(v/c2) + eps) = stepSize * m / (sqrt(v) + eps*sqrt(c2))
	stepSize := float32(a.lr * math.Sqrt(c2) / c1)
	eps := float32(a.eps * math.Sqrt(c2))
	for i, p := range a.params {
		gv, err := p.Grad()
		if err != nil {
			return fmt.Errorf("probe: parameter %s has no gradient: %w", p.Name(), err)
		}
		w := p.Value().Data().([]float32)
		g := gv.Data().([]float32)
		m, v := a.m[i], a.v[i]
		for j, gj := range g {
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			w[j] -= stepSize * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
		}
		gv.(tensor.Tensor).Zero()
	}
	return nil
}
