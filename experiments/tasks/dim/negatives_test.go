package dim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
)

// TestNumNegativesCapsInfoNCE trains InfoNCE with one negative per
// positive in both terms: the summary must report K = 1 and the ceiling
// log 2, and the estimates must stay under it, whatever the critic learns.
func TestNumNegativesCapsInfoNCE(t *testing.T) {
	c := tinyConfig()
	c.Estimator = "infonce"
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0
	c.NumNegatives, c.NumGlobalNegatives = 1, 1
	c.ProbeFeatures = []string{"y"}
	sum, rec := runTiny(t, c, 2)
	for _, term := range []string{"local", "global"} {
		if k := sum["negatives_"+term]; k != 1 {
			t.Errorf("negatives_%s = %v, want 1", term, k)
		}
		if ceil := sum["ceiling_"+term]; math.Abs(ceil-math.Ln2) > 1e-12 {
			t.Errorf("ceiling_%s = %v, want log 2", term, ceil)
		}
		for _, row := range rec.Values {
			if mi := row["mi_"+term]; !(mi <= math.Ln2+1e-6) {
				t.Errorf("epoch %v: mi_%s = %v is above InfoNCE's ceiling log 2 with one negative", row["epoch"], term, mi)
			}
		}
	}
}

// TestAllNegativesReportTheBatch checks the counts without num_negatives:
// (B-1)*M*M local and B-1 global negatives, and the ceilings log of one
// more.
func TestAllNegativesReportTheBatch(t *testing.T) {
	c := tinyConfig()
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0
	c.Epochs, c.ProbeFeatures = 1, []string{"y"}
	sum, _ := runTiny(t, c, 2)
	local, global := float64((c.BatchSize-1)*64), float64(c.BatchSize-1)
	if sum["negatives_local"] != local || sum["negatives_global"] != global {
		t.Errorf("negatives_local = %v, negatives_global = %v; want %v and %v", sum["negatives_local"], sum["negatives_global"], local, global)
	}
	if math.Abs(sum["ceiling_local"]-math.Log(local+1)) > 1e-12 || math.Abs(sum["ceiling_global"]-math.Log(global+1)) > 1e-12 {
		t.Errorf("ceilings %v, %v; want log %v and log %v", sum["ceiling_local"], sum["ceiling_global"], local+1, global+1)
	}
}

// TestStepsTrainsAFixedNumberOfUpdates sets steps to an epoch and a
// quarter: training stops after exactly that many updates whatever epochs
// says, and the partial last epoch is logged.
func TestStepsTrainsAFixedNumberOfUpdates(t *testing.T) {
	c := tinyConfig() // 320 images in batches of 16: 20 steps an epoch
	c.Epochs, c.Steps = 7, 25
	c.ProbeFeatures = []string{"y"}
	_, rec := runTiny(t, c, 4)
	if len(rec.Steps) != 2 || rec.Steps[0] != 20 || rec.Steps[1] != 25 {
		t.Fatalf("logged steps %v, want [20 25]: one full epoch, then the last 5 updates", rec.Steps)
	}
}

// TestNegativeCountsAreValidated checks the errors for counts a batch
// cannot hold.
func TestNegativeCountsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		set  func(c *Config)
		want string
	}{
		{func(c *Config) { c.NumNegatives = 15*64 + 1 }, "num_negatives = 961: must be 0 (all) or 1 to 960"},
		{func(c *Config) { c.NumNegatives = -1 }, "num_negatives = -1"},
		{func(c *Config) { c.Negatives, c.NumNegatives = NegativesRoll, 65 }, "1 to 64"},
		{func(c *Config) { c.NumGlobalNegatives = 16 }, "num_global_negatives = 16: must be 0 (all) or 1 to 15"},
		{func(c *Config) { c.Steps = -2 }, "steps = -2"},
		{func(c *Config) { c.EvalSplit = "val" }, `eval_split = "val"`},
		{func(c *Config) { c.EvalSplit = data.SplitValidation }, "validation_subset = 0"},
	} {
		c := tinyConfig()
		tc.set(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

// TestValidationSplitKeepsTheTestSplitOut checks what a tuning run is
// scored on: with eval_split = "validation" the probes' split is the
// validation images, all from the training file and none trained on; the
// test split is not handed out at all.
func TestValidationSplitKeepsTheTestSplitOut(t *testing.T) {
	c := tinyConfig()
	c.ValidationSubset, c.EvalSplit = 150, data.SplitValidation
	train, eval, err := loadData(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if eval.Split != data.SplitValidation || eval.N != 150 || train.N != c.TrainSubset {
		t.Fatalf("scored on the %q split of %d images, trained on %d; want validation, 150 and %d", eval.Split, eval.N, train.N, c.TrainSubset)
	}
	trained := map[int]bool{}
	for _, i := range train.Source {
		trained[i] = true
	}
	for _, i := range eval.Source {
		if trained[i] {
			t.Fatalf("training-file image %d is trained on and scored on", i)
		}
	}
	c.EvalSplit = data.SplitTest
	if _, eval, err = loadData(c, 3); err != nil || eval.Split != data.SplitTest || eval.N != c.TestSubset {
		t.Fatalf("eval_split = test: scored on %v (%v)", eval, err)
	}
}

// TestStepsBesideEpochsIsAnError checks that a sweep file setting both
// training lengths is refused, naming both keys, while steps alone, or
// epochs at its default beside steps in a config built in Go, is not.
func TestStepsBesideEpochsIsAnError(t *testing.T) {
	c := tinyConfig()
	c.Steps = 25
	if err := c.Validate(); err != nil {
		t.Fatalf("steps alone: %v", err)
	}
	c.SetKeys([]string{"steps", "epochs"})
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "epochs = 2: steps = 25 sets the training length") {
		t.Fatalf("steps beside epochs: %v, want an error naming both", err)
	}
	c.SetKeys([]string{"steps"})
	if err := c.Validate(); err != nil {
		t.Fatalf("a sweep file setting steps alone: %v", err)
	}
}

// TestScoringOnlyTheKeptPairsChangesNoStep trains the same model twice for
// three steps, the concat critics scoring every pair of their score
// matrices in one and only the pairs the masks keep in the other (one
// global negative drawn per step, the local negatives rolled): the losses
// and estimates must agree to float32 rounding, and after each draw the
// scored pairs must be the entries the global mask keeps.
func TestScoringOnlyTheKeptPairsChangesNoStep(t *testing.T) {
	c := tinyConfig()
	c.Alpha, c.Beta, c.Gamma = 1, 1, 0
	c.LocalCritic, c.GlobalCritic = "concat-and-convolve", "concat"
	c.Negatives, c.NumGlobalNegatives = NegativesRoll, 1
	stats := func(subsets bool) []StepStats {
		scoreSubsets = subsets
		defer func() { scoreSubsets = true }()
		m := newNoisyModel(t, c, 1, 3, rand.New(rand.NewPCG(5, 6)))
		if (m.global.scored != nil) != subsets || (m.local.scored != nil) != subsets {
			t.Fatalf("subsets %v: global pairs %v, local pairs %v", subsets, m.global.scored != nil, m.local.scored != nil)
		}
		var out []StepStats
		for step := range 3 {
			if err := m.SampleNegatives(9, step); err != nil {
				t.Fatal(err)
			}
			if subsets {
				checkScoredPairs(t, m.global)
			}
			st, err := m.EncoderStep()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st)
		}
		return out
	}
	all, kept := stats(false), stats(true)
	for step := range all {
		a, k := all[step], kept[step]
		for _, v := range [][2]float64{{a.Loss, k.Loss}, {a.LocalMI, k.LocalMI}, {a.GlobalMI, k.GlobalMI}} {
			if math.Abs(v[0]-v[1]) > 1e-4*(1+math.Abs(v[0])) {
				t.Fatalf("step %d: every pair gives %+v, the kept pairs %+v", step, a, k)
			}
		}
	}
}

// checkScoredPairs checks that a term's scored pairs are its mask's
// entries that are not ignored, row by row.
func checkScoredPairs(t *testing.T, term *miTerm) {
	t.Helper()
	k := 0
	for i, role := range term.mask.Roles {
		if role == estimators.Ignored {
			continue
		}
		if k >= term.scored.Len() || term.scored.Rows[k] != i/term.mask.Cols || term.scored.Cols[k] != i%term.mask.Cols {
			t.Fatalf("scored pair %d is not mask entry %d", k, i)
		}
		k++
	}
	if k != term.scored.Len() {
		t.Fatalf("%d scored pairs, %d kept entries", term.scored.Len(), k)
	}
}
