// Package optim holds the optimizer every infomax model trains with.
//
// Adam is written here rather than taken from gorgonia because its state
// must be saved in checkpoints (gorgonia's AdamSolver keeps its moments
// unexported) and because a training step should not allocate: it updates
// the parameters' backing arrays in place.
package optim

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Adam is the Adam optimizer (Kingma & Ba 2015) over a fixed list of
// gorgonia parameters. Its exported fields are its whole state.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// Step counts the updates made so far.
	Step int
	// M and V are the first and second moment estimates, one slice per
	// parameter, in the order of the parameters given to NewAdam.
	M, V [][]float64

	params G.Nodes
}

// CheckSettings reports the first impossible Adam setting, naming it by the
// key a sweep file gives it (lr, beta1, beta2): the learning rate must be
// positive and finite, and the betas in [0, 1). Task configs call it from
// their Validate.
func CheckSettings(lr, beta1, beta2 float64) error {
	switch {
	case !(lr > 0) || math.IsInf(lr, 0):
		return fmt.Errorf("lr = %g: must be a positive, finite learning rate", lr)
	case !(beta1 >= 0 && beta1 < 1):
		return fmt.Errorf("beta1 = %g: must be in [0, 1)", beta1)
	case !(beta2 >= 0 && beta2 < 1):
		return fmt.Errorf("beta2 = %g: must be in [0, 1)", beta2)
	}
	return nil
}

// NewAdam returns an Adam optimizer for params. The settings must pass
// [CheckSettings].
func NewAdam(params G.Nodes, lr, beta1, beta2 float64) (*Adam, error) {
	if err := CheckSettings(lr, beta1, beta2); err != nil {
		return nil, fmt.Errorf("adam: %w", err)
	}
	a := &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, params: params}
	for _, p := range params {
		n := p.Shape().TotalSize()
		a.M = append(a.M, make([]float64, n))
		a.V = append(a.V, make([]float64, n))
	}
	return a, nil
}

// Update applies one Adam step to every parameter from the gradients the
// last backward pass left on them, then zeroes those gradients: gorgonia's
// tape machine adds each backward pass's gradients to what is there. Each
// element's update depends only on that element, so a large parameter is
// split across GOMAXPROCS goroutines with the same results.
func (a *Adam) Update() error {
	a.Step++
	s := adamStep{lr: a.LR, b1: a.Beta1, b2: a.Beta2, eps: a.Eps,
		c1: 1 - math.Pow(a.Beta1, float64(a.Step)),
		c2: 1 - math.Pow(a.Beta2, float64(a.Step))}
	for i, p := range a.params {
		gv, err := p.Grad()
		if err != nil {
			return fmt.Errorf("adam: parameter %s has no gradient: %w", p.Name(), err)
		}
		m, v := a.M[i], a.V[i]
		switch w := p.Value().Data().(type) {
		case []float32:
			g, ok := gv.Data().([]float32)
			if !ok || len(g) != len(w) {
				return fmt.Errorf("adam: parameter %s's gradient is not a float32 slice of its size", p.Name())
			}
			inParallel(len(w), func(lo, hi int) {
				adamUpdate32(s, w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])
				clear(g[lo:hi]) // while it is in cache
			})
		case []float64:
			g, ok := gv.Data().([]float64)
			if !ok || len(g) != len(w) {
				return fmt.Errorf("adam: parameter %s's gradient is not a float64 slice of its size", p.Name())
			}
			inParallel(len(w), func(lo, hi int) {
				adamUpdate(s, w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])
				clear(g[lo:hi])
			})
		default:
			return fmt.Errorf("adam: parameter %s has unsupported type %T", p.Name(), w)
		}
	}
	return nil
}

// adamStep holds the settings of one Adam step and its bias corrections
// c1 = 1 - beta1^t and c2 = 1 - beta2^t.
type adamStep struct {
	lr, b1, b2, eps, c1, c2 float64
}

// adamUpdate applies step s to the weights w with gradients g and moments
// m and v, element by element, in float64. The explicit float64
// conversions round each product on its own, as the spec promises they
// do, so that no GOAMD64 level fuses a multiply and an add: the results
// stay those of adamKernel4 and of every other build.
func adamUpdate[T float32 | float64](s adamStep, w, g []T, m, v []float64) {
	for j := range w {
		gj := float64(g[j])
		m[j] = float64(s.b1*m[j]) + float64((1-s.b1)*gj)
		v[j] = float64(s.b2*v[j]) + float64((1-s.b2)*gj*gj)
		w[j] -= T(s.lr * (m[j] / s.c1) / (math.Sqrt(v[j]/s.c2) + s.eps))
	}
}

// adamUpdate32 is adamUpdate for float32 weights. Where the CPU has AVX2
// it runs adamKernel4 on the elements up to the last multiple of four and
// the Go loop on the rest; the two give the same bits.
func adamUpdate32(s adamStep, w, g []float32, m, v []float64) {
	if n := len(w) &^ 3; hasAVX2 && n > 0 {
		g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
		adamKernel4(n, &w[0], &g[0], &m[0], &v[0],
			s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c1, s.c2, s.eps)
		w, g, m, v = w[n:], g[n:], m[n:], v[n:]
	}
	adamUpdate(s, w, g, m, v)
}

// parallelMin is the fewest elements worth splitting across goroutines.
const parallelMin = 1 << 14

// inParallel calls f on contiguous ranges that cover [0, n), on up to
// GOMAXPROCS goroutines when n is large enough to pay for them.
func inParallel(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers <= 1 {
		f(0, n)
		return
	}
	size := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += size {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+size, n))
	}
	wg.Wait()
}

// Params returns the parameters the optimizer updates.
func (a *Adam) Params() G.Nodes { return a.params }

// ZeroGrads zeroes every parameter's gradient, as Update does after using
// them; call it before the first step if gradients may hold stale values.
func (a *Adam) ZeroGrads() error {
	for _, p := range a.params {
		gv, err := p.Grad()
		if err != nil {
			return err
		}
		if t, ok := gv.(tensor.Tensor); ok {
			t.Zero()
		}
	}
	return nil
}
