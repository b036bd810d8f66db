package dim_test

import (
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
	_ "github.com/infomax/infomax/experiments/tasks/dim"
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
