package architectures

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/graph"
)

// FeatureExtractor runs a frozen copy of an encoder in evaluation mode
// (batch norm on running statistics) to extract the features probes are
// trained on. It owns its own forward-only graph of a fixed batch size;
// [FeatureExtractor.Sync] copies the source encoder's current weights and
// running statistics into it.
type FeatureExtractor struct {
	src, enc *Encoder
	batch    int
	x        *G.Node
	out      *EncoderOutput
	vm       G.VM
	input    *tensor.Dense
}

// Features are the flattened features of n images, row-major: image i's conv
// features are Conv[i*ConvDim : (i+1)*ConvDim], and so on.
type Features struct {
	N                    int
	ConvDim, FCDim, YDim int
	Conv, FC, Y          []float32
}

// NewFeatureExtractor builds an evaluation-mode copy of src that encodes
// batch images per run, and copies src's weights into it.
func NewFeatureExtractor(src *Encoder, batch int) (*FeatureExtractor, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("feature extractor: batch size %d must be positive", batch)
	}
	if Dtype != tensor.Float32 {
		return nil, fmt.Errorf("feature extractor: only float32 models are supported, not %v", Dtype)
	}
	g := G.NewGraph()
	enc, err := NewEncoder(g, NewInit(0), src.Spec)
	if err != nil {
		return nil, err
	}
	enc.SetTraining(false)
	sp := src.Spec
	f := &FeatureExtractor{src: src, enc: enc, batch: batch,
		input: tensor.New(tensor.Of(Dtype), tensor.WithShape(batch, sp.InChannels, sp.Size, sp.Size))}
	f.x = G.NewTensor(g, Dtype, 4, G.WithShape(batch, sp.InChannels, sp.Size, sp.Size), G.WithName("images"), G.WithValue(f.input))
	if f.out, err = enc.Forward(f.x); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	f.vm = graph.NewTapeMachine(g)
	return f, nil
}

// Sync copies the source encoder's current weights and running statistics.
// It is an error after [FeatureExtractor.Detach].
func (f *FeatureExtractor) Sync() error {
	if f.src == nil {
		return errors.New("feature extractor: Sync after Detach; the source encoder is no longer known")
	}
	return f.enc.CopyFrom(f.src)
}

// Detach drops the extractor's reference to its source encoder, so that the
// source's graph (with a training batch's activations) can be freed while
// the extractor keeps the weights it copied last. Sync is an error after.
func (f *FeatureExtractor) Detach() { f.src = nil }

// Extract encodes n images given as n*C*Size*Size floats in NCHW order.
// Any n works: the images run in batches, the last one padded with zeros
// (harmless, since evaluation-mode batch norm treats images independently).
func (f *FeatureExtractor) Extract(images []float32, n int) (*Features, error) {
	sp := f.enc.Spec
	per := sp.InChannels * sp.Size * sp.Size
	if n < 0 || len(images) != n*per {
		return nil, fmt.Errorf("feature extractor: %d floats for %d images of %dx%dx%d", len(images), n, sp.InChannels, sp.Size, sp.Size)
	}
	ft := &Features{N: n, ConvDim: sp.ConvFeatures(), FCDim: sp.FC, YDim: sp.Out}
	ft.Conv = make([]float32, 0, n*ft.ConvDim)
	ft.FC = make([]float32, 0, n*ft.FCDim)
	ft.Y = make([]float32, 0, n*ft.YDim)
	buf := f.input.Float32s()
	for start := 0; start < n; start += f.batch {
		k := min(f.batch, n-start)
		copy(buf, images[start*per:(start+k)*per])
		clear(buf[k*per:])
		if err := f.vm.RunAll(); err != nil {
			f.vm.Reset()
			return nil, fmt.Errorf("feature extractor: %w", err)
		}
		ft.Conv = append(ft.Conv, f.out.ConvFlat.Value().Data().([]float32)[:k*ft.ConvDim]...)
		ft.FC = append(ft.FC, f.out.FC.Value().Data().([]float32)[:k*ft.FCDim]...)
		ft.Y = append(ft.Y, f.out.Y.Value().Data().([]float32)[:k*ft.YDim]...)
		f.vm.Reset()
	}
	return ft, nil
}

// Close releases the extractor's machine.
func (f *FeatureExtractor) Close() error { return graph.CloseMachine(f.vm) }
