package architectures

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/infomax/infomax/internal/graph"
	"github.com/infomax/infomax/internal/hugepage"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dtype is the element type of every model parameter and activation.
var Dtype = tensor.Float32

// Init draws initial parameter values from its own seeded source, so that
// the same seed always gives the same network.
type Init struct {
	rng *rand.Rand
}

// NewInit returns an initializer seeded with seed.
func NewInit(seed uint64) *Init {
	return &Init{rng: rand.New(rand.NewPCG(seed, 0x1f2e3d4c5b6a7988))}
}

// Uniform returns a learnable node of the given shape in g whose entries are
// drawn uniformly from [-bound, bound].
func (in *Init) Uniform(g *G.ExprGraph, name string, bound float64, shape ...int) *G.Node {
	return in.node(g, name, shape, func() float32 { return float32((float64(2*in.rng.Float64()) - 1) * bound) })
}

// Constant returns a learnable node of the given shape filled with v.
func (in *Init) Constant(g *G.ExprGraph, name string, v float64, shape ...int) *G.Node {
	return in.node(g, name, shape, func() float32 { return float32(v) })
}

// Float64 returns the next number in [0, 1) from the initializer's source.
func (in *Init) Float64() float64 { return in.rng.Float64() }

// node returns a learnable node of the given shape whose entries, in
// row-major order, are successive values of next.
func (in *Init) node(g *G.ExprGraph, name string, shape []int, next func() float32) *G.Node {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := hugepage.Float32s(n)
	for i := range data {
		data[i] = next()
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, Dtype, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

// Linear is a fully connected layer: x W + b.
type Linear struct {
	W *G.Node // (in, out)
	B *G.Node // (out), nil without bias
}

// NewLinear builds a Linear layer from in to out units into g, initialized
// as PyTorch's nn.Linear is: uniform in ±1/sqrt(in).
func NewLinear(g *G.ExprGraph, init *Init, name string, in, out int, bias bool) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("linear layer %s: sizes %d -> %d must be positive", name, in, out)
	}
	bound := 1 / math.Sqrt(float64(in))
	l := &Linear{W: init.Uniform(g, name+".w", bound, in, out)}
	if bias {
		l.B = init.Uniform(g, name+".b", bound, out)
	}
	return l, nil
}

// Forward applies the layer to x of shape (n, in), giving (n, out).
func (l *Linear) Forward(x *G.Node) (*G.Node, error) {
	y, err := graph.MatMul(x, l.W)
	if err != nil {
		return nil, err
	}
	return addBias(y, l.B)
}

// Learnables returns the layer's parameters.
func (l *Linear) Learnables() G.Nodes { return weightsAndBias(l.W, l.B) }

// addBias returns y + b, b added to every row of y, or y when b is nil:
// graph.AddBias, gorgonia's broadcast addition bit for bit.
func addBias(y, b *G.Node) (*G.Node, error) {
	if b == nil {
		return y, nil
	}
	return graph.AddBias(y, b)
}

// weightsAndBias returns a layer's parameters: w, then b unless it is nil.
func weightsAndBias(w, b *G.Node) G.Nodes {
	if b == nil {
		return G.Nodes{w}
	}
	return G.Nodes{w, b}
}

// MLP is a stack of Linear layers with ReLU between them and none after the
// last.
type MLP struct {
	Layers []*Linear
}

// NewMLP builds an MLP with the given layer sizes, sizes[0] being the input:
// NewMLP(g, init, "f", 20, 256, 256, 32) has two hidden layers of 256.
func NewMLP(g *G.ExprGraph, init *Init, name string, sizes ...int) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp %s needs at least an input and an output size", name)
	}
	m := &MLP{}
	for i := 0; i+1 < len(sizes); i++ {
		l, err := NewLinear(g, init, fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], true)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// Forward applies the MLP to x of shape (n, sizes[0]).
func (m *MLP) Forward(x *G.Node) (*G.Node, error) {
	var err error
	for i, l := range m.Layers {
		if x, err = l.Forward(x); err != nil {
			return nil, err
		}
		if i+1 < len(m.Layers) {
			if x, err = graph.Rectify(x); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

// Learnables returns every layer's parameters.
func (m *MLP) Learnables() G.Nodes {
	var ns G.Nodes
	for _, l := range m.Layers {
		ns = append(ns, l.Learnables()...)
	}
	return ns
}

// Scalar returns the value of a scalar node (a 0-d value, or a tensor of
// one element) as a float64, after a graph run.
func Scalar(n *G.Node) (float64, error) {
	v := n.Value()
	if v == nil {
		return 0, fmt.Errorf("node %s has no value", n.Name())
	}
	switch d := v.Data().(type) {
	case float32:
		return float64(d), nil
	case float64:
		return d, nil
	case []float32:
		if len(d) == 1 {
			return float64(d[0]), nil
		}
	case []float64:
		if len(d) == 1 {
			return d[0], nil
		}
	}
	return 0, fmt.Errorf("node %s holds %T of shape %v, want a scalar", n.Name(), v.Data(), v.Shape())
}
