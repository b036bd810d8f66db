package graph

import "math"

// Fast float32 softplus and sigmoid with gorgonia's bits.
//
// Gorgonia computes a float32 softplus as float32(log1p(exp(x))) in
// float64, with Go's math.Exp and math.Log1p: about 27 ns an element, the
// largest elementwise cost of a JSD step. softplus32 and sigmoid32 compute
// the same float64 value another way, to about 2⁻⁴⁴ of it, in a few
// nanoseconds (an exp from a 64-entry table and a degree-5 polynomial, a
// log from a 128-entry table and a degree-7 polynomial, both evaluated
// by Estrin's scheme), and round it to
// float32. Both float64 values lie within a few hundred float64 units in
// the last place (ulps) of the true one, so they round to the same float32
// unless a float32 rounding boundary, a midpoint between two float32s,
// lies between them. Where the fast value is within roundingMargin ulps of
// a midpoint (about 1.5 in 100,000 elements), and wherever the result would
// be a subnormal float32 or the input is not finite, they compute
// gorgonia's own arithmetic instead. TestFastSoftplusIsGorgonias compares
// the two on three million float32 inputs spread over the whole range and
// around each boundary; every one of the 2³² float32 bit patterns was
// compared once. softplus4 and sigmoid4 (softplus_amd64.s) run the same
// float64 operations four lanes at a time in AVX2.

// roundingMargin is how close, in float64 ulps, a fast value may come to a
// float32 rounding boundary before gorgonia's arithmetic decides: 2¹², 16
// times the worst error of the two float64 computations measured against
// each other (2⁸ ulps).
const roundingMargin = 1 << 12

// expTableBits is log₂ of the entries of exp2Table.
const expTableBits = 6

var (
	// exp2Table[j] = 2^(j/64).
	exp2Table [1 << expTableBits]float64
	// logInv[j] = 1/(1 + j/128) rounded, and logOf[j] = -log(logInv[j]) of
	// that rounded value, so that log(m) = logOf[j] + log(m·logInv[j]).
	logInv, logOf [1 << logTableBits]float64
)

// logTableBits is log₂ of the entries of logInv and logOf.
const logTableBits = 7

func init() {
	for j := range exp2Table {
		exp2Table[j] = math.Exp2(float64(j) / (1 << expTableBits))
	}
	for j := range logInv {
		logInv[j] = 1 / (1 + float64(j)/(1<<logTableBits))
		logOf[j] = -math.Log(logInv[j])
	}
}

// Cody-Waite constants of fastExp: ln2/64 split into a high part with
// trailing zero bits, so that k·ln2Hi is exact for the k that occur, and
// the rest.
const (
	expScale = (1 << expTableBits) / math.Ln2
	ln2Hi    = 0x1.62e42fee00000p-7  // ln2/64 to 32 significant bits
	ln2Lo    = 0x1.a39ef35793c76p-39 // ln2/64 - ln2Hi
	shifter  = 0x1.8p52              // adding it rounds a float64 below 2⁵¹ to an integer
)

// fastExp returns eᵃ to about 2⁻⁵⁰ relative error for a in [-100, 100].
func fastExp(a float64) float64 {
	kd := a*expScale + shifter
	k := int64(math.Float64bits(kd)) // the low bits hold round(a·expScale)
	kd -= shifter
	r := a - kd*ln2Hi - kd*ln2Lo // |r| <= ln2/128
	r2 := r * r                  // Estrin's scheme: a shorter chain than Horner's
	p := (1 + r) + r2*((1.0/2+r*(1.0/6))+r2*(1.0/24+r*(1.0/120)))
	scale := math.Float64bits(exp2Table[k&(1<<expTableBits-1)]) + uint64(k>>expTableBits)<<52
	return math.Float64frombits(scale) * p
}

// fastLog1p returns log(1+t) for t in [0, 1] to about 2⁻⁴⁴ relative
// error.
func fastLog1p(t float64) float64 {
	u := 1 + t
	c := t - (u - 1) // what rounding 1+t dropped, exactly
	bits := math.Float64bits(u)
	e := float64(bits>>52) - 1023 // 0, or 1 for u = 2
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52)
	j := bits >> (52 - logTableBits) & (1<<logTableBits - 1)
	z := m*logInv[j] - 1 // in [0, 1/128)
	z2 := z * z
	z4 := z2 * z2
	p := z * ((1 - z*(1.0/2)) + z2*(1.0/3-z*(1.0/4)) + z4*((1.0/5-z*(1.0/6))+z2*(1.0/7)))
	return e*math.Ln2 + (logOf[j] + (p + c*logInv[j]*(1-e/2)))
}

// nearMidpoint reports whether y, a positive float64, lies within
// roundingMargin ulps of a midpoint between two float32s, where another
// float64 that close to it might round to another float32.
func nearMidpoint(y float64) bool {
	low := int64(math.Float64bits(y) & (1<<29 - 1)) // the bits float32 drops
	d := low - 1<<28
	return d < roundingMargin && d > -roundingMargin
}

// minNormalArg is the least x whose softplus and sigmoid are normal
// float32s (e⁻⁸⁶ > 2⁻¹²⁶); below it the low bits nearMidpoint reads are
// not the ones float32 rounds at.
const minNormalArg = -86

// softplus32 is gorgonia's float32 softplus, gorgoniaSoftplus[float32].
func softplus32(x float32) float32 {
	switch {
	case x < -103:
		return 0
	case x > 14:
		return x
	case !(x >= minNormalArg): // and NaN
		return gorgoniaSoftplus(x)
	}
	a := float64(x)
	y := fastLog1p(fastExp(-math.Abs(a))) + 0.5*(a+math.Abs(a)) // + max(a, 0)
	if nearMidpoint(y) {
		return gorgoniaSoftplus(x)
	}
	return float32(y)
}

// sigmoid32 is gorgonia's float32 sigmoid, gorgoniaSigmoid[float32].
func sigmoid32(x float32) float32 {
	switch {
	case x < -88:
		return 0
	case x > 15:
		return 1
	case !(x >= minNormalArg):
		return gorgoniaSigmoid(x)
	}
	y := 1 / (1 + fastExp(-float64(x)))
	if nearMidpoint(y) {
		return gorgoniaSigmoid(x)
	}
	return float32(y)
}
