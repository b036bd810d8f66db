package architectures

import (
	"fmt"

	"github.com/infomax/infomax/internal/graph"
	G "gorgonia.org/gorgonia"
)

// ForwardWithInputGradient returns the logits D(z), shape (N), and the
// gradient of each logit with respect to its own input row, ∂D(z_n)/∂z_n,
// shape (N, in), for z of shape (N, in).
//
// Gorgonia has no reliable double backpropagation, so the input gradient
// is built from ordinary forward ops, in closed form. With the Linear
// layout (x W + b, W of shape (in, out)), D(z) = relu(relu(z W1 + b1) W2 +
// b2) W3 + b3, and row by row
//
//	∂D/∂z = ((mask2 ⊙ W3ᵀ) W2ᵀ ⊙ mask1) W1ᵀ,
//
// where mask1 and mask2 are the ReLUs' derivatives, the step functions of
// the pre-activations (1 where positive, else 0). The masks are comparison
// ops, which gorgonia does not differentiate: they are constants with
// respect to the parameters, which is exact almost everywhere (a ReLU's
// derivative is piecewise constant). A penalty built on the gradient, such
// as [GradientPenalty], can then be
// differentiated with respect to the parameters by G.Grad.
func (d *PriorDiscriminator) ForwardWithInputGradient(z *G.Node) (logits, grad *G.Node, err error) {
	ls := d.Net.Layers
	if len(ls) != 3 {
		return nil, nil, fmt.Errorf("prior discriminator: the input gradient needs 3 layers, not %d", len(ls))
	}
	s := z.Shape()
	if s.Dims() != 2 || s[1] != ls[0].W.Shape()[0] {
		return nil, nil, fmt.Errorf("prior discriminator: input of shape %v, want (N, %d)", s, ls[0].W.Shape()[0])
	}
	var b opChain
	a1 := b.do(ls[0].Forward, z)
	m1 := b.do(step, a1)
	a2 := b.do(ls[1].Forward, b.do(graph.Rectify, a1))
	m2 := b.do(step, a2)
	out := b.do(ls[2].Forward, b.do(graph.Rectify, a2))
	h2 := ls[2].W.Shape()[0]
	w3 := b.do(func(w *G.Node) (*G.Node, error) { return G.Reshape(w, []int{h2}) }, ls[2].W)
	g2 := b.do2(kept2(func(m, w *G.Node) (*G.Node, error) { return G.BroadcastHadamardProd(m, w, nil, []byte{0}) }), m2, w3)
	g1 := b.do2(kept2(G.HadamardProd), b.do2(graph.MatMul, g2, b.do(transpose, ls[1].W)), m1)
	grad = b.do2(graph.MatMul, g1, b.do(transpose, ls[0].W))
	logits = b.do(func(o *G.Node) (*G.Node, error) { return G.Reshape(o, []int{s[0]}) }, out)
	if b.err != nil {
		return nil, nil, fmt.Errorf("prior discriminator input gradient: %w", b.err)
	}
	return logits, grad, nil
}

// GradientPenalty returns the mean over the batch of the squared L2 norm
// of grad, (N, in): (1/N) Σ_n ‖grad_n‖², for the input gradient of
// [PriorDiscriminator.ForwardWithInputGradient]. This is the official
// DIM's contrastive gradient penalty (Mescheder et al. 2018) before its
// weight.
func GradientPenalty(grad *G.Node) (*G.Node, error) {
	if grad == nil {
		return nil, fmt.Errorf("gradient penalty of a nil gradient")
	}
	return graph.Kept(func(in ...*G.Node) (*G.Node, error) {
		var b opChain
		sq := b.do(G.Square, in[0])
		rows := b.do(func(x *G.Node) (*G.Node, error) { return G.Sum(x, 1) }, sq)
		p := b.do(func(x *G.Node) (*G.Node, error) { return G.Mean(x) }, rows)
		return p, b.err
	}, grad)
}

// kept2 returns op built with graph.Kept: its outputs, and those of its
// gradient, in buffers kept from run to run.
func kept2(op func(a, b *G.Node) (*G.Node, error)) func(a, b *G.Node) (*G.Node, error) {
	return func(a, b *G.Node) (*G.Node, error) {
		return graph.Kept(func(in ...*G.Node) (*G.Node, error) { return op(in[0], in[1]) }, a, b)
	}
}

// step returns the step function of x, 1 where x > 0 and 0 elsewhere, in
// x's type (graph.Step); gorgonia does not differentiate it.
func step(x *G.Node) (*G.Node, error) { return graph.Step(x) }

// transpose is the transpose of a matrix (graph.Transpose).
func transpose(x *G.Node) (*G.Node, error) { return graph.Transpose(x) }

// opChain builds gorgonia nodes one after another and keeps the first
// error: once an op has failed, the later ones are not built and give nil.
type opChain struct{ err error }

// do returns op(x), or nil after an error.
func (o *opChain) do(op func(*G.Node) (*G.Node, error), x *G.Node) *G.Node {
	if o.err != nil {
		return nil
	}
	n, err := op(x)
	o.err = err
	return n
}

// do2 returns op(a, b), or nil after an error.
func (o *opChain) do2(op func(a, b *G.Node) (*G.Node, error), a, b *G.Node) *G.Node {
	if o.err != nil {
		return nil
	}
	n, err := op(a, b)
	o.err = err
	return n
}
