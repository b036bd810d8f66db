package architectures

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float64Discriminator builds a float64 prior discriminator in→h1→h2→1
// into g with normal random weights and biases, and an input batch z of n
// rows in [0, 1).
func float64Discriminator(g *G.ExprGraph, rng *rand.Rand, n, in, h1, h2 int) (*PriorDiscriminator, *G.Node) {
	sizes := []int{in, h1, h2, 1}
	net := &MLP{}
	for i := 0; i+1 < len(sizes); i++ {
		net.Layers = append(net.Layers, &Linear{
			W: float64Node(g, rng, "w", 1/math.Sqrt(float64(sizes[i])), 0, sizes[i], sizes[i+1]),
			B: float64Node(g, rng, "b", 0.3, 0, sizes[i+1]),
		})
	}
	z := float64Node(g, rng, "z", 0.3, 0.5, n, in)
	return &PriorDiscriminator{Net: net}, z
}

// evalScalars runs vm and returns the values of nodes, which must be
// float64, flattened, before resetting it.
func evalScalars(t *testing.T, vm G.VM, n *G.Node) []float64 {
	t.Helper()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	defer vm.Reset()
	switch v := n.Value().Data().(type) {
	case float64:
		return []float64{v}
	case []float64:
		return append([]float64(nil), v...)
	}
	t.Fatalf("%s holds %T", n.Name(), n.Value().Data())
	return nil
}

// TestDiscriminatorInputGradientMatchesFiniteDifferences checks the
// closed-form input gradient of the prior discriminator against central
// finite differences of its logits with respect to each input entry, and
// that its logits are those of Forward.
func TestDiscriminatorInputGradientMatchesFiniteDifferences(t *testing.T) {
	const n, in, h1, h2 = 4, 5, 7, 6
	rng := rand.New(rand.NewPCG(3, 4))
	g := G.NewGraph()
	d, z := float64Discriminator(g, rng, n, in, h1, h2)
	logits, grad, err := d.ForwardWithInputGradient(z)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := d.Forward(z)
	if err != nil {
		t.Fatal(err)
	}
	shapeIs(t, "grad", grad, n, in)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := append([]float64(nil), grad.Value().Data().([]float64)...)
	l1 := append([]float64(nil), logits.Value().Data().([]float64)...)
	l2 := plain.Value().Data().([]float64)
	vm.Reset()
	for i := range l1 {
		if math.Abs(l1[i]-l2[i]) > 1e-12 {
			t.Fatalf("logit %d: %v with the gradient, %v from Forward", i, l1[i], l2[i])
		}
	}
	zs := z.Value().Data().([]float64)
	var norm float64
	for r := 0; r < n; r++ {
		for k := 0; k < in; k++ {
			fd := centralDifference(zs, r*in+k, 1e-6, func() float64 { return evalScalars(t, vm, logits)[r] })
			if math.Abs(fd-got[r*in+k]) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("dD(z_%d)/dz[%d][%d] = %v, finite difference %v", r, r, k, got[r*in+k], fd)
			}
			norm += fd * fd
		}
	}
	if norm == 0 {
		t.Fatal("every input gradient is zero: the test checks nothing")
	}
}

// TestGradientPenaltyParameterGradientsMatchFiniteDifferences checks the
// gradient, by G.Grad through the closed-form input gradient, against
// central finite differences for every parameter it reaches: of the
// penalty (1/N) Σ_n ‖∂D(z_n)/∂z_n‖² alone with respect to the weights
// (the biases only move the ReLU masks, so its gradient in them is 0 almost
// everywhere), and of the penalty plus the mean logit, as the
// discriminator's loss combines them, with respect to every parameter.
func TestGradientPenaltyParameterGradientsMatchFiniteDifferences(t *testing.T) {
	for _, withLogits := range []bool{false, true} {
		checkPenaltyGradients(t, withLogits)
	}
}

// checkPenaltyGradients is one case of
// TestGradientPenaltyParameterGradientsMatchFiniteDifferences.
func checkPenaltyGradients(t *testing.T, withLogits bool) {
	const n, in, h1, h2 = 5, 4, 6, 5
	rng := rand.New(rand.NewPCG(5, 6))
	g := G.NewGraph()
	d, z := float64Discriminator(g, rng, n, in, h1, h2)
	logits, grad, err := d.ForwardWithInputGradient(z)
	if err != nil {
		t.Fatal(err)
	}
	var b opChain
	cost := b.do(GradientPenalty, grad)
	params := G.Nodes{d.Net.Layers[0].W, d.Net.Layers[1].W, d.Net.Layers[2].W}
	if withLogits {
		cost = b.do2(G.Add, cost, b.do(func(x *G.Node) (*G.Node, error) { return G.Mean(x) }, logits))
		params = d.Learnables()
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	if _, err := G.Grad(cost, params...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	evalScalars(t, vm, cost)
	grads := make([][]float64, len(params))
	for i, p := range params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = append([]float64(nil), gv.Data().([]float64)...)
	}
	var norm float64
	for i, p := range params {
		w := p.Value().Data().([]float64)
		for j := range w {
			fd := centralDifference(w, j, 1e-6, func() float64 { return evalScalars(t, vm, cost)[0] })
			if math.Abs(fd-grads[i][j]) > 1e-5*(1+math.Abs(fd)) {
				t.Errorf("with logits %v: d cost / d param %d [%d] = %v, finite difference %v", withLogits, i, j, grads[i][j], fd)
			}
			norm += fd * fd
		}
	}
	if norm == 0 {
		t.Fatalf("with logits %v: every gradient is zero: the test checks nothing", withLogits)
	}
}

// TestGradientPenaltyValue checks the penalty (1/N) Σ_n ‖g_n‖², the squared
// norm of each row of the input gradient averaged over the batch, on a
// gradient given by hand.
func TestGradientPenaltyValue(t *testing.T) {
	g := G.NewGraph()
	grad := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("grad"),
		G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, -1, 0, -2}))))
	p, err := GradientPenalty(grad)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if got, want := evalScalars(t, vm, p)[0], (5.0+10+4)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("penalty %v, want (1/3)(5 + 10 + 4) = %v", got, want)
	}
}
