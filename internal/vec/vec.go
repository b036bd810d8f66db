// Package vec holds loops over float32 slices that the Go compiler leaves
// scalar, in AVX2 assembly where the CPU has it: each element, or each
// column's sum, is computed with the same IEEE operations in the same
// order as the Go loop, so every build gives the same bits. The
// normalization passes' loops (norm.go) also take float64 slices, which
// they run in Go; Exp64 takes float64 and gives math.Exp's bits.
package vec

import (
	"math"

	"github.com/chewxy/math32"
)

// Add adds src into dst element by element: dst[i] += src[i] for i below
// len(src). dst must be at least as long as src.
func Add(dst, src []float32) {
	dst = dst[:len(src)]
	Sum(dst, dst, src)
}

// Sum sets dst to x + y element by element: dst[i] = x[i] + y[i] for i
// below len(x), x's element the first operand. y and dst must be at least
// as long as x; dst may be x or y, but no other overlap of them.
func Sum(dst, x, y []float32) {
	dst, y = dst[:len(x)], y[:len(x)]
	if n := len(x) &^ 7; hasAVX2 && n > 0 {
		sum8(n, &dst[0], &x[0], &y[0])
		dst, x, y = dst[n:], x[n:], y[n:]
	}
	for i, v := range x {
		dst[i] = v + y[i]
	}
}

// SumRows sets out[c], for c below len(out), to the sum of column c of
// rows rows of a, stride floats apart: a[c] + a[stride+c] + ..., added
// row after row from the first in float32. It gives the bits of copying
// the first row and calling Add with each of the others: columns run 64
// and then 8 at a time in AVX2, their sums held in registers down the
// rows, each addition with the running sum first as Add has it, and the
// columns past the last multiple of eight (all of them without AVX2)
// through Add itself. rows below 1 leave out as it is.
func SumRows(rows, stride int, a, out []float32) {
	cols := len(out)
	if rows <= 0 || cols == 0 {
		return
	}
	a = a[:(rows-1)*stride+cols]
	done := 0
	if hasAVX2 {
		if g := cols / 64; g > 0 {
			sumRows64(rows, g, stride*4, &a[0], &out[0])
			done = g * 64
		}
		if g := (cols - done) / 8; g > 0 {
			sumRows8(rows, g, stride*4, &a[done], &out[done])
			done += g * 8
		}
	}
	if done == cols {
		return
	}
	tail := out[done:]
	copy(tail, a[done:cols])
	for r := 1; r < rows; r++ {
		Add(tail, a[r*stride+done:r*stride+cols])
	}
}

// Standardize writes (src[j] - mean[j]) * scale[j] into dst[j] for j below
// len(src), the difference rounded before the product (the value the
// first operand of each), eight at a time in AVX2 and the rest in Go:
// the same bits either way. dst, mean and scale must be at least as long
// as src.
func Standardize(dst, src, mean, scale []float32) {
	n := len(src)
	dst, mean, scale = dst[:n], mean[:n], scale[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		standardize8(w, &dst[0], &src[0], &mean[0], &scale[0])
		dst, src, mean, scale = dst[w:], src[w:], mean[w:], scale[w:]
	}
	for j, v := range src {
		dst[j] = (v - mean[j]) * scale[j]
	}
}

// Exp writes math32.Exp of each element of src into dst (github.com/chewxy/
// math32, the exp gorgonia's float32 ops use), with its bits: eight at a
// time in AVX2 by the same operations as math32's own amd64 assembly, in
// the same order (its 0 where the exp underflows and +Inf where it
// overflows included), and element by element through math32.Exp for a
// block of eight holding a NaN or an infinity. dst must be at least as
// long as src.
func Exp(dst, src []float32) {
	dst = dst[:len(src)]
	for hasAVX2 && len(src) >= 8 {
		n := exp8(len(src)&^7, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
		if len(src) < 8 {
			break
		}
		for i, v := range src[:8] { // the block exp8 stopped at
			dst[i] = math32.Exp(v)
		}
		dst, src = dst[8:], src[8:]
	}
	for i, v := range src {
		dst[i] = math32.Exp(v)
	}
}

// Exp64 sets dst[i] to math.Exp(src[i]) for every element of src, with
// its bits: four at a time in AVX2 where the CPU has FMA, by the same
// operations as math.Exp's own amd64 assembly on such a CPU, in the same
// order, and element by element through math.Exp for a block of four
// holding an element it takes down another path (not finite, or a result
// that overflows, is denormal or is zero). dst must be at least as long as
// src, and may be src.
//
// Exp64's loop is Exp's, for blocks of four: one generic loop taking the
// kernel as a function value made both functions' slices escape to the
// heap (two allocations a call of a stack array) and called math.Exp
// through a pointer.
func Exp64(dst, src []float64) {
	dst = dst[:len(src)]
	for hasAVX2 && hasFMA && len(src) >= 4 {
		n := exp4(len(src)&^3, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
		if len(src) < 4 {
			break
		}
		for i, v := range src[:4] { // the block exp4 stopped at
			dst[i] = math.Exp(v)
		}
		dst, src = dst[4:], src[4:]
	}
	for i, v := range src {
		dst[i] = math.Exp(v)
	}
}

// ColumnSums adds the rows of a, a row-major matrix of rows × cols, into
// per-column float64 sums, row after row. With b nil, for d =
// float64(a[r][c]) - shift[c], q1[c] += d and q2[c] += d*d; with b (the
// same shape as a), q1[c] += float64(a[r][c]) and q2[c] +=
// float64(a[r][c]) * (float64(b[r][c]) - shift[c]). Every product and
// sum is rounded on its own (the Go loops convert each product
// explicitly, so that no GOAMD64 level fuses it into a multiply-add):
// columns run sixteen at a time in AVX2 (their sums held in registers down
// the rows), the rest in Go. The rows go in blocks of columnSumsBlock
// bytes of a, all columns of a block before the next: sixteen columns
// down every row of a 4096 × 512 matrix, then the next sixteen, read it
// from memory 32 times (a batch norm's statistics took 1.03 ms cold,
// 0.47 ms in cache, against 0.48 and 0.24 ms in blocks). A block resumes
// each column's sums where the last left them, so the bits are the same.
func ColumnSums(rows, cols int, a, b []float32, shift, q1, q2 []float64) {
	if rows <= 0 || cols <= 0 {
		return
	}
	a = a[:rows*cols]
	shift, q1, q2 = shift[:cols], q1[:cols], q2[:cols]
	if b != nil {
		b = b[:rows*cols]
	}
	step := max(1, columnSumsBlock/(4*cols))
	for r := 0; r < rows; r += step {
		n := min(step, rows-r)
		var br []float32
		if b != nil {
			br = b[r*cols : (r+n)*cols]
		}
		columnSumsRows(n, cols, a[r*cols:(r+n)*cols], br, shift, q1, q2)
	}
}

// columnSumsBlock is the size in bytes of a block of ColumnSums's rows of
// a: half the 48 KB L1 data cache of the Intel Xeon, and b's rows beside
// them. Blocks of 16, 32 and 64 KB ran alike; 128 KB and more as slowly
// as none.
const columnSumsBlock = 32 << 10

// columnSumsRows is ColumnSums of rows rows at once.
func columnSumsRows(rows, cols int, a, b []float32, shift, q1, q2 []float64) {
	done := 0
	if groups := cols / 16; hasAVX2 && groups > 0 {
		if b == nil {
			columnSumsSq16(rows, groups, cols*4, &a[0], &shift[0], &q1[0], &q2[0])
		} else {
			columnSumsDot16(rows, groups, cols*4, &a[0], &b[0], &shift[0], &q1[0], &q2[0])
		}
		done = groups * 16
	}
	if done == cols {
		return
	}
	for r := range rows {
		ar := a[r*cols : (r+1)*cols]
		if b == nil {
			for c := done; c < cols; c++ {
				d := float64(ar[c]) - shift[c]
				q1[c] += d
				q2[c] += float64(d * d) // rounded: no GOAMD64 level fuses it
			}
			continue
		}
		br := b[r*cols : (r+1)*cols]
		for c := done; c < cols; c++ {
			q1[c] += float64(ar[c])
			q2[c] += float64(float64(ar[c]) * (float64(br[c]) - shift[c]))
		}
	}
}
