package estimators

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gaussianPairs returns n pairs of d-dimensional x ~ N(0, I) and
// y = rho x + sqrt(1-rho²) eps, whose MI is -d/2 log(1-rho²).
func gaussianPairs(rng *rand.Rand, n, d int, rho float64) Sample {
	s := Sample{N: n, DimX: d, DimY: d, X: make([]float64, n*d), Y: make([]float64, n*d)}
	for i := range s.X {
		s.X[i] = rng.NormFloat64()
		s.Y[i] = rho*s.X[i] + math.Sqrt(1-rho*rho)*rng.NormFloat64()
	}
	return s
}

func TestRegistryKinds(t *testing.T) {
	for _, name := range []string{"ksg", "cca"} {
		info, err := Lookup(name)
		if err != nil || !info.Classic() || !strings.HasPrefix(info.Kind(), "classic") {
			t.Errorf("Lookup(%s) = %+v, %v; want a classic estimator", name, info, err)
		}
		if !contains(SampleNames(), name) || contains(CriticNames(), name) {
			t.Errorf("%s: SampleNames %v, CriticNames %v", name, SampleNames(), CriticNames())
		}
		if _, err := New(name, nil); err == nil || !strings.Contains(err.Error(), "classic estimator") || !strings.Contains(err.Error(), "jsd") {
			t.Errorf("New(%s) = %v; want an error saying it is classic and naming the critic-based ones", name, err)
		}
	}
	if _, err := NewSample("jsd", nil); err == nil || !strings.Contains(err.Error(), "trains a critic") || !strings.Contains(err.Error(), "ksg") {
		t.Errorf("NewSample(jsd) = %v; want an error naming the classic estimators", err)
	}
	if info, _ := Lookup("jsd"); info.Classic() || !strings.HasPrefix(info.Kind(), "neural") {
		t.Errorf("jsd's kind is %q", info.Kind())
	}
	if _, err := NewSample("ksg", Params{"neighbours": 3}); err == nil || !strings.Contains(err.Error(), `no parameter "neighbours"`) {
		t.Errorf("NewSample(ksg, neighbours) = %v; want the unknown parameter named", err)
	}
	for _, k := range []float64{0, -1, 2.5} {
		if _, err := NewSample("ksg", Params{"k": k}); err == nil || !strings.Contains(err.Error(), "k = ") {
			t.Errorf("NewSample(ksg, k = %g) = %v; want an error naming k", k, err)
		}
	}
}

// TestRegisterNeedsExactlyOneFactory checks that an estimator with both
// factories, or neither, is refused at registration.
func TestRegisterNeedsExactlyOneFactory(t *testing.T) {
	newFn := func(Params) (Estimator, error) { return nil, nil }
	sampleFn := func(Params) (SampleEstimator, error) { return CCA{}, nil }
	for _, info := range []Info{
		{Name: "test-both", New: newFn, NewSample: sampleFn},
		{Name: "test-neither"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "exactly one") {
					t.Errorf("Register(%s) panicked with %v; want a panic saying exactly one factory", info.Name, r)
				}
			}()
			Register(info)
		}()
	}
}

func TestSampleValidate(t *testing.T) {
	for _, s := range []Sample{
		{N: 0, DimX: 1, DimY: 1},
		{N: 2, DimX: 1, DimY: 1, X: []float64{1}, Y: []float64{1, 2}},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v validated", s)
		}
		for _, name := range SampleNames() {
			e, _ := NewSample(name, nil)
			if _, err := e.Estimate(s); err == nil {
				t.Errorf("%s estimated from the broken sample %+v", name, s)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestLookupCritic(t *testing.T) {
	if _, err := LookupCritic("jsd"); err != nil {
		t.Errorf("LookupCritic(jsd): %v", err)
	}
	if _, err := LookupCritic("ksg"); err == nil || !strings.Contains(err.Error(), "classic") {
		t.Errorf("LookupCritic(ksg) = %v; want an error saying it is classic", err)
	}
	if _, err := LookupCritic("jsdd"); err == nil || !strings.Contains(err.Error(), `did you mean "jsd"`) {
		t.Errorf("LookupCritic(jsdd) = %v; want the unknown-name error", err)
	}
}
