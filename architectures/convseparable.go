package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

func init() {
	RegisterPairCritic(PairCriticInfo{
		Name: "separable-conv",
		Summary: "g(x)ᵀh(y) on images: g and h each 5x5 stride-2 convolutions (conv_channels, 64 and 128 unless set), " +
			"then an MLP (the convolutional critic of a reimplementation of Song and Ermon's tests, made separable)",
		New:    newSeparableConvCritic,
		Images: true,
		NewApart: func(gx, gy *G.ExprGraph, spec CriticSpec) (Embedder, error) {
			return NewSeparableConvCriticApart(gx, gy, spec.initializer(), spec)
		},
	})
}

// DefaultConvChannels returns the output channels of [ConvEmbedding]'s
// convolutions where a spec leaves them out, 64 and 128: those of the
// convolutional critic of a reimplementation of Song and Ermon's
// self-consistency tests (../shared/reference/mi-benchmarks.md).
func DefaultConvChannels() []int { return []int{64, 128} }

// The geometry of each of ConvEmbedding's convolutions: ConvKernel²,
// stride 2, padded by 2, so that each halves the side of the map (32, 16,
// 8, ...; a side s becomes ⌈s/2⌉).
const (
	ConvKernel          = 5
	convStride, convPad = 2, 2
)

// ConvOutSide returns the side of the map one of ConvEmbedding's
// convolutions makes of a map of the given side: ⌈side/2⌉.
func ConvOutSide(side int) int { return (side+2*convPad-ConvKernel)/convStride + 1 }

// ConvEmbedding embeds images: convolutions of [ConvKernel]² with stride
// 2, each followed by a ReLU, then an MLP on the last map, as the critic
// of a reimplementation of Song and Ermon's tests has it (two
// convolutions of 64 and 128 channels, a fully connected layer of 1024
// units). Its input is a batch of images
// flattened in NCHW order, a matrix (n, C*Side*Side).
type ConvEmbedding struct {
	// Convs are the convolutions, in order.
	Convs []*Conv2D
	// Head is the MLP on the last map, flattened (in row layout, NHWC).
	Head *MLP
	// C and Side are the input images' channels and side.
	C, Side int
}

// NewConvEmbedding builds a ConvEmbedding into g, with weights drawn from
// init: convolutions from c channels to each of channels in turn, then an
// MLP of layers hidden layers of hidden units and out outputs.
func NewConvEmbedding(g *G.ExprGraph, init *Init, name string, c, side int, channels []int, hidden, layers, out int) (*ConvEmbedding, error) {
	e := &ConvEmbedding{C: c, Side: side}
	in, s := c, side
	for i, ch := range channels {
		conv, err := NewConv2D(g, init, fmt.Sprintf("%s.conv%d", name, i), in, ch, ConvKernel, convStride, convPad, true)
		if err != nil {
			return nil, err
		}
		e.Convs = append(e.Convs, conv)
		in, s = ch, conv.OutSize(s)
	}
	head, err := NewMLP(g, init, name+".fc", mlpSizes(s*s*in, hidden, layers, out)...)
	if err != nil {
		return nil, err
	}
	e.Head = head
	return e, nil
}

// Forward embeds x, a matrix (n, C*Side*Side) of images in NCHW order,
// and returns the embeddings, (n, out).
func (e *ConvEmbedding) Forward(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 2 || s[1] != e.C*e.Side*e.Side {
		return nil, fmt.Errorf("conv embedding: input of shape %v, want (n, %d) for images of %d channels of %dx%d", s, e.C*e.Side*e.Side, e.C, e.Side, e.Side)
	}
	n := s[0]
	img, err := G.Reshape(x, tensor.Shape{n, e.C, e.Side, e.Side})
	if err != nil {
		return nil, err
	}
	side := e.Side
	var rows *G.Node
	for i, conv := range e.Convs {
		geom := graph.ImageGeom{N: n, H: side, W: side, C: conv.In}
		in := rows
		if i == 0 {
			geom.NCHW, in = true, img
		}
		if rows, err = conv.apply(in, geom, true); err != nil {
			return nil, err
		}
		side = conv.OutSize(side)
	}
	if rows == nil { // no convolution: the MLP reads the pixels
		return e.Head.Forward(x)
	}
	flat, err := G.Reshape(rows, tensor.Shape{n, side * side * rows.Shape()[1]})
	if err != nil {
		return nil, err
	}
	return e.Head.Forward(flat)
}

// Learnables returns the convolutions' parameters, then the MLP's.
func (e *ConvEmbedding) Learnables() G.Nodes {
	var ns G.Nodes
	for _, c := range e.Convs {
		ns = append(ns, c.Learnables()...)
	}
	return append(ns, e.Head.Learnables()...)
}

// NewSeparableConvCritic builds a [SeparableCritic] on images whose
// embeddings are convolutional into g, with weights drawn from init:
// f(x, y) = g(x)ᵀh(y) with g and h ConvEmbeddings of spec.Channels
// (DefaultConvChannels where empty), then spec.Layers hidden layers of
// spec.Hidden units and spec.Embed outputs. x and y are images of
// spec.ImageSide² pixels in each of DimX/ImageSide² and DimY/ImageSide²
// channels, flattened in NCHW order.
//
// That reimplementation's critic scores the concatenated pair with one
// such network, so a batch of n pairs runs n² pairings through the
// convolutions; this one runs its 2n images through them once each.
func NewSeparableConvCritic(g *G.ExprGraph, init *Init, spec CriticSpec) (*SeparableCritic, error) {
	return NewSeparableConvCriticApart(g, g, init, spec)
}

// NewSeparableConvCriticApart builds the critic NewSeparableConvCritic
// does, with g, the embedding of x, into graph gx and h, the embedding of
// y, into gy.
func NewSeparableConvCriticApart(gx, gy *G.ExprGraph, init *Init, spec CriticSpec) (*SeparableCritic, error) {
	if err := spec.ValidateImages(); err != nil {
		return nil, fmt.Errorf("separable-conv critic: %w", err)
	}
	channels := spec.Channels
	if len(channels) == 0 {
		channels = DefaultConvChannels()
	}
	plane := spec.ImageSide * spec.ImageSide
	g, err := NewConvEmbedding(gx, init, "sepconv.g", spec.DimX/plane, spec.ImageSide, channels, spec.Hidden, spec.Layers, spec.Embed)
	if err != nil {
		return nil, err
	}
	h, err := NewConvEmbedding(gy, init, "sepconv.h", spec.DimY/plane, spec.ImageSide, channels, spec.Hidden, spec.Layers, spec.Embed)
	if err != nil {
		return nil, err
	}
	return &SeparableCritic{G: g, H: h}, nil
}

func newSeparableConvCritic(g *G.ExprGraph, spec CriticSpec) (PairCritic, error) {
	return NewSeparableConvCritic(g, spec.initializer(), spec)
}
