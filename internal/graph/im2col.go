package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/vec"
)

// ImageGeom describes a batch of images and the square convolution window
// that [Im2Col] slides over it.
type ImageGeom struct {
	N, H, W, C     int  // input batch, height, width, channels
	NCHW           bool // input is (N, C, H, W); otherwise rows (N*H*W, C)
	K, Stride, Pad int  // window size, its step and the zero padding
	OH, OW         int  // output height and width
}

func (g ImageGeom) inShape() tensor.Shape {
	if g.NCHW {
		return tensor.Shape{g.N, g.C, g.H, g.W}
	}
	return tensor.Shape{g.N * g.H * g.W, g.C}
}

func (g ImageGeom) outShape() tensor.Shape {
	return tensor.Shape{g.N * g.OH * g.OW, g.K * g.K * g.C}
}

// Im2Col copies every output location's receptive field in images x (of
// geom's input shape) into a row: the result has shape (N*OH*OW, K*K*C),
// row (n*OH + oy)*OW + ox for location (oy, ox) of image n, column
// (i*K + j)*C + c for channel c at window offset (i, j). Padding reads as
// zero. A convolution is this matrix times the weights. Its gradient is
// col2im, which adds each row back into the places it was copied from.
func Im2Col(x *G.Node, geom ImageGeom) (*G.Node, error) {
	return G.ApplyOp(&im2colOp{geom: geom}, x)
}

// im2colOp computes [Im2Col] (reverse false) or its gradient col2im
// (reverse true).
type im2colOp struct {
	customOp
	geom    ImageGeom
	reverse bool         // col2im: (N*OH*OW, K*K*C) → input shape
	rows    outputBuffer // im2col of NCHW images: the images in rows layout
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

// WriteHash writes the op's name and every field of its geometry, in a
// fixed format: gorgonia's value numbering takes nodes of equal hashes for
// the same node.
func (op *im2colOp) WriteHash(h hash.Hash) {
	g := op.geom
	fmt.Fprintf(h, "%s{n:%d h:%d w:%d c:%d nchw:%t k:%d stride:%d pad:%d oh:%d ow:%d}",
		op, g.N, g.H, g.W, g.C, g.NCHW, g.K, g.Stride, g.Pad, g.OH, g.OW)
}

func (op *im2colOp) Hashcode() uint32 { return hashcode(op) }

func (op *im2colOp) String() string {
	if op.reverse {
		return fmt.Sprintf("col2im%dx%d/%d", op.geom.K, op.geom.K, op.geom.Stride)
	}
	return fmt.Sprintf("im2col%dx%d/%d", op.geom.K, op.geom.K, op.geom.Stride)
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
	var scratch *tensor.Dense
	if op.geom.NCHW && !op.reverse {
		scratch = op.rows.get(x.Dtype(), in)
	}
	switch x.Dtype() {
	case tensor.Float32:
		patches(op.geom, op.reverse, x.Float32s(), out.Float32s(), scratchOf[float32](scratch))
	case tensor.Float64:
		patches(op.geom, op.reverse, x.Float64s(), out.Float64s(), scratchOf[float64](scratch))
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// scratchOf returns t's elements, or nil for a nil t.
func scratchOf[T float32 | float64](t *tensor.Dense) []T {
	if t == nil {
		return nil
	}
	return t.Data().([]T)
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

// addInto adds src into dst element by element, eight at a time in AVX2
// for float32 (the same bits as the Go loop).
func addInto[T float32 | float64](dst, src []T) {
	if d, ok := any(dst).([]float32); ok {
		vec.Add(d, any(src).([]float32))
		return
	}
	for c, v := range src {
		dst[c] += v
	}
}

// patches runs im2col (reverse false: cols[row][(i*K+j)*C+c] = image
// value) or col2im (reverse true: image value = Σ of the cols entries
// copied from it) between image and cols. Images are split across
// goroutines, which touch disjoint parts of both arrays. An NCHW image is
// first copied into scratch (at least the input's size) in the rows
// layout for im2col, so that each window row's pixels are one
// contiguous run there, as in cols; col2im into an NCHW image adds
// element by element. Each image element receives the same
// contributions in the same order on every path.
func patches[T float32 | float64](g ImageGeom, reverse bool, a, b, scratch []T) {
	img, cols := a, b
	if reverse {
		img, cols = b, a
		clear(img)
	}
	perImage := g.OH * g.OW * g.K * g.K * g.C
	pixels := g.H * g.W * g.C
	parallelRows(g.N, perImage, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			rows, im := cols[n*perImage:][:perImage], img[n*pixels:][:pixels]
			switch {
			case !g.NCHW:
				windowRuns(g, reverse, im, rows)
			case !reverse:
				hwc := scratch[n*pixels:][:pixels]
				toRows(g, im, hwc)
				windowRuns(g, false, hwc, rows)
			default:
				col2imNCHW(g, im, rows)
			}
		}
	})
}

// toRows copies one image from (C, H, W) into (H, W, C).
func toRows[T float32 | float64](g ImageGeom, chw, hwc []T) {
	plane := g.H * g.W
	for c := 0; c < g.C; c++ {
		src := chw[c*plane:][:plane]
		for p, v := range src {
			hwc[p*g.C+c] = v
		}
	}
}

// windowRuns runs patches on one image im in the rows layout (H, W, C)
// and its rows of cols: the pixels of window row i that lie inside the
// image are one run of C·(j1-j0) values in both, copied (or added back)
// at once; the rest of the row is padding, zero in cols.
func windowRuns[T float32 | float64](g ImageGeom, reverse bool, im, rows []T) {
	span := g.K * g.C
	for oy := 0; oy < g.OH; oy++ {
		for ox := 0; ox < g.OW; ox++ {
			row := rows[(oy*g.OW+ox)*g.K*span:][:g.K*span]
			x0 := ox*g.Stride - g.Pad
			j0, j1 := max(0, -x0), min(g.K, g.W-x0)
			for i := 0; i < g.K; i++ {
				seg := row[i*span:][:span]
				y := oy*g.Stride - g.Pad + i
				if y < 0 || y >= g.H || j0 >= j1 {
					if !reverse {
						clear(seg)
					}
					continue
				}
				run := im[(y*g.W+x0+j0)*g.C:][:(j1-j0)*g.C]
				if reverse {
					addInto(run, seg[j0*g.C:j1*g.C])
					continue
				}
				if j0 > 0 {
					clear(seg[:j0*g.C])
				}
				copy(seg[j0*g.C:j1*g.C], run)
				if j1 < g.K {
					clear(seg[j1*g.C:])
				}
			}
		}
	}
}

// col2imNCHW adds one image's rows of cols back into the image im in
// (C, H, W), element by element.
func col2imNCHW[T float32 | float64](g ImageGeom, im, rows []T) {
	plane, width := g.H*g.W, g.K*g.K*g.C
	for oy := 0; oy < g.OH; oy++ {
		for ox := 0; ox < g.OW; ox++ {
			row := rows[(oy*g.OW+ox)*width:][:width]
			for i := 0; i < g.K; i++ {
				y := oy*g.Stride - g.Pad + i
				for j := 0; j < g.K; j++ {
					x := ox*g.Stride - g.Pad + j
					if y < 0 || y >= g.H || x < 0 || x >= g.W {
						continue
					}
					for c, v := range row[(i*g.K+j)*g.C:][:g.C] {
						im[c*plane+y*g.W+x] += v
					}
				}
			}
		}
	}
}
