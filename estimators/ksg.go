package estimators

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mathext"
)

func init() {
	Register(Info{
		Name: "ksg",
		Summary: "Kraskov, Stögbauer & Grassberger (2004) estimator 1: k-nearest neighbours in the max-norm, " +
			"k-d trees, all cores",
		// k = 10 is the larger of the two neighbourhoods that BMI's
		// KSGEnsembleFirstEstimator averages by default, (5, 10): fewer
		// neighbours lower the bias at high MI, more lower the variance.
		Params: Params{"k": 10},
		NewSample: func(p Params) (SampleEstimator, error) {
			k := paramOr(p, "k", 10)
			if k < 1 || k != math.Trunc(k) || k > 1e6 {
				return nil, &ParamError{Param: "k", Err: fmt.Errorf("ksg: k = %g: must be a whole number of neighbours, at least 1", k)}
			}
			return KSG{K: int(k)}, nil
		},
	})
}

// KSG is the first estimator of Kraskov, Stögbauer & Grassberger (2004),
// with the max-norm in every space:
//
//	I = ψ(k) + ψ(N) - ⟨ψ(nₓ(i) + 1) + ψ(n_y(i) + 1)⟩,
//
// where εᵢ is the distance from (xᵢ, yᵢ) to its k-th nearest neighbour in
// the joint space, max(‖x - xᵢ‖∞, ‖y - yᵢ‖∞), and nₓ(i) and n_y(i) count
// the other points strictly closer than εᵢ to xᵢ in the x space and to yᵢ
// in the y space. The max-norm is not invariant to rescaling one
// coordinate, so standardize the coordinates first (the bmi task does).
// Unlike BMI's, the estimate is not clipped at 0.
//
// Neighbours are searched in k-d trees, one per space, by all cores
// (GOMAXPROCS goroutines); the estimate does not depend on their number.
type KSG struct {
	K int
}

// Estimate returns the KSG estimate from s, which needs more than K pairs.
func (e KSG) Estimate(s Sample) (float64, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if s.N <= e.K {
		return 0, fmt.Errorf("ksg: %d pairs: need more than k = %d", s.N, e.K)
	}
	joint := make([]float64, 0, s.N*(s.DimX+s.DimY))
	for i := range s.N {
		joint = append(joint, s.XRow(i)...)
		joint = append(joint, s.YRow(i)...)
	}
	zt, xt, yt := newKDTree(joint, s.DimX+s.DimY), newKDTree(s.X, s.DimX), newKDTree(s.Y, s.DimY)
	terms := make([]float64, s.N)
	parallelFor(s.N, func(i int) {
		d := s.DimX + s.DimY
		eps := zt.kthDistance(joint[i*d:(i+1)*d], i, e.K)
		nx := xt.countWithin(s.XRow(i), i, eps)
		ny := yt.countWithin(s.YRow(i), i, eps)
		terms[i] = mathext.Digamma(float64(nx+1)) + mathext.Digamma(float64(ny+1))
	})
	var sum float64
	for _, v := range terms { // in index order: the same sum on any number of cores
		sum += v
	}
	return mathext.Digamma(float64(e.K)) + mathext.Digamma(float64(s.N)) - sum/float64(s.N), nil
}

// parallelFor calls f(i) for every i in [0, n), spread over GOMAXPROCS
// goroutines in interleaved blocks, and returns when all calls have.
func parallelFor(n int, f func(i int)) {
	const block = 64
	workers := min(runtime.GOMAXPROCS(0), (n+block-1)/block)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * block; start < n; start += workers * block {
				for i := start; i < min(start+block, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}
