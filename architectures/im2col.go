package architectures

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// imageGeom describes a batch of images and the convolution applied to it.
type imageGeom struct {
	n, h, w, c     int  // input batch, height, width, channels
	nchw           bool // input is (n, c, h, w); otherwise rows (n*h*w, c)
	k, stride, pad int
	oh, ow         int // output height and width
}

// strides returns the element strides of the input's n, h, w and c axes.
func (g imageGeom) strides() (sn, sh, sw, sc int) {
	if g.nchw {
		return g.c * g.h * g.w, g.w, 1, g.h * g.w
	}
	return g.h * g.w * g.c, g.w * g.c, g.c, 1
}

func (g imageGeom) inShape() tensor.Shape {
	if g.nchw {
		return tensor.Shape{g.n, g.c, g.h, g.w}
	}
	return tensor.Shape{g.n * g.h * g.w, g.c}
}

func (g imageGeom) outShape() tensor.Shape {
	return tensor.Shape{g.n * g.oh * g.ow, g.k * g.k * g.c}
}

// im2colOp copies every output location's receptive field into a row:
// input (images or rows) → (N*OH*OW, K*K*C), column (i*K + j)*C + c.
// Padding reads as zero. Its gradient is col2imOp, which adds each
// row back into the places it was copied from.
type im2colOp struct {
	geom    imageGeom
	reverse bool // col2im: (N*OH*OW, K*K*C) → input shape
	out     outputBuffer
}

func (op *im2colOp) Arity() int { return 1 }

func (op *im2colOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	in := G.TensorType{Dims: op.geom.inShape().Dims(), Of: a}
	out := G.TensorType{Dims: 2, Of: a}
	if op.reverse {
		return hm.NewFnType(out, in)
	}
	return hm.NewFnType(in, out)
}

func (op *im2colOp) shapes() (in, out tensor.Shape) {
	if op.reverse {
		return op.geom.outShape(), op.geom.inShape()
	}
	return op.geom.inShape(), op.geom.outShape()
}

func (op *im2colOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	in, out := op.shapes()
	if len(ns) != 1 {
		return nil, fmt.Errorf("%s: got %d inputs, want 1", op, len(ns))
	}
	if s, ok := ns[0].(tensor.Shape); !ok || !s.Eq(in) {
		return nil, fmt.Errorf("%s: input shape %v, want %v", op, ns[0], in)
	}
	return out.Clone(), nil
}

func (op *im2colOp) ReturnsPtr() bool     { return false }
func (op *im2colOp) CallsExtern() bool    { return false }
func (op *im2colOp) OverwritesInput() int { return -1 }

func (op *im2colOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s%+v", op, op.geom) }

func (op *im2colOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *im2colOp) String() string {
	if op.reverse {
		return fmt.Sprintf("col2im%dx%d/%d", op.geom.k, op.geom.k, op.geom.stride)
	}
	return fmt.Sprintf("im2col%dx%d/%d", op.geom.k, op.geom.k, op.geom.stride)
}

func (op *im2colOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("%s: got %d values, want 1", op, len(vals))
	}
	_, out := op.shapes()
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), out), vals...)
}

// UsePreallocDo computes into prealloc when its shape and type fit.
func (op *im2colOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, outShape := op.shapes()
	x, ok1 := vals[0].(*tensor.Dense)
	out, ok2 := prealloc.(*tensor.Dense)
	if !ok1 || !ok2 || out.Dtype() != x.Dtype() || out.Shape().TotalSize() != outShape.TotalSize() || x.Shape().TotalSize() != in.TotalSize() {
		return nil, fmt.Errorf("%s: unusable input or destination", op)
	}
	switch x.Dtype() {
	case tensor.Float32:
		patches(op.geom, op.reverse, x.Float32s(), out.Float32s())
	case tensor.Float64:
		patches(op.geom, op.reverse, x.Float64s(), out.Float64s())
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// DiffWRT says im2col is differentiable in its input.
func (op *im2colOp) DiffWRT(inputs int) []bool { return []bool{!op.reverse} }

// SymDiff returns col2im of the gradient.
func (op *im2colOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.reverse {
		return nil, fmt.Errorf("%s: no second derivative", op)
	}
	dx, err := G.ApplyOp(&im2colOp{geom: op.geom, reverse: true}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// patches runs im2col (reverse false: cols[row][(i*K+j)*C+c] = image
// value) or col2im (reverse true: image value = Σ of the cols entries
// copied from it) between image and cols. Images are split across
// goroutines, which touch disjoint parts of both arrays.
func patches[T float32 | float64](g imageGeom, reverse bool, a, b []T) {
	img, cols := a, b
	if reverse {
		img, cols = b, a
		clear(img)
	}
	sn, sh, sw, sc := g.strides()
	width := g.k * g.k * g.c
	perImage := g.oh * g.ow
	parallelRows(g.n, perImage*width, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					row := cols[((n*g.oh+oy)*g.ow+ox)*width:][:width]
					for i := 0; i < g.k; i++ {
						y := oy*g.stride - g.pad + i
						for j := 0; j < g.k; j++ {
							x := ox*g.stride - g.pad + j
							seg := row[(i*g.k+j)*g.c:][:g.c]
							if y < 0 || y >= g.h || x < 0 || x >= g.w {
								if !reverse {
									clear(seg)
								}
								continue
							}
							base := n*sn + y*sh + x*sw
							switch {
							case sc == 1 && !reverse:
								copy(seg, img[base:base+g.c])
							case sc == 1:
								dst := img[base : base+g.c]
								for c, v := range seg {
									dst[c] += v
								}
							case !reverse:
								for c := range seg {
									seg[c] = img[base+c*sc]
								}
							default:
								for c, v := range seg {
									img[base+c*sc] += v
								}
							}
						}
					}
				}
			}
		}
	})
}
