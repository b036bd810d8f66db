package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMatMulMatchesDirectProduct checks that gorgonia's float32 and float64
// matrix products, plain and transposed, agree with a direct triple loop
// under whichever BLAS this build installed.
func TestMatMulMatchesDirectProduct(t *testing.T) {
	t.Logf("BLAS: %s (gorgonia: %T, tensor: %T)", Name(), G.WhichBLAS(), tensor.WhichBLAS())
	wantType := map[string]string{"gonum": "gonum.Implementation", "go-avx2": "blas.Implementation", "go-avx512": "blas.Implementation", "openblas": "netlib.Implementation"}[Name()]
	if got := fmt.Sprintf("%T", tensor.WhichBLAS()); got != wantType {
		t.Fatalf("Name() is %q but the tensor package uses %s", Name(), got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const m, k, n = 37, 53, 29
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		a := make([]float64, m*k)
		b := make([]float64, k*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		g := G.NewGraph()
		an := G.NewTensor(g, dt, 2, G.WithShape(m, k), G.WithValue(dense(dt, a, m, k)), G.WithName("a"))
		bn := G.NewTensor(g, dt, 2, G.WithShape(k, n), G.WithValue(dense(dt, b, k, n)), G.WithName("b"))
		c, err := G.Mul(an, bn)
		if err != nil {
			t.Fatal(err)
		}
		// (bᵀ aᵀ)ᵀ = a b exercises the transposed products of the backward pass.
		bt, _ := G.Transpose(bn)
		at, _ := G.Transpose(an)
		ct, err := G.Mul(bt, at)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		got := asFloat64(c.Value().Data())
		gotT := asFloat64(ct.Value().Data())
		vm.Close()
		tol := 1e-4
		if dt == tensor.Float64 {
			tol = 1e-10
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for l := 0; l < k; l++ {
					s += a[i*k+l] * b[l*n+j]
				}
				if math.Abs(got[i*n+j]-s) > tol*(1+math.Abs(s)) || math.Abs(gotT[j*m+i]-s) > tol*(1+math.Abs(s)) {
					t.Fatalf("%v: (ab)[%d][%d] = %v, (bᵀaᵀ)[%d][%d] = %v, want %v", dt, i, j, got[i*n+j], j, i, gotT[j*m+i], s)
				}
			}
		}
	}
}

func dense(dt tensor.Dtype, v []float64, r, c int) *tensor.Dense {
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(append([]float64(nil), v...)))
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(f))
}

func asFloat64(d interface{}) []float64 {
	switch v := d.(type) {
	case []float64:
		return v
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

func TestSetThreads(t *testing.T) {
	before := Threads()
	if before < 1 {
		t.Fatalf("Threads() = %d", before)
	}
	defer SetThreads(before)
	if err := SetThreads(0); err == nil {
		t.Error("zero threads accepted")
	}
	if err := SetThreads(1); err != nil {
		t.Fatal(err)
	}
	if Name() == "openblas" && Threads() != 1 {
		t.Errorf("after SetThreads(1), OpenBLAS reports %d threads", Threads())
	}
}
