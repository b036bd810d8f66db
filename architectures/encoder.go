package architectures

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// EncoderSpec gives the sizes of the Deep InfoMax encoder for square
// images (the paper's basic32x32 at its default widths).
type EncoderSpec struct {
	// InChannels is 1 for MNIST and 3 for CIFAR and STL.
	InChannels int
	// Size is the image height and width; it must be a multiple of 8
	// (32 in the paper: three stride-2 convolutions give 16, 8 and 4).
	Size int
	// Conv1, Conv2 and Conv3 are the widths of the three 4x4 stride-2
	// convolutions (64, 128, 256). Conv2's output is the local feature map.
	Conv1, Conv2, Conv3 int
	// FC is the width of the fully connected layer (1024); Out is the size
	// of the global code Y (64).
	FC, Out int
	// FirstBN puts batch norm after the first convolution too, as the
	// official basic32x32 config does ("BN, ReLU (no bias when BN)" on
	// every layer). Without it the first convolution has a bias and no BN,
	// as in the paper's table and the PyTorch benchmark in shared/bench.
	FirstBN bool
}

// PaperEncoder returns the paper's encoder for 32x32 images with the given
// number of channels, with batch norm on every layer as the official code.
func PaperEncoder(inChannels int) EncoderSpec {
	return EncoderSpec{InChannels: inChannels, Size: 32, Conv1: 64, Conv2: 128, Conv3: 256, FC: 1024, Out: 64, FirstBN: true}
}

// Validate reports whether the sizes are possible.
func (s EncoderSpec) Validate() error {
	switch {
	case s.InChannels <= 0:
		return fmt.Errorf("encoder: input channels %d must be positive (1 for MNIST, 3 for CIFAR)", s.InChannels)
	case s.Size < 8 || s.Size%8 != 0:
		return fmt.Errorf("encoder: image size %d must be a positive multiple of 8 (32 in the paper)", s.Size)
	case s.Conv1 <= 0 || s.Conv2 <= 0 || s.Conv3 <= 0:
		return fmt.Errorf("encoder: conv widths %d, %d, %d must be positive", s.Conv1, s.Conv2, s.Conv3)
	case s.FC <= 0 || s.Out <= 0:
		return fmt.Errorf("encoder: fc width %d and code size %d must be positive", s.FC, s.Out)
	}
	return nil
}

// LocalSize returns M, the height and width of the local feature map.
func (s EncoderSpec) LocalSize() int { return s.Size / 4 }

// ConvSize returns the height and width of the conv feature map.
func (s EncoderSpec) ConvSize() int { return s.Size / 8 }

// ConvFeatures returns the length of the flattened conv feature map.
func (s EncoderSpec) ConvFeatures() int { return s.Conv3 * s.ConvSize() * s.ConvSize() }

// Encoder is the Deep InfoMax encoder: conv 4x4/2 → conv 4x4/2 (the local
// map) → conv 4x4/2 (the conv features) → flatten → fc (the fc features)
// → linear (the global code Y), with batch norm and ReLU after every layer
// but the last. Layers followed by batch norm have no bias.
type Encoder struct {
	Spec                EncoderSpec
	Conv1, Conv2, Conv3 *Conv2D
	// BN1 is nil unless Spec.FirstBN.
	BN1, BN2, BN3, BN4 *BatchNorm
	FC, Out            *Linear
}

// EncoderOutput holds the feature nodes of one forward pass of a batch of N
// images. Maps are kept in row layout (see [Conv2D]); [EncoderOutput.Local]
// and [EncoderOutput.Conv] add NCHW views to the graph when needed.
type EncoderOutput struct {
	// N is the batch size, M the local map's height and width, S the conv
	// map's.
	N, M, S int
	// LocalRows is the local feature map in row layout, (N*M*M, Conv2):
	// row n*M*M + h*M + w is location (h, w) of image n.
	LocalRows *G.Node
	// ConvRows is the conv feature map in row layout, (N*S*S, Conv3).
	ConvRows *G.Node
	// ConvFlat is the conv map flattened per image, (N, S*S*Conv3), in
	// (h, w, channel) order: a fixed permutation of PyTorch's (channel, h,
	// w) flattening, which the fc layer's weights absorb.
	ConvFlat *G.Node
	// FC is the fc features (N, FC) and Y the global code (N, Out).
	FC, Y *G.Node
}

// Local adds to the graph and returns the local feature map in NCHW,
// (N, Conv2, M, M). The transpose costs time on every run: the critics
// take LocalRows.
func (o *EncoderOutput) Local() (*G.Node, error) { return RowsToNCHW(o.LocalRows, o.N, o.M, o.M) }

// Conv adds to the graph and returns the conv feature map in NCHW,
// (N, Conv3, S, S).
func (o *EncoderOutput) Conv() (*G.Node, error) { return RowsToNCHW(o.ConvRows, o.N, o.S, o.S) }

// NewEncoder validates spec and builds the encoder into g with weights drawn
// from init, in training mode.
func NewEncoder(g *G.ExprGraph, init *Init, spec EncoderSpec) (*Encoder, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	e := &Encoder{Spec: spec}
	var err error
	if e.Conv1, err = NewConv2D(g, init, "enc.conv1", spec.InChannels, spec.Conv1, 4, 2, 1, !spec.FirstBN); err != nil {
		return nil, err
	}
	if spec.FirstBN {
		if e.BN1, err = NewBatchNorm(g, "enc.bn1", spec.Conv1); err != nil {
			return nil, err
		}
	}
	if e.Conv2, err = NewConv2D(g, init, "enc.conv2", spec.Conv1, spec.Conv2, 4, 2, 1, false); err != nil {
		return nil, err
	}
	if e.BN2, err = NewBatchNorm(g, "enc.bn2", spec.Conv2); err != nil {
		return nil, err
	}
	if e.Conv3, err = NewConv2D(g, init, "enc.conv3", spec.Conv2, spec.Conv3, 4, 2, 1, false); err != nil {
		return nil, err
	}
	if e.BN3, err = NewBatchNorm(g, "enc.bn3", spec.Conv3); err != nil {
		return nil, err
	}
	if e.FC, err = NewLinear(g, init, "enc.fc", spec.ConvFeatures(), spec.FC, false); err != nil {
		return nil, err
	}
	if e.BN4, err = NewBatchNorm(g, "enc.bn4", spec.FC); err != nil {
		return nil, err
	}
	if e.Out, err = NewLinear(g, init, "enc.out", spec.FC, spec.Out, true); err != nil {
		return nil, err
	}
	return e, nil
}

// Forward encodes x of shape (N, InChannels, Size, Size). Call it once per
// graph: every call adds layers whose batch norms update the same running
// statistics.
func (e *Encoder) Forward(x *G.Node) (*EncoderOutput, error) {
	s := x.Shape()
	sp := e.Spec
	if s.Dims() != 4 || s[1] != sp.InChannels || s[2] != sp.Size || s[3] != sp.Size {
		return nil, fmt.Errorf("encoder: input of shape %v, want (N, %d, %d, %d)", s, sp.InChannels, sp.Size, sp.Size)
	}
	n := s[0]
	h1 := sp.Size / 2
	out := &EncoderOutput{N: n, M: sp.LocalSize(), S: sp.ConvSize()}
	// Layer 1.
	r, err := e.layer1(x)
	if err != nil {
		return nil, err
	}
	// Layer 2: the local map.
	if out.LocalRows, err = bnReLU(e.Conv2, e.BN2, r, n, h1); err != nil {
		return nil, err
	}
	// Layer 3: the conv features.
	if out.ConvRows, err = bnReLU(e.Conv3, e.BN3, out.LocalRows, n, out.M); err != nil {
		return nil, err
	}
	if out.ConvFlat, err = G.Reshape(out.ConvRows, tensor.Shape{n, sp.ConvFeatures()}); err != nil {
		return nil, err
	}
	// Layer 4: fc.
	if r, err = e.FC.Forward(out.ConvFlat); err != nil {
		return nil, err
	}
	if out.FC, err = e.BN4.ForwardReLU(r); err != nil {
		return nil, err
	}
	if out.Y, err = e.Out.Forward(out.FC); err != nil {
		return nil, err
	}
	return out, nil
}

// bnReLU applies conv, batch norm and ReLU to a row-layout map of n
// images of size x size.
func bnReLU(conv *Conv2D, bn *BatchNorm, rows *G.Node, n, size int) (*G.Node, error) {
	r, err := conv.ForwardRows(rows, n, size, size)
	if err != nil {
		return nil, err
	}
	return bn.ForwardReLU(r)
}

// layer1 is the first convolution, then its batch norm where the encoder
// has one, then ReLU.
func (e *Encoder) layer1(x *G.Node) (*G.Node, error) {
	if e.BN1 == nil {
		return e.Conv1.ForwardReLU(x)
	}
	r, err := e.Conv1.Forward(x)
	if err != nil {
		return nil, err
	}
	return e.BN1.ForwardReLU(r)
}

// BatchNorms returns the encoder's batch-norm layers, first to last.
func (e *Encoder) BatchNorms() []*BatchNorm {
	if e.BN1 == nil {
		return []*BatchNorm{e.BN2, e.BN3, e.BN4}
	}
	return []*BatchNorm{e.BN1, e.BN2, e.BN3, e.BN4}
}

// SetTraining puts every batch-norm layer in training (true) or evaluation
// (false) mode.
func (e *Encoder) SetTraining(training bool) {
	for _, b := range e.BatchNorms() {
		b.SetTraining(training)
	}
}

// Learnables returns every parameter, layer by layer.
func (e *Encoder) Learnables() G.Nodes {
	ns := e.Conv1.Learnables()
	if e.BN1 != nil {
		ns = append(ns, e.BN1.Learnables()...)
	}
	ns = append(ns, e.Conv2.Learnables()...)
	ns = append(ns, e.BN2.Learnables()...)
	ns = append(ns, e.Conv3.Learnables()...)
	ns = append(ns, e.BN3.Learnables()...)
	ns = append(ns, e.FC.Learnables()...)
	ns = append(ns, e.BN4.Learnables()...)
	return append(ns, e.Out.Learnables()...)
}

// CopyFrom copies src's parameter values and batch-norm running statistics
// into e. Both must have been built from the same spec.
func (e *Encoder) CopyFrom(src *Encoder) error {
	if e.Spec != src.Spec {
		return fmt.Errorf("encoder: cannot copy weights between specs %+v and %+v", src.Spec, e.Spec)
	}
	if err := CopyValues(e.Learnables(), src.Learnables()); err != nil {
		return err
	}
	dst, from := e.BatchNorms(), src.BatchNorms()
	for i := range dst {
		mean, variance := from[i].RunningStats()
		if err := dst[i].SetRunningStats(mean, variance); err != nil {
			return err
		}
	}
	return nil
}

// CopyValues copies the value of every node of src into the node of dst at
// the same position; the shapes must match.
func CopyValues(dst, src G.Nodes) error {
	if len(dst) != len(src) {
		return fmt.Errorf("copy values: %d destination nodes for %d sources", len(dst), len(src))
	}
	for i := range dst {
		sv, ok := src[i].Value().(*tensor.Dense)
		if !ok {
			return fmt.Errorf("copy values: %s has no dense value", src[i].Name())
		}
		dv, ok := dst[i].Value().(*tensor.Dense)
		if !ok {
			return fmt.Errorf("copy values: %s has no dense value", dst[i].Name())
		}
		if !sv.Shape().Eq(dv.Shape()) || sv.Dtype() != dv.Dtype() {
			return fmt.Errorf("copy values: %s is %v %v but %s is %v %v", src[i].Name(), sv.Shape(), sv.Dtype(), dst[i].Name(), dv.Shape(), dv.Dtype())
		}
		if err := tensor.Copy(dv, sv); err != nil {
			return fmt.Errorf("copy values: %s: %w", src[i].Name(), err)
		}
	}
	return nil
}
