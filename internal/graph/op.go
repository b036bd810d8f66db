// Package graph is the gorgonia plumbing under the networks of package
// architectures and the estimators' losses: the custom ops they are built
// from ([ReLU], [Im2Col], the normalization op [Norm], [AddBias], [AllPairSums],
// [Transpose], [Rectify], [Softplus], [Exp] and [WeightedSum], gorgonia's
// own functions bit for bit, and [GatherPairSums] and [ScatterPairs], which
// let a critic score only the pairs an estimator reads), gorgonia's matrix
// product, broadcast and elementwise functions computing into buffers they
// keep ([MatMul], [Kept]), the
// output buffer those ops reuse between runs, the tape machine with its
// tensor engine ([NewTapeMachine], [Engine]), the stop that hands a
// machine's value to another mid-run ([Handoff], with [Backprop]), the
// machine lifecycle ([CloseMachine]) and the BLAS choice.
//
// The ops other than MatMul's and Broadcast's are fused: each computes its
// forward pass, or its analytic gradient, in one pass over the data
// instead of the several temporaries that gorgonia's primitive ops would
// need, and each works on float32 and float64 tensors.
package graph

import (
	"hash/fnv"
	"runtime"

	"github.com/infomax/infomax/internal/parallel"
	G "gorgonia.org/gorgonia"
)

// customOp is embedded by the ops of this package for what they do alike:
// they compute into the output buffer they keep, return that buffer (no
// pointer into an input), call no external code and overwrite no input.
type customOp struct {
	out outputBuffer
}

func (*customOp) ReturnsPtr() bool     { return false }
func (*customOp) CallsExtern() bool    { return false }
func (*customOp) OverwritesInput() int { return -1 }

// hashcode returns the FNV-1a hash of what op writes with WriteHash, the
// Hashcode of every op of this package.
func hashcode(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// parallelRows calls f on contiguous row ranges that cover [0, rows), on
// up to GOMAXPROCS goroutines when the matrix is large enough to pay for
// them (2^15 elements, of a pass that costs a nanosecond or so each).
// chunk receives the range's index.
func parallelRows(rows, cols int, f func(chunk, lo, hi int)) int {
	return splitRows(rows, cols, 1<<15, f)
}

// splitRows is parallelRows for a pass worth splitting from minElems
// elements on.
func splitRows(rows, cols, minElems int, f func(chunk, lo, hi int)) int {
	workers := runtime.GOMAXPROCS(0)
	if rows*cols < minElems {
		workers = 1
	}
	return parallel.Ranges(rows, workers, f)
}
