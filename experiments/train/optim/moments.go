package optim

import (
	"fmt"
	"math"
)

// Moments is the precision Adam keeps its moment estimates in, and does
// its arithmetic in.
type Moments string

// The precisions of Adam's moments, as a sweep file's adam_moments key
// names them.
const (
	// Float64Moments keeps the moments in float64 and computes each update
	// in float64, rounding only the weight's change to float32: every
	// task's default, and the arithmetic every shipped result was made
	// with. An update reads and writes 44 bytes a float32 weight.
	Float64Moments Moments = "float64"
	// Float32Moments keeps the moments in float32 and computes each update
	// in float32, as PyTorch's torch.optim.Adam does for float32 weights
	// (and so the official DIM code): 28 bytes a weight, so a step whose
	// update is bound by memory, as DIM's is, spends about a third less
	// time in it. The formula is Float64Moments's; its roundings are not
	// PyTorch's, bit for bit, and every 64 steps it flushes the first
	// moments' subnormals to zero (flushSubnormals32), which PyTorch does
	// not.
	Float32Moments Moments = "float32"
)

// CheckMoments reports an error unless s names a precision of Adam's
// moments, naming it by its key in a sweep file, adam_moments. The empty
// string is Float64Moments, the default.
func CheckMoments(s string) error {
	switch Moments(s) {
	case "", Float64Moments, Float32Moments:
		return nil
	}
	return fmt.Errorf("adam_moments = %q: must be %q (the default) or %q (as PyTorch's Adam keeps them)", s, Float64Moments, Float32Moments)
}

// MomentsKey checks s, a task config's adam_moments, and returns it as the
// config keeps it after validation: the default, Float64Moments, written
// as "", which a config's TOML leaves out (omitempty), so that runs from
// before the key existed keep their ids; Float32Moments as it is.
func MomentsKey(s string) (string, error) {
	if err := CheckMoments(s); err != nil {
		return "", err
	}
	if s == string(Float64Moments) {
		return "", nil
	}
	return s, nil
}

// CheckAdam checks a task config's Adam keys, lr, beta1, beta2 (see
// CheckSettings) then adam_moments, and returns adam_moments as the config
// keeps it (see MomentsKey).
func CheckAdam(lr, beta1, beta2 float64, moments string) (string, error) {
	if err := CheckSettings(lr, beta1, beta2); err != nil {
		return "", err
	}
	return MomentsKey(moments)
}

// MomentsBytes returns the bytes Adam's two moments take a weight under
// s, a task config's adam_moments: 16 for float64 moments (the default,
// "" or "float64"), 8 for float32 ones. Memory estimates add it to their
// other bytes a weight.
func MomentsBytes(s string) float64 {
	if s == string(Float32Moments) {
		return 8
	}
	return 16
}

// adamStep32 is an adamStep in float32, for float32 moments: its
// settings and bias corrections rounded to float32, and omb1 = 1-b1 and
// omb2 = 1-b2 computed in float64 before they are.
type adamStep32 struct {
	lr, b1, omb1, b2, omb2, eps, c1, c2 float32
}

// float32s returns s in float32, for float32 moments.
func (s adamStep) float32s() adamStep32 {
	return adamStep32{lr: float32(s.lr), b1: float32(s.b1), omb1: float32(1 - s.b1), b2: float32(s.b2), omb2: float32(1 - s.b2),
		eps: float32(s.eps), c1: float32(s.c1), c2: float32(s.c2)}
}

// adamUpdateMoments32 applies step s to the float32 weights w with
// gradients g and float32 moments m and v, element by element, each
// operation in float32 and rounded on its own (the conversions keep any
// GOAMD64 level from fusing a multiply with an add). Where the CPU has
// AVX2 and FMA, adamKernel8s takes the elements up to the last multiple of
// eight, with the same bits.
func adamUpdateMoments32(s adamStep32, w, g, m, v []float32) {
	if n := len(w) &^ 7; hasAVX2FMA && n > 0 {
		g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
		adamKernel8s(n, &w[0], &g[0], &m[0], &v[0], s.b1, s.omb1, s.b2, s.omb2, s.lr, s.c1, s.c2, s.eps)
		w, g, m, v = w[n:], g[n:], m[n:], v[n:]
	}
	adamLoopMoments32(s, w, g, m, v)
}

// adamLoopMoments32 is adamUpdateMoments32 without the kernel: the Go loop
// that defines its bits.
func adamLoopMoments32(s adamStep32, w, g, m, v []float32) {
	for j := range w {
		gj := g[j]
		m[j] = float32(s.b1*m[j]) + float32(s.omb1*gj)
		v[j] = float32(s.b2*v[j]) + float32(float32(s.omb2*gj)*gj)
		w[j] -= float32(s.lr*(m[j]/s.c1)) / (float32(math.Sqrt(float64(v[j]/s.c2))) + s.eps)
	}
}

// flushSubnormals32 sets each subnormal in m, float32 first moments, to
// zero with its sign; Update calls it at the steps it calls flushSubnormals.
// It is part of what an update with float32 moments computes, not a
// shortcut to the same bits: a subnormal m's update, at most 2^-126 *
// lr/eps, need not round away against a tiny weight. What it saves: a
// dead unit's m, shrinking by beta1 a step, reaches the subnormals after
// some hundreds of steps and, at beta1 = 0.9, stays there for good (0.9
// times the least subnormal rounds to it), and the CPU takes a slow
// microcode path for every vector that holds one (on the Intel Xeon,
// adamUpdateMoments32 ran 17 times slower on 16,384 subnormal moments).
// PyTorch's Adam does not flush.
func flushSubnormals32(m []float32) {
	for i, x := range m {
		if b := math.Float32bits(x); b&0x7f800000 == 0 && b<<1 != 0 {
			m[i] = math.Float32frombits(b &^ (1<<31 - 1))
		}
	}
}
