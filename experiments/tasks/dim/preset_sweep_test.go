package dim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/experiments/tasks/dim"
)

// presetSweep is a small dim sweep file; rest is appended to its [base]
// table, then parameters follow.
func presetSweep(base, params string) string {
	return "name = \"p\"\ntask = \"dim\"\n[base]\ntrain_subset = 64\ntest_subset = 32\n" +
		"conv1 = 4\nconv2 = 8\nconv3 = 8\nfc = 16\ncode = 8\nmi_units = 8\nglobal_units = 8\n" +
		"prior_hidden = [8, 8]\nepochs = 1\nbatch_size = 16\n" + base + params
}

// TestPresetWithExplicitDefaultWeightIsAnError checks that a weight set in
// the sweep file beside a preset is refused even when its value is the
// default (gamma = 0.1 used to pass, and dim-g silently trained gamma 1),
// in [base] with the preset in [base] or swept as a parameter, or by an
// override of the runs of one preset, or by a parameter conditional on a
// preset, and that the preset alone, with an override of a key it does not
// set, or with a weight conditional on no preset, is accepted.
func TestPresetWithExplicitDefaultWeightIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, base, params string
		bad                string // the key the error must name; "" for none
	}{
		{"preset alone", "preset = \"dim-g\"\n", "", ""},
		{"preset grid alone", "", "[parameters.preset]\nvalues = [\"dim-g\", \"dim-l\"]\n", ""},
		{"base gamma at its default", "preset = \"dim-g\"\ngamma = 0.1\n", "", "gamma"},
		{"base model at its default", "preset = \"dim-l\"\nmodel = \"dim\"\n", "", "model"},
		{"preset grid with base gamma", "gamma = 0.1\n", "[parameters.preset]\nvalues = [\"dim-g\", \"dim-l\"]\n", "gamma"},
		{"preset with a swept alpha", "preset = \"dim-l\"\n", "[parameters.alpha]\nvalues = [0.0, 1.0]\n", "alpha"},
		{"preset grid with an overridden gamma", "", "[parameters.preset]\nvalues = [\"dim-g\", \"dim-l\"]\n[[overrides]]\nwhere = { preset = \"dim-l\" }\ngamma = 0.5\n", "gamma"},
		{"preset grid with a gamma conditional on no preset", "", "[parameters.preset]\nvalues = [\"dim-g\", \"\"]\n[parameters.gamma]\nvalues = [0.1, 0.5]\nwhere = { preset = \"\" }\n", ""},
		{"preset grid with a gamma conditional on a preset", "", "[parameters.preset]\nvalues = [\"dim-g\", \"\"]\n[parameters.gamma]\nvalues = [0.1, 0.5]\nwhere = { preset = \"dim-g\" }\n", "gamma"},
		{"preset grid with overridden probes", "", "[parameters.preset]\nvalues = [\"dim-l\", \"pixels\"]\n[[overrides]]\nwhere = { preset = \"pixels\" }\nprobe_epochs = 2\n", ""},
	} {
		_, err := sweep.Parse("p.toml", []byte(presetSweep(tc.base, tc.params)))
		if tc.bad == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.bad+" = ") || !strings.Contains(msg, "preset") ||
			!strings.Contains(msg, "remove one of the two keys") {
			t.Errorf("%s: error %q: want one line naming %s and preset and saying to remove one", tc.name, msg, tc.bad)
		}
	}
}

// TestConcatAndConvolveTakesItsOwnWidth checks that a concat-and-convolve
// local critic whose sweep file leaves mi_units out gets DIM-v0's 512, not
// encode-and-dot's 2048, while one that sets mi_units, even to 2048, keeps
// it, and encode-and-dot keeps 2048; in [base], swept, and by an override.
func TestConcatAndConvolveTakesItsOwnWidth(t *testing.T) {
	const head = "name = \"w\"\ntask = \"dim\"\n[base]\ntrain_subset = 64\ntest_subset = 32\nepochs = 1\nbatch_size = 16\n"
	for _, tc := range []struct {
		name, rest string
		want       []int // mi_units of the runs, in order
	}{
		{"encode-and-dot by default", "", []int{2048}},
		{"concat-and-convolve left to its default", "local_critic = \"concat-and-convolve\"\n", []int{512}},
		{"concat-and-convolve at 2048", "local_critic = \"concat-and-convolve\"\nmi_units = 2048\n", []int{2048}},
		{"concat-and-convolve at 64", "local_critic = \"concat-and-convolve\"\nmi_units = 64\n", []int{64}},
		{"both critics swept", "[parameters.local_critic]\nvalues = [\"encode-and-dot\", \"concat-and-convolve\"]\n", []int{2048, 512}},
		{"both swept, one width overridden", "[parameters.local_critic]\nvalues = [\"encode-and-dot\", \"concat-and-convolve\"]\n" +
			"[[overrides]]\nwhere = { local_critic = \"concat-and-convolve\" }\nmi_units = 2048\n", []int{2048, 2048}},
	} {
		s, err := sweep.Parse("w.toml", []byte(head+tc.rest))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []int
		for _, r := range s.Runs {
			got = append(got, r.Config.(*dim.Config).MIUnits)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: mi_units %v, want %v", tc.name, got, tc.want)
		}
	}
	c := dim.DefaultConfig()
	c.LocalCritic = "concat-and-convolve"
	if err := c.Validate(); err != nil || c.MIUnits != 512 {
		t.Errorf("a Go config with concat-and-convolve at the default width: mi_units %d, err %v; want 512", c.MIUnits, err)
	}
}

// TestReportsSeeThePresetsWeights checks that reports and the sweep's page
// read a preset run's model and weights as the preset sets them. config.toml
// keeps alpha, beta and gamma at their defaults under a preset (the run ids
// hash it), so a table by gamma used to put a DIM(G) run, trained at gamma
// 1, in the row "gamma 0.1", and the page listed alpha 0, beta 1 and gamma
// 0.1 among the settings every run of a DIM(G)-versus-DIM(L) sweep shares.
func TestReportsSeeThePresetsWeights(t *testing.T) {
	s, err := sweep.Parse("p.toml", []byte(presetSweep("", "[parameters.preset]\nvalues = [\"dim-g\", \"dim-l\", \"pixels\"]\n")))
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := s.LoadRuns(t.TempDir())
	want := map[string][4]any{
		"dim-g":  {"dim", 1.0, 0.0, 1.0},
		"dim-l":  {"dim", 0.0, 1.0, 0.1},
		"pixels": {"pixels", 0.0, 0.0, 0.0},
	}
	for _, r := range runs {
		preset := r.Config["preset"].(string)
		got := [4]any{r.Config["model"], r.Config["alpha"], r.Config["beta"], r.Config["gamma"]}
		if got != want[preset] {
			t.Errorf("run %s: model, alpha, beta, gamma = %v, want the preset's %v", r.ID, got, want[preset])
		}
	}
}

// TestNegativesOfATermNotBuiltAreAnError checks that a negatives setting
// for an MI term the objective does not build is refused, naming the key
// and the other term's key, where it used to be accepted and to change
// nothing (num_negatives on a DIM(G) run, which has no local term), as are
// Table 4's variants on a baseline, which is not trained, and that each
// setting is accepted where its term is built.
func TestNegativesOfATermNotBuiltAreAnError(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		bad        string // the key the error must name; "" for none
	}{
		{"num_negatives on dim-g", "preset = \"dim-g\"\nnum_negatives = 5\n", "num_negatives"},
		{"roll on dim-g", "preset = \"dim-g\"\nnegatives = \"roll\"\n", "negatives"},
		{"num_global_negatives on dim-l", "preset = \"dim-l\"\nnum_global_negatives = 5\n", "num_global_negatives"},
		{"num_negatives on pixels", "preset = \"pixels\"\nnum_negatives = 5\n", "num_negatives"},
		{"num_global_negatives at alpha 0", "num_global_negatives = 3\n", "num_global_negatives"},
		{"coord_weight on pixels", "preset = \"pixels\"\ncoord_weight = 1.0\n", "coord_weight"},
		{"occlude_prob on random", "preset = \"random\"\nocclude_prob = 0.5\n", "occlude_prob"},
		{"coord_weight and occlude_prob on dim-l", "preset = \"dim-l\"\ncoord_weight = 1.0\nocclude_prob = 0.5\n", ""},
		{"num_negatives on dim-l", "preset = \"dim-l\"\nnum_negatives = 5\n", ""},
		{"num_global_negatives on dim-g", "preset = \"dim-g\"\nnum_global_negatives = 5\n", ""},
		{"both on dim-lg", "preset = \"dim-lg\"\nnum_negatives = 5\nnum_global_negatives = 5\nnegatives = \"roll\"\n", ""},
	} {
		_, err := sweep.Parse("p.toml", []byte(presetSweep(tc.base, "")))
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad != "" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.bad != "" && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "base."+tc.bad+" = ") ||
			!strings.Contains(err.Error(), "changes nothing") || !strings.Contains(err.Error(), "remove the key")):
			t.Errorf("%s: error %q: want one line naming base.%s, saying it changes nothing and to remove it", tc.name, err, tc.bad)
		}
	}
}

// TestEvaluationsWithoutAFullBatchFailValidation checks that msssim, mi_xy
// or ndm without a full eval_batch_size in the validation rows they hold
// out is refused when the sweep is read, naming eval_batch_size and the
// most it can be. Such a run used to train its encoder and then fail in
// the evaluation ("26 validation rows ...: fewer than one batch of 64").
// The pixel baseline, which performs only svm, and a batch that fits are
// accepted.
func TestEvaluationsWithoutAFullBatchFailValidation(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		bad        bool
	}{
		{"ndm, 6 validation rows of 64", "preset = \"dim-l\"\nevaluations = [\"ndm\"]\neval_batch_size = 16\n", true},
		{"msssim, 6 validation rows of 64", "preset = \"dim-l\"\nevaluations = [\"msssim\"]\neval_batch_size = 8\n", true},
		{"mi_xy at eval_batch_size 6", "preset = \"dim-l\"\nevaluations = [\"mi_xy\"]\neval_batch_size = 6\n", false},
		{"svm only", "preset = \"dim-l\"\nevaluations = [\"svm\"]\neval_batch_size = 64\n", false},
		{"pixels with ndm", "preset = \"pixels\"\nevaluations = [\"svm\", \"ndm\"]\neval_batch_size = 64\n", false},
	} {
		_, err := sweep.Parse("p.toml", []byte(presetSweep(tc.base, "")))
		switch {
		case !tc.bad && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.bad && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "base.eval_batch_size = ") ||
			!strings.Contains(err.Error(), "use at most 6")):
			t.Errorf("%s: error %q: want one line naming base.eval_batch_size and saying to use at most 6", tc.name, err)
		}
	}
}

// TestPresetWeightsAreNotPooledSettings checks that a report whose groups
// pool presets warns of the preset alone, and that pool = ["preset"]
// silences it: the preset's model and weights, which reports read as the
// preset sets them, follow from it and are not settings of their own.
func TestPresetWeightsAreNotPooledSettings(t *testing.T) {
	table := "[[tables]]\nkind = \"table\"\nname = \"t\"\nrows = [\"batch_size\"]\ncolumns = [\"mlp_y_acc\"]\n"
	params := "[parameters.preset]\nvalues = [\"dim-g\", \"dim-l\"]\n" + table
	s, err := sweep.Parse("p.toml", []byte(presetSweep("", params)))
	if err != nil {
		t.Fatal(err)
	}
	w := s.PoolingWarnings()
	if len(w) != 1 || !strings.Contains(w[0], "differ in preset (dim-g, dim-l), averaging") {
		t.Errorf("pooling warnings %q: want one, naming preset alone", w)
	}
	s, err = sweep.Parse("p.toml", []byte(presetSweep("", params+"pool = [\"preset\"]\n")))
	if err != nil {
		t.Fatal(err)
	}
	if w := s.PoolingWarnings(); len(w) != 0 {
		t.Errorf("pool = [\"preset\"]: warnings %q, want none", w)
	}
}

// TestEvaluationRowsErrorGivesAFixThatValidates checks that the fix the
// eval_batch_size error gives is one Validate accepts: "use at most N"
// only where N is a batch size eval_batch_size may take (at least 2), and
// the sweep then validates; a part of 0 or 1 rows names the setting that
// gives it more (eval_validation for the validation part). It used to say
// "use at most 1" of a validation part of 1 row, and "use at most 0" of
// one of none, where eval_batch_size must be at least 2.
func TestEvaluationRowsErrorGivesAFixThatValidates(t *testing.T) {
	file := func(testSubset, rest string, batch int) string {
		s := presetSweep(fmt.Sprintf("preset = \"dim-l\"\nevaluations = [\"ndm\"]\neval_batch_size = %d\n%s", batch, rest), "")
		return strings.Replace(s, "test_subset = 32\n", "test_subset = "+testSubset+"\n", 1)
	}
	for _, tc := range []struct {
		name, testSubset, rest string
		batch                  int
		want                   string
	}{
		{"validation part of 1 row", "32", "eval_validation = 0.01\n", 2, "a larger eval_validation"},
		{"validation part of 0 rows", "32", "eval_validation = 0.005\n", 2, "a larger eval_validation"},
		{"training part of 1 row", "32", "eval_validation = 0.99\n", 2, "a smaller eval_validation"},
		{"scored part of 1 row", "1", "", 2, "more scored images (test_subset)"},
		{"validation part of 6 rows", "32", "", 8, "use at most 6"},
		{"scored part of 20 rows", "20", "eval_validation = 0.5\n", 24, "use at most 20"},
	} {
		_, err := sweep.Parse("p.toml", []byte(file(tc.testSubset, tc.rest, tc.batch)))
		if err == nil || !strings.Contains(err.Error(), "base.eval_batch_size = ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant an error naming eval_batch_size and %q", tc.name, err, tc.want)
			continue
		}
		_, after, found := strings.Cut(err.Error(), "use at most ")
		if !found {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(after, "%d", &n); err != nil {
			t.Fatal(err)
		}
		if _, err := sweep.Parse("p.toml", []byte(file(tc.testSubset, tc.rest, n))); err != nil {
			t.Errorf("%s: with the suggested eval_batch_size = %d: %v", tc.name, n, err)
		}
	}
}

// TestNegativesOnThePriorAloneSuggestNoOtherTerm checks that a negatives
// setting on the prior-only ablation (alpha = beta = 0), which builds
// neither MI term, is refused without suggesting the other term's key,
// which would be refused in turn. It used to say "or write
// num_global_negatives for the other term" there.
func TestNegativesOnThePriorAloneSuggestNoOtherTerm(t *testing.T) {
	for _, set := range []string{"num_negatives = 5\n", "num_global_negatives = 5\n", "negatives = \"roll\"\n"} {
		_, err := sweep.Parse("p.toml", []byte(presetSweep("alpha = 0.0\nbeta = 0.0\ngamma = 1.0\n"+set, "")))
		if err == nil || !strings.Contains(err.Error(), "remove the key") || strings.Contains(err.Error(), "other term") {
			t.Errorf("%s on the prior alone: %v\nwant an error saying to remove the key, and no other term", strings.TrimSpace(set), err)
		}
	}
}

// TestUnusedSettingAcrossPresetsSaysWhere checks that a setting some of a
// swept preset's (or model's) values do not read gets the where, or the
// [[overrides]] entry, that sets it for the runs that read it, and that
// the sweep written as the hint says validates.
func TestUnusedSettingAcrossPresetsSaysWhere(t *testing.T) {
	for _, tc := range []struct {
		name, base, params, want, fixed string
	}{
		{"swept num_negatives", "", "[parameters.preset]\nvalues = [\"dim-l\", \"dim-g\"]\n[parameters.num_negatives]\nvalues = [1, 8]\n",
			`; to sweep it for preset = "dim-l" alone, give [parameters.num_negatives] where = { preset = "dim-l" }`,
			"[parameters.preset]\nvalues = [\"dim-l\", \"dim-g\"]\n[parameters.num_negatives]\nvalues = [1, 8]\nwhere = { preset = \"dim-l\" }\n"},
		{"num_global_negatives in base", "num_global_negatives = 4\n", "[parameters.preset]\nvalues = [\"dim-l\", \"dim-g\", \"dim-lg\"]\n",
			`; preset = "dim-g" or "dim-lg" take it: move it from [base] to [[overrides]] entries, one for each, such as where = { preset = "dim-g" }`,
			"[parameters.preset]\nvalues = [\"dim-l\", \"dim-g\", \"dim-lg\"]\n[[overrides]]\nwhere = { preset = \"dim-g\" }\nnum_global_negatives = 4\n" +
				"[[overrides]]\nwhere = { preset = \"dim-lg\" }\nnum_global_negatives = 4\n"},
		{"coord_weight across models", "coord_weight = 0.5\n", "[parameters.model]\nvalues = [\"dim\", \"pixels\"]\n",
			`; model = "dim" takes it: move it from [base] to an [[overrides]] entry with where = { model = "dim" }`,
			"[parameters.model]\nvalues = [\"dim\", \"pixels\"]\n[[overrides]]\nwhere = { model = \"dim\" }\ncoord_weight = 0.5\n"},
	} {
		_, err := sweep.Parse("p.toml", []byte(presetSweep(tc.base, tc.params)))
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want it to end %s", tc.name, err, tc.want)
		}
		if _, err := sweep.Parse("p.toml", []byte(presetSweep("", tc.fixed))); err != nil {
			t.Errorf("%s: the sweep as the hint says: %v", tc.name, err)
		}
	}
}
