package graph

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/internal/vec"
)

// ReLU returns max(x, 0) elementwise as one fused op whose gradient is
// another (dy where x > 0, else 0). gorgonia's Rectify builds a comparison
// and a product forward and more ops backward; this does one pass each
// way.
func ReLU(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&activationOp{dims: x.Shape().Dims(), kind: relu}, x)
}

// Rectify returns gorgonia's Rectify of x, x ⊙ (x ≥ 0), bit for bit, as
// one fused op whose gradient is another, dy ⊙ (x ≥ 0). It differs from
// [ReLU] only where x is zero or negative zero (Rectify passes dy there and
// keeps the sign of a zero x, negative inputs give -0): the MLPs that were
// built on gorgonia's Rectify keep every bit of their results, without its
// comparison, product and the product's unused second gradient.
func Rectify(x *G.Node) (*G.Node, error) {
	if x.IsScalar() {
		return G.Rectify(x)
	}
	return G.ApplyOp(&activationOp{dims: x.Shape().Dims(), kind: rectify}, x)
}

// Softplus returns gorgonia's Softplus of x, log(1 + eˣ), bit for bit, as
// one op whose gradient is another, σ(x) ⊙ dy: the same float64
// arithmetic per element as gorgonia's own (its default build, without
// the fastmath tag), split across cores. The jsd loss applies it to every
// one of the local critic's 64 × 4,096 scores, which gorgonia's op and its
// gradient's sigmoid and product run on one core.
func Softplus(x *G.Node) (*G.Node, error) {
	if x.IsScalar() {
		return G.Softplus(x) // a scalar is no tensor type to the op; gorgonia's is as fast
	}
	return G.ApplyOp(&activationOp{dims: x.Shape().Dims(), kind: softplus}, x)
}

// Exp returns gorgonia's Exp of x, eˣ, bit for bit (math32.Exp on float32,
// as gorgonia's tensor package calls it, through vec.Exp's eight-wide copy
// of its instructions, and math.Exp on float64), split across cores and
// into a kept buffer. Its gradient is gorgonia's, y ⊙ dy,
// as a [Kept] product. The estimators take it of every score.
func Exp(x *G.Node) (*G.Node, error) {
	if x.IsScalar() {
		return G.Exp(x)
	}
	return G.ApplyOp(&activationOp{dims: x.Shape().Dims(), kind: exp}, x)
}

// Step returns the step function of x, 1 where x > 0 and 0 elsewhere
// (NaN included), in x's type: gorgonia's Gt(x, 0, true), bit for bit,
// as one op split across cores into a kept buffer. Like gorgonia's
// comparison it has no gradient. The prior discriminator's input
// gradient takes it of its two hidden layers' pre-activations, where
// gorgonia's comparison took 4.4 ns an element on one core (0.57 ms of
// the DIM step at batch 64).
func Step(x *G.Node) (*G.Node, error) {
	if x.IsScalar() {
		return nil, fmt.Errorf("graph.Step: x is a scalar, want a tensor")
	}
	return G.ApplyOp(&activationOp{dims: x.Shape().Dims(), kind: step}, x)
}

// activation is the function an activationOp applies element by element.
type activation uint8

const (
	relu     activation = iota // max(x, 0); gradient dy where x > 0, else 0
	rectify                    // x ⊙ (x ≥ 0); gradient dy ⊙ (x ≥ 0), as gorgonia's Rectify
	softplus                   // log(1 + eˣ); gradient σ(x) ⊙ dy, as gorgonia's Softplus
	exp                        // eˣ; gradient eˣ ⊙ dy from the output, as gorgonia's Exp
	step                       // 1 where x > 0, else 0, as gorgonia's Gt(x, 0, true); no gradient
)

var activationNames = [...]string{relu: "ReLU", rectify: "Rectify", softplus: "Softplus", exp: "Exp", step: "Step"}

// activationOp computes its kind's function (grad false, input x) or that
// function's backward pass (grad true, inputs x and dy).
type activationOp struct {
	customOp
	dims int
	grad bool
	kind activation
}

func (op *activationOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op *activationOp) Type() hm.Type {
	t := G.TensorType{Dims: op.dims, Of: hm.TypeVariable('a')}
	if op.grad {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op *activationOp) InferShape(ns ...G.DimSizer) (tensor.Shape, error) {
	if len(ns) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op, len(ns), op.Arity())
	}
	s, ok := ns[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: input is %T, not a shape", op, ns[0])
	}
	return s.Clone(), nil
}

func (op *activationOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%d", op, op.dims) }
func (op *activationOp) Hashcode() uint32      { return hashcode(op) }

func (op *activationOp) String() string {
	if op.grad {
		return activationNames[op.kind] + "∂"
	}
	return activationNames[op.kind]
}

func (op *activationOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), op.Arity())
	}
	return op.UsePreallocDo(op.out.get(vals[0].Dtype(), vals[0].Shape()), vals...)
}

// UsePreallocDo computes into prealloc when its size and type fit.
func (op *activationOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	if !ok || len(vals) != op.Arity() {
		return nil, fmt.Errorf("%s: unusable destination %T", op, prealloc)
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok || out.Dtype() != x.Dtype() || out.Shape().TotalSize() != x.Shape().TotalSize() {
		return nil, fmt.Errorf("%s: destination does not fit the input", op)
	}
	var dy *tensor.Dense
	if op.grad {
		if dy, ok = vals[1].(*tensor.Dense); !ok || dy.Shape().TotalSize() != x.Shape().TotalSize() {
			return nil, fmt.Errorf("%s: gradient does not fit the input", op)
		}
	}
	switch x.Dtype() {
	case tensor.Float32:
		activationSplit(x.Float32s(), dy, out.Float32s(), op.kind)
	case tensor.Float64:
		activationSplit(x.Float64s(), dy, out.Float64s(), op.kind)
	default:
		return nil, fmt.Errorf("%s: unsupported type %v", op, x.Dtype())
	}
	return out, nil
}

// activationSplit runs kind's function, or with dy its gradient, over
// contiguous ranges on up to GOMAXPROCS goroutines (see parallelRows);
// every element is computed alone, so the result is the same however the
// ranges fall.
func activationSplit[T float32 | float64](x []T, dy *tensor.Dense, out []T, kind activation) {
	var d []T
	if dy != nil {
		d = dy.Data().([]T)
	}
	minElems := 1 << 15
	if kind == softplus {
		// tens of nanoseconds an element in float64 math: the
		// Gaussian critics' 64 × 64 scores are worth splitting.
		minElems = 1 << 11
	}
	splitRows(len(x), 1, minElems, func(_, lo, hi int) {
		var dr []T
		if d != nil {
			dr = d[lo:hi]
		}
		switch kind {
		case rectify:
			rectifyInto(x[lo:hi], dr, out[lo:hi])
		case softplus:
			softplusInto(x[lo:hi], dr, out[lo:hi])
		case exp:
			expInto(x[lo:hi], out[lo:hi])
		case step:
			stepInto(x[lo:hi], out[lo:hi])
		default:
			reluInto(x[lo:hi], dr, out[lo:hi])
		}
	})
}

// softplusInto writes gorgonia's softplus of x to out, or, with the
// gradient d, gorgonia's sigmoid of x times d.
func softplusInto[T float32 | float64](x, d, out []T) {
	out = out[:len(x)]
	if x32, ok := any(x).([]float32); ok {
		softplusInto32(x32, any(d).([]float32), any(out).([]float32))
		return
	}
	if d == nil {
		for i, v := range x {
			out[i] = gorgoniaSoftplus(v)
		}
		return
	}
	d = d[:len(x)]
	for i, v := range x {
		out[i] = gorgoniaSigmoid(v) * d[i]
	}
}

// softplusInto32 is softplusInto for float32, through softplus32 and
// sigmoid32, four elements at a time in AVX2 where the CPU has it
// (softplus4, sigmoid4): gorgonia's bits, faster.
func softplusInto32(x, d, out []float32) {
	out = out[:len(x)]
	if d == nil {
		inBlocks(len(x), func(lo int) int { return lo + softplus4(len(x[lo:])&^3, &out[lo], &x[lo]) },
			func(i int) { out[i] = softplus32(x[i]) })
		return
	}
	d = d[:len(x)]
	inBlocks(len(x), func(lo int) int { return lo + sigmoid4(len(x[lo:])&^3, &out[lo], &x[lo], &d[lo]) },
		func(i int) { out[i] = sigmoid32(x[i]) * d[i] })
}

// inBlocks covers [0, n) with fast, an assembly kernel of four-element
// blocks that starts at lo and returns where it stopped (before a block it
// leaves to the Go code, or at the last whole block), and with slow, the Go
// code of one element, for the block fast stopped at and the tail. Without
// AVX2 slow does it all.
func inBlocks(n int, fast func(lo int) int, slow func(i int)) {
	i := 0
	for hasAVX2 && n-i >= 4 {
		i = fast(i)
		for end := min(i+4, n&^3); i < end; i++ { // the block fast stopped at
			slow(i)
		}
	}
	for ; i < n; i++ {
		slow(i)
	}
}

// expInto writes gorgonia's eˣ of x to out: math32.Exp's bits for float32
// through vec.Exp, math.Exp's for float64 through vec.Exp64.
func expInto[T float32 | float64](x, out []T) {
	out = out[:len(x)]
	if x32, ok := any(x).([]float32); ok {
		vec.Exp(any(out).([]float32), x32)
		return
	}
	vec.Exp64(any(out).([]float64), any(x).([]float64))
}

// gorgoniaSoftplus is gorgonia v0.9.18's _softplusf32 and _softplusf64
// (math.go), thresholds and float64 arithmetic included.
func gorgoniaSoftplus[T float32 | float64](x T) T {
	if _, f32 := any(x).(float32); f32 {
		switch {
		case x < -103:
			return 0
		case x > 14:
			return x
		}
		return T(float32(math.Log1p(math.Exp(float64(x)))))
	}
	switch {
	case x < -708:
		return 0
	case x > 16:
		return x
	}
	return T(math.Log1p(math.Exp(float64(x))))
}

// gorgoniaSigmoid is gorgonia v0.9.18's _sigmoidf32 and _sigmoidf64 of
// its default build (math_nooptim.go).
func gorgoniaSigmoid[T float32 | float64](x T) T {
	if _, f32 := any(x).(float32); f32 {
		switch {
		case x < -88:
			return 0
		case x > 15:
			return 1
		}
		return T(float32(1.0 / (1.0 + math.Exp(float64(-x)))))
	}
	switch {
	case x < -709:
		return 0
	case x > 19:
		return 1
	}
	return T(1.0 / (1.0 + math.Exp(float64(-x))))
}

// rectifyInto writes gorgonia's Rectify, x times the mask (x ≥ 0) as 1 or
// 0, to out, or, with the gradient d, d times the mask: the same products
// as gorgonia's comparison and Hadamard product, so the same bits.
func rectifyInto[T float32 | float64](x, d, out []T) {
	if x32, ok := any(x).([]float32); ok {
		d32, _ := any(d).([]float32)
		rectify32(x32, d32, any(out).([]float32))
		return
	}
	for i, v := range x {
		var m T
		if v >= 0 {
			m = 1
		}
		if d == nil {
			out[i] = v * m
		} else {
			out[i] = d[i] * m
		}
	}
}

// rectify32 is rectifyInto for float32 without a branch per element: the
// mask is chosen as bits by a conditional move, since the signs of a
// layer's pre-activations are as good as random to a branch predictor
// (four times faster on 65,536 normal values). Where the CPU has AVX2,
// rectify8 does the same eight at a time up to the last multiple of
// eight.
func rectify32(x, d, out []float32) {
	out = out[:len(x)]
	if n := len(x) &^ 7; hasAVX2 && n > 0 {
		var dp *float32
		if d != nil {
			d = d[:len(x)]
			dp = &d[0]
			d = d[n:]
		}
		rectify8(n, &x[0], dp, &out[0])
		x, out = x[n:], out[n:]
	}
	if d == nil {
		for i, v := range x {
			m := uint32(0)
			if v >= 0 {
				m = 0x3f800000 // 1.0
			}
			out[i] = v * math.Float32frombits(m)
		}
		return
	}
	d = d[:len(x)]
	for i, v := range x {
		m := uint32(0)
		if v >= 0 {
			m = 0x3f800000
		}
		out[i] = d[i] * math.Float32frombits(m)
	}
}

// reluInto writes max(x, 0) to out, or, with the gradient d, d where x > 0
// and 0 elsewhere.
func reluInto[T float32 | float64](x, d, out []T) {
	if x32, ok := any(x).([]float32); ok {
		if d == nil {
			relu32(x32, any(out).([]float32))
		} else {
			reluGrad32(x32, any(d).([]float32), any(out).([]float32))
		}
		return
	}
	if d == nil {
		for i, v := range x {
			out[i] = max(v, 0)
		}
		return
	}
	for i, v := range x {
		if v > 0 {
			out[i] = d[i]
		} else {
			out[i] = 0
		}
	}
}

// relu32 writes max(x, 0) to out, eight at a time with relu8 where the
// CPU has AVX2, with max's bits: x where x > 0, +0 for -0 and below, and a
// NaN's payload with its sign bit cleared.
func relu32(x, out []float32) {
	out = out[:len(x)]
	if n := len(x) &^ 7; hasAVX2 && n > 0 {
		relu8(n, &x[0], &out[0])
		x, out = x[n:], out[n:]
	}
	for i, v := range x {
		out[i] = max(v, 0)
	}
}

// reluGrad32 writes d where x > 0 and 0 elsewhere, keeping or clearing
// d's bits with a mask chosen by a conditional move rather than a branch
// (see rectify32), eight at a time with reluGrad8 where the CPU has AVX2.
func reluGrad32(x, d, out []float32) {
	out, d = out[:len(x)], d[:len(x)]
	if n := len(x) &^ 7; hasAVX2 && n > 0 {
		reluGrad8(n, &x[0], &d[0], &out[0])
		x, d, out = x[n:], d[n:], out[n:]
	}
	for i, v := range x {
		m := uint32(0)
		if v > 0 {
			m = 0xffffffff
		}
		out[i] = math.Float32frombits(math.Float32bits(d[i]) & m)
	}
}

// stepInto writes 1 where x > 0 and 0 elsewhere to out, the value
// chosen by a conditional move rather than a branch (see rectify32).
func stepInto[T float32 | float64](x, out []T) {
	out = out[:len(x)]
	if x32, ok := any(x).([]float32); ok {
		o32 := any(out).([]float32)
		for i, v := range x32 {
			m := uint32(0)
			if v > 0 {
				m = 0x3f800000 // 1.0
			}
			o32[i] = math.Float32frombits(m)
		}
		return
	}
	for i, v := range x {
		var m T
		if v > 0 {
			m = 1
		}
		out[i] = m
	}
}

// DiffWRT says the forward op is differentiable in x, but for Step.
func (op *activationOp) DiffWRT(inputs int) []bool { return []bool{!op.grad && op.kind != step} }

// SymDiff returns the masked gradient.
func (op *activationOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad || op.kind == step {
		return nil, fmt.Errorf("%s: no derivative", op)
	}
	if op.kind == exp {
		// gorgonia's: the output times the gradient.
		dx, err := Kept(func(in ...*G.Node) (*G.Node, error) { return G.HadamardProd(in[0], in[1]) }, output, grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{dx}, nil
	}
	dx, err := G.ApplyOp(&activationOp{dims: op.dims, grad: true, kind: op.kind}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// reluGrad returns the gradient node of a ReLU fused into another op
// (NormReLU, AddBiasReLU), from that op's output y and its gradient dy:
// dy where y > 0, else 0. It is the gradient [ReLU] takes from its input
// x, bit for bit: y = max(x, 0) is positive exactly where x is (a NaN x
// gives a NaN y, positive in neither).
func reluGrad(y, dy *G.Node) (*G.Node, error) {
	return G.ApplyOp(&activationOp{dims: y.Shape().Dims(), grad: true, kind: relu}, y, dy)
}
