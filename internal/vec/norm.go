package vec

// The loops of the normalization layers' passes (package graph's batch
// and layer norms), each element computed with the Go loop's IEEE
// operations in its order, eight elements at a time in AVX2 and the rest
// in Go: the same bits either way, but for the payload of a NaN where
// two NaNs meet in one operation (the assembly takes the left operand's;
// the Go compiler may order the operands of a product either way, and
// does, differently in two copies of one loop). The Go loops convert each
// product explicitly, which rounds it, so that no GOAMD64 level fuses it
// with the addition after it. Every slice must be at least as long as x.

// Affine writes x[j]*p[j] + q[j] into dst[j] (a batch norm's output).
func Affine(dst, x, p, q []float32) {
	n := len(x)
	dst, p, q = dst[:n], p[:n], q[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		affine8(w, &dst[0], &x[0], &p[0], &q[0])
		dst, x, p, q = dst[w:], x[w:], p[w:], q[w:]
	}
	for j, v := range x {
		dst[j] = float32(v*p[j]) + q[j]
	}
}

// Affine2 writes p[j]*d[j] + q[j]*x[j] + r[j] into dst[j] (a batch
// norm's input gradient).
func Affine2(dst, d, x, p, q, r []float32) {
	n := len(x)
	dst, d, p, q, r = dst[:n], d[:n], p[:n], q[:n], r[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		affine2x8(w, &dst[0], &d[0], &x[0], &p[0], &q[0], &r[0])
		dst, d, x, p, q, r = dst[w:], d[w:], x[w:], p[w:], q[w:], r[w:]
	}
	for j, v := range x {
		dst[j] = float32(p[j]*d[j]) + float32(q[j]*v) + r[j]
	}
}

// ScaleShift writes (x[j]*a + b)*gamma[j] + beta[j] into dst[j] (a layer
// norm's output, a and b its row's inverse deviation and -mean·inv).
func ScaleShift(dst, x, gamma, beta []float32, a, b float32) {
	n := len(x)
	dst, gamma, beta = dst[:n], gamma[:n], beta[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		scaleShift8(w, &dst[0], &x[0], &gamma[0], &beta[0], a, b)
		dst, x, gamma, beta = dst[w:], x[w:], gamma[w:], beta[w:]
	}
	for j, v := range x {
		dst[j] = float32((float32(v*a)+b)*gamma[j]) + beta[j]
	}
}

// LayerGrad writes a*d[j]*gamma[j] + k*x[j] + b into dst[j] (a layer
// norm's input gradient for one row).
func LayerGrad(dst, d, x, gamma []float32, a, k, b float32) {
	n := len(x)
	dst, d, gamma = dst[:n], d[:n], gamma[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		layerGrad8(w, &dst[0], &d[0], &x[0], &gamma[0], a, k, b)
		dst, d, x, gamma = dst[w:], d[w:], x[w:], gamma[w:]
	}
	for j, v := range x {
		dst[j] = float32(float32(a*d[j])*gamma[j]) + float32(k*v) + b
	}
}

// AddNormalized adds float64(d[j]) * (float64(x[j]) - mean) * inv to
// acc[j] (a layer norm's scale gradient, one row's terms), in float64,
// four at a time in AVX2.
func AddNormalized(acc []float64, d, x []float32, mean, inv float64) {
	n := len(x)
	acc, d = acc[:n], d[:n]
	if w := n &^ 7; hasAVX2 && w > 0 {
		addNormalized8(w, &acc[0], &d[0], &x[0], mean, inv)
		acc, d, x = acc[w:], d[w:], x[w:]
	}
	for j, v := range x {
		acc[j] += float64(float64(d[j]) * (float64(v) - mean) * inv)
	}
}
