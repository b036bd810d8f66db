// Package vec holds element-wise loops over float32 slices that the Go
// compiler leaves scalar, in AVX2 assembly where the CPU has it: each
// element is computed alone, with the same IEEE operation as the Go loop,
// so every build gives the same bits.
package vec

// Add adds src into dst element by element: dst[i] += src[i] for i below
// len(src). dst must be at least as long as src.
func Add(dst, src []float32) {
	dst = dst[:len(src)]
	if n := len(src) &^ 7; hasAVX2 && n > 0 {
		add8(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	for i, v := range src {
		dst[i] += v
	}
}
