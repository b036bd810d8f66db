package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// tinyDIMFile is a Deep InfoMax sweep on MNIST small enough to train in a
// second or two: DIM(L) at tiny widths for one epoch, and the raw-pixel
// baseline, whose probe shows that the images and labels are MNIST's.
const tinyDIMFile = `name = "tiny"
task = "dim"
[base]
train_subset = 256
test_subset = 128
conv1 = 4
conv2 = 8
conv3 = 8
fc = 16
code = 8
mi_units = 8
global_units = 8
prior_hidden = [8, 8]
epochs = 1
batch_size = 32
probe_epochs = 3
probe_hidden = 8
probe_features = ["y"]
[parameters.preset]
values = ["dim-l", "pixels"]
`

// bareEnv returns the environment of a machine with no Go: HOME, the module
// cache and GOPATH are empty folders under root, and PATH holds only a
// fake go that leaves the file it returns behind if anything calls it.
func bareEnv(t *testing.T, root string) (env []string, goCalled string) {
	t.Helper()
	dirs := map[string]string{}
	for _, d := range []string{"home", "modcache", "gopath", "goroot", "bin"} {
		dirs[d] = filepath.Join(root, d)
		if err := os.MkdirAll(dirs[d], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	goCalled = filepath.Join(root, "go-was-called")
	fakeGo := "#!/bin/sh\necho \"$@\" > '" + goCalled + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dirs["bin"], "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + dirs["bin"], "HOME=" + dirs["home"], "GOMODCACHE=" + dirs["modcache"],
		"GOPATH=" + dirs["gopath"], "GOROOT=" + dirs["goroot"], "GOFLAGS=-mod=mod",
	}, goCalled
}

// TestBuiltBinaryTrainsMNISTWithoutGo builds the sweep command, copies it
// into an empty folder of a machine without Go (as bareEnv makes it), and
// checks that it lists, copies out and validates the shipped sweeps by
// name and trains Deep InfoMax on the embedded MNIST.
func TestBuiltBinaryTrainsMNISTWithoutGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and trains: skipped with -short")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "sweep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env, goCalled := bareEnv(t, root)
	work := filepath.Join(root, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	sweepIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sweep %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := sweepIn("validate", "batchsize"); !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "(sweep batchsize, task dim") {
		t.Errorf("sweep validate batchsize: %q", out)
	}
	sweepIn("init")
	if _, err := os.Stat(filepath.Join(work, "sweeps", "batchsize.toml")); err != nil {
		t.Errorf("sweep init left no sweeps/batchsize.toml: %v", err)
	}
	if err := os.WriteFile(filepath.Join(work, "tiny.toml"), []byte(tinyDIMFile), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepIn("run", "tiny.toml")
	if b, err := os.ReadFile(goCalled); err == nil {
		t.Errorf("the binary ran the go tool: go %s", b)
	}
	checkTinyDIMRuns(t, filepath.Join(work, "runs", "tiny"))
}

// checkTinyDIMRuns checks that both runs of tinyDIMFile under dir are done
// with finite probe accuracies, and that the pixel probe is far above
// chance (0.1), as it is only on MNIST's images with their labels.
func checkTinyDIMRuns(t *testing.T, dir string) {
	t.Helper()
	ids, err := filepath.Glob(filepath.Join(dir, "preset-*"))
	if err != nil || len(ids) != 2 {
		t.Fatalf("run folders %v (%v), want the dim-l and pixels runs", ids, err)
	}
	for _, id := range ids {
		s, err := results.ReadSummary(id)
		if err != nil {
			t.Fatal(err)
		}
		acc := "linear_y_acc"
		if strings.Contains(id, "pixels") {
			acc = "linear_input_acc"
		}
		v, ok := s.Metrics[acc]
		if s.Status != results.StatusDone || !ok || math.IsNaN(v) || v < 0 || v > 1 {
			t.Errorf("%s: status %s, %s = %v; want done with an accuracy in [0, 1]", id, s.Status, acc, s.Metrics[acc])
		}
		if acc == "linear_input_acc" && v < 0.5 {
			t.Errorf("%s: the pixel probe's accuracy %.3f is near chance; are the images and labels MNIST's?", id, v)
		}
	}
}
