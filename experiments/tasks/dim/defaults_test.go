package dim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/train/probe"
)

// TestDefaultConfigIsDocumented pins DefaultConfig to what its doc comment
// and Config's promise: DIM(L) with jsd on MNIST, the official code's
// encoder, critics, prior and Adam (1e-4, 0.5, 0.999), 10 epochs of batch
// 64, and the paper's probes (200 hidden units, dropout 0.1, batch 64) for
// 20 epochs at lr 1e-3 on z-scored conv, fc and y features. A changed
// default silently changes every run that leaves the key out.
func TestDefaultConfigIsDocumented(t *testing.T) {
	c := DefaultConfig()
	got := []any{c.Dataset, c.Objective(), c.Estimator, c.Negatives, c.EvalSplit,
		c.LocalCritic, c.GlobalCritic, c.MIUnits, c.GlobalUnits, c.PriorHidden, c.PriorPenalty,
		[]int{c.Conv1, c.Conv2, c.Conv3, c.FC, c.Code}, c.FirstBN,
		c.Epochs, c.Steps, c.BatchSize, []float64{c.LR, c.Beta1, c.Beta2},
		c.probeConfig(0), c.ProbeFeatures}
	want := []any{"mnist", Preset{Model: ModelDIM, Alpha: 0, Beta: 1, Gamma: 0.1}, "jsd", NegativesAll, "test",
		"encode-and-dot", "concat", 2048, 512, []int{1000, 200}, 1.0,
		[]int{64, 128, 256, 1024, 64}, true,
		10, 0, 64, []float64{1e-4, 0.5, 0.999},
		probe.Config{Hidden: 200, Dropout: 0.1, Epochs: 20, BatchSize: 64, LR: 1e-3, DecayEpochs: []int{}, Standardize: true},
		[]string{"conv", "fc", "y"}}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("DefaultConfig setting %d: %#v, want %#v", i, got[i], want[i])
		}
	}
}

// TestPresetsAreThePapersRows pins the presets to the paper's objectives
// (Hjelm et al. 2019, Table 1 and §4.2) and the baselines.
func TestPresetsAreThePapersRows(t *testing.T) {
	want := map[string]Preset{
		"dim-g":               {Model: ModelDIM, Alpha: 1, Beta: 0, Gamma: 1},
		"dim-l":               {Model: ModelDIM, Alpha: 0, Beta: 1, Gamma: 0.1},
		"dim-lg":              {Model: ModelDIM, Alpha: 0.5, Beta: 0.1, Gamma: 0.1},
		"pixels":              {Model: ModelPixels},
		"random":              {Model: ModelRandom},
		"random-uncalibrated": {Model: ModelRandomUncalibrated},
	}
	if !reflect.DeepEqual(Presets, want) {
		t.Errorf("Presets = %+v, want %+v", Presets, want)
	}
}

// TestProbeConfigCarriesEverySetting checks that probeConfig passes each
// probe_* key, and the seed, to the probes, with values unlike the
// defaults.
func TestProbeConfigCarriesEverySetting(t *testing.T) {
	c := DefaultConfig()
	c.ProbeHidden, c.ProbeDropout, c.ProbeEpochs, c.ProbeBatchSize = 7, 0.3, 9, 11
	c.ProbeLR, c.ProbeDecayEpochs, c.ProbeStandardize = 0.02, []int{4, 8}, false
	want := probe.Config{Hidden: 7, Dropout: 0.3, Epochs: 9, BatchSize: 11, LR: 0.02, DecayEpochs: []int{4, 8}, Seed: 5}
	if got := c.probeConfig(5); !reflect.DeepEqual(got, want) {
		t.Errorf("probeConfig(5) = %+v, want %+v", got, want)
	}
}

// TestValidateAtTheEdgesOfTraining checks two rules of validateTraining
// at their edges: one step beside an epochs key the sweep file set, and a
// batch one image larger than train_subset.
func TestValidateAtTheEdgesOfTraining(t *testing.T) {
	c := tinyConfig()
	c.Steps = 1
	c.SetKeys([]string{"steps", "epochs"})
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "epochs") {
		t.Errorf("steps = 1 beside epochs: %v, want an error naming epochs", err)
	}
	c = tinyConfig()
	c.BatchSize, c.ProbeBatchSize = c.TrainSubset+1, 2
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "batch_size") {
		t.Errorf("batch_size = train_subset + 1: %v, want an error naming batch_size", err)
	}
	c.BatchSize = c.TrainSubset
	if err := c.Validate(); err != nil {
		t.Errorf("batch_size = train_subset: %v", err)
	}
}
