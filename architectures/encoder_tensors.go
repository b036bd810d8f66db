package architectures

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/safetensors"
)

// The encoder as named tensors in PyTorch's names and layouts, for a kept
// encoder (encoder.safetensors) that PyTorch loads into a module whose
// layers are conv1, bn1, conv2, bn2, conv3, bn3, fc, bn4 and out:
//
//	conv1.weight  (Conv1, InChannels, 4, 4)    conv1.bias (Conv1), without FirstBN
//	bn1.*         (Conv1), with FirstBN
//	conv2.weight  (Conv2, Conv1, 4, 4)         bn2.* (Conv2)
//	conv3.weight  (Conv3, Conv2, 4, 4)         bn3.* (Conv3)
//	fc.weight     (FC, Conv3*S*S)              bn4.* (FC)
//	out.weight    (Out, FC)                    out.bias (Out)
//
// where bnK.* are weight and bias (γ and β, float32) and running_mean and
// running_var (float64, as the training keeps them, so that a loaded
// encoder computes what the trained one did bit for bit), and fc.weight's
// columns follow PyTorch's flattening of the (Conv3, S, S) map, channel
// first. The convolutions are 4x4, stride 2, padding 1; batch norm's ε is
// 1e-5; ReLU follows every batch norm (and conv1 without FirstBN).

// tensorSlot is one named parameter of the encoder and the permutation
// from its PyTorch layout to this package's: the element at index i of the
// PyTorch tensor is element perm[i] of the node's (nil: the same order).
type tensorSlot struct {
	name  string
	node  *G.Node
	shape []int
	perm  []int
}

// slots returns the encoder's parameters, layer by layer.
func (e *Encoder) slots() []tensorSlot {
	sp := e.Spec
	s := sp.ConvSize()
	var out []tensorSlot
	conv := func(name string, c *Conv2D) {
		out = append(out, tensorSlot{name + ".weight", c.W, []int{c.Out, c.In, c.Kernel, c.Kernel}, pytorchPerm(c.In, c.Kernel, c.Out)})
		if c.B != nil {
			out = append(out, tensorSlot{name + ".bias", c.B, []int{c.Out}, nil})
		}
	}
	bn := func(name string, b *BatchNorm) {
		out = append(out, tensorSlot{name + ".weight", b.Gamma, []int{b.st.Channels}, nil}, tensorSlot{name + ".bias", b.Beta, []int{b.st.Channels}, nil})
	}
	conv("conv1", e.Conv1)
	if e.BN1 != nil {
		bn("bn1", e.BN1)
	}
	conv("conv2", e.Conv2)
	bn("bn2", e.BN2)
	conv("conv3", e.Conv3)
	bn("bn3", e.BN3)
	out = append(out, tensorSlot{"fc.weight", e.FC.W, []int{sp.FC, sp.ConvFeatures()}, pytorchPerm(sp.Conv3, s, sp.FC)})
	bn("bn4", e.BN4)
	out = append(out, tensorSlot{"out.weight", e.Out.W, []int{sp.Out, sp.FC}, pytorchPerm(sp.FC, 1, sp.Out)},
		tensorSlot{"out.bias", e.Out.B, []int{sp.Out}, nil})
	return out
}

// pytorchPerm maps a PyTorch weight of shape (out, c, s, s) to this
// package's (s*s*c, out) matrix: a convolution's kernel (s the kernel's
// side; see [Conv2D]), or a linear layer's weight (out, c*s*s) whose input
// is a (c, s, s) map flattened channel first, where this package flattens
// it channel last (see [EncoderOutput.ConvFlat]); s = 1 is a plain
// transpose.
func pytorchPerm(c, s, out int) []int {
	perm := make([]int, 0, out*c*s*s)
	for f := range out {
		for ch := range c {
			for h := range s {
				for w := range s {
					perm = append(perm, ((h*s+w)*c+ch)*out+f)
				}
			}
		}
	}
	return perm
}

// namedNorms returns the encoder's batch norms with their PyTorch names.
func (e *Encoder) namedNorms() map[string]*BatchNorm {
	m := map[string]*BatchNorm{"bn2": e.BN2, "bn3": e.BN3, "bn4": e.BN4}
	if e.BN1 != nil {
		m["bn1"] = e.BN1
	}
	return m
}

// Tensors returns the encoder's parameters (float32) and batch-norm
// running statistics (float64) by their PyTorch names, in PyTorch's
// layouts (see the table above).
func (e *Encoder) Tensors() (map[string]safetensors.Tensor, error) {
	ts := map[string]safetensors.Tensor{}
	for _, sl := range e.slots() {
		v, ok := sl.node.Value().(*tensor.Dense)
		if !ok || v.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("encoder: %s has no float32 value", sl.node.Name())
		}
		src := v.Float32s()
		dst := slices.Clone(src)
		for i, j := range sl.perm {
			dst[i] = src[j]
		}
		ts[sl.name] = safetensors.Tensor{DType: safetensors.F32, Shape: sl.shape, F32: dst}
	}
	for name, b := range e.namedNorms() {
		mean, variance := b.RunningStats()
		ts[name+".running_mean"] = safetensors.Tensor{DType: safetensors.F64, Shape: []int{len(mean)}, F64: mean}
		ts[name+".running_var"] = safetensors.Tensor{DType: safetensors.F64, Shape: []int{len(variance)}, F64: variance}
	}
	return ts, nil
}

// TensorError is a tensor that [Encoder.SetTensors] cannot load: missing
// (Got is nil) or of another shape than the encoder's.
type TensorError struct {
	Name      string
	Got, Want []int
}

func (e *TensorError) Error() string {
	if e.Got == nil {
		return fmt.Sprintf("no tensor %q (the encoder needs one of shape %v)", e.Name, e.Want)
	}
	return fmt.Sprintf("tensor %q has shape %v, but the encoder needs %v", e.Name, e.Got, e.Want)
}

// TensorShapes returns the names and shapes of the tensors an encoder of
// these sizes has (see the table above), in the order of its layers.
func (s EncoderSpec) TensorShapes() (names []string, shapes [][]int) {
	add := func(name string, shape ...int) {
		names, shapes = append(names, name), append(shapes, shape)
	}
	bn := func(name string, n int) {
		for _, t := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
			add(name+t, n)
		}
	}
	add("conv1.weight", s.Conv1, s.InChannels, 4, 4)
	if s.FirstBN {
		bn("bn1", s.Conv1)
	} else {
		add("conv1.bias", s.Conv1)
	}
	add("conv2.weight", s.Conv2, s.Conv1, 4, 4)
	bn("bn2", s.Conv2)
	add("conv3.weight", s.Conv3, s.Conv2, 4, 4)
	bn("bn3", s.Conv3)
	add("fc.weight", s.FC, s.ConvFeatures())
	bn("bn4", s.FC)
	add("out.weight", s.Out, s.FC)
	add("out.bias", s.Out)
	return names, shapes
}

// CheckTensors returns a *TensorError for the first tensor, in the order
// of the encoder's layers, that ts lacks or holds in another shape than
// an encoder of these sizes needs. Tensors it does not need are ignored.
func (s EncoderSpec) CheckTensors(ts map[string]safetensors.Tensor) error {
	names, shapes := s.TensorShapes()
	for i, name := range names {
		if err := fits(ts, name, shapes[i]); err != nil {
			return err
		}
	}
	return nil
}

// SetTensors sets the encoder's parameters and running statistics from
// tensors named and laid out as [Encoder.Tensors] gives them (float64
// parameters and float32 statistics are converted). A tensor missing or of
// another shape is a *TensorError (see [EncoderSpec.CheckTensors]), and
// then nothing is set.
func (e *Encoder) SetTensors(ts map[string]safetensors.Tensor) error {
	if err := e.Spec.CheckTensors(ts); err != nil {
		return err
	}
	for _, sl := range e.slots() {
		src := ts[sl.name].Float32s()
		dst := sl.node.Value().(*tensor.Dense).Float32s()
		if sl.perm == nil {
			copy(dst, src)
		}
		for i, j := range sl.perm {
			dst[j] = src[i]
		}
	}
	for name, b := range e.namedNorms() {
		if err := b.SetRunningStats(ts[name+".running_mean"].Float64s(), ts[name+".running_var"].Float64s()); err != nil {
			return err
		}
	}
	return nil
}

// fits returns a *TensorError unless ts holds name with the given shape.
func fits(ts map[string]safetensors.Tensor, name string, shape []int) error {
	t, ok := ts[name]
	if !ok {
		return &TensorError{Name: name, Want: shape}
	}
	if !slices.Equal(t.Shape, shape) {
		return &TensorError{Name: name, Got: slices.Clone(t.Shape), Want: shape}
	}
	return nil
}
