package estimators

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestNegativeSamplerKeepsKPerRow checks that every row keeps its positives
// and exactly K negatives drawn from its own, each negative drawn with
// probability K/n over many samples (n the row's negatives), for K well
// below n and for K = n-1, the largest K that still draws.
func TestNegativeSamplerKeepsKPerRow(t *testing.T) {
	for _, c := range []struct {
		base *Mask
		k    int
	}{{Blocks(4, 5), 3}, {Diagonal(4), 2}} {
		checkSamplerDraws(t, c.base, c.k)
	}
}

// checkSamplerDraws samples k negatives a row of base 3,000 times and
// checks the roles of every draw and how often each negative is drawn.
func checkSamplerDraws(t *testing.T, base *Mask, k int) {
	t.Helper()
	s, err := NewNegativeSampler(base, k)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	drawn := make([]int, len(base.Roles))
	const samples = 3000
	for range samples {
		if err := s.Sample(rng); err != nil {
			t.Fatal(err)
		}
		for r := range base.Rows {
			neg := 0
			for c := range base.Cols {
				i := r*base.Cols + c
				got, was := s.Mask.Roles[i], base.Roles[i]
				switch {
				case was == Positive && got != Positive:
					t.Fatalf("row %d column %d: a positive became %d", r, c, got)
				case was != Negative && got == Negative:
					t.Fatalf("row %d column %d: role %d became a negative", r, c, was)
				case got == Negative:
					neg++
					drawn[i]++
				}
			}
			if neg != k {
				t.Fatalf("row %d has %d negatives, want %d", r, neg, k)
			}
		}
	}
	// Every row of these masks has the same number of negatives.
	n := base.Count(Negative) / base.Rows
	p := float64(k) / float64(n)
	want, sd := samples*p, math.Sqrt(samples*p*(1-p))
	for i, got := range drawn {
		if base.Roles[i] == Negative && math.Abs(float64(got)-want) > 5*sd {
			t.Errorf("%dx%d mask, k %d: entry %d drawn %d times in %d samples, want about %.0f", base.Rows, base.Cols, k, i, got, samples, want)
		}
	}
}

// TestNegativeSamplerAllIsTheBaseMask checks that K = every negative keeps
// the base mask.
func TestNegativeSamplerAllIsTheBaseMask(t *testing.T) {
	base := Diagonal(5)
	s, err := NewNegativeSampler(base, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sample(rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	for i := range base.Roles {
		if s.Mask.Roles[i] != base.Roles[i] {
			t.Fatalf("entry %d: role %d, base %d", i, s.Mask.Roles[i], base.Roles[i])
		}
	}
}

// TestNegativeSamplerRejectsImpossibleK checks the errors for K = 0 and
// for more negatives than a row has.
func TestNegativeSamplerRejectsImpossibleK(t *testing.T) {
	for _, c := range []struct {
		k    int
		want string
	}{{0, "at least 1"}, {5, "use at most 4"}} {
		_, err := NewNegativeSampler(Diagonal(5), c.k)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("K = %d: error %v, want one saying %q", c.k, err, c.want)
		}
	}
}

// TestResampledMaskRebuildsTheGraph builds every stateless estimator once
// on a sampler's mask and runs its graph after each of several samples: the
// loss and estimate must equal the float64 Reference on that sample's mask,
// which shows that the graph's constants follow the new roles, and
// InfoNCE's estimate must stay below its ceiling log(K+1).
func TestResampledMaskRebuildsTheGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range criticVariants() {
		name := v.Name
		if v.name == "mine" { // stateful: its Reference is its first step's only
			continue
		}
		base := Blocks(4, 3)
		s, err := NewNegativeSampler(base, 2)
		if err != nil {
			t.Fatal(err)
		}
		scores := randomScores(rng, base.Rows*base.Cols, 3)
		g := G.NewGraph()
		x := newScoresNode(g, scores, s.Mask, tensor.Float64)
		est := v.New(t)
		terms, err := build(est, x, s.Mask)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vm := G.NewTapeMachine(g)
		var first float64
		for step := range 4 {
			if err := s.Sample(rng); err != nil {
				t.Fatal(err)
			}
			if err := vm.RunAll(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			wantLoss, wantMI := v.New(t).Reference(scores, s.Mask)
			loss, mi := scalarValue(terms.Loss.Value()), scalarValue(terms.MI.Value())
			if !close(loss, wantLoss, 1e-9) || !close(mi, wantMI, 1e-9) {
				t.Errorf("%s, sample %d: graph gives loss %.9g, MI %.9g; reference on the sampled mask %.9g, %.9g", name, step, loss, mi, wantLoss, wantMI)
			}
			if step == 0 {
				first = loss
			} else if loss == first && step == 3 {
				t.Errorf("%s: the loss did not change over 4 samples (%g): the graph ignores the new masks", name, loss)
			}
			vm.Reset()
		}
		vm.Close()
		if c := (InfoNCE{}).Ceiling(s.Mask); !close(c, math.Log(3), 1e-12) {
			t.Errorf("InfoNCE ceiling with 2 negatives per row: %g, want log 3", c)
		}
	}
}

// TestChangedRefusesNewCounts checks that a mask whose row counts changed
// after a Build is refused, naming the row.
func TestChangedRefusesNewCounts(t *testing.T) {
	m := Diagonal(3)
	g := G.NewGraph()
	x := newScoresNode(g, make([]float64, 9), m, tensor.Float64)
	if _, err := (InfoNCE{}).Build(x, m); err != nil {
		t.Fatal(err)
	}
	m.Roles[1] = Ignored // row 0 loses a negative
	if err := m.Changed(); err == nil || !strings.Contains(err.Error(), "row 0") {
		t.Fatalf("Changed after dropping a negative: %v, want an error naming row 0", err)
	}
}

// TestNegativeSamplerDrawDependsOnlyOnTheRNG checks that two samplers, one
// of which has drawn before, draw the same mask from equal rng states: a
// resumed training loop sees the negatives of an uninterrupted one.
func TestNegativeSamplerDrawDependsOnlyOnTheRNG(t *testing.T) {
	a, _ := NewNegativeSampler(Blocks(3, 4), 2)
	b, _ := NewNegativeSampler(Blocks(3, 4), 2)
	for range 5 {
		if err := a.Sample(rand.New(rand.NewPCG(uint64(9), 1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Sample(rand.New(rand.NewPCG(42, 1))); err != nil {
		t.Fatal(err)
	}
	if err := b.Sample(rand.New(rand.NewPCG(42, 1))); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Mask.Roles, b.Mask.Roles) {
		t.Fatalf("equal rng states drew different masks:\n%v\n%v", a.Mask.Roles, b.Mask.Roles)
	}
}

// TestMaskIndicatorFollowsTheSampledMask checks that the sum of the scores
// over MaskIndicator's negatives, computed in a graph built once, is that
// of each newly sampled mask in turn.
func TestMaskIndicatorFollowsTheSampledMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s, err := NewNegativeSampler(Blocks(4, 3), 2)
	if err != nil {
		t.Fatal(err)
	}
	scores := randomScores(rng, s.Mask.Rows*s.Mask.Cols, 3)
	g := G.NewGraph()
	x := newScoresNode(g, scores, s.Mask, tensor.Float64)
	neg, err := MaskIndicator(x, s.Mask, Negative)
	if err != nil {
		t.Fatal(err)
	}
	sum := G.Must(G.Sum(G.Must(G.HadamardProd(x, neg))))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	sums := map[float64]bool{}
	for step := range 4 {
		if err := s.Sample(rng); err != nil {
			t.Fatal(err)
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := 0.0
		for i, r := range s.Mask.Roles {
			if r == Negative {
				want += scores[i]
			}
		}
		if got := scalarValue(sum.Value()); !close(got, want, 1e-12) {
			t.Errorf("sample %d: the graph sums the negatives to %g, the mask's are %g", step, got, want)
		}
		sums[want] = true
		vm.Reset()
	}
	if len(sums) < 2 {
		t.Fatalf("4 samples drew the same negatives: the test shows nothing")
	}
	if _, err := MaskIndicator(x, Diagonal(3), Positive); err == nil {
		t.Errorf("MaskIndicator accepted a mask of another shape than the scores")
	}
}

// TestTwoSamplersInOneGraphKeepTheirOwnMasks builds DV twice in one graph,
// on the masks of two samplers of the same base, which start with the same
// roles, and samples them from different sources: each estimate must be
// the Reference on its own sampler's mask. Were their constant nodes named
// by the roles alone, gorgonia would merge them at Build, and one
// estimator would read the other's negatives.
func TestTwoSamplersInOneGraphKeepTheirOwnMasks(t *testing.T) {
	base := Blocks(4, 3)
	rng := rand.New(rand.NewPCG(11, 12))
	scores := randomScores(rng, base.Rows*base.Cols, 3)
	g := G.NewGraph()
	x := newScoresNode(g, scores, base, tensor.Float64)
	var samplers []*NegativeSampler
	var terms []*Terms
	for range 2 {
		s, err := NewNegativeSampler(base, 2)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := build(DV{}, x, s.Mask)
		if err != nil {
			t.Fatal(err)
		}
		samplers, terms = append(samplers, s), append(terms, tm)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for step := range 3 {
		for i, s := range samplers {
			if err := s.Sample(rand.New(rand.NewPCG(uint64(step), uint64(i)))); err != nil {
				t.Fatal(err)
			}
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		for i, s := range samplers {
			_, want := DV{}.Reference(scores, s.Mask)
			if got := scalarValue(terms[i].MI.Value()); !close(got, want, 1e-12) {
				t.Errorf("step %d, sampler %d: DV %.12g, want %.12g on its own mask", step, i, got, want)
			}
		}
		vm.Reset()
	}
}

// TestNegativeSamplerAcceptsShortRowsWithoutPositives checks the rule of
// NewNegativeSampler's doc: only rows that hold a positive need K
// negatives. Row 2 of this 3x3 base holds one negative and no positive,
// so K = 2 is accepted, and that row keeps its one negative.
func TestNegativeSamplerAcceptsShortRowsWithoutPositives(t *testing.T) {
	I, P, N := Ignored, Positive, Negative
	base := &Mask{Rows: 3, Cols: 3, Roles: []Role{P, N, N, N, P, N, I, N, I}}
	s, err := NewNegativeSampler(base, 2)
	if err != nil {
		t.Fatalf("K = 2 refused: %v", err)
	}
	if err := s.Sample(rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	if got := s.Mask.Roles[6:]; got[0] != Ignored || got[1] != Negative || got[2] != Ignored {
		t.Errorf("row 2 became %v, want its roles %v", got, base.Roles[6:])
	}
}
