package architectures

import (
	"math"
	"math/rand/v2"
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

// TestEncodeAndDotScoresAreDotProducts checks that the encode-and-dot
// critic's score (i, j) is φ(y_i)·ψ(l_j), of shape (codes, local rows),
// both with this build's BLAS (the transposed product in place where the
// kernel has it) and with gonum's, under which dotScores transposes the
// product itself.
func TestEncodeAndDotScoresAreDotProducts(t *testing.T) {
	const n, r, c, d, u = 2, 6, 3, 4, 5
	for _, useGonum := range []bool{false, true} {
		if useGonum {
			chosen := G.WhichBLAS()
			G.Use(gonum.Implementation{})
			defer G.Use(chosen)
		}
		g := G.NewGraph()
		critic, err := NewEncodeAndDot(g, NewInit(4), LocalCriticSpec{LocalChannels: c, GlobalDim: d, Units: u})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		rows := G.NewMatrix(g, Dtype, G.WithShape(r, c), G.WithName("rows"), G.WithValue(randomMatrix(rng, r, c)))
		y := G.NewMatrix(g, Dtype, G.WithShape(n, d), G.WithName("y"), G.WithValue(randomMatrix(rng, n, d)))
		scores, err := critic.Scores(rows, y)
		if err != nil {
			t.Fatal(err)
		}
		psi, err := critic.Local.Forward(rows)
		if err != nil {
			t.Fatal(err)
		}
		phi, err := critic.Global.Forward(y)
		if err != nil {
			t.Fatal(err)
		}
		runGraph(t, g)
		if s := scores.Shape(); s.Dims() != 2 || s[0] != n || s[1] != r {
			t.Fatalf("gonum %v: scores of shape %v, want (%d, %d)", useGonum, s, n, r)
		}
		got, ps, ph := scores.Value().Data().([]float32), psi.Value().Data().([]float32), phi.Value().Data().([]float32)
		for i := range n {
			for j := range r {
				var want float64
				for k := range u {
					want += float64(ph[i*u+k]) * float64(ps[j*u+k])
				}
				if math.Abs(float64(got[i*r+j])-want) > 1e-5*(1+math.Abs(want)) {
					t.Errorf("gonum %v: score (%d, %d) = %v, want φ(y)·ψ(l) = %v", useGonum, i, j, got[i*r+j], want)
				}
			}
		}
	}
}
