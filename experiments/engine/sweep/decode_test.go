package sweep

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const gridFile = `name = "grid"
task = "fake"
seeds = [0, 1]

[base]
batch_size = 4
steps = 6

[parameters.estimator]
values = ["jsd", "infonce", "dv"]

[parameters."optim.lr"]
values = [0.1, 0.2]

[parameters.cubic]
value = true
`

func TestGridExpandsTheCartesianProductInOrder(t *testing.T) {
	s := parseFile(t, gridFile)
	if len(s.Runs) != 3*2*2 {
		t.Fatalf("got %d runs, want 12", len(s.Runs))
	}
	i := 0
	for _, est := range []string{"jsd", "infonce", "dv"} {
		for _, lr := range []float64{0.1, 0.2} {
			for _, seed := range []int64{0, 1} {
				r := s.Runs[i]
				if r.Index != i || r.Seed != seed || r.Values[0] != est || r.Values[1] != lr || r.Values[2] != true {
					t.Fatalf("run %d = index %d seed %d values %v; want seed %d values [%s %g true]", i, r.Index, r.Seed, r.Values, seed, est, lr)
				}
				cfg := r.Config.(*fakeConfig)
				if cfg.Estimator != est || cfg.Optim.LR != lr || !cfg.Cubic || cfg.BatchSize != 4 || cfg.Steps != 6 {
					t.Fatalf("run %d config %+v does not hold its values", i, cfg)
				}
				// Untouched defaults survive.
				if cfg.Optim.Momentum != 0.9 || cfg.Width != 4 || cfg.EstimatorParams["tau"] != 1 {
					t.Fatalf("run %d lost a default: %+v", i, cfg)
				}
				i++
			}
		}
	}
}

const randomFile = `name = "rand"
task = "fake"
method = "random"
run_cap = 7
sampler_seed = 3
seeds = [0, 1]

[parameters."optim.lr"]
distribution = "log_uniform_values"
min = 1e-4
max = 1e-2

[parameters.width]
distribution = "int_uniform"
min = 1
max = 100

[parameters."optim.momentum"]
distribution = "uniform"
min = 0.5
max = 0.99

[parameters.estimator]
values = ["jsd", "infonce", "dv"]
`

func TestRandomSamplingIsDeterministicAndRespectsRunCap(t *testing.T) {
	a, b := parseFile(t, randomFile), parseFile(t, randomFile)
	if len(a.Runs) != 7*2 {
		t.Fatalf("got %d runs, want run_cap 7 x 2 seeds", len(a.Runs))
	}
	for i := range a.Runs {
		if a.Runs[i].ID != b.Runs[i].ID || fmt.Sprint(a.Runs[i].Values) != fmt.Sprint(b.Runs[i].Values) {
			t.Fatalf("run %d differs between two decodings: %s %v vs %s %v", i, a.Runs[i].ID, a.Runs[i].Values, b.Runs[i].ID, b.Runs[i].Values)
		}
	}
	seenWidths := map[int64]bool{}
	for _, r := range a.Runs {
		lr, width, mom := r.Values[0].(float64), r.Values[1].(int64), r.Values[2].(float64)
		if lr < 1e-4 || lr > 1e-2 || width < 1 || width > 100 || mom < 0.5 || mom > 0.99 {
			t.Fatalf("run %s has values outside their bounds: %v", r.ID, r.Values)
		}
		seenWidths[width] = true
		cfg := r.Config.(*fakeConfig)
		if cfg.Optim.LR != lr || int64(cfg.Width) != width {
			t.Fatalf("run %s config %+v does not hold %v", r.ID, cfg, r.Values)
		}
	}
	if len(seenWidths) < 3 {
		t.Fatalf("7 draws of int_uniform 1..100 gave only %d distinct widths", len(seenWidths))
	}

	c := parseFile(t, strings.Replace(randomFile, "sampler_seed = 3", "sampler_seed = 4", 1))
	if fmt.Sprint(c.Runs[0].Values) == fmt.Sprint(a.Runs[0].Values) {
		t.Fatalf("sampler seeds 3 and 4 drew the same first configuration %v", a.Runs[0].Values)
	}
}

// TestRandomSamplingStopsAtTheNumberOfDistinctConfigs: a space smaller
// than run_cap gives its configurations once each, and RunCapNote, which
// validate and plan print, says why.
func TestRandomSamplingStopsAtTheNumberOfDistinctConfigs(t *testing.T) {
	src := `name = "small"
task = "fake"
method = "random"
run_cap = 10
[parameters.estimator]
values = ["jsd", "infonce", "dv"]
`
	s := parseFile(t, src)
	if len(s.Runs) != 3 {
		t.Fatalf("a space of 3 configurations gave %d runs with run_cap 10", len(s.Runs))
	}
	if note := s.RunCapNote(); !strings.HasPrefix(note, "run_cap = 10, but the draws gave 3 distinct configurations: identical draws are dropped") {
		t.Errorf("RunCapNote: %q", note)
	}
	if note := parseFile(t, randomFile).RunCapNote(); note != "" {
		t.Errorf("RunCapNote of a sweep that drew run_cap configurations: %q", note)
	}
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func TestRunIDsAreStableSafeAndFollowTheConfig(t *testing.T) {
	a, b := parseFile(t, gridFile), parseFile(t, gridFile)
	seen := map[string]bool{}
	for i, r := range a.Runs {
		if r.ID != b.Runs[i].ID {
			t.Fatalf("run %d: id %s then %s for the same file", i, r.ID, b.Runs[i].ID)
		}
		if !idRe.MatchString(r.ID) || strings.Contains(r.ID, "..") {
			t.Fatalf("id %q has unsafe characters", r.ID)
		}
		if seen[r.ID] {
			t.Fatalf("id %s used twice", r.ID)
		}
		seen[r.ID] = true
	}
	first := a.Runs[0].ID
	if !strings.HasPrefix(first, "estimator-jsd_lr-0.1_s0_") {
		t.Fatalf("id %q lacks the readable prefix estimator-jsd_lr-0.1_s0_", first)
	}
	// A regression guard: ids must not change between versions, or stored
	// sweeps would no longer be recognized.
	if first != "estimator-jsd_lr-0.1_s0_"+first[len(first)-8:] || len(first) != len("estimator-jsd_lr-0.1_s0_")+8 {
		t.Fatalf("id %q does not end in an 8-character hash", first)
	}

	// Changing a setting that is not swept changes every hash but no prefix.
	c := parseFile(t, strings.Replace(gridFile, "steps = 6", "steps = 7", 1))
	for i, r := range c.Runs {
		old := a.Runs[i].ID
		if r.ID == old || r.ID[:len(r.ID)-8] != old[:len(old)-8] {
			t.Fatalf("steps 6 -> 7: id %s -> %s; want the same prefix and a new hash", old, r.ID)
		}
	}
	// Comments and layout do not change ids.
	d := parseFile(t, "# a comment\n"+strings.ReplaceAll(gridFile, " = ", "   =   "))
	for i, r := range d.Runs {
		if r.ID != a.Runs[i].ID {
			t.Fatalf("reformatting the file changed id %s to %s", a.Runs[i].ID, r.ID)
		}
	}
}

func TestConfigTOMLHoldsTaskSeedAndEverySetting(t *testing.T) {
	s := parseFile(t, gridFile)
	got := string(s.Runs[1].ConfigTOML)
	for _, want := range []string{`task = "fake"`, "seed = 1", `estimator = "jsd"`, "batch_size = 4", "steps = 6", "[optim]", "lr = 0.1", "momentum = 0.9", "[estimator_params]", "tau = 1.0", "hidden = [16, 16]"} {
		if !strings.Contains(got, want) {
			t.Errorf("config.toml lacks %q:\n%s", want, got)
		}
	}
}

// condParams sweeps the estimator and, after it, tau, for a where to make
// tau conditional (lines 3-6 after a two-line head; where goes on line 7).
const condParams = "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[parameters.\"estimator_params.tau\"]\nvalues = [1.0, 2.0]\n"

// TestConditionalParameter: tau with where = { estimator = "jsd" } is
// swept in jsd's runs only; dv runs once a seed, with the default tau,
// without tau in its id, its recorded parameters or its results.csv cell.
func TestConditionalParameter(t *testing.T) {
	src := "name = \"cond\"\ntask = \"fake\"\nseeds = [0, 1]\n" + condParams + "where = { estimator = \"jsd\" }\n"
	s := parseFile(t, src)
	var got []string
	for _, r := range s.Runs {
		got = append(got, r.ID[:strings.LastIndex(r.ID, "_")])
	}
	want := []string{"estimator-jsd_tau-1_s0", "estimator-jsd_tau-1_s1", "estimator-jsd_tau-2_s0", "estimator-jsd_tau-2_s1",
		"estimator-dv_s0", "estimator-dv_s1"}
	if !slices.Equal(got, want) {
		t.Fatalf("runs %q; want %q", got, want)
	}
	dv := s.Runs[4]
	if m := s.ParamMap(dv); len(m) != 1 || m["estimator"] != "dv" {
		t.Errorf("dv's recorded parameters %v; want the estimator alone", m)
	}
	if tau := dv.Config.(*fakeConfig).EstimatorParams["tau"]; tau != 1 {
		t.Errorf("dv's tau = %v; want the default, 1", tau)
	}
	if tau := s.Runs[2].Config.(*fakeConfig).EstimatorParams["tau"]; tau != 2 {
		t.Errorf("jsd's third run has tau = %v; want 2", tau)
	}
	if d := s.describeRun(dv.Values, dv.Seed); d != "estimator = dv, seed = 0" {
		t.Errorf("dv's run reads %q", d)
	}
	if row := s.resultsRow(dv, "pending", nil); row.Params[1] != "" {
		t.Errorf("dv's results.csv cell for tau is %q; want it empty", row.Params[1])
	}
}

func TestBadSweepFiles(t *testing.T) {
	head := "name = \"bad\"\ntask = \"fake\"\n" // lines 1-2
	// lines 3-6, the distribution's name to follow
	lrDist := "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = "
	cases := []struct {
		name string
		src  string
		line int
		want string
	}{
		{"unknown top-level key", head + "seeds = [0]\nmetod = \"grid\"\n", 4, `metod: unknown key; did you mean "method"?`},
		{"conditional on itself", head + condParams + "where = { \"estimator_params.tau\" = 1.0 }\n", 7, `parameters."estimator_params.tau".where: names the parameter itself`},
		{"conditional on an unknown parameter", head + condParams + "where = { estimatr = \"jsd\" }\n", 7, `"estimatr" is not a parameter of this sweep`},
		{"conditional on a value not swept", head + condParams + "where = { estimator = \"nwj\" }\n", 7, `estimator = "nwj" is not one of the parameter's values ("jsd", "dv")`},
		{"conditional on a misspelt value", head + condParams + "where = { estimator = \"jds\" }\n", 7, `estimator = "jds" here, but parameters.estimator.values (line 4) has "jsd": one of the two is misspelt`},
		{"conditional in a random sweep", "method = \"random\"\nrun_cap = 2\n" + head + condParams + "where = { estimator = \"jsd\" }\n", 9, `a conditional parameter needs a grid sweep`},
		{"conditional on a conditional", head + condParams + "where = { estimator = \"jsd\" }\n[parameters.width]\nvalues = [2, 4]\nwhere = { \"estimator_params.tau\" = 1.0 }\n", 10, `"estimator_params.tau" is conditional itself`},
		{"base setting a run without the conditional parameter keeps", head + "[base]\nsteps = 4\n[base.estimator_params]\ntau = 9.0\n" + condParams + "where = { estimator = \"jsd\" }\n", 6, `base.estimator_params.tau = 9: must be at most steps (4)`},
		{"misspelt pool key", head + condParams + "where = { estimator = \"jsd\" }\n[[tables]]\nkind = \"table\"\nname = \"t\"\nrows = \"estimator\"\ncolumns = \"mi\"\npool = \"tua\"\n", 13, `did you mean "tau"?`},
		{"conditional on a conditional listed after it", head + "[parameters.width]\nvalues = [2, 4]\nwhere = { \"estimator_params.tau\" = 1.0 }\n" + condParams + "where = { estimator = \"jsd\" }\n", 5, `"estimator_params.tau" is conditional itself`},
		{"unknown base key", head + "[base]\nbatch_size = 4\nbatch_sise = 3\n", 5, `base.batch_sise: unknown key; did you mean "batch_size"?`},
		{"base key the config places", head + "[base]\ntau = 3.0\n", 4, `base.tau: unknown key; tau goes in estimator_params (known here: `},
		{"parameter the config places", head + "[parameters.tau]\nvalues = [3.0]\n", 4, `parameters.tau: names no setting of task "fake": at tau, unknown key; tau goes in estimator_params (known here: `},
		{"unknown nested key the config does not place", head + "[base.optim]\ntau = 3.0\n", 4, `base.optim.tau: unknown key (known here: lr, momentum)`},
		{"base key that is a word of a known one", head + "[base]\nsize = 3\n", 4, `base.size: unknown key; keys with "size" in their name: batch_size (known here: `},
		{"unknown nested base key", head + "[base.optim]\nlr = 0.1\nbeta = 3\n", 5, `base.optim.beta: unknown key (known here: lr, momentum)`},
		{"wrong type in base", head + "[base]\nbatch_size = \"big\"\n", 4, `base.batch_size: got the string "big": want an integer`},
		{"float for an integer", head + "[base]\nsteps = 5.0\n", 4, `base.steps: got the float 5.0: want an integer; write 5`},
		{"wrong type in a list", head + "[base]\nhidden = [16, \"x\"]\n", 4, `base.hidden[1]: got the string "x": want an integer`},
		{"impossible base value", head + "[base]\nsteps = 3\nbatch_size = 0\n", 5, `base.batch_size = 0: must be at least 2`},
		{"unknown estimator in base", head + "[base]\nestimator = \"nce\"\n", 4, `base.estimator = "nce": unknown estimator (known: dv, infonce, jsd)`},
		{"unknown estimator in values", head + "\n[parameters.estimator]\nvalues = [\"jsd\", \"mine\"]\n", 5, `parameters.estimator: estimator = "mine": unknown estimator`},
		{"negative learning rate", head + "[parameters.\"optim.lr\"]\nvalues = [0.1, -1.0]\n", 4, `parameters."optim.lr": optim.lr = -1: must be positive`},
		{"empty values", head + "[parameters.estimator]\nvalues = []\n", 4, `parameters.estimator.values: is empty: list at least one value`},
		{"parameter naming no setting", head + "[parameters.\"optim.lrr\"]\nvalues = [0.1]\n", 4, `parameters."optim.lrr": names no setting of task "fake": at optim.lrr, unknown key; did you mean "lr"?`},
		{"parameter value of the wrong type", head + "[parameters.width]\nvalues = [2, \"wide\"]\n", 4, `parameters.width: a value for width: got the string "wide": want an integer`},
		{"unquoted dotted parameter", head + "[parameters.optim.lr]\nvalues = [0.1]\n", 3, `parameters.optim.lr: unknown key; to sweep the nested setting optim.lr, quote its dotted name: [parameters."optim.lr"]`},
		{"unknown parameter key", head + "[parameters.width]\nvalue = 2\nvalus = [3]\n", 5, `parameters.width.valus: unknown key; did you mean "values"?`},
		{"distribution under grid", head + "[parameters.width]\ndistribution = \"int_uniform\"\nmin = 1\nmax = 3\n", 4, `parameters.width.distribution: a grid sweep cannot sample`},
		{"infinite max", head + "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = \"uniform\"\nmin = 0.5\nmax = inf\n", 8, `parameters."optim.lr".max: max = inf: min and max must be finite`},
		{"NaN min", head + "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = \"uniform\"\nmin = nan\nmax = 1.0\n", 7, `parameters."optim.lr".min: min = nan: min and max must be finite`},
		{"min above max", head + "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = \"uniform\"\nmin = 0.5\nmax = 0.1\n", 7, `parameters."optim.lr".min: min = 0.5 is above max = 0.1: swap them`},
		{"log uniform at zero", head + "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = \"log_uniform_values\"\nmin = 0\nmax = 0.1\n", 7, `log_uniform_values needs min > 0`},
		{"uniform on an integer key", head + "method = \"random\"\nrun_cap = 3\n[parameters.width]\ndistribution = \"uniform\"\nmin = 4\nmax = 64\n", 6, `parameters.width.distribution: "uniform" draws fractional numbers, and width takes whole ones: use distribution = "int_uniform"`},
		{"log-uniform on an integer key", head + "method = \"random\"\nrun_cap = 3\n[parameters.width]\ndistribution = \"log_uniform_values\"\nmin = 16\nmax = 600\n", 6, `width takes whole ones: list values = [...] spaced as you want them (such as [16, 32, 64, 128, 600]), or use distribution = "int_uniform", spaced evenly`},
		{"unknown distribution", head + "method = \"random\"\nrun_cap = 3\n[parameters.\"optim.lr\"]\ndistribution = \"normal\"\n", 6, `"normal" is not a distribution`},
		// W&B's other distributions: what to write instead, or that there is
		// nothing to write, before the keys of their own (q, mu, sigma).
		{"W&B's log_uniform", head + lrDist + "\"log_uniform\"\nmin = -9.2103\nmax = -2.302585\n", 6, `"log_uniform" is not a distribution here; did you mean "log_uniform_values"? ` +
			`W&B's log_uniform draws e^x for x uniform on [min, max]: log_uniform_values takes the bounds themselves, min = e^min and max = e^max (here min = 0.0001, max = 0.1)`},
		{"W&B's inv_log_uniform", head + lrDist + "\"inv_log_uniform\"\nmin = 2.302585\nmax = 9.2103\n", 6, `did you mean "log_uniform_values"? ` +
			`W&B's inv_log_uniform draws e^-x for x uniform on [min, max]: log_uniform_values takes the bounds themselves, min = e^-max and max = e^-min (here min = 0.0001, max = 0.1)`},
		{"W&B's inv_log_uniform_values", head + lrDist + "\"inv_log_uniform_values\"\nmin = 1e-4\nmax = 0.1\n", 6, `did you mean "log_uniform_values"? W&B's inv_log_uniform_values draws from the same distribution, with the same min and max`},
		{"W&B's constant", head + lrDist + "\"constant\"\nvalue = 0.1\n", 6, `"constant" is not a distribution here: for W&B's constant, write value = x and no distribution`},
		{"W&B's q_uniform", head + lrDist + "\"q_uniform\"\nmin = 0.0\nmax = 1.0\nq = 0.1\n", 6, `"q_uniform" is not a distribution here: W&B's quantized distributions (q_*) are not supported; use "int_uniform" for whole numbers`},
		{"W&B's q_log_uniform_values", head + lrDist + "\"q_log_uniform_values\"\n", 6, `W&B's quantized distributions (q_*) are not supported`},
		{"W&B's normal", head + lrDist + "\"normal\"\nmu = 0.0\nsigma = 1.0\n", 6, `"normal" is not a distribution here: W&B's normal is not supported; draw between bounds with "uniform" or "log_uniform_values" and min and max`},
		{"W&B's log_normal", head + lrDist + "\"log_normal\"\n", 6, `W&B's log_normal is not supported`},
		{"W&B's beta", head + lrDist + "\"beta\"\n", 6, `W&B's beta is not supported`},
		{"misspelt distribution", head + lrDist + "\"log_unifrom_values\"\n", 6, `"log_unifrom_values" is not a distribution here (known: categorical, uniform, int_uniform, log_uniform_values); did you mean "log_uniform_values"?`},
		{"random without run_cap", head + "method = \"random\"\n", 3, `run_cap: missing: a random sweep needs run_cap = N`},
		{"run_cap under grid", head + "run_cap = 3\n", 3, `run_cap: is only used by method = "random"`},
		{"unknown method", head + "method = \"bayes\"\n", 3, `method: "bayes" is not a method`},
		{"empty seeds", head + "seeds = []\n", 3, `seeds: is empty`},
		{"duplicate seed", head + "seeds = [1, 2, 1]\n", 3, `seeds: seed 1 is listed twice`},
		{"name escaping with ..", "name = \"../etc\"\ntask = \"fake\"\n", 1, `name: "../etc" must not contain '/', '\' or '..'`},
		{"name with a slash", "task = \"fake\"\nname = \"a/b\"\n", 2, `name: "a/b" must not contain '/'`},
		{"missing name", "task = \"fake\"\n", 0, `name: missing`},
		{"unknown task", "name = \"x\"\ntask = \"fak\"\n", 2, `task: unknown task "fak"`},
		{"unknown report kind", head + "\n[[figures]]\nkind = \"fake_tabel\"\n", 5, `figures[0].kind: unknown report kind "fake_tabel"`},
		{"report option rejected", head + "[[tables]]\nkind = \"fake_table\"\n[[tables]]\nkind = \"fake_table\"\nname = \"two\"\ncolour = \"red\"\n", 8, `tables[1].colour: fake_table report "two": option "colour": unknown option`},
		{"impossible list element", head + "[base]\nhidden = [4, 0]\n", 4, `base.hidden[1] = 0: must be at least 1`},
		// A list written over several lines: the error is at its element's line.
		{"wrong type in a list over lines", head + "[base]\nhidden = [\n  16,\n  \"x\", # the second\n]\n", 6, `base.hidden[1]: got the string "x": want an integer`},
		{"impossible list element over lines", head + "[base]\nhidden = [\n  4,\n  0,\n]\n", 6, `base.hidden[1] = 0: must be at least 1`},
		{"unknown estimator in values over lines", head + "[parameters.estimator]\nvalues = [\n  \"jsd\",\n  \"mine\",\n]\n", 6, `parameters.estimator: estimator = "mine": unknown estimator`},
		{"wrong type in values over lines", head + "[parameters.\"optim.lr\"]\nvalues = [\n  0.1,\n  \"x\",\n]\n", 6, `parameters."optim.lr": a value for optim.lr: got the string "x"`},
		{"impossible list in values", head + "[parameters.hidden]\nvalues = [[2], [0]]\n", 4, `parameters.hidden: hidden[0] = 0: must be at least 1`},
		{"report name twice", head + "[[figures]]\nkind = \"fake_table\"\n[[tables]]\nkind = \"fake_table\"\n", 6, `tables[0].name: "fake_table", the name a report without name = "..." takes from its kind, is already the name of another report`},
		{"report name given twice", head + "[[figures]]\nkind = \"fake_table\"\nname = \"a\"\n[[tables]]\nkind = \"fake_table\"\nname = \"a\"\n", 8, `tables[0].name: "a" is already the name of another report`},
		{"report name escaping", head + "[[figures]]\nkind = \"fake_table\"\nname = \"../x\"\n", 5, `figures[0].name: "../x" must not contain`},
		{"not TOML", head + "[base\n", 3, `not valid TOML`},
		{"a key twice", head + "[base]\nwidth = 2\nwidth = 3\n", 5, `not valid TOML: Key 'base.width' has already been defined; keep one of the two`},
		{"a misspelt table known by its subtable", head + "[parameter.estimator]\nvalues = [\"jsd\"]\n", 3, `parameter: unknown key; did you mean "parameters"?`},
		{"a table twice", head + "[base]\nwidth = 2\n[base]\nsteps = 3\n", 5, `not valid TOML: Key 'base' has already been defined; two tables of one name: merge them into one`},
		{"duplicate values", head + "[parameters.width]\nvalues = [2, 2]\n", 4, `lists 2 twice`},
		{"values meaning the same", head + "[parameters.\"optim.lr\"]\nvalues = [1, 1.0]\n", 0, `resolve to the same config`},
		{"overlapping parameters", head + "[parameters.\"estimator_params.tau\"]\nvalues = [1.0]\n[parameters.estimator_params]\nvalue = {tau = 2.0}\n", 5, `overlaps parameter "estimator_params.tau"`},
		{"unknown critic", head + "[base]\ncritic = \"no-such-critic\"\n", 4, `base.critic = "no-such-critic": unknown critic (known: `},
		{"unknown critic in values", head + "[parameters.critic]\nvalues = [\"concat\", \"sep\"]\n", 4, `parameters.critic: critic = "sep": unknown critic`},
		{"unknown data set", head + "[base]\ndataset = \"imagenet\"\n", 4, `base.dataset = "imagenet": unknown data set (known: `},
		{"wrong type of checkpoint_every", head + "checkpoint_every = \"often\"\n", 3, `checkpoint_every: got the string "often": want a whole number of steps`},
		{"negative checkpoint_every", head + "checkpoint_every = -5\n", 3, `checkpoint_every: -5: must be between 0`},
		{"checkpoint_minutes of the wrong type", head + "checkpoint_minutes = [10]\n", 3, `checkpoint_minutes: `},
		{"negative checkpoint_minutes", head + "checkpoint_minutes = -1.5\n", 3, `checkpoint_minutes: -1.5: must be between 0`},
		{"misspelt checkpoint key", head + "checkpoint_evry = 100\n", 3, `checkpoint_evry: unknown key; did you mean "checkpoint_every"?`},
		{"name with a backslash", "name = 'a\\b'\ntask = \"fake\"\n", 1, `must not contain '/', '\' or '..'`},
		{"grid too large", head + strings.Repeat("", 0) + bigGrid(), 0, fmt.Sprintf("the grid grows past %d runs", MaxRuns)},
		{"override without where", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nsteps = 3\n", 5, `overrides[0].where: missing or empty`},
		{"override where naming no parameter", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { critic = \"concat\" }\nsteps = 3\n", 6, `overrides[0].where: "critic" is not a parameter of this sweep (its parameters: estimator)`},
		{"override where value not swept", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"infonce\" }\nsteps = 3\n", 6, `overrides[0].where: estimator = "infonce" is not one of the parameter's values ("jsd", "dv")`},
		{"override where value misspelt in values", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dw\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\nsteps = 3\n", 6, `overrides[0].where: estimator = "dv" here, but parameters.estimator.values (line 4) has "dw": one of the two is misspelt; correct it`},
		{"override where naming another valid value", head + "[parameters.dataset]\nvalues = [\"cifar10\", \"mnist\"]\n[[overrides]]\nwhere = { dataset = \"cifar100\" }\nsteps = 3\n", 6, `overrides[0].where: dataset = "cifar100" is not one of the parameter's values ("cifar10", "mnist")`},
		{"override of a swept parameter", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\nestimator = \"jsd\"\n", 7, `overrides[0].estimator: estimator is set in [parameters.estimator]`},
		{"override setting nothing", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\n", 5, `overrides[0]: sets nothing`},
		{"override with an unknown key", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\nstepz = 3\n", 7, `overrides[0].stepz: unknown key; did you mean "steps"?`},
		{"override with an impossible value", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\nbatch_size = 0\n", 7, `overrides[0].batch_size = 0: must be at least 2 (in the run with estimator = dv`},
		{"of two faulty overrides, the first in the file", head + "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[overrides]]\nwhere = { estimator = \"dv\" }\nstepz = 3\n[[overrides]]\nwhere = { estimator = \"jsd\" }\nwidht = 3\n", 7, `overrides[0].stepz: unknown key`},
		{"a valid override leaves the first faulty run's error", head + "[parameters.hidden]\nvalues = [[0], [4]]\n[parameters.batch_size]\nvalues = [8, 0]\n[[overrides]]\nwhere = { hidden = [4], batch_size = 0 }\nsteps = 3\n", 4, `parameters.hidden: hidden[0] = 0`},
		{"override written inline, with an unknown key", head + "overrides = [{ where = { estimator = \"dv\" }, stepz = 3 }]\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n", 3, `overrides[0].stepz: unknown key`},
		{"override selecting no run", head + "[base]\nwidth = 4\nsteps = 6\n[parameters.width]\nvalues = [2, 4]\naxis = true\n[parameters.steps]\nvalues = [3, 6]\naxis = true\n[[overrides]]\nwhere = { width = 2, steps = 3 }\nbatch_size = 8\n", 13, `overrides[0].where: selects no run of the sweep`},
		{"the second of two overrides selecting no run", head + "[base]\nwidth = 4\nsteps = 6\n[parameters.width]\nvalues = [2, 4]\naxis = true\n[parameters.steps]\nvalues = [3, 6]\naxis = true\n[[overrides]]\nwhere = { width = 2 }\nbatch_size = 8\n[[overrides]]\nwhere = { width = 2, steps = 3 }\nbatch_size = 6\n", 16, `overrides[1].where: selects no run of the sweep`},
		{"overrides not a list of tables", head + "overrides = 3\n", 3, `overrides: got the integer 3: want [[overrides]] entries`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("sweeps/x.toml", []byte(c.src))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.src)
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q\nlacks %q", msg, c.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FileError", err)
			}
			if fe.File != "sweeps/x.toml" || !strings.HasPrefix(msg, "sweeps/x.toml") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			if c.line > 0 && fe.Line != c.line {
				t.Errorf("error %q is at line %d, want %d", msg, fe.Line, c.line)
			}
			if c.line > 0 && !strings.HasPrefix(msg, fmt.Sprintf("sweeps/x.toml:%d: ", c.line)) {
				t.Errorf("error %q does not start with file:line", msg)
			}
		})
	}
}

// bigGrid declares a grid of 10^6 configurations.
func bigGrid() string {
	var b strings.Builder
	for i, key := range []string{"width", "batch_size", "steps", "hidden", "\"optim.lr\"", "\"optim.momentum\""} {
		fmt.Fprintf(&b, "[parameters.%s]\nvalues = [", key)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			switch {
			case i == 3:
				fmt.Fprintf(&b, "[%d]", j+1)
			case i >= 4:
				fmt.Fprintf(&b, "%d.5", j+1)
			default:
				fmt.Fprintf(&b, "%d", j+2)
			}
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestRunIDsNeverEscapeTheSweepDirectory gives string values that look like
// paths and checks the ids stay single, safe path elements.
func TestRunIDsNeverEscapeTheSweepDirectory(t *testing.T) {
	src := "name = \"esc\"\ntask = \"fake\"\n[parameters.behavior]\nvalues = [\"../../etc/passwd\", \"a/b\", \"..\", \"/\", \"\\\\server\\\\x\", \".hidden\"]\n"
	s := parseFile(t, src)
	for _, r := range s.Runs {
		if !idRe.MatchString(r.ID) || strings.Contains(r.ID, "..") || strings.HasPrefix(r.ID, ".") {
			t.Fatalf("value %q gave the unsafe id %q", r.Values[0], r.ID)
		}
		if filepath.Dir(s.RunDir("out", r)) != filepath.Join("out", "esc") {
			t.Fatalf("run dir %s is not directly under the sweep directory", s.RunDir("out", r))
		}
	}
}

// TestRunIDsKeepTheSign: values that differ only in their sign read
// apart in their runs' ids (the minus sign as "m"), not only by the hash.
func TestRunIDsKeepTheSign(t *testing.T) {
	src := "name = \"sign\"\ntask = \"fake\"\n[parameters.\"optim.momentum\"]\nvalues = [-1.0, 1.0, -0.5, 1e-5]\n" +
		"[parameters.width]\nvalues = [-2, 2]\n"
	s := parseFile(t, src)
	var got []string
	for _, r := range s.Runs {
		got = append(got, r.ID[:strings.Index(r.ID, "_s0_")])
	}
	want := []string{"momentum-m1_width-m2", "momentum-m1_width-2", "momentum-1_width-m2", "momentum-1_width-2",
		"momentum-m0.5_width-m2", "momentum-m0.5_width-2", "momentum-1e-05_width-m2", "momentum-1e-05_width-2"}
	if !slices.Equal(got, want) {
		t.Errorf("ids %q; want %q", got, want)
	}
}

func TestNestedValuesReachMapsAndTables(t *testing.T) {
	src := `name = "nested"
task = "fake"
[base.estimator_params]
tau = 3.0
[parameters."estimator_params.alpha"]
values = [0.5, 0.25]
[parameters.hidden]
values = [[8], [4, 4]]
`
	s := parseFile(t, src)
	if len(s.Runs) != 4 {
		t.Fatalf("got %d runs, want 4", len(s.Runs))
	}
	cfg := s.Runs[3].Config.(*fakeConfig)
	if cfg.EstimatorParams["tau"] != 3 || cfg.EstimatorParams["alpha"] != 0.25 || fmt.Sprint(cfg.Hidden) != "[4 4]" {
		t.Fatalf("run 3 config %+v", cfg)
	}
	// The defaults' map is not shared between configs.
	if s.Runs[0].Config.(*fakeConfig).EstimatorParams["alpha"] != 0.5 {
		t.Fatalf("run 0 alpha changed: %+v", s.Runs[0].Config)
	}
	if fresh := (fakeTask{}).NewConfig().(*fakeConfig); fresh.EstimatorParams["tau"] != 1 {
		t.Fatalf("decoding changed the task's defaults")
	}
	if s.Runs[3].ID[:len("alpha-0.25_hidden-4x4_s0")] != "alpha-0.25_hidden-4x4_s0" {
		t.Fatalf("id %s", s.Runs[3].ID)
	}
}

func FuzzDecodeSweep(f *testing.F) {
	f.Add([]byte(gridFile))
	f.Add([]byte(randomFile))
	f.Add([]byte("name = \"n\"\ntask = \"fake\"\n[[figures]]\nkind = \"fake_table\"\nmetric = \"mi\"\n"))
	f.Add([]byte("name = \"n\"\ntask = \"fake\"\n[base]\nhidden = [1, 2]\n[base.estimator_params]\ntau = 2.0\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("fuzz.toml", src)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Parse recovered a panic: %v\n%s", err, src)
			}
			return
		}
		if len(s.Runs) == 0 || len(s.Runs) > MaxRuns {
			t.Fatalf("a valid file expanded to %d runs", len(s.Runs))
		}
		for _, r := range s.Runs {
			if !idRe.MatchString(r.ID) {
				t.Fatalf("unsafe id %q", r.ID)
			}
		}
	})
}

// TestPoolingWarnings: a table whose rows leave out a swept parameter is
// warned of, at the line of its rows, with the values and the fix; one
// that names it in pool, or in rows, is not.
func TestPoolingWarnings(t *testing.T) {
	src := "name = \"pool\"\ntask = \"fake\"\nseeds = [0, 1]\n" +
		"[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n" +
		"[parameters.\"optim.momentum\"]\nvalues = [0.5, 0.9]\n" +
		"[[tables]]\nkind = \"table\"\nname = \"by-estimator\"\nrows = \"estimator\"\ncolumns = \"mi\"\n"
	got := parseFile(t, src).PoolingWarnings()
	want := `e2e.toml:11: tables[0].rows: table report "by-estimator": each row pools runs that differ in optim.momentum (0.5, 0.9), ` +
		`averaging them within each seed; add it to rows, or name it in pool to average over it on purpose`
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q; want %q", got, want)
	}
	for _, fix := range []string{"pool = \"optim.momentum\"\n", "rows = [\"estimator\", \"optim.momentum\"]\n"} {
		fixed := strings.Replace(src, "rows = \"estimator\"\n", "rows = \"estimator\"\n"+fix, 1)
		if strings.HasPrefix(fix, "rows") {
			fixed = strings.Replace(src, "rows = \"estimator\"\n", fix, 1)
		}
		if got := parseFile(t, fixed).PoolingWarnings(); len(got) != 0 {
			t.Errorf("with %q: warnings %q", fix, got)
		}
	}
}

// productThenMerge is the grid of a sweep with conditional parameters as
// its definition says it: the whole product in the parameters' order, each
// conditional parameter unset where its where does not select the
// configuration, each configuration kept where it first comes.
func productThenMerge(s *Sweep) [][]any {
	configs := [][]any{{}}
	for _, p := range s.Params {
		var next [][]any
		for _, c := range configs {
			for _, v := range p.Values {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		configs = next
	}
	seen := map[string]bool{}
	var out [][]any
	for _, vals := range configs {
		for i, p := range s.Params {
			if p.Where != nil && !s.whereMatches(p.Where, vals) {
				vals[i] = unset{}
			}
		}
		if key := valueKey(vals); !seen[key] {
			seen[key] = true
			out = append(out, vals)
		}
	}
	return out
}

// TestConditionalGridIsTheMergedProduct checks gridConfigs, which builds
// only the configurations it keeps, against productThenMerge, with the
// conditional parameters before, between and after those their where
// names.
func TestConditionalGridIsTheMergedProduct(t *testing.T) {
	tau := "[parameters.\"estimator_params.tau\"]\nvalues = [1.0, 2.0, 3.0]\nwhere = { estimator = \"jsd\" }\n"
	width := "[parameters.width]\nvalues = [2, 4]\nwhere = { estimator = \"dv\", batch_size = 8 }\n"
	est := "[parameters.estimator]\nvalues = [\"jsd\", \"infonce\", \"dv\"]\n"
	batch := "[parameters.batch_size]\nvalues = [4, 8]\n"
	for _, order := range [][]string{{est, batch, tau, width}, {tau, est, width, batch}, {width, tau, batch, est}, {est, tau, batch, width}} {
		s := parseFile(t, "name = \"cond\"\ntask = \"fake\"\n"+strings.Join(order, ""))
		got, err := s.gridConfigs()
		if err != nil {
			t.Fatal(err)
		}
		want := productThenMerge(s)
		if len(got) != len(want) || len(got) != 6+2+1+2 {
			t.Fatalf("%d configurations, want %d (6 jsd, 2 infonce, 1 dv at batch 4, 2 at 8)", len(got), len(want))
		}
		for i := range want {
			if valueKey(got[i]) != valueKey(want[i]) {
				t.Fatalf("parameters %v: configuration %d is %v, want %v", s.ParamNames(), i, got[i], want[i])
			}
		}
	}
}

// TestConditionalGridSize checks that the grid's limit counts a
// conditional parameter only where its where selects it: a grid whose
// product is past MaxRuns, but not its runs, loads; one whose runs are
// past it gets the error at the first conditional parameter's line.
func TestConditionalGridSize(t *testing.T) {
	values := func(n int, where string) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d", i+2)
		}
		return "values = [" + b.String() + "]\nwhere = { estimator = \"" + where + "\" }\n"
	}
	head := "name = \"big\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"infonce\", \"dv\"]\n"
	s := parseFile(t, head+"[parameters.width]\n"+values(150, "jsd")+"[parameters.steps]\n"+values(150, "dv"))
	if len(s.Runs) != 150+1+150 {
		t.Errorf("%d runs, want 301 (a product of %d)", len(s.Runs), 3*150*150)
	}
	_, err := Parse("big.toml", []byte(head+"[parameters.width]\n"+values(150, "jsd")+"[parameters.steps]\n"+values(150, "jsd")))
	want := fmt.Sprintf("big.toml:5: parameters.width: the grid grows past %d runs here (", MaxRuns)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "configurations x 1 seed, each conditional parameter counted where its where selects it)") {
		t.Errorf("error %v, want %q and the conditional parameters counted where swept", err, want)
	}
}

// TestConditionalGridSizeDoesNotOverflow checks a grid whose conditional
// parameters' product is 16^16 = 2^64, which wraps to 0 in an int: the
// count saturates, and the file gets the error, not an attempt to build
// the configurations.
func TestConditionalGridSizeDoesNotOverflow(t *testing.T) {
	var b strings.Builder
	b.WriteString("name = \"huge\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n")
	for i := range 16 {
		fmt.Fprintf(&b, "[parameters.\"estimator_params.p%d\"]\nvalues = [", i)
		for j := range 16 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d.5", j)
		}
		b.WriteString("]\nwhere = { estimator = \"jsd\" }\n")
	}
	_, err := Parse("huge.toml", []byte(b.String()))
	want := fmt.Sprintf(`huge.toml:5: parameters."estimator_params.p0": the grid grows past %d runs here (at least %d configurations x 1 seed`, MaxRuns, MaxRuns+1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}
