package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chewxy/math32"
)

// TestAddMatchesTheGoLoop checks Add against dst[i] += src[i] bit for bit,
// at every length from 0 to 70 (the eight-wide, four-block and scalar
// tails) and on values whose sums round, overflow, cancel to zeros of
// either sign and carry NaNs; on a CPU without AVX2 it checks the Go loop
// alone.
func TestAddMatchesTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 70; n++ {
		src, dst := addOperands(rng, n) // dst[n] = 42, past src: must stay
		want := append([]float32(nil), dst...)
		for i, v := range src {
			want[i] += v
		}
		Add(dst, src)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n = %d, element %d: %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}

// addOperands returns n values x from rng and n+1 values y, y[n] = 42:
// normal values of two magnitudes, with every fifth pair taken from
// zeros of both signs, an infinity, a NaN, the largest float32s and the
// smallest subnormal, so that sums round, overflow, cancel to zeros of
// either sign and carry NaNs.
func addOperands(rng *rand.Rand, n int) (x, y []float32) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1e-45}
	x, y = make([]float32, n), make([]float32, n+1)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 1e3)
		y[i] = float32(rng.NormFloat64())
		if i%5 == 0 {
			x[i], y[i] = special[i%len(special)], special[(i/5)%len(special)]
		}
	}
	y[n] = 42
	return x, y
}

// TestSumMatchesTheGoLoop checks Sum against dst[i] = x[i] + y[i] bit for
// bit, at every length from 0 to 70, on the values of
// TestAddMatchesTheGoLoop, into a third slice and into y itself.
func TestSumMatchesTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 70; n++ {
		x, y := addOperands(rng, n) // y[n] = 42, past x: must stay
		want := make([]float32, n)
		for i := range x {
			want[i] = x[i] + y[i]
		}
		for _, into := range []string{"a third slice", "y"} {
			dst := make([]float32, n+1)
			dst[n] = 42
			yy := append([]float32(nil), y...)
			if into == "y" {
				dst = yy
			}
			Sum(dst, x, yy)
			for i := range want {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n = %d, into %s, element %d: %v, want %v", n, into, i, dst[i], want[i])
				}
			}
			if dst[n] != 42 {
				t.Fatalf("n = %d, into %s: Sum wrote past len(x)", n, into)
			}
		}
	}
}

// TestSumRowsMatchesAddingRowByRow checks SumRows against copying the
// first row and adding the others in turn with Add, bit for bit, for
// widths that use the 64- and 8-column kernels and the tail, one row and
// several, rows wider than the sums, and values whose sums round,
// overflow and cancel, with NaNs of several payloads and infinities
// dense enough that most columns meet two different NaNs (the running
// sum's must win, as in Add); on a CPU without AVX2 it checks the Go path
// alone.
func TestSumRowsMatchesAddingRowByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, 1e-45}
	for _, cols := range []int{1, 7, 8, 9, 63, 64, 65, 72, 130, 200} {
		for _, rows := range []int{1, 2, 5, 12} {
			stride := cols + rows%3
			a := make([]float32, rows*stride)
			for i := range a {
				switch u := rng.IntN(8); {
				case u < 2: // a NaN with its own payload, either sign
					a[i] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<22)) | uint32(rng.IntN(2))<<31)
				case u < 3:
					a[i] = special[rng.IntN(len(special))]
				default:
					a[i] = float32(rng.NormFloat64() * 1e3)
				}
			}
			want := append([]float32(nil), a[:cols]...)
			for r := 1; r < rows; r++ {
				Add(want, a[r*stride:r*stride+cols])
			}
			got := make([]float32, cols+1)
			got[cols] = 42 // past out: must stay
			SumRows(rows, stride, a, got[:cols])
			for c := range want {
				if math.Float32bits(got[c]) != math.Float32bits(want[c]) {
					t.Fatalf("cols %d, rows %d, column %d: %v (%#x), want %v (%#x)", cols, rows, c, got[c], math.Float32bits(got[c]), want[c], math.Float32bits(want[c]))
				}
			}
			if got[cols] != 42 {
				t.Fatalf("cols %d, rows %d: wrote past out", cols, rows)
			}
		}
	}
}

// TestStandardizeMatchesTheGoLoop checks Standardize against
// (src - mean) * scale in Go, bit for bit, at every length from 0 to 40,
// on values whose differences round, overflow and cancel, with NaNs of
// several payloads meeting in the subtraction and in the product.
func TestStandardizeMatchesTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), math.Float32frombits(0x7fc00001),
		math.Float32frombits(0xffc00002), math.Float32frombits(0x7fc00003), math.MaxFloat32, -math.MaxFloat32, 1e-45}
	for n := 0; n <= 40; n++ {
		src, mean, scale := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range src {
			src[i], mean[i], scale[i] = float32(rng.NormFloat64()*1e3), float32(rng.NormFloat64()), float32(rng.ExpFloat64())
			if i%2 == 0 { // NaNs of different payloads meet in both operations
				src[i], mean[i] = special[(i/2)%len(special)], special[(i/2+1)%len(special)]
			}
			if i%3 == 0 {
				scale[i] = special[(i/3+1)%len(special)]
			}
		}
		dst := make([]float32, n+1)
		dst[n] = 42
		Standardize(dst, src, mean, scale)
		for i, v := range src {
			want := (v - mean[i]) * scale[i]
			if math.Float32bits(dst[i]) != math.Float32bits(want) {
				t.Fatalf("n = %d, element %d: %v, want %v", n, i, dst[i], want)
			}
		}
		if dst[n] != 42 {
			t.Fatalf("n = %d: wrote past src's length", n)
		}
	}
}

// TestAddNeedsALongEnoughDestination checks that a short dst panics as a
// slice bound does, not that memory past it is written.
func TestAddNeedsALongEnoughDestination(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Add into a shorter dst did not panic")
		}
	}()
	Add(make([]float32, 3), make([]float32, 9))
}

func BenchmarkAdd(b *testing.B) {
	dst, src := make([]float32, 128), make([]float32, 128)
	b.SetBytes(128 * 4)
	for b.Loop() {
		Add(dst, src)
	}
}

// TestColumnSumsMatchesTheGoLoop checks ColumnSums, with and without b,
// against the Go loop over rows in order, bit for bit: widths on both
// sides of the sixteen-column groups, values of large magnitude around an
// offset (so that any change in the order of a column's sum shows), and a
// NaN, an infinity and zeros of both signs in places; heights of one
// block of rows and of several, the last partial.
func TestColumnSumsMatchesTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cols := range []int{1, 15, 16, 17, 40, 64, 130, 1000} {
		for _, rows := range []int{1, 3, 50, 203} {
			a, b := make([]float32, rows*cols), make([]float32, rows*cols)
			for i := range a {
				a[i] = float32(1e3 + rng.NormFloat64()*1e4)
				b[i] = float32(rng.NormFloat64() * 1e2)
			}
			a[len(a)/2], b[len(b)/3] = float32(math.NaN()), float32(math.Inf(-1))
			a[0], b[0] = float32(math.Copysign(0, -1)), 0
			shift := make([]float64, cols)
			for c := range shift {
				shift[c] = float64(a[c]) + 0.25
			}
			for _, withB := range []bool{false, true} {
				var bb []float32
				if withB {
					bb = b
				}
				q1, q2 := make([]float64, cols), make([]float64, cols)
				w1, w2 := make([]float64, cols), make([]float64, cols)
				for c := range cols { // start from non-zero sums, as a second chunk would
					q1[c], q2[c] = float64(c), float64(2*c)
					w1[c], w2[c] = q1[c], q2[c]
				}
				ColumnSums(rows, cols, a, bb, shift, q1, q2)
				for r := range rows {
					for c := range cols {
						v := float64(a[r*cols+c])
						if withB {
							w1[c] += v
							w2[c] += float64(v * (float64(b[r*cols+c]) - shift[c]))
							continue
						}
						d := v - shift[c]
						w1[c] += d
						w2[c] += float64(d * d)
					}
				}
				for c := range cols {
					if math.Float64bits(q1[c]) != math.Float64bits(w1[c]) || math.Float64bits(q2[c]) != math.Float64bits(w2[c]) {
						t.Fatalf("%dx%d, b %v, column %d: %v, %v; Go loop %v, %v", rows, cols, withB, c, q1[c], q2[c], w1[c], w2[c])
					}
				}
			}
		}
	}
}

func BenchmarkColumnSums(b *testing.B) {
	const rows, cols = 2048, 512
	a := make([]float32, rows*cols)
	shift, q1, q2 := make([]float64, cols), make([]float64, cols), make([]float64, cols)
	b.SetBytes(rows * cols * 4)
	for b.Loop() {
		ColumnSums(rows, cols, a, nil, shift, q1, q2)
	}
}

// TestExpIsMath32s checks Exp against math32.Exp bit for bit on a million
// values drawn over float32's whole range of bit patterns, a million drawn
// where exp is finite and normal, and the neighbourhoods of its under- and
// overflow thresholds, at lengths that leave scalar tails, with special
// values (NaN, infinities, huge and tiny) placed so that blocks of eight
// mixing them with ordinary values occur. (Checked once over all 2³²
// float32 bit patterns, a minute on one core: the same bits.)
func TestExpIsMath32s(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var src []float32
	for range 1_000_000 {
		src = append(src, math.Float32frombits(rng.Uint32()), float32(rng.Float64()*176-88))
	}
	for _, edge := range []float32{-87.33655, -103.27893, 88.72283, -88.72283, 0} {
		y := edge
		for range 4000 {
			src = append(src, y)
			y = math.Nextafter32(y, float32(math.Inf(1)))
		}
	}
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, float32(math.Copysign(0, -1))}
	for i, v := range special {
		src[i*13+5] = v
	}
	for _, n := range []int{len(src), len(src) - 3, 7, 9, 0} {
		in := src[len(src)-n:]
		dst := make([]float32, n+1)
		dst[n] = 42 // past src: must stay
		Exp(dst, in)
		for i, v := range in {
			want := math32.Exp(v)
			if math.Float32bits(dst[i]) != math.Float32bits(want) && !(want != want && dst[i] != dst[i]) {
				t.Fatalf("n = %d: Exp(%v) = %v, math32's %v", n, v, dst[i], want)
			}
		}
		if dst[n] != 42 {
			t.Fatalf("n = %d: Exp wrote past src", n)
		}
	}
}

// BenchmarkExp times Exp against math32.Exp's loop on 4,096 scores.
func BenchmarkExp(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src, dst := make([]float32, 4096), make([]float32, 4096)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 3)
	}
	b.Run("vec", func(b *testing.B) {
		for b.Loop() {
			Exp(dst, src)
		}
	})
	b.Run("math32", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				dst[i] = math32.Exp(v)
			}
		}
	})
}

// TestExp64IsMathExp checks Exp64 against math.Exp bit for bit (NaN for
// NaN) on random bit patterns, on uniform draws over the whole range of
// finite results and over scores' range, on runs of consecutive floats
// across each boundary of math.Exp's paths (the overflow threshold, the
// last normal and the last denormal result, a rounding of k's tie, 0), on
// special values in blocks of four with ordinary ones, and on lengths that
// leave a tail; dst may be src.
func TestExp64IsMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var src []float64
	for range 500_000 {
		src = append(src, math.Float64frombits(rng.Uint64()), rng.Float64()*1460-750, rng.NormFloat64()*20)
	}
	for _, edge := range []float64{709.782712893384, 709.0895657128241, -708.3964185322641, -744.4400719213812, -745.1332191019412,
		0.5 * math.Ln2, -0.5 * math.Ln2, 1022.5 * math.Ln2, -1022.5 * math.Ln2, 0} {
		y := edge
		for range 2000 {
			y = math.Nextafter(y, math.Inf(-1))
		}
		for range 4000 {
			src = append(src, y)
			y = math.Nextafter(y, math.Inf(1))
		}
	}
	if hasAVX2 && hasFMA { // the assembly, not math.Exp's fallback, computes ordinary blocks
		plain := src[len(src)-1024:]
		for i := range plain {
			plain[i] = rng.NormFloat64() * 20
		}
		if n := exp4(len(plain), &make([]float64, len(plain))[0], &plain[0]); n != len(plain) {
			t.Fatalf("exp4 stopped at %d of %d ordinary values", n, len(plain))
		}
	}
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 5e-324, math.Copysign(0, -1), 1e300, -1e300}
	for i, v := range special {
		src[i*17+5] = v
	}
	for _, n := range []int{len(src), len(src) - 3, 3, 5, 0} {
		in := src[len(src)-n:]
		dst := make([]float64, n+1)
		dst[n] = 42 // past src: must stay
		Exp64(dst, in)
		inPlace := append([]float64(nil), in...)
		Exp64(inPlace, inPlace)
		for i, v := range in {
			want := math.Exp(v)
			for _, got := range []float64{dst[i], inPlace[i]} {
				if math.Float64bits(got) != math.Float64bits(want) && !(want != want && got != got) {
					t.Fatalf("n = %d: Exp64(%v) = %v, math.Exp's %v", n, v, got, want)
				}
			}
		}
		if dst[n] != 42 {
			t.Fatalf("n = %d: Exp64 wrote past src", n)
		}
	}
}

// BenchmarkExp64 times Exp64 against math.Exp's loop on 4,096 scores.
func BenchmarkExp64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src, dst := make([]float64, 4096), make([]float64, 4096)
	for i := range src {
		src[i] = rng.NormFloat64() * 3
	}
	b.Run("Exp64", func(b *testing.B) {
		for b.Loop() {
			Exp64(dst, src)
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				dst[i] = math.Exp(v)
			}
		}
	})
}
