package dim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
	"github.com/infomax/infomax/internal/safetensors"
)

// keptConfig is tinyConfig with normalized images and an evaluation
// besides the probes, so that a kept encoder is checked on both.
func keptConfig() *Config {
	c := tinyConfig()
	c.Epochs = 1
	c.Normalize = true
	c.ProbeFeatures = []string{"fc", "y"}
	c.Evaluations = []string{EvalSVM, EvalMIXY}
	c.EvalEpochs, c.EvalBatchSize, c.EvalHidden = 1, 16, 16
	return c
}

// runKept runs c with seed in a fresh folder, keeping the model when keep
// is set, checks its metrics against Task.Metrics, and returns its summary
// and folder.
func runKept(t *testing.T, c *Config, seed int64, keep bool) (results.Values, string) {
	t.Helper()
	run, rec := taskstest.NewRun(seed, nil)
	run.Dir, run.KeepModel = t.TempDir(), keep
	sum, err := Task{}.Run(context.Background(), c, run)
	if err != nil {
		t.Fatal(err)
	}
	taskstest.CheckMetrics(t, Task{}, c, sum, rec)
	return sum, run.Dir
}

// TestKeptEncoderProbesTheSame trains a run that keeps its encoder, then
// probes the kept file in a run with encoder_file and the same seed and
// probe settings: every probe and evaluation metric is the same, bit for
// bit, and the training metrics are left out. Keeping the model changes
// nothing the trained run reports.
func TestKeptEncoderProbesTheSame(t *testing.T) {
	c := keptConfig()
	trained, dir := runKept(t, c, 4, true)
	path := filepath.Join(dir, KeptEncoder)
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var mean []float32
	if err := json.Unmarshal([]byte(f.Metadata["normalize_mean"]), &mean); err != nil || len(mean) != 1 {
		t.Errorf("metadata normalize_mean = %q (%v), want MNIST's one channel's mean", f.Metadata["normalize_mean"], err)
	}
	if sum := f.Metadata["dataset_summary"]; !strings.Contains(sum, "1x28x28 padded to 1x32x32") {
		t.Errorf("metadata dataset_summary = %q, want MNIST's, saying how its images were made 32x32", sum)
	}
	for k, want := range map[string]string{"run_id": "taskstest", "task": "dim", "conv2": "16", "code": "16", "image_size": "32", "image_channels": "1", "first_bn": "true"} {
		if f.Metadata[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, f.Metadata[k], want)
		}
	}
	if w := f.Tensors["conv2.weight"]; w.DType != safetensors.F32 || len(w.Shape) != 4 || w.Shape[0] != 16 || w.Shape[1] != 8 {
		t.Errorf("conv2.weight is %s %v, want F32 (16, 8, 4, 4)", w.DType, w.Shape)
	}

	unkept, _ := runKept(t, keptConfig(), 4, false)
	if !equalValues(trained, unkept) {
		t.Errorf("keeping the model changed the run's summary:\n%v\n%v", trained, unkept)
	}

	probed := keptConfig()
	probed.EncoderFile = path
	if err := probed.CheckDisk(); err != nil {
		t.Fatal(err)
	}
	loaded, _ := runKept(t, probed, 4, false)
	// The training metrics (loss, mi_local, js_local, ...) are the
	// trained run's alone.
	for _, k := range (Task{}).Metrics(c).Summary {
		if !slices.Contains((Task{}).Metrics(probed).Summary, k) {
			if _, ok := trained[k]; !ok {
				t.Errorf("the trained run lacks the training metric %s", k)
			}
			delete(trained, k)
		}
	}
	if !equalValues(trained, loaded) {
		t.Errorf("probing the kept encoder gives other metrics:\ntrained %v\nloaded  %v", trained, loaded)
	}
}

// equalValues reports whether a and b hold the same metrics with the
// same bits.
func equalValues(a, b results.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !(v == w || v != v && w != w) {
			return false
		}
	}
	return true
}

// TestEncoderFileErrors checks that an encoder_file that is missing, not
// a safetensors file, or holds an encoder of other sizes is a one-line
// error naming the key and the file, and for other sizes the tensor, both
// shapes and the sizes to set; and that the pixel baseline refuses one.
func TestEncoderFileErrors(t *testing.T) {
	c := keptConfig()
	c.Epochs, c.ProbeFeatures, c.Evaluations, c.ProbeEpochs = 1, []string{"y"}, []string{}, 1
	_, dir := runKept(t, c, 1, true)
	path := filepath.Join(dir, KeptEncoder)
	junk := filepath.Join(dir, "junk.safetensors")
	if err := os.WriteFile(junk, []byte("not a tensor file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		set   func(*Config)
		wants []string
	}{
		{filepath.Join(dir, "nope.safetensors"), nil, []string{"no such file", "keep_models = true"}},
		{junk, nil, []string{"not a safetensors file", "truncated?"}},
		{path, func(c *Config) { c.Conv2 = 32 }, []string{`tensor "conv2.weight" has shape [16 8 4 4], but the config's encoder needs [32 8 4 4]`,
			"set conv1 = 8, conv2 = 16, conv3 = 16, fc = 32, code = 16, first_bn = true as the run that kept it did"}},
		{path, func(c *Config) { c.FirstBN = false }, []string{`no tensor "conv1.bias"`}},
		{path, func(c *Config) { c.Normalize = false }, []string{"the run that kept it had normalize = true, this config normalize = false; set normalize = true"}},
	} {
		bad := keptConfig()
		bad.EncoderFile = tc.file
		if tc.set != nil {
			tc.set(bad)
		}
		if err := bad.Validate(); err != nil {
			t.Fatal(err)
		}
		err := bad.CheckDisk()
		for _, want := range append(tc.wants, `encoder_file = "`+tc.file+`": `) {
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: CheckDisk error %v, want one line saying %q", tc.file, err, want)
			}
		}
		run, _ := taskstest.NewRun(1, nil)
		if _, err := (Task{}).Run(context.Background(), bad, run); err == nil || !strings.Contains(err.Error(), tc.wants[0]) {
			t.Errorf("%s: Run error %v, want one saying %q", tc.file, err, tc.wants[0])
		}
	}
	px := keptConfig()
	px.Preset, px.EncoderFile = "pixels", path
	if err := px.Validate(); err == nil || !strings.HasPrefix(err.Error(), "encoder_file = ") {
		t.Errorf("pixels with encoder_file: %v, want an error at encoder_file", err)
	}
}

// TestMissingRelativeEncoderFileSaysWhereItWasRead: a relative
// encoder_file that is not found names the folder it was looked for from,
// the one the command runs in, not the sweep file's.
func TestMissingRelativeEncoderFileSaysWhereItWasRead(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c := keptConfig()
	c.EncoderFile = "nope.safetensors"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := `encoder_file = "nope.safetensors": no such file (a relative path is read from the folder the command runs in, ` + dir + ", not the sweep file's)"
	if err := c.CheckDisk(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CheckDisk error %v, want one saying %q", err, want)
	}
}

// TestEncoderFileKeepsRunIDs checks that the config's TOML, from which a
// run's id is made, leaves encoder_file out when it is not set.
func TestEncoderFileKeepsRunIDs(t *testing.T) {
	for file, want := range map[string]bool{"": false, "runs/x/encoder.safetensors": true} {
		c := DefaultConfig()
		c.EncoderFile = file
		var b strings.Builder
		if err := toml.NewEncoder(&b).Encode(c); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "encoder_file"); got != want {
			t.Errorf("encoder_file = %q: the TOML names it: %v, want %v", file, got, want)
		}
	}
}

// TestResumedRunKeepsTheSameEncoder stops a run that keeps its model
// after its training, while it probes, and runs it again from its
// checkpoint with its kept file removed: the resumed run, which trains no
// further, keeps the encoder that an uninterrupted run keeps, byte for
// byte.
func TestResumedRunKeepsTheSameEncoder(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	const total, seed = 12, 5
	run, _ := taskstest.NewRun(seed, nil)
	run.Dir, run.KeepModel = t.TempDir(), true
	if _, err := (Task{}).Run(context.Background(), cfg, run); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(run.Dir, KeptEncoder))
	if err != nil {
		t.Fatal(err)
	}
	cp := &checkpoint.Memory{Every: 5}
	stopped, _ := taskstest.NewRun(seed, cp)
	stopped.Dir, stopped.KeepModel = t.TempDir(), true
	taskstest.Interrupt(t, Task{}, cfg, stopped, total)
	kept := filepath.Join(stopped.Dir, KeptEncoder)
	if err := os.Remove(kept); err != nil {
		t.Fatalf("the run stopped after training kept no encoder: %v", err)
	}
	resumed, _ := taskstest.NewRun(seed, cp)
	resumed.Dir, resumed.KeepModel = stopped.Dir, true
	if _, err := (Task{}).Run(context.Background(), cfg, resumed); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(kept); err != nil || string(got) != string(want) {
		t.Errorf("the resumed run kept another encoder (%v)", err)
	}
}

// TestEncoderFileIsCleaned checks that Validate cleans encoder_file, as
// it does data_path, so that two spellings of one path make one run id.
func TestEncoderFileIsCleaned(t *testing.T) {
	for _, file := range []string{"./runs/x/encoder.safetensors", "runs//x/./encoder.safetensors", "runs/y/../x/encoder.safetensors"} {
		c := DefaultConfig()
		c.EncoderFile = file
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join("runs", "x", KeptEncoder); c.EncoderFile != want {
			t.Errorf("encoder_file = %q: validated as %q, want %q", file, c.EncoderFile, want)
		}
	}
}

// TestEncoderFileRefusesTrainingOnlyKeys checks that the settings of the
// training that a baseline refuses, since it is not trained, are refused
// beside encoder_file too, naming the key: its encoder is not trained
// either.
func TestEncoderFileRefusesTrainingOnlyKeys(t *testing.T) {
	for key, set := range map[string]func(*Config){
		"coord_weight = 1":         func(c *Config) { c.CoordWeight = 1 },
		"occlude_prob = 0.5":       func(c *Config) { c.OccludeProb = 0.5 },
		`negatives = "roll"`:       func(c *Config) { c.Negatives = NegativesRoll },
		"num_negatives = 8":        func(c *Config) { c.NumNegatives = 8 },
		"num_global_negatives = 8": func(c *Config) { c.Preset, c.NumGlobalNegatives = "dim-lg", 8 },
	} {
		c := DefaultConfig()
		set(c)
		if err := c.Validate(); err != nil {
			t.Fatalf("%s without encoder_file: %v", key, err)
		}
		c.EncoderFile = "runs/x/encoder.safetensors"
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), key+" changes nothing here: the encoder of encoder_file = ") {
			t.Errorf("%s with encoder_file: error %v, want one at the key", key, err)
		}
	}
}
