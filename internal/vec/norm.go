package vec

// The loops of the normalization layers' passes (package graph's batch
// and layer norms), on float32 or float64 slices, each element computed
// with the Go loop's IEEE operations in its order. float32 runs eight
// elements at a time in AVX2 and the rest in Go: the same bits either
// way, but for the payload of a NaN where two NaNs meet in one operation
// (the assembly takes the left operand's; the Go compiler may order the
// operands of a product either way, and does, differently in two copies
// of one loop). The Go loops convert each product explicitly, which
// rounds it, so that no GOAMD64 level fuses it with the addition after
// it. Every slice must be at least as long as x.

// wide returns how many leading elements of x (n of them) the AVX2
// kernels take: the multiple of eight below n for float32 where the CPU
// has AVX2, else none.
func wide[T float32 | float64](x []T) int {
	if _, ok := any(x).([]float32); ok && hasAVX2 {
		return len(x) &^ 7
	}
	return 0
}

// f32 returns the address of s[0] as a *float32; s is a non-empty
// []float32 as a []T.
func f32[T float32 | float64](s []T) *float32 { return &any(s).([]float32)[0] }

// Affine writes x[j]*p[j] + q[j] into dst[j] (a batch norm's output).
func Affine[T float32 | float64](dst, x, p, q []T) {
	n := len(x)
	dst, p, q = dst[:n], p[:n], q[:n]
	if w := wide(x); w > 0 {
		affine8(w, f32(dst), f32(x), f32(p), f32(q))
		dst, x, p, q = dst[w:], x[w:], p[w:], q[w:]
	}
	for j, v := range x {
		dst[j] = T(v*p[j]) + q[j]
	}
}

// Affine2 writes p[j]*d[j] + q[j]*x[j] + r[j] into dst[j] (a batch
// norm's input gradient).
func Affine2[T float32 | float64](dst, d, x, p, q, r []T) {
	n := len(x)
	dst, d, p, q, r = dst[:n], d[:n], p[:n], q[:n], r[:n]
	if w := wide(x); w > 0 {
		affine2x8(w, f32(dst), f32(d), f32(x), f32(p), f32(q), f32(r))
		dst, d, x, p, q, r = dst[w:], d[w:], x[w:], p[w:], q[w:], r[w:]
	}
	for j, v := range x {
		dst[j] = T(p[j]*d[j]) + T(q[j]*v) + r[j]
	}
}

// ScaleShift writes (x[j]*a + b)*gamma[j] + beta[j] into dst[j] (a layer
// norm's output, a and b its row's inverse deviation and -mean·inv).
func ScaleShift[T float32 | float64](dst, x, gamma, beta []T, a, b T) {
	n := len(x)
	dst, gamma, beta = dst[:n], gamma[:n], beta[:n]
	if w := wide(x); w > 0 {
		scaleShift8(w, f32(dst), f32(x), f32(gamma), f32(beta), float32(a), float32(b))
		dst, x, gamma, beta = dst[w:], x[w:], gamma[w:], beta[w:]
	}
	for j, v := range x {
		dst[j] = T((T(v*a)+b)*gamma[j]) + beta[j]
	}
}

// LayerGrad writes a*d[j]*gamma[j] + k*x[j] + b into dst[j] (a layer
// norm's input gradient for one row).
func LayerGrad[T float32 | float64](dst, d, x, gamma []T, a, k, b T) {
	n := len(x)
	dst, d, gamma = dst[:n], d[:n], gamma[:n]
	if w := wide(x); w > 0 {
		layerGrad8(w, f32(dst), f32(d), f32(x), f32(gamma), float32(a), float32(k), float32(b))
		dst, d, x, gamma = dst[w:], d[w:], x[w:], gamma[w:]
	}
	for j, v := range x {
		dst[j] = T(T(a*d[j])*gamma[j]) + T(k*v) + b
	}
}

// AddNormalized adds float64(d[j]) * (float64(x[j]) - mean) * inv to
// acc[j] (a layer norm's scale gradient, one row's terms), in float64,
// four at a time in AVX2 for float32.
func AddNormalized[T float32 | float64](acc []float64, d, x []T, mean, inv float64) {
	n := len(x)
	acc, d = acc[:n], d[:n]
	if w := wide(x); w > 0 {
		addNormalized8(w, &acc[0], f32(d), f32(x), mean, inv)
		acc, d, x = acc[w:], d[w:], x[w:]
	}
	for j, v := range x {
		acc[j] += float64(float64(d[j]) * (float64(v) - mean) * inv)
	}
}
