// Package optim holds the optimizer every infomax model trains with.
//
// Adam is written here rather than taken from gorgonia because its state
// must be saved in checkpoints (gorgonia's AdamSolver keeps its moments
// unexported) and because a training step should not allocate: it updates
// the parameters' backing arrays in place.
package optim

import (
	"cmp"
	"fmt"
	"math"
	"runtime"

	"github.com/infomax/infomax/internal/hugepage"
	"github.com/infomax/infomax/internal/parallel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Adam is the Adam optimizer (Kingma & Ba 2015) over a fixed list of
// gorgonia parameters. Its exported fields are its whole state.
//
// Adam reads each parameter's gradient from the node G.Grad returned for
// it, which every run of the graph overwrites, so the machine need not
// bind dual values (G.BindDualValues): a bound machine adds every
// gradient into its parameter's dual value after computing it, one more
// pass over all the gradients that then have to be cleared. PyTorch's
// references likewise set each gradient to None before the backward pass
// instead of accumulating into it.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// Step counts the updates made so far.
	Step int
	// M and V are the first and second moment estimates, one slice per
	// parameter, in the order of the parameters given to NewAdam; nil
	// where the optimizer keeps float32 moments, in M32 and V32 instead
	// (made by NewAdamMoments with Float32Moments; nil otherwise).
	M, V     [][]float64
	M32, V32 [][]float32

	params, grads G.Nodes
	moments       Moments   // the precision NewAdamMoments was given
	segs          []segment // Update's and Start's scratch, reused from step to step
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

// NewAdam returns an Adam optimizer for params, whose gradients are the
// nodes grads, one per parameter in the same order: what G.Grad returned
// for them. It keeps float64 moments. The settings must pass
// [CheckSettings].
func NewAdam(params, grads G.Nodes, lr, beta1, beta2 float64) (*Adam, error) {
	return NewAdamMoments(Float64Moments, params, grads, lr, beta1, beta2)
}

// NewAdamMoments is NewAdam with the moments kept in the given precision.
// Float32Moments needs every parameter to be float32.
func NewAdamMoments(moments Moments, params, grads G.Nodes, lr, beta1, beta2 float64) (*Adam, error) {
	if err := CheckSettings(lr, beta1, beta2); err != nil {
		return nil, fmt.Errorf("adam: %w", err)
	}
	if err := CheckMoments(string(moments)); err != nil {
		return nil, fmt.Errorf("adam: %w", err)
	}
	if len(grads) != len(params) {
		return nil, fmt.Errorf("adam: %d gradients for %d parameters", len(grads), len(params))
	}
	a := &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, params: params, grads: grads, moments: cmp.Or(moments, Float64Moments)}
	sizes, total := make([]int, len(params)), 0
	for i, p := range params {
		if !grads[i].Shape().Eq(p.Shape()) {
			return nil, fmt.Errorf("adam: parameter %s has shape %v but its gradient %v", p.Name(), p.Shape(), grads[i].Shape())
		}
		if dt := p.Dtype(); a.moments == Float32Moments && dt != tensor.Float32 {
			return nil, fmt.Errorf("adam: parameter %s is %v: float32 moments need float32 parameters", p.Name(), dt)
		}
		sizes[i] = p.Shape().TotalSize()
		total += sizes[i]
	}
	// Each moment is one buffer for all parameters, cut into one slice a
	// parameter, so that huge pages cover all of it (package hugepage).
	if a.moments == Float32Moments {
		a.M32, a.V32 = cut(hugepage.Float32s(total), sizes), cut(hugepage.Float32s(total), sizes)
	} else {
		a.M, a.V = cut(hugepage.Float64s(total), sizes), cut(hugepage.Float64s(total), sizes)
	}
	return a, nil
}

// cut cuts buf into consecutive slices of the given sizes, each with its
// length as its capacity.
func cut[T any](buf []T, sizes []int) [][]T {
	parts := make([][]T, len(sizes))
	for i, n := range sizes {
		parts[i], buf = buf[:n:n], buf[n:]
	}
	return parts
}

// Moments returns the precision the optimizer keeps its moments in.
func (a *Adam) Moments() Moments { return a.moments }

// Update applies one Adam step to every parameter from the gradients the
// last run of the graph computed. Each element's update depends only on
// that element, so the parameters, taken end to end as one long vector,
// are split into contiguous ranges across GOMAXPROCS goroutines with the
// same results.
func (a *Adam) Update() error {
	total, err := a.stepSegments()
	if err != nil {
		return err
	}
	a.apply(a.segs, total)
	return nil
}

// stepSegments counts one step and collects every parameter's segment into
// a.segs, checking the gradients, and returns the elements in all.
func (a *Adam) stepSegments() (total int, err error) {
	a.Step++
	segs, total, err := a.collect(a.segs[:0], 0, len(a.params))
	if err != nil {
		return 0, err
	}
	a.segs = segs
	return total, nil
}

// Start is Update begun on an idle core: it counts the step, checks the
// gradients and hands the update to a helper goroutine (see
// [parallel.Start]), and returns at once. Until the caller calls wait, it
// may do other work that neither reads nor writes the parameters, their
// gradients or the moments, nor calls a's methods or reads its fields
// (another model's step, say, but not a checkpoint of this one); wait
// updates what the helper has not, with the other cores idle by then, and
// returns when every parameter is updated. A second call of wait does
// nothing. The results are Update's, bit for bit. A checking error is
// returned before any weight changes, with a wait that does nothing.
func (a *Adam) Start() (wait func(), err error) {
	total, err := a.stepSegments()
	if err != nil {
		return func() {}, err
	}
	segs, s := a.segs, a.stepNow()
	s32 := s.float32s()
	started := parallel.Start((total+startChunk-1)/startChunk, func(c int) {
		a.applyRange(segs, s, s32, c*startChunk, min((c+1)*startChunk, total))
	})
	return started.Wait, nil
}

// startChunk is how many elements Start's update takes at a time: about
// 40 microseconds of one core's work, small enough that the caller's wait
// takes over the rest of the job wherever its other work ends.
const startChunk = 1 << 15

// Begin counts one Adam step, which UpdateParams then applies to the
// parameters part by part: Begin, then UpdateParams over ranges that
// cover every parameter once, is Update, bit for bit. The ranges may run
// at once on different goroutines (each core updating the parameters
// whose gradients it computed), but not at once with Begin or Update.
func (a *Adam) Begin() { a.Step++ }

// UpdateParams applies the step Begin counted to parameters [first, end)
// of those given to NewAdam, from the gradients the last run of the graph
// computed: split across idle cores as Update is, where there are any,
// else on the calling goroutine. It checks every gradient of the range
// before it changes any weight.
func (a *Adam) UpdateParams(first, end int) error {
	if first < 0 || end > len(a.params) || first > end {
		return fmt.Errorf("adam: parameters [%d, %d) of %d", first, end, len(a.params))
	}
	if a.Step == 0 {
		return fmt.Errorf("adam: UpdateParams before Begin")
	}
	segs, total, err := a.collect(make([]segment, 0, end-first), first, end)
	if err != nil {
		return err
	}
	a.apply(segs, total)
	return nil
}

// apply applies the step a.Step counts to segs, which lie end to end in
// [0, total), split into contiguous ranges across idle cores.
func (a *Adam) apply(segs []segment, total int) {
	s := a.stepNow()
	s32 := s.float32s()
	inParallel(total, func(lo, hi int) { a.applyRange(segs, s, s32, lo, hi) })
}

// applyRange applies step s (s32 in float32) to the elements of segs in
// [lo, hi).
func (a *Adam) applyRange(segs []segment, s adamStep, s32 adamStep32, lo, hi int) {
	for _, sg := range segs {
		if l, h := max(lo, sg.start)-sg.start, min(hi, sg.start+sg.n)-sg.start; l < h {
			a.updateSegment(s, s32, sg, l, h)
		}
	}
}

// stepNow returns the settings of the step a.Step counts, with its bias
// corrections.
func (a *Adam) stepNow() adamStep {
	return adamStep{lr: a.LR, b1: a.Beta1, b2: a.Beta2, eps: a.Eps,
		c1: 1 - math.Pow(a.Beta1, float64(a.Step)),
		c2: 1 - math.Pow(a.Beta2, float64(a.Step))}
}

// updateSegment applies step s (s32 in float32, for float32 moments) to
// elements [l, h) of segment sg, and flushes their first moments'
// subnormals on every flushEvery-th step.
func (a *Adam) updateSegment(s adamStep, s32 adamStep32, sg segment, l, h int) {
	if sg.m32 != nil {
		adamUpdateMoments32(s32, sg.w32[l:h], sg.g32[l:h], sg.m32[l:h], sg.v32[l:h])
		if a.Step%flushEvery == 0 {
			flushSubnormals32(sg.m32[l:h])
		}
		return
	}
	m, v := sg.m[l:h], sg.v[l:h]
	if sg.w32 == nil {
		adamUpdate(s, sg.w64[l:h], sg.g64[l:h], m, v)
		return
	}
	adamUpdate32(s, sg.w32[l:h], sg.g32[l:h], m, v)
	if a.Step%flushEvery == 0 {
		flushSubnormals(m)
	}
}

// flushEvery is how often, in steps, Update flushes the first moments'
// subnormals (flushSubnormals). A moment that turns subnormal stays so
// for at most flushEvery-1 steps; the pass, a read of every first moment,
// costs about a sixty-fourth of one as often.
const flushEvery = 64

// flushSubnormals sets each subnormal in m to zero with its sign. Update
// flushes the float64 first moments of float32 weights only: a float64
// weight's update from a subnormal m need not round to zero. (Float32
// moments have flushSubnormals32, at the same steps.)
//
// A weight whose gradient stays zero (a dead ReLU unit's, say) sees its
// first moment shrink by beta1 a step and, at beta1 = 0.9, turn subnormal
// some 6,700 steps later. The CPU then takes a slow microcode path for
// every product that reads or makes a subnormal: by step 12,000 the
// separable Gaussian step, with 3.3% of its first moments subnormal, ran
// 20% slower (1,540 → 1,240 steps/s). Flushing them, at any step, leaves
// every float32 weight as it was, bit for bit, for any learning rate below
// 2^792, betas in [0, 1) and NewAdam's eps of 1e-8 or any larger:
//   - A subnormal m, however small c1 and large lr, makes an update
//     lr*(m/c1)/(sqrt(v/c2)+eps) below 2^-150 in magnitude, which rounds
//     to a float32 zero with m's sign, as a zero m's update does. A
//     weight minus either zero is the weight, but for a weight of -0 (no
//     initializer makes one, and a - b is -0 only where a is).
//   - The next moment, b1*m + (1-b1)*g, is the same: where g is not
//     zero, (1-b1)*g is at least 2^-53 * 2^-149, and a subnormal b1*m is
//     less than half its last place. Where g is zero, both are zero or
//     subnormal, and the moment stays a zero or subnormal, whose sign
//     again matters only to a weight of -0, until g is not zero.
//
// The second moment is left alone: at beta2 = 0.999 it takes some 700,000
// steps of zero gradients to turn subnormal.
func flushSubnormals(m []float64) {
	for i, x := range m {
		if b := math.Float64bits(x); b&0x7ff0000000000000 == 0 && b<<1 != 0 {
			m[i] = math.Float64frombits(b &^ (1<<63 - 1))
		}
	}
}

// segment is one parameter's place in the vector of all parameters that
// Update splits: its weights and gradient (float32 or float64), moments
// (float64 in m and v, or float32 in m32 and v32), first index and length.
type segment struct {
	w32, g32 []float32
	w64, g64 []float64
	m, v     []float64
	m32, v32 []float32
	start, n int
}

// collect appends to segs parameters [first, end)'s weights, gradients
// and moments, as they are this step, laid end to end from 0, and returns
// segs and their total length.
func (a *Adam) collect(segs []segment, first, end int) ([]segment, int, error) {
	total := 0
	for i := first; i < end; i++ {
		sg, err := a.segmentOf(i, total)
		if err != nil {
			return nil, 0, err
		}
		segs = append(segs, sg)
		total += sg.n
	}
	return segs, total, nil
}

// segmentOf returns parameter i's weights, gradient and moments as they
// are this step, as a segment starting at start.
func (a *Adam) segmentOf(i, start int) (segment, error) {
	p := a.params[i]
	gv, err := gradientOf(p, a.grads[i])
	if err != nil {
		return segment{}, err
	}
	sg := segment{start: start}
	if a.M32 != nil {
		sg.m32, sg.v32, sg.n = a.M32[i], a.V32[i], len(a.M32[i])
	} else {
		sg.m, sg.v, sg.n = a.M[i], a.V[i], len(a.M[i])
	}
	var ok bool
	switch w := p.Value().Data().(type) {
	case []float32:
		sg.w32 = w
		sg.g32, ok = gv.Data().([]float32)
		ok = ok && len(sg.g32) == len(w)
	case []float64:
		sg.w64 = w
		sg.g64, ok = gv.Data().([]float64)
		ok = ok && len(sg.g64) == len(w)
	default:
		return segment{}, fmt.Errorf("adam: parameter %s has unsupported type %T", p.Name(), w)
	}
	if !ok || max(len(sg.v), len(sg.v32)) != sg.n || (sg.w32 != nil && len(sg.w32) != sg.n) || (sg.w64 != nil && len(sg.w64) != sg.n) ||
		(sg.m32 != nil && sg.w32 == nil) {
		return segment{}, fmt.Errorf("adam: parameter %s's gradient or moments do not match its %d values", p.Name(), sg.n)
	}
	return sg, nil
}

// gradientOf returns the value of p's gradient node g as the last run
// left it: a tensor whose backing array holds the gradient in order.
func gradientOf(p, g *G.Node) (tensor.Tensor, error) {
	t, ok := g.Value().(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("adam: parameter %s has no gradient yet: run the graph before Update", p.Name())
	}
	if d, ok := t.(*tensor.Dense); ok && d.IsMaterializable() {
		return nil, fmt.Errorf("adam: parameter %s's gradient is a strided view, not a plain tensor", p.Name())
	}
	return t, nil
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
// and FMA it runs adamKernel4 on the elements up to the last multiple of
// four and the Go loop on the rest; the two give the same bits. Once c1
// has rounded to 1, where useKernel8z is set, adamKernel8z (adamKernel8d
// where useDivider is set too) takes the elements up to the last multiple
// of eight first, with the same bits again. The kernels' divisions are
// exact for bias corrections c1 and c2 in [2^-53, 1], which betas in [0,
// 1) give (CheckSettings); other betas, set on Adam's fields directly,
// leave every element to the Go loop.
func adamUpdate32(s adamStep, w, g []float32, m, v []float64) {
	if n := len(w) &^ 7; useKernel8z && n > 0 && s.c1 == 1 && kernelDivides(s.c2) {
		g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
		if useDivider {
			adamKernel8d(n, &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
		} else {
			adamKernel8z(n, &w[0], &g[0], &m[0], &v[0], s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c2, s.eps, 1/s.c2)
		}
		w, g, m, v = w[n:], g[n:], m[n:], v[n:]
	}
	if n := len(w) &^ 3; hasAVX2FMA && n > 0 && kernelDivides(s.c1) && kernelDivides(s.c2) {
		g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
		adamKernel4(n, &w[0], &g[0], &m[0], &v[0],
			s.b1, 1-s.b1, s.b2, 1-s.b2, s.lr, s.c1, s.c2, s.eps, 1/s.c1, 1/s.c2)
		w, g, m, v = w[n:], g[n:], m[n:], v[n:]
	}
	adamUpdate(s, w, g, m, v)
}

// kernelDivides reports whether adamKernel4 divides by c exactly: c is
// in [2^-53, 1].
func kernelDivides(c float64) bool { return c >= 0x1p-53 && c <= 1 }

// parallelMin is the fewest elements worth splitting across goroutines.
const parallelMin = 1 << 14

// inParallel calls f on contiguous ranges that cover [0, n), on up to
// GOMAXPROCS goroutines when n is large enough to pay for them.
func inParallel(n int, f func(lo, hi int)) {
	parallel.Ranges(n, min(runtime.GOMAXPROCS(0), n/parallelMin), func(_, lo, hi int) { f(lo, hi) })
}

// Params returns the parameters the optimizer updates.
func (a *Adam) Params() G.Nodes { return a.params }

// Grads returns the nodes holding the parameters' gradients, in the order
// of Params.
func (a *Adam) Grads() G.Nodes { return a.grads }
