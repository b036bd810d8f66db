package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// patchGeoms are geometries the patch products are tested on: the
// encoder's conv2 and conv3 (4x4 windows, stride 2, pad 1, C 64 and 128)
// at small batches; a stride-1 window with padding on every side; windows
// wholly in the padding (pad 3, stride 3); a batch of 25 images, which
// the input gradient's blocks of whole images (3 a block) do not divide;
// channel counts that are and are not multiples of 16; K*K*C = 27,
// not a multiple of 16, whose weight gradient forms the matrix; and 675
// rows, whose weight gradient's last depth block (163 deep) ends in
// depths short of a multiple of eight (packGathered's dealRow).
var patchGeoms = []Patches{
	{N: 3, H: 16, W: 16, C: 64, K: 4, Stride: 2, Pad: 1},
	{N: 2, H: 8, W: 8, C: 128, K: 4, Stride: 2, Pad: 1},
	{N: 2, H: 5, W: 7, C: 16, K: 3, Stride: 1, Pad: 2},
	{N: 1, H: 6, W: 6, C: 32, K: 2, Stride: 2, Pad: 0},
	{N: 2, H: 9, W: 9, C: 3, K: 4, Stride: 2, Pad: 1},
	{N: 2, H: 3, W: 3, C: 16, K: 2, Stride: 3, Pad: 3},
	{N: 25, H: 16, W: 16, C: 32, K: 4, Stride: 2, Pad: 1},
	{N: 2, H: 5, W: 5, C: 3, K: 3, Stride: 1, Pad: 1},
	{N: 3, H: 15, W: 15, C: 16, K: 3, Stride: 1, Pad: 1},
}

// withOutputs returns p with OH and OW set from its geometry and X
// filled with random values.
func withOutputs(p Patches, rng *rand.Rand) Patches {
	p.OH = (p.H+2*p.Pad-p.K)/p.Stride + 1
	p.OW = (p.W+2*p.Pad-p.K)/p.Stride + 1
	p.X = randomMatrix(rng, p.N*p.H*p.W, p.C)
	return p
}

// TestPatchesGatherMatchesTheDefinition checks every element of the
// formed patch matrix, and of a block of rows and columns gathered on its
// own, against the pixel it names or zero in the padding.
func TestPatchesGatherMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, g := range patchGeoms {
		p := withOutputs(g, rng)
		want := func(row, col int) float32 {
			n, oy, ox := row/(p.OH*p.OW), row/p.OW%p.OH, row%p.OW
			i, j, c := col/(p.K*p.C), col/p.C%p.K, col%p.C
			y, x := oy*p.Stride-p.Pad+i, ox*p.Stride-p.Pad+j
			if y < 0 || y >= p.H || x < 0 || x >= p.W {
				return 0
			}
			return p.X[((n*p.H+y)*p.W+x)*p.C+c]
		}
		rows, cols := p.Rows(), p.Cols()
		full := nanFilled(rows * cols)
		p.Form(full)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				if got := full[r*cols+c]; math.Float32bits(got) != math.Float32bits(want(r, c)) {
					t.Fatalf("%+v: element (%d, %d) = %v, want %v", g, r, c, got, want(r, c))
				}
			}
		}
		// A block that starts and ends inside window rows, into a wider
		// destination.
		r0, nr, j0, nc := rows/3, rows/2, cols/5+1, cols/2
		ld := nc + 3
		part := nanFilled(nr * ld)
		p.Gather(part, ld, r0, nr, j0, nc)
		for r := 0; r < nr; r++ {
			for c := 0; c < nc; c++ {
				if got := part[r*ld+c]; math.Float32bits(got) != math.Float32bits(want(r0+r, j0+c)) {
					t.Fatalf("%+v: gathered element (%d, %d) = %v, want %v", g, r0+r, j0+c, got, want(r0+r, j0+c))
				}
			}
		}
	}
}

// TestPatchesWeightGradSameBits checks that PatchesWeightGrad gives the
// bits Sgemm gives with the patch matrix formed, for geometries that
// gather (K*K*C a multiple of 16) and one that forms the matrix.
func TestPatchesWeightGradSameBits(t *testing.T) {
	var impl Implementation
	rng := rand.New(rand.NewPCG(33, 34))
	for _, g := range patchGeoms {
		for _, n := range []int{16, 128, 40} {
			p := withOutputs(g, rng)
			m, k := p.Cols(), p.Rows()
			dy := randomMatrix(rng, k, n)
			formed := make([]float32, k*m)
			p.Form(formed)
			want := make([]float32, m*n)
			impl.Sgemm(blas.Trans, blas.NoTrans, m, n, k, 1, formed, m, dy, n, 0, want, n)
			sameBitsEachProcs(t, fmt.Sprintf("%+v, n %d", g, n), "dw", want, func(got []float32) error {
				return impl.PatchesWeightGrad(p, dy, n, got)
			})
		}
	}
}

// firstDifferentBits returns the first index where a and b differ in
// bits, or -1.
func firstDifferentBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestPatchesRejectBadInput checks the errors of the patch products for
// an impossible geometry, short images and short operands.
func TestPatchesRejectBadInput(t *testing.T) {
	var impl Implementation
	good := withOutputs(patchGeoms[3], rand.New(rand.NewPCG(1, 2)))
	m, k := good.Rows(), good.Cols()
	dy, w := make([]float32, m*8), make([]float32, k*8)
	bad := map[string]func(*Patches){
		"outputs":  func(p *Patches) { p.OH++ },
		"values":   func(p *Patches) { p.X = p.X[:len(p.X)-1] },
		"positive": func(p *Patches) { p.Stride = 0 },
	}
	for want, spoil := range bad {
		p := good
		spoil(&p)
		errs := []error{
			impl.PatchesWeightGrad(p, dy, 8, w),
			impl.PatchesProduct(p, w, 8, dy),
		}
		if want != "values" { // the input gradient writes X, its length is dx's
			errs = append(errs, impl.PatchesInputGrad(p, dy, w, 8, p.X))
		}
		for _, err := range errs {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got error %v", want, err)
			}
		}
	}
	short := map[string]error{
		"weight gradient, short dy": impl.PatchesWeightGrad(good, dy[:len(dy)-1], 8, w),
		"weight gradient, short dw": impl.PatchesWeightGrad(good, dy, 8, w[:len(w)-1]),
		"product, short w":          impl.PatchesProduct(good, w[:len(w)-1], 8, dy),
		"product, short y":          impl.PatchesProduct(good, w, 8, dy[:len(dy)-1]),
		"input gradient, short dy":  impl.PatchesInputGrad(good, dy[:len(dy)-1], w, 8, good.X),
		"input gradient, short dx":  impl.PatchesInputGrad(good, dy, w, 8, good.X[:len(good.X)-1]),
	}
	for name, err := range short {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// nanFilled returns n NaNs, so that a test sees any element left
// unwritten.
func nanFilled(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// eachProcs runs f at GOMAXPROCS 1, 2 and 3 under each of kernelModes:
// on a CPU with AVX-512, with the AVX2 kernels alone and with each
// combination of the AVX-512 paths, so the AVX2 path stays tested on
// every machine.
func eachProcs(t *testing.T, f func(procs int)) {
	t.Helper()
	defer currentMode().set()
	for _, mode := range kernelModes() {
		mode.set()
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			f(procs)
			runtime.GOMAXPROCS(prev)
		}
	}
}

// TestPatchesProductSameBits checks that PatchesProduct gives the bits
// Sgemm gives with the patch matrix formed.
func TestPatchesProductSameBits(t *testing.T) {
	var impl Implementation
	rng := rand.New(rand.NewPCG(35, 36))
	for _, g := range append(patchGeoms, Patches{N: 24, H: 16, W: 16, C: 64, K: 4, Stride: 2, Pad: 1}) {
		for _, n := range []int{128, 40} {
			p := withOutputs(g, rng)
			m, k := p.Rows(), p.Cols()
			w := randomMatrix(rng, k, n)
			formed := make([]float32, m*k)
			p.Form(formed)
			want := make([]float32, m*n)
			impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, formed, k, w, n, 0, want, n)
			sameBitsEachProcs(t, fmt.Sprintf("%+v, n %d", g, n), "y", want, func(got []float32) error {
				return impl.PatchesProduct(p, w, n, got)
			})
		}
	}
}

// TestPatchesInputGradSameBits checks that PatchesInputGrad gives the
// bits of Sgemm's dy·wᵀ followed by col2im: every entry added into the
// pixel it was copied from, in the order of the rows.
func TestPatchesInputGradSameBits(t *testing.T) {
	var impl Implementation
	rng := rand.New(rand.NewPCG(37, 38))
	for _, g := range append(patchGeoms, Patches{N: 24, H: 16, W: 16, C: 64, K: 4, Stride: 2, Pad: 1}) {
		for _, n := range []int{128, 40} {
			p := withOutputs(g, rng)
			m, k := p.Rows(), p.Cols()
			dy, w := randomMatrix(rng, m, n), randomMatrix(rng, k, n)
			d := make([]float32, m*k)
			impl.Sgemm(blas.NoTrans, blas.Trans, m, k, n, 1, dy, n, w, n, 0, d, k)
			want := make([]float32, len(p.X))
			for r := 0; r < m; r++ {
				nImg, oy, ox := r/(p.OH*p.OW), r/p.OW%p.OH, r%p.OW
				for col := 0; col < k; col++ {
					i, j, c := col/(p.K*p.C), col/p.C%p.K, col%p.C
					y, x := oy*p.Stride-p.Pad+i, ox*p.Stride-p.Pad+j
					if y >= 0 && y < p.H && x >= 0 && x < p.W {
						want[((nImg*p.H+y)*p.W+x)*p.C+c] += d[r*k+col]
					}
				}
			}
			sameBitsEachProcs(t, fmt.Sprintf("%+v, n %d", g, n), "dx", want, func(got []float32) error {
				return impl.PatchesInputGrad(p, dy, w, n, got)
			})
		}
	}
}

// sameBitsEachProcs runs compute into a NaN-filled slice as long as want
// at each GOMAXPROCS of eachProcs and fails at the first element whose
// bits differ from want's, naming the case, the output and the kernels.
func sameBitsEachProcs(t *testing.T, label, output string, want []float32, compute func(got []float32) error) {
	t.Helper()
	eachProcs(t, func(procs int) {
		got := nanFilled(len(want))
		if err := compute(got); err != nil {
			t.Fatal(err)
		}
		if i := firstDifferentBits(got, want); i >= 0 {
			t.Fatalf("%s, GOMAXPROCS %d, %v: %s[%d] = %v, want %v", label, procs, currentMode(), output, i, got[i], want[i])
		}
	})
}

// BenchmarkPatchProducts times the three products of the encoder's conv2 and
// conv3 at batch 64 (4x4 windows, stride 2, pad 1) as a training step
// calls them, the patch matrix never formed: the convolution
// (PatchesProduct), its input gradient (PatchesInputGrad) and its weight
// gradient (PatchesWeightGrad). BenchmarkSgemm's conv shapes time the
// same arithmetic on a formed patch matrix.
func BenchmarkPatchProducts(b *testing.B) {
	var impl Implementation
	for _, g := range []struct {
		name string
		h, c int // image side and channels in
		n    int // channels out
	}{{"conv2", 16, 64, 128}, {"conv3", 8, 128, 256}} {
		rng := rand.New(rand.NewPCG(1, 1))
		p := withOutputs(Patches{N: 64, H: g.h, W: g.h, C: g.c, K: 4, Stride: 2, Pad: 1}, rng)
		m, k := p.Rows(), p.Cols()
		dy, w := randomMatrix(rng, m, g.n), randomMatrix(rng, k, g.n)
		y, dw, dx := make([]float32, m*g.n), make([]float32, k*g.n), make([]float32, len(p.X))
		gflop := 2 * float64(m) * float64(k) * float64(g.n) / 1e9
		for _, part := range []struct {
			name string
			run  func() error
		}{
			{"forward", func() error { return impl.PatchesProduct(p, w, g.n, y) }},
			{"input_grad", func() error { return impl.PatchesInputGrad(p, dy, w, g.n, dx) }},
			{"weight_grad", func() error { return impl.PatchesWeightGrad(p, dy, g.n, dw) }},
		} {
			b.Run(g.name+"/"+part.name, func(b *testing.B) {
				for b.Loop() {
					if err := part.run(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(gflop*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
			})
		}
	}
}
