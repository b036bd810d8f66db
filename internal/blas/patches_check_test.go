package blas

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPatchesRefuseBadGeometry checks geometries that
// TestPatchesRejectBadInput leaves out, each of which every patch
// product refuses: a negative pad, and a window wider or taller than the
// padded image where the stride makes the output count come out as 1
// all the same ((W+2*Pad-K)/Stride+1 with W+2*Pad-K = -1 and stride 2).
func TestPatchesRefuseBadGeometry(t *testing.T) {
	var impl Implementation
	rng := rand.New(rand.NewPCG(81, 82))
	for _, c := range []struct {
		name string
		p    Patches
		want string
	}{
		{"negative pad", Patches{N: 1, H: 4, W: 4, C: 16, K: 2, Stride: 1, Pad: -1, OH: 1, OW: 1}, "the pad at least 0"},
		{"window wider than the image", Patches{N: 1, H: 4, W: 2, C: 16, K: 3, Stride: 2, OH: 1, OW: 1}, "does not fit"},
		{"window taller than the image", Patches{N: 1, H: 2, W: 4, C: 16, K: 3, Stride: 2, OH: 1, OW: 1}, "does not fit"},
	} {
		p := c.p
		p.X = randomMatrix(rng, 1, p.N*p.H*p.W*p.C)
		m, k := max(1, p.Rows()), max(1, p.Cols())
		y, w := make([]float32, m*16), make([]float32, k*16)
		for op, err := range map[string]error{
			"product":         impl.PatchesProduct(p, w, 16, y),
			"weight gradient": impl.PatchesWeightGrad(p, y, 16, w),
			"input gradient":  impl.PatchesInputGrad(p, y, w, 16, p.X),
		} {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: error %v, want one saying %q", c.name, op, err, c.want)
			}
		}
	}
}
