package graph

import (
	"fmt"
	"hash"
	"runtime"
	"slices"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/infomax/infomax/internal/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Transpose permutes the axes of x as G.Transpose(x, perm...) does (no
// perm: reverse them), with the same values. A permutation that keeps a
// leading run of axes and swaps the two groups of axes after it (a matrix
// transpose, or NHWC ↔ NCHW: (0, 3, 1, 2) and (0, 2, 3, 1)) is a batch of
// matrix transposes, which this op copies in cache-sized tiles split
// across cores into a kept buffer; its gradient is the inverse
// permutation, the same kind of op. Any other permutation is G.Transpose.
func Transpose(x *G.Node, perm ...int) (*G.Node, error) {
	dims := x.Shape().Dims()
	if len(perm) == 0 {
		for i := dims - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	lead, split, ok := groupSwap(perm)
	if !ok || len(perm) != dims {
		return G.Transpose(x, perm...)
	}
	return G.ApplyOp(&transposeOp{perm: slices.Clone(perm), lead: lead, split: split}, x)
}

// groupSwap reports whether perm keeps its first lead axes and then lists
// axes split+1… before lead…split, and returns lead and split.
func groupSwap(perm []int) (lead, split int, ok bool) {
	for lead < len(perm) && perm[lead] == lead {
		lead++
	}
	if lead == len(perm) {
		return 0, 0, false // the identity
	}
	split = perm[lead] - 1 // perm[lead] = split+1
	for i, p := range perm[lead:] {
		want := split + 1 + i
		if want >= len(perm) {
			want = lead + (want - len(perm))
		}
		if p != want {
			return 0, 0, false
		}
	}
	return lead, split, split >= lead
}

// transposeOp is a permutation that groupSwap accepts, with the lead and
// split it found.
type transposeOp struct {
	customOp
	perm        []int
	lead, split int
}

func (op *transposeOp) Arity() int { return 1 }

func (op *transposeOp) Type() hm.Type {
	t := G.TensorType{Dims: len(op.perm), Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

// outShape returns the permuted shape of in.
func (op *transposeOp) outShape(in tensor.Shape) tensor.Shape {
	out := make(tensor.Shape, len(op.perm))
	for i, p := range op.perm {
		out[i] = in[p]
	}
	return out
}

// batch returns the op's view of an input of shape in: b matrices of r
// rows and c columns, transposed to c rows and r columns.
func (op *transposeOp) batch(in tensor.Shape) (b, r, c int) {
	b, r, c = 1, 1, 1
	for i, n := range in {
		switch {
		case i < op.lead:
			b *= n
		case i <= op.split:
			r *= n
		default:
			c *= n
		}
	}
	return b, r, c
}

func (op *transposeOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != 1 {
		return nil, fmt.Errorf("%s: got %d inputs, want 1", op, len(ns))
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok || s.Dims() != len(op.perm) {
		return nil, fmt.Errorf("%s: input %v does not have %d axes", op, ns[0], len(op.perm))
	}
	return op.outShape(s), nil
}

func (op *transposeOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op) }
func (op *transposeOp) Hashcode() uint32      { return hashcode(op) }
func (op *transposeOp) String() string        { return fmt.Sprintf("Transpose%v", op.perm) }

func (op *transposeOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 || vals[0].Shape().Dims() != len(op.perm) {
		return nil, fmt.Errorf("%s: want one input of %d axes", op, len(op.perm))
	}
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), op.outShape(vals[0].Shape())), vals...)
}

// UsePreallocDo copies the permuted input into prealloc when its size and
// type fit.
func (op *transposeOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != 1 {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok || x.Dtype() != out.Dtype() || x.Shape().Dims() != len(op.perm) || out.Shape().TotalSize() != x.Shape().TotalSize() || x.RequiresIterator() {
		return nil, fmt.Errorf("%s: destination does not fit the input, or the input is not contiguous", op)
	}
	b, r, c := op.batch(x.Shape())
	switch x.Dtype() {
	case tensor.Float32:
		transposeBatch(b, r, c, x.Float32s(), out.Float32s())
	case tensor.Float64:
		transposeBatch(b, r, c, x.Float64s(), out.Float64s())
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// transposeRows and transposeCols are the sides of the tiles
// transposeBatch copies: transposeRows rows of a matrix, transposeCols of
// its columns at a time. Each column of a tile goes to one row of the
// output, whose rows are r elements apart; where r is a multiple of 1,024
// floats, those rows fall in one set of the 12-way L1 cache, and the 32
// of a square tile evicted each other. BenchmarkTranspose on the 2-core
// Intel Xeon, square tiles of 32 against these: the local critic's 4096 ×
// 64 scores 2.97-3.00 → 0.43 ns an element (0.8 ms a step at batch 64),
// a 4096 × 512 matrix 3.03-3.07 → 0.44 ns, the other shapes 0.45-0.68 →
// 0.40-0.55 ns.
const (
	transposeRows = 32
	transposeCols = 8
)

// transposeBatch sets out[k][j][i] = x[k][i][j] for b matrices of r rows
// and c columns. float32 matrices go to transposeBlocks where the BLAS
// has its AVX2 kernel; the others are copied a tile of rows at a time,
// the tiles split across cores, each tile touchCols columns at a time
// (touchTile, then the copy).
func transposeBatch[T float32 | float64](b, r, c int, x, out []T) {
	if x32, ok := any(x).([]float32); ok && blas.HasKernel() {
		transposeBlocks(b, r, c, x32, any(out).([]float32))
		return
	}
	tilesPerMatrix := (r + transposeRows - 1) / transposeRows
	parallelRows(b*tilesPerMatrix, transposeRows*c, func(_, lo, hi int) {
		var touched uint8
		for t := lo; t < hi; t++ {
			k, i0 := t/tilesPerMatrix, (t%tilesPerMatrix)*transposeRows
			i1 := min(i0+transposeRows, r)
			xm, om := x[k*r*c:(k+1)*r*c], out[k*r*c:(k+1)*r*c]
			for jc := 0; jc < c; jc += touchCols {
				jcEnd := min(jc+touchCols, c)
				touched ^= touchTile(xm, om, r, c, i0, i1, jc, jcEnd)
				for j0 := jc; j0 < jcEnd; j0 += transposeCols {
					j1 := min(j0+transposeCols, jcEnd)
					for i := i0; i < i1; i++ {
						row := xm[i*c : i*c+c]
						for j := j0; j < j1; j++ {
							om[j*r+i] = row[j]
						}
					}
				}
			}
		}
		runtime.KeepAlive(touched)
	})
}

// transposeBlocks is transposeBatch for float32 with the AVX2 kernel: it
// splits the b transposes' rows, eight at a time, across cores and
// writes them with blas.TransposeTile, transposeTileCols columns of the
// transpose at a time, in 8x8 AVX transposes.
//
// On the 2-core Zen 5 (2026-12-05, three interleaved runs of two test
// binaries, ns an element), against the tiles of Go copies: the prior
// discriminator's weights, the only transposes of the DIM step, 1000 ×
// 200 0.86-1.12 → 0.09, 200 × 1000 1.55-1.94 → 0.14-0.28, 1000 × 64
// 1.02-1.46 → 0.15-0.17, 64 × 1000 1.42-1.53 → 0.11-0.22, and out of
// cache (BenchmarkTransposeOutOfCache) 11.3-13.6 → 1.95-2.13, 11.3-14.7
// → 2.05-2.28, 1.69-2.08 → 0.26-0.38; the other shapes of
// BenchmarkTranspose 1.6 to 9 times as fast. The prior discriminator's
// step at batch 16 took 2.8-3.0 ms against 3.6-4.3 (60 steps, after the
// encoder's).
func transposeBlocks(b, r, c int, x, out []float32) {
	groups := (c + 7) / 8 // of eight rows of each transpose (c rows of r)
	size := r * c
	parallelRows(b*groups, 8*r, func(_, lo, hi int) {
		for u := lo; u < hi; {
			k, g := u/groups, u%groups
			end := min(hi, (k+1)*groups)
			xm, om := x[k*size:(k+1)*size], out[k*size:(k+1)*size]
			i0, i1 := g*8, min((end-k*groups)*8, c)
			for j0 := 0; j0 < r; j0 += transposeTileCols {
				blas.TransposeTile(om, r, xm, c, i0, i1, j0, min(j0+transposeTileCols, r))
			}
			u = end
		}
	})
}

// transposeTileCols is how many rows of a matrix, columns of its
// transpose, transposeBlocks copies at a time. Untiled, each eight rows of
// a 4096 × 512 transpose read a column of the matrix 2 KB a row apart,
// which the caches could not keep for the next eight: 24.6 ns an element
// against 1.0-1.2 in tiles of 64 to 512 rows (BenchmarkTranspose's
// shapes, 2-core Zen 5; the other shapes the same within the noise).
const transposeTileCols = 256

// touchCols is the most columns of a tile that transposeBatch touches
// before copying them: 32 KB of a float32 matrix's 32 rows, and as much
// of its transpose, well inside a core's L2 cache.
const touchCols = 256

// touchTile reads a byte of every cache line of rows i0 to i1, columns j0
// to j1, of x, a matrix of c columns, and of rows j0 to j1, columns i0 to
// i1, of out, its transpose, and returns their XOR. Where the two are not
// in cache (the prior discriminator's weights and their gradients, last
// touched by the previous step's Adam), the copy, which reads each row a
// few elements at a time and writes eight rows of out at once, runs into
// one cache miss after another; these reads, independent of each other,
// bring the lines in together.
//
// On the 2-core Intel Xeon (two runs each, interleaved), out of cache
// (cycling through 40 matrices, as BenchmarkTransposeOutOfCache does),
// 1000 × 200 took 0.99-1.44 ns an element without it and 0.54-0.55 with
// it, 200 × 1000 1.66-1.71 and 0.87-0.89, 4096 × 512 1.47-1.51 and
// 0.75-0.77; in cache it costs up to 38% more (BenchmarkTranspose:
// 1000 × 200 0.44-0.46 → 0.50, 200 × 1000 0.63-0.64 → 0.86-0.87, 4096 ×
// 64 0.41-0.48 → 0.47). In the DIM step the prior discriminator's four
// transposes, the only ones, took 0.75-0.97 ms at batch 16 and 0.85 ms at
// batch 64 without it, 0.50-0.51 ms with it.
func touchTile[T float32 | float64](x, out []T, r, c, i0, i1, j0, j1 int) uint8 {
	var touched uint8
	size := int(unsafe.Sizeof(x[0]))
	for i := i0; i < i1; i++ {
		touched ^= touchLines(unsafe.Pointer(&x[i*c+j0]), (j1-j0)*size)
	}
	for j := j0; j < j1; j++ {
		touched ^= touchLines(unsafe.Pointer(&out[j*r+i0]), (i1-i0)*size)
	}
	return touched
}

// touchLines reads a byte of every cache line of the n bytes at p (n at
// least 1), the first and then one every 64 bytes on, and the last, and
// returns their XOR.
func touchLines(p unsafe.Pointer, n int) uint8 {
	touched := *(*uint8)(unsafe.Add(p, n-1))
	for q := 0; q < n; q += 64 {
		touched ^= *(*uint8)(unsafe.Add(p, q))
	}
	return touched
}

// DiffWRT says the op is differentiable in its input.
func (op *transposeOp) DiffWRT(inputs int) []bool { return []bool{true} }

// SymDiff returns the gradient permuted back.
func (op *transposeOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	inv := make([]int, len(op.perm))
	for i, p := range op.perm {
		inv[p] = i
	}
	dx, err := Transpose(grad, inv...)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
