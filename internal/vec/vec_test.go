package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddMatchesTheGoLoop checks Add against dst[i] += src[i] bit for bit,
// at every length from 0 to 70 (the eight-wide, four-block and scalar
// tails) and on values whose sums round, overflow, cancel to zeros of
// either sign and carry NaNs; on a CPU without AVX2 it checks the Go loop
// alone.
func TestAddMatchesTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1e-45}
	for n := 0; n <= 70; n++ {
		dst, src := make([]float32, n+1), make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64() * 1e3)
			dst[i] = float32(rng.NormFloat64())
			if i%5 == 0 {
				src[i], dst[i] = special[i%len(special)], special[(i/5)%len(special)]
			}
		}
		dst[n] = 42 // past src: must stay
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
