package architectures

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/internal/blas"
)

// TestBLASAgreesWithGonum runs the paper-width encoder, an encode-and-dot
// critic and the jsd loss forward and backward with the BLAS this build
// chose, then again with gonum's pure-Go BLAS, and checks that the loss
// and the first layer's gradient agree. Under -tags openblas it compares
// OpenBLAS with gonum; in the default build both runs use gonum.
func TestBLASAgreesWithGonum(t *testing.T) {
	sp := PaperEncoder(3)
	const n = 4
	g, enc, out := encodeImages(t, sp, n, 9)
	critic, scores := encodeAndDotScores(t, g, out, LocalCriticSpec{LocalChannels: 128, GlobalDim: 64, Units: 256})
	params := append(enc.Learnables(), critic.Learnables()...)
	terms, _ := jsdTerms(t, scores, estimators.Blocks(n, 64), params)
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	run := func() (float64, []float32) {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer vm.Reset()
		gv, err := enc.Conv1.W.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad := append([]float32(nil), gv.Data().([]float32)...)
		// The tape machine accumulates gradients across runs: zero them.
		for _, p := range params {
			if d, err := p.Grad(); err == nil {
				d.(*tensor.Dense).Zero()
			}
		}
		return float64(terms.Loss.Value().Data().(float32)), grad
	}
	loss, grad := run()
	chosen := G.WhichBLAS()
	G.Use(gonum.Implementation{})
	defer G.Use(chosen)
	refLoss, refGrad := run()
	t.Logf("BLAS %s: loss %v; gonum: %v", blas.Name(), loss, refLoss)
	if math.Abs(loss-refLoss) > 1e-4*(1+math.Abs(refLoss)) {
		t.Errorf("loss %v with %s, %v with gonum", loss, blas.Name(), refLoss)
	}
	var diff, norm float64
	for i := range grad {
		d := float64(grad[i] - refGrad[i])
		diff += d * d
		norm += float64(refGrad[i]) * float64(refGrad[i])
	}
	if norm == 0 || math.Sqrt(diff/norm) > 1e-3 {
		t.Errorf("first-layer gradients differ by %v relative (norm² %v)", math.Sqrt(diff/norm), norm)
	}
}
