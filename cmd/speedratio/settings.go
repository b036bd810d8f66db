package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Units of the settings' metrics.
const (
	imagesPerSec = "images/s"
	stepsPerSec  = "steps/s"
)

// Reference scripts in the --bench folder.
const (
	dimScript      = "dim_torch.py"
	gaussianScript = "gaussian_torch.py"
)

// torchVariant is one way of running a setting's reference script: label
// names it in the output (empty when a setting has one variant).
type torchVariant struct {
	label string
	args  []string
}

// setting is one row of the table: a reference script run in one or more
// variants (the reference is the fastest variant of each round) against
// one of our benchmarks.
type setting struct {
	key, name string
	unit      string
	script    string
	// dimName is the setting name dim_torch.py's --json results carry
	// (dim_full, enc_fb); empty for gaussian_torch.py.
	dimName  string
	batch    int    // the batch dim_torch.py times, for reading its --json output
	critic   string // the critic gaussian_torch.py prints, for reading its line
	variants []torchVariant
	pkg      string // our benchmark's package, relative to the repository root
	bench    string // our benchmark's full name, sub-benchmarks joined by /
	// steps is our benchmark's -test.benchtime: at least 20 timed steps,
	// and enough of them to time a few seconds, as the reference does.
	steps string
	// goal is the ratio, ours over the reference, that issue 13 ("The DIM
	// training step at PyTorch's speed") asks of the row; 0 for none.
	goal float64
}

// threads is the number of threads both sides run on: dim_torch.py's
// --threads and our benchmarks' -test.cpu (the Gaussian reference also
// tries 1 thread and keeps the better).
const threads = 2

// allSettings are the settings in table order.
var allSettings = []setting{
	dimSetting("full64", "full step, batch 64", "dim_full", 64, "BenchmarkDIMStepTorchReference", "./experiments/tasks/dim", "20x", 1),
	dimSetting("full64-all", "full step, batch 64, every global pair", "dim_full", 64, "BenchmarkDIMStepAllGlobalPairs", "./experiments/tasks/dim", "20x", 0),
	dimSetting("full16", "full step, batch 16", "dim_full", 16, "BenchmarkDIMStepTorchReferenceBatch16", "./experiments/tasks/dim", "60x", 1.5),
	dimSetting("full64-f32", "full step, batch 64, float32 Adam moments as the reference's", "dim_full", 64, "BenchmarkDIMStepFloat32Moments", "./experiments/tasks/dim", "20x", 1),
	dimSetting("full16-f32", "full step, batch 16, float32 Adam moments as the reference's", "dim_full", 16, "BenchmarkDIMStepFloat32MomentsBatch16", "./experiments/tasks/dim", "60x", 1.5),
	dimSetting("enc", "encoder forward+backward, batch 64", "enc_fb", 64, "BenchmarkEncoderForwardBackward", "./architectures", "60x", 1),
	gaussianSetting("gauss-sep", "separable", "1000x", 2),
	gaussianSetting("gauss-concat", "concat", "100x", 2),
}

// dimSetting is a setting that dim_torch.py times as dimName at batch,
// and our bench in pkg for steps, with the goal issue 13 sets it.
func dimSetting(key, name, dimName string, batch int, bench, pkg, steps string, goal float64) setting {
	b := strconv.Itoa(batch)
	return setting{
		key: key, name: name, unit: imagesPerSec, script: dimScript, dimName: dimName, batch: batch,
		variants: []torchVariant{{args: []string{"--threads", strconv.Itoa(threads), "--batches", b, "--only", dimName}}},
		pkg:      pkg, bench: bench, steps: steps, goal: goal,
	}
}

// gaussianSetting is the Gaussian step with the given critic at hidden
// 256, ours timed for steps; the reference is the better of
// gaussian_torch.py at 1 and 2 threads.
func gaussianSetting(key, critic, steps string, goal float64) setting {
	s := setting{
		key: key, name: fmt.Sprintf("Gaussian step, %s critic, hidden 256", critic),
		unit: stepsPerSec, script: gaussianScript, critic: critic,
		pkg: "./experiments/tasks/gaussian", bench: "BenchmarkStep/" + critic + "/hidden=256", steps: steps, goal: goal,
	}
	for _, t := range []string{"1", "2"} {
		s.variants = append(s.variants, torchVariant{
			label: "threads=" + t,
			args:  []string{"--threads", t, "--critic", critic, "--hidden", "256"},
		})
	}
	return s
}

// benchtime returns our benchmark's -test.benchtime: override when it is
// set (the --benchtime flag), the setting's own steps otherwise.
func (st setting) benchtime(override string) string {
	if override != "" {
		return override
	}
	return st.steps
}

// settingKeys returns the keys of all settings, in table order.
func settingKeys() []string {
	keys := make([]string, len(allSettings))
	for i, s := range allSettings {
		keys[i] = s.key
	}
	return keys
}

// selectSettings returns the settings that the comma list only names, in
// table order; all of them when only is empty.
func selectSettings(only string) ([]setting, error) {
	if strings.TrimSpace(only) == "" {
		return allSettings, nil
	}
	want := map[string]bool{}
	for _, k := range strings.Split(only, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !hasKey(k) {
			return nil, fmt.Errorf("--only: unknown setting %q; the settings are %s", k, strings.Join(settingKeys(), ","))
		}
		want[k] = true
	}
	var out []setting
	for _, s := range allSettings {
		if want[s.key] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--only %q names no setting; give some of %s", only, strings.Join(settingKeys(), ","))
	}
	return out, nil
}

// hasKey reports whether key names a setting.
func hasKey(key string) bool {
	for _, s := range allSettings {
		if s.key == key {
			return true
		}
	}
	return false
}

// benchRegex returns the -test.bench pattern that selects exactly the
// benchmark name: each level of a sub-benchmark name anchored on its own.
func benchRegex(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
