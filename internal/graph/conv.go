package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/blas"
)

// Conv returns the convolution of the images x with the weights w, of
// shape (K*K*C, out): Im2Col(x, geom) times w, of shape (N*OH*OW, out),
// differentiable in x and w.
//
// Where x is float32 in the rows layout and gorgonia's BLAS is package
// blas's Implementation, it is one op (convOp) whose products read the
// patch matrix straight from the images and whose input gradient adds
// straight back into them (blas.Patches): the patch matrix, 16 MB for
// the encoder's second convolution at batch 64, is never formed, and its
// gradient is never formed whole. The values are the bits of Im2Col and
// MatMul, which Conv builds everywhere else: float64 graphs, the openblas
// and purego builds, and NCHW images (the first convolution's: copied
// into the rows layout first, its three channels made the encoder
// slower, 1-7% in 4 interleaved rounds).
func Conv(x, w *G.Node, geom ImageGeom) (*G.Node, error) {
	if bl, ok := G.WhichBLAS().(patchesBLAS); ok && x.Dtype() == tensor.Float32 && !geom.NCHW && w.Shape().Dims() == 2 {
		return G.ApplyOp(&convOp{geom: geom, part: convForward, bl: bl}, x, w)
	}
	patches, err := Im2Col(x, geom)
	if err != nil {
		return nil, err
	}
	return MatMul(patches, w)
}

// FormsPatches reports whether Conv forms the patch matrix of images in
// the rows layout, as it does where gorgonia's BLAS cannot compute a
// convolution from the images (convOp). Memory estimates count the
// patch matrix only where it is formed.
func FormsPatches() bool {
	_, ok := G.WhichBLAS().(patchesBLAS)
	return !ok
}

// patchesBLAS is the optional ability of a BLAS to compute a
// convolution's products from its images (blas.Implementation has it).
type patchesBLAS interface {
	PatchesProduct(p blas.Patches, w []float32, n int, y []float32) error
	PatchesInputGrad(p blas.Patches, dy, w []float32, n int, dx []float32) error
	PatchesWeightGrad(p blas.Patches, dy []float32, n int, dw []float32) error
}

// convPart says which of a convolution's products a convOp computes.
type convPart uint8

const (
	convForward convPart = iota // y = P·w, inputs (x, w)
	convGradX                   // col2im(dy·wᵀ), inputs (dy, w)
	convGradW                   // Pᵀ·dy, inputs (x, dy)
)

// convOp computes one part of [Conv] through a patchesBLAS.
type convOp struct {
	customOp
	geom ImageGeom
	part convPart
	bl   patchesBLAS
}

func (op *convOp) Arity() int { return 2 }

func (op *convOp) Type() hm.Type {
	m := G.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

// shape returns the op's output shape for weights or gradient of out
// columns.
func (op *convOp) shape(out int) tensor.Shape {
	g := op.geom
	switch op.part {
	case convForward:
		return tensor.Shape{g.N * g.OH * g.OW, out}
	case convGradX:
		return g.inShape()
	}
	return tensor.Shape{g.K * g.K * g.C, out}
}

// inputShapes returns the shapes the op's two inputs must have for out
// output channels: the images (N*H*W, C) or the output's gradient
// (N*OH*OW, out), then the weights (K*K*C, out) or the gradient.
func (op *convOp) inputShapes(out int) (a, b tensor.Shape) {
	g := op.geom
	images, grad, weights := g.inShape(), tensor.Shape{g.N * g.OH * g.OW, out}, tensor.Shape{g.K * g.K * g.C, out}
	switch op.part {
	case convForward:
		return images, weights
	case convGradX:
		return grad, weights
	}
	return images, grad
}

// checkInputs returns an error unless a and b have the shapes inputShapes
// gives for b's columns.
func (op *convOp) checkInputs(a, b tensor.Shape) error {
	if b.Dims() != 2 {
		return fmt.Errorf("%s: second input of shape %v is not a matrix", op, b)
	}
	wantA, wantB := op.inputShapes(b[1])
	if !a.Eq(wantA) || !b.Eq(wantB) {
		return fmt.Errorf("%s: inputs of shapes %v and %v, want %v and %v", op, a, b, wantA, wantB)
	}
	return nil
}

func (op *convOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != 2 {
		return nil, fmt.Errorf("%s: got %d inputs, want 2", op, len(ns))
	}
	a, ok1 := ns[0].(tensor.Shape)
	b, ok2 := ns[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: inputs %v and %v are not tensor shapes", op, ns[0], ns[1])
	}
	if err := op.checkInputs(a, b); err != nil {
		return nil, err
	}
	return op.shape(b[1]), nil
}

// WriteHash writes the op's part and every field of its geometry.
func (op *convOp) WriteHash(h hash.Hash) {
	g := op.geom
	fmt.Fprintf(h, "%s{n:%d h:%d w:%d c:%d k:%d stride:%d pad:%d oh:%d ow:%d}",
		op, g.N, g.H, g.W, g.C, g.K, g.Stride, g.Pad, g.OH, g.OW)
}

func (op *convOp) Hashcode() uint32 { return hashcode(op) }

func (op *convOp) String() string {
	names := [...]string{"", "∂x", "∂w"}
	return fmt.Sprintf("conv%dx%d/%d%s", op.geom.K, op.geom.K, op.geom.Stride, names[op.part])
}

func (op *convOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("%s: got %d values, want 2", op, len(vals))
	}
	if vals[1].Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: second input of shape %v is not a matrix", op, vals[1].Shape())
	}
	// UsePreallocDo checks both inputs' shapes.
	return op.UsePreallocDo(op.out.get(tensor.Float32, op.shape(vals[1].Shape()[1])), vals...)
}

// UsePreallocDo computes into prealloc when its shape and type fit.
func (op *convOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	a, ok1 := vals[0].(*tensor.Dense)
	b, ok2 := vals[1].(*tensor.Dense)
	out, ok3 := prealloc.(*tensor.Dense)
	if !ok1 || !ok2 || !ok3 || a.Dtype() != tensor.Float32 || b.Dtype() != tensor.Float32 || out.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("%s: inputs and destination must be dense float32 tensors", op)
	}
	g := op.geom
	p := blas.Patches{N: g.N, H: g.H, W: g.W, C: g.C, K: g.K, Stride: g.Stride, Pad: g.Pad, OH: g.OH, OW: g.OW}
	if err := op.checkInputs(a.Shape(), b.Shape()); err != nil {
		return nil, err
	}
	n := b.Shape()[1]
	if !out.Shape().Eq(op.shape(n)) {
		return nil, fmt.Errorf("%s: destination of shape %v, want %v", op, out.Shape(), op.shape(n))
	}
	var err error
	switch op.part {
	case convForward:
		p.X = a.Float32s()
		err = op.bl.PatchesProduct(p, b.Float32s(), n, out.Float32s())
	case convGradX:
		err = op.bl.PatchesInputGrad(p, a.Float32s(), b.Float32s(), n, out.Float32s())
	default:
		p.X = a.Float32s()
		err = op.bl.PatchesWeightGrad(p, b.Float32s(), n, out.Float32s())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DiffWRT says the forward op is differentiable in x and w.
func (op *convOp) DiffWRT(inputs int) []bool {
	return []bool{op.part == convForward, op.part == convForward}
}

// SymDiff returns the gradient nodes for x and w.
func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.part != convForward {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	x, w := inputs[0], inputs[1]
	dx, err := G.ApplyOp(&convOp{geom: op.geom, part: convGradX, bl: op.bl}, grad, w)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&convOp{geom: op.geom, part: convGradW, bl: op.bl}, x, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}
