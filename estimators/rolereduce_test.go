package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestMaskedReductionsAreThePlainLoops checks roleSum (with and without
// e^) and roleMax against plain loops over the scores in row-major order,
// bit for bit (NaN for NaN), on one, two and three cores, on masks below
// and above parallelScores (the larger one's last span partial), with the
// values math.Max folds apart from the builtin max: NaN and +Inf in the
// same role, in either order, -0 and +0, -Inf alone, and a role with no
// score at all.
func TestMaskedReductionsAreThePlainLoops(t *testing.T) {
	nan, inf, negZero := math.NaN(), math.Inf(1), math.Copysign(0, -1)
	specials := map[string]map[int]float64{
		"ordinary":        nil,
		"NaN then +Inf":   {7: nan, 70001: inf},
		"+Inf then NaN":   {7: inf, 70001: nan},
		"NaN":             {70001: nan},
		"zeros":           {-1: 0, -2: negZero},
		"-Inf everywhere": {-3: 0},
	}
	for _, n := range []int{300, 310} { // 90,000 and 96,100 scores
		for name, sp := range specials {
			mask := Diagonal(n)
			rng := rand.New(rand.NewPCG(uint64(n), 9))
			scores := randomScores(rng, n*n, 3)
			for i, v := range sp {
				if i < 0 { // every negative the same value
					for j, role := range mask.Roles {
						if role == Negative {
							scores[j] = map[int]float64{-1: 0, -2: negZero, -3: math.Inf(-1)}[i]
						}
					}
					continue
				}
				if i < len(scores) {
					scores[i] = v
				}
			}
			if name == "zeros" { // +0 and -0 mixed
				for j := range scores {
					if mask.Roles[j] == Negative && j%3 == 0 {
						scores[j] = negZero
					}
				}
			}
			for _, procs := range []int{1, 2, 3} {
				func() {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					where := fmt.Sprintf("%d x %d, %s, %d cores", n, n, name, procs)
					checkReductions(t, where, scores, mask)
				}()
			}
		}
	}
	// A role no score has: roleMax gives -Inf and roleSum 0, with no count.
	mask := &Mask{Rows: 1, Cols: 3, Roles: []Role{Positive, Negative, Negative}}
	if m, n := roleMax([]float64{1, 2, 3}, mask, Ignored, identity); !math.IsInf(m, -1) || n != 0 {
		t.Errorf("roleMax of an absent role: %v, %d; want -Inf, 0", m, n)
	}
	if s, n := roleSum([]float64{1, 2, 3}, mask, Ignored, identity, true); s != 0 || n != 0 {
		t.Errorf("roleSum of an absent role: %v, %d; want 0, 0", s, n)
	}
}

// checkReductions compares the masked reductions with plain loops on
// scores, for both roles.
func checkReductions(t *testing.T, where string, scores []float64, mask *Mask) {
	t.Helper()
	for _, r := range []Role{Positive, Negative} {
		wantMax, wantSum, wantExp, wantN := math.Inf(-1), 0.0, 0.0, 0
		for i, role := range mask.Roles {
			if role == r {
				wantMax = math.Max(wantMax, scores[i])
				wantSum += scores[i]
				wantExp += math.Exp(scores[i])
				wantN++
			}
		}
		if m, n := roleMax(scores, mask, r, identity); !sameBits(m, wantMax) || n != wantN {
			t.Errorf("%s, role %v: roleMax %v (%d), the plain loop %v (%d)", where, r, m, n, wantMax, wantN)
		}
		if s, n := roleSum(scores, mask, r, identity, false); !sameBits(s, wantSum) || n != wantN {
			t.Errorf("%s, role %v: roleSum %v (%d), the plain loop %v (%d)", where, r, s, n, wantSum, wantN)
		}
		if s, _ := roleSum(scores, mask, r, identity, true); !sameBits(s, wantExp) {
			t.Errorf("%s, role %v: roleSum of e^s %v, the plain loop %v", where, r, s, wantExp)
		}
	}
}

// TestSMILEClipIsMathsClip checks smile's clip against math.Max(-tau,
// math.Min(tau, s)) bit for bit on scores of every kind, NaN and the
// infinities included, for positive taus (the builtins) and others a
// struct literal could hold (math's own).
func TestSMILEClipIsMathsClip(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	scores := []float64{nan, inf, -inf, 0, math.Copysign(0, -1), 1, -1, 4.9, 5, 5.1, -5, -5.1, 1e300, -1e300, 5e-324}
	for _, tau := range []float64{5, 1e9, inf, 5e-324, 0, math.Copysign(0, -1), -1, nan, -inf} {
		clip := SMILE{Tau: tau}.clip()
		for _, s := range scores {
			want := math.Max(-tau, math.Min(tau, s))
			if got := clip(s); !sameBits(got, want) {
				t.Errorf("tau %v: clip(%v) = %v, math's %v", tau, s, got, want)
			}
		}
	}
}
