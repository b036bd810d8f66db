package graph

import (
	"errors"
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Handoff is a stop in a machine's run, at a node of its graph: the
// machine runs up to the node, hands the node's value out (Out) and stops;
// resumed, it goes on with the value handed in (In) as the value of the
// handoff's own node. A model split across graphs joins them so within
// one training step: a network's machine runs its forward pass to its
// output and stops, another machine computes the loss and its gradient
// with respect to that output, and the first resumes with that gradient
// as the seed of its backward pass ([Backprop]). Two networks that meet
// only in the loss (the separable critic's two embeddings) can then run
// each on a core of its own.
//
// The machine stops by the handoff's op returning an error, which
// gorgonia's tape machine (v0.9.18, vm_tape.go) returns from RunAll
// leaving its program counter at the op; RunAll again runs the op once
// more, which then yields In, and the rest of the program. The values are
// copied, Out when the machine stops and In when it resumes, so neither
// aliases a machine's memory.
type Handoff struct {
	// Out holds the node's value from the machine's last stop.
	Out *tensor.Dense
	// In is the value the handoff's node takes when the machine resumes:
	// write it between Stop and Resume.
	In *tensor.Dense
	op *handoffOp
}

// errHandedOff is what the handoff's op returns to stop the machine.
var errHandedOff = errors.New("stopped at a handoff")

// NewHandoff returns a handoff at x, a float32 or float64 matrix or
// tensor, and the handoff's node: a node of x's shape and type whose value
// is In. No gradient flows from the node to x: use it as the gradient
// seed of x's backward pass, Backprop(G.Nodes{x}, G.Nodes{node}, ...).
func NewHandoff(x *G.Node) (*Handoff, *G.Node, error) {
	if x == nil {
		return nil, nil, errors.New("graph.NewHandoff: nil node")
	}
	dt, ok := x.Dtype(), false
	switch dt {
	case tensor.Float32, tensor.Float64:
		ok = true
	}
	if !ok || x.Shape().TotalSize() == 0 {
		return nil, nil, fmt.Errorf("graph.NewHandoff: %v is not a float32 or float64 tensor", x)
	}
	shape := x.Shape().Clone()
	h := &Handoff{
		Out: tensor.New(tensor.Of(dt), tensor.WithShape(shape...)),
		In:  tensor.New(tensor.Of(dt), tensor.WithShape(shape...)),
	}
	h.op = &handoffOp{h: h, dims: shape.Dims()}
	n, err := G.ApplyOp(h.op, x)
	if err != nil {
		return nil, nil, err
	}
	return h, n, nil
}

// Stop runs vm, a machine over the handoff's graph at the start of its
// program, up to the handoff, and leaves Out holding the node's value.
// It fails when the run fails before the handoff, or ends without
// reaching it.
func (h *Handoff) Stop(vm G.VM) error {
	h.op.state = handoffRunning
	err := vm.RunAll()
	if h.op.state == handoffStopped {
		return nil
	}
	h.op.state = handoffIdle
	if err != nil {
		return err
	}
	return errors.New("graph: the machine ran to its end without reaching its handoff")
}

// SetIn copies v, a dense tensor of In's type and size that is not a
// view, into In.
func (h *Handoff) SetIn(v G.Value) error {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != h.In.Dtype() || d.Shape().TotalSize() != h.In.Shape().TotalSize() || d.IsView() || d.RequiresIterator() {
		return fmt.Errorf("graph: the value handed in is not a plain %v tensor of %v values", h.In.Dtype(), h.In.Shape().TotalSize())
	}
	copyDense(h.In, d)
	return nil
}

// Abandon forgets a stop at the handoff: after the machine is Reset
// instead of resumed, only Stop may run it again.
func (h *Handoff) Abandon() { h.op.state = handoffIdle }

// Resume runs vm, stopped at the handoff by Stop, from there to the end
// of its program, with In as the value of the handoff's node.
func (h *Handoff) Resume(vm G.VM) error {
	if h.op.state != handoffStopped {
		return errors.New("graph: Resume without a Stop at the handoff")
	}
	h.op.state = handoffResuming
	err := vm.RunAll()
	h.op.state = handoffIdle
	return err
}

// Handoff op states: where the machine stands with respect to the op.
const (
	handoffIdle     = iota // not run by Stop or Resume: the op fails
	handoffRunning         // Stop runs the machine: the op stops it
	handoffStopped         // stopped at the op
	handoffResuming        // Resume runs the machine: the op yields In
)

// handoffOp is the op of a Handoff's node.
type handoffOp struct {
	customOp
	h     *Handoff
	dims  int
	state int
}

func (op *handoffOp) Arity() int { return 1 }

func (op *handoffOp) Type() hm.Type {
	t := G.TensorType{Dims: op.dims, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (op *handoffOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != 1 {
		return nil, fmt.Errorf("%s: got %d inputs, want 1", op, len(ns))
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok || !s.Eq(op.h.In.Shape()) {
		return nil, fmt.Errorf("%s: input %v is not of shape %v", op, ns[0], op.h.In.Shape())
	}
	return s.Clone(), nil
}

func (op *handoffOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s%p", op, op) }
func (op *handoffOp) Hashcode() uint32      { return hashcode(op) }
func (op *handoffOp) String() string        { return "Handoff" }

// Do copies its input into Out and stops the machine when Stop runs it,
// and returns a copy of In when Resume does.
func (op *handoffOp) Do(vals ...G.Value) (G.Value, error) {
	switch op.state {
	case handoffRunning:
		if len(vals) != 1 {
			return nil, fmt.Errorf("%s: got %d inputs, want 1", op, len(vals))
		}
		x, ok := vals[0].(*tensor.Dense)
		if !ok || x.Dtype() != op.h.Out.Dtype() || !x.Shape().Eq(op.h.Out.Shape()) || x.RequiresIterator() {
			return nil, fmt.Errorf("%s: want one contiguous input of shape %v", op, op.h.Out.Shape())
		}
		copyDense(op.h.Out, x)
		op.state = handoffStopped
		return nil, errHandedOff
	case handoffResuming:
		out := op.out.get(op.h.In.Dtype(), op.h.In.Shape())
		copyDense(out, op.h.In)
		return out, nil
	}
	return nil, fmt.Errorf("%s: the machine reached a handoff outside Handoff.Stop and Resume", op)
}

// copyDense copies src's values into dst, two dense tensors of one type
// and size.
func copyDense(dst, src *tensor.Dense) {
	switch dst.Dtype() {
	case tensor.Float32:
		copy(dst.Float32s(), src.Float32s())
	default:
		copy(dst.Float64s(), src.Float64s())
	}
}

// DiffWRT says no gradient flows through the op to its input.
func (op *handoffOp) DiffWRT(inputs int) []bool { return []bool{false} }

// SymDiff is never called: the op is differentiable in nothing.
func (op *handoffOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%s: no gradient flows through a handoff", op)
}
