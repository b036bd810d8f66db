package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// PriorDiscriminator is Deep InfoMax's prior-matching discriminator: an
// MLP in→1000→200→1 with ReLU and no batch norm, telling samples of the
// prior (Uniform[0,1]^in) from squashed codes sigmoid(Y).
type PriorDiscriminator struct {
	Net *MLP
}

// NewPriorDiscriminator builds a discriminator on codes of size in with
// hidden widths h1 and h2 (1000 and 200 in the paper) into g.
func NewPriorDiscriminator(g *G.ExprGraph, init *Init, in, h1, h2 int) (*PriorDiscriminator, error) {
	if in <= 0 || h1 <= 0 || h2 <= 0 {
		return nil, fmt.Errorf("prior discriminator: sizes %d -> %d -> %d -> 1 must be positive", in, h1, h2)
	}
	net, err := NewMLP(g, init, "prior", in, h1, h2, 1)
	if err != nil {
		return nil, err
	}
	return &PriorDiscriminator{Net: net}, nil
}

// Forward returns the logits D(z), shape (N), for z of shape (N, in) in
// [0, 1]: prior samples, or [Squash] of the codes. Calling it on several
// inputs in one graph shares the weights.
func (d *PriorDiscriminator) Forward(z *G.Node) (*G.Node, error) {
	s := z.Shape()
	in := d.Net.Layers[0].W.Shape()[0]
	if s.Dims() != 2 || s[1] != in {
		return nil, fmt.Errorf("prior discriminator: input of shape %v, want (N, %d)", s, in)
	}
	out, err := d.Net.Forward(z)
	if err != nil {
		return nil, err
	}
	return G.Reshape(out, []int{s[0]})
}

// Squash maps codes into the prior's support: sigmoid(y).
func Squash(y *G.Node) (*G.Node, error) { return G.Sigmoid(y) }

// Learnables returns the discriminator's parameters.
func (d *PriorDiscriminator) Learnables() G.Nodes { return d.Net.Learnables() }
