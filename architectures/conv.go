package architectures

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

// Conv2D is a 2-D convolution whose result is kept in row layout: a matrix
// of shape (N*OH*OW, Cout) whose row n*OH*OW + h*OW + w holds every output
// channel at location (h, w) of image n (NHWC order, flattened). Batch
// norm, ReLU, 1x1 convolutions and the next convolution all work on that
// layout directly, so no transposes are paid between layers; images in
// NCHW are accepted at the input ([Conv2D.Forward]) and produced only on
// request ([RowsToNCHW]).
//
// The product is im2col ([graph.Im2Col], an op that copies each location's
// patch, in (KH, KW, Cin) order) times the weight matrix.
type Conv2D struct {
	// W is the weight matrix of shape (K*K*Cin, Cout): row (i*K + j)*Cin + c
	// is input channel c at kernel offset (i, j).
	W *G.Node
	// B is the bias of shape (Cout), nil without bias.
	B *G.Node
	// In, Out, Kernel, Stride and Pad are the layer's sizes.
	In, Out, Kernel, Stride, Pad int
}

// NewConv2D builds a square convolution from in to out channels into g,
// initialized as PyTorch's nn.Conv2d is: uniform in ±1/sqrt(in*kernel²).
func NewConv2D(g *G.ExprGraph, init *Init, name string, in, out, kernel, stride, pad int, bias bool) (*Conv2D, error) {
	if in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || pad < 0 {
		return nil, fmt.Errorf("conv layer %s: channels %d -> %d, kernel %d, stride %d, pad %d: sizes must be positive (pad non-negative)",
			name, in, out, kernel, stride, pad)
	}
	fanIn := in * kernel * kernel
	bound := 1 / math.Sqrt(float64(fanIn))
	c := &Conv2D{W: init.Uniform(g, name+".w", bound, fanIn, out), In: in, Out: out, Kernel: kernel, Stride: stride, Pad: pad}
	if bias {
		c.B = init.Uniform(g, name+".b", bound, out)
	}
	return c, nil
}

// OutSize returns the output height or width for an input of size n.
func (c *Conv2D) OutSize(n int) int { return (n+2*c.Pad-c.Kernel)/c.Stride + 1 }

// Forward convolves images x of shape (N, In, H, W) and returns the result
// in row layout, shape (N*OH*OW, Out), with OH and OW from
// [Conv2D.OutSize].
func (c *Conv2D) Forward(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[1] != c.In {
		return nil, fmt.Errorf("conv layer: input of shape %v, want (N, %d, H, W)", s, c.In)
	}
	return c.apply(x, graph.ImageGeom{N: s[0], H: s[2], W: s[3], C: c.In, NCHW: true}, false)
}

// ForwardReLU is graph.ReLU of Forward, bit for bit, with the bias and the
// ReLU as one op (graph.AddBiasReLU) where the layer has a bias.
func (c *Conv2D) ForwardReLU(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[1] != c.In {
		return nil, fmt.Errorf("conv layer: input of shape %v, want (N, %d, H, W)", s, c.In)
	}
	return c.apply(x, graph.ImageGeom{N: s[0], H: s[2], W: s[3], C: c.In, NCHW: true}, true)
}

// ForwardRows convolves a map in row layout, rows of shape (n*h*w, In), and
// returns the result in row layout, shape (n*OH*OW, Out).
func (c *Conv2D) ForwardRows(rows *G.Node, n, h, w int) (*G.Node, error) {
	s := rows.Shape()
	if s.Dims() != 2 || s[0] != n*h*w || s[1] != c.In {
		return nil, fmt.Errorf("conv layer: rows of shape %v, want (%d*%d*%d, %d)", s, n, h, w, c.In)
	}
	return c.apply(rows, graph.ImageGeom{N: n, H: h, W: w, C: c.In}, false)
}

func (c *Conv2D) apply(x *G.Node, geom graph.ImageGeom, relu bool) (*G.Node, error) {
	geom.K, geom.Stride, geom.Pad = c.Kernel, c.Stride, c.Pad
	geom.OH, geom.OW = c.OutSize(geom.H), c.OutSize(geom.W)
	if geom.N <= 0 || geom.OH <= 0 || geom.OW <= 0 {
		return nil, fmt.Errorf("conv layer: %d images of %dx%d do not fit the %dx%d kernel", geom.N, geom.H, geom.W, c.Kernel, c.Kernel)
	}
	y, err := graph.Conv(x, c.W, geom)
	switch {
	case err != nil:
		return nil, err
	case relu && c.B != nil:
		return graph.AddBiasReLU(y, c.B)
	case relu:
		return graph.ReLU(y)
	}
	return addBias(y, c.B)
}

// Learnables returns the weights, then the bias if any.
func (c *Conv2D) Learnables() G.Nodes { return weightsAndBias(c.W, c.B) }

// RowsToNCHW turns a row-layout map of shape (n*h*w, c) into an NCHW tensor
// of shape (n, c, h, w).
func RowsToNCHW(rows *G.Node, n, h, w int) (*G.Node, error) {
	s := rows.Shape()
	if s.Dims() != 2 || s[0] != n*h*w {
		return nil, fmt.Errorf("rows of shape %v do not hold %d images of %dx%d", s, n, h, w)
	}
	r, err := G.Reshape(rows, tensor.Shape{n, h, w, s[1]})
	if err != nil {
		return nil, err
	}
	return graph.Transpose(r, 0, 3, 1, 2)
}

// NCHWToRows turns an NCHW tensor of shape (n, c, h, w) into row layout,
// shape (n*h*w, c).
func NCHWToRows(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 {
		return nil, fmt.Errorf("tensor of shape %v is not NCHW", s)
	}
	t, err := graph.Transpose(x, 0, 2, 3, 1)
	if err != nil {
		return nil, err
	}
	return G.Reshape(t, tensor.Shape{s[0] * s[2] * s[3], s[1]})
}
