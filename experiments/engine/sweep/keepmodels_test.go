package sweep

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// keeperTask is a task that keeps a model: with run.KeepModel it writes
// model.bin, holding the run's id, in the run's folder.
type keeperTask struct{}

type keeperConfig struct {
	Steps int `toml:"steps"`
}

func (*keeperConfig) Validate() error { return nil }

func (keeperTask) NewConfig() tasks.Config { return &keeperConfig{Steps: 2} }

func (keeperTask) KeptModel(tasks.Config) string { return "model.bin" }

func (keeperTask) Run(_ context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	if run.KeepModel {
		if err := results.WriteFileAtomic(filepath.Join(run.Dir, "model.bin"), []byte(run.ID)); err != nil {
			return nil, err
		}
	}
	return results.Values{"acc": float64(run.Seed) + float64(cfg.(*keeperConfig).Steps)/10}, nil
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "keeper", Summary: "a task that keeps a model, for the tests", Task: keeperTask{}})
}

const keeperFile = `name = "keep"
task = "keeper"
seeds = [0, 1]
%s
[parameters.steps]
values = [1, 3]
`

// TestKeepModelsChangesNoIDOrResult runs a sweep with keep_models = true
// and without: the run ids and results.csv are the same byte for byte, and
// only the runs of the first keep their model, each its own.
func TestKeepModelsChangesNoIDOrResult(t *testing.T) {
	without := parseFile(t, strings.Replace(keeperFile, "%s", "", 1))
	with := parseFile(t, strings.Replace(keeperFile, "%s", "keep_models = true", 1))
	if without.KeepModels || !with.KeepModels {
		t.Fatalf("KeepModels: %v without the key, %v with it", without.KeepModels, with.KeepModels)
	}
	ids := func(s *Sweep) (out []string) {
		for _, r := range s.Runs {
			out = append(out, r.ID)
		}
		return out
	}
	if !slices.Equal(ids(without), ids(with)) {
		t.Fatalf("keep_models changed the run ids: %v, %v", ids(without), ids(with))
	}
	a, b := t.TempDir(), t.TempDir()
	runSweep(t, without, a)
	runSweep(t, with, b)
	csvA, errA := os.ReadFile(filepath.Join(a, "keep", results.ResultsFile))
	csvB, errB := os.ReadFile(filepath.Join(b, "keep", results.ResultsFile))
	if errA != nil || errB != nil || string(csvA) != string(csvB) {
		t.Fatalf("results.csv differs with keep_models (%v, %v):\n%s\n%s", errA, errB, csvA, csvB)
	}
	for _, r := range with.Runs {
		if got, err := os.ReadFile(filepath.Join(b, "keep", r.ID, "model.bin")); err != nil || string(got) != r.ID {
			t.Errorf("%s kept %q (%v), want its id", r.ID, got, err)
		}
		if _, err := os.Stat(filepath.Join(a, "keep", r.ID, "model.bin")); !os.IsNotExist(err) {
			t.Errorf("%s kept a model without keep_models (%v)", r.ID, err)
		}
	}

	// The runs done without the key are not run again when it is set,
	// and the closing line says how many keep no model.
	oc, _ := runSweep(t, with, a)
	if len(oc.Ran) != 0 || len(oc.Unkept) != 4 || !strings.Contains(oc.Closing(), "; 4 runs done before keep_models was set kept no model (delete a run's folder") {
		t.Errorf("keep_models set over done runs: ran %v, unkept %v, closing %q", oc.Ran, oc.Unkept, oc.Closing())
	}
	if oc, _ := runSweep(t, with, b); len(oc.Unkept) != 0 {
		t.Errorf("runs that kept their model counted as keeping none: %v", oc.Unkept)
	}
}

// TestKeepModelsKey checks that keep_models of another type than a boolean
// is a one-line error naming the file, the line and the fix, and that
// setting it for a task that keeps no model is a warning at its line.
func TestKeepModelsKey(t *testing.T) {
	_, err := Parse("k.toml", []byte(strings.Replace(keeperFile, "%s", `keep_models = "yes"`, 1)))
	if err == nil || err.Error() != `k.toml:4: keep_models: got the string "yes": want true or false, like keep_models = true (each run keeps its trained model in its folder)` {
		t.Errorf("keep_models = \"yes\": error %v", err)
	}
	if s := parseFile(t, strings.Replace(keeperFile, "%s", "keep_models = false", 1)); s.KeepModels {
		t.Errorf("keep_models = false: KeepModels is true")
	}
	if c := (&Outcome{Skipped: []string{"a"}, Unkept: []string{"a"}}).Closing(); !strings.Contains(c, "; 1 run done before keep_models was set kept no model") {
		t.Errorf("one done run without its model: closing %q, want it counted", c)
	}
	const fake = "name = \"f\"\ntask = \"fake\"\n%s\n[base]\nsteps = 2\n"
	for key, want := range map[string]string{
		"keep_models = true":  `f.toml:3: keep_models: task "fake" keeps no trained model, so keep_models changes nothing; remove it`,
		"keep_models = false": "",
		"":                    "",
	} {
		s, err := Parse("f.toml", []byte(strings.Replace(fake, "%s", key, 1)))
		if err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		if ws := s.Warnings(); (want == "" && len(ws) > 0) || (want != "" && !slices.Contains(ws, want)) {
			t.Errorf("%q: warnings %q, want %q", key, ws, want)
		}
	}
}

// TestKeepModelsCountsARunDoneElsewhere waits for a run that another
// process holds and finishes while this one waits: the run is counted as
// keeping no model when that process kept none (an older binary, or a
// sweep file without keep_models), and not when it kept one.
func TestKeepModelsCountsARunDoneElsewhere(t *testing.T) {
	for _, kept := range []bool{false, true} {
		out := t.TempDir()
		s := parseFile(t, strings.Replace(keeperFile, "%s", "keep_models = true", 1))
		held := s.Runs[0]
		other := livePID(t)
		writeHeldRun(t, s, out, held, other)
		dir := s.RunDir(out, held)
		oc, log := runWhileHeld(t, context.Background(), s, out, other, func() {
			if kept {
				if err := results.WriteFileAtomic(filepath.Join(dir, "model.bin"), []byte(held.ID)); err != nil {
					t.Error(err)
				}
			}
			if err := results.WriteSummary(dir, &results.Summary{RunID: held.ID, Status: results.StatusDone, Metrics: results.Values{"acc": 1}}); err != nil {
				t.Error(err)
			}
			os.Remove(filepath.Join(dir, results.LockFile))
		})
		if !slices.Equal(oc.Skipped, []string{held.ID}) || len(oc.Ran) != len(s.Runs)-1 {
			t.Fatalf("kept %v: ran %v, skipped %v\n%s", kept, oc.Ran, oc.Skipped, log)
		}
		want := []string{held.ID}
		if kept {
			want = nil
		}
		if !slices.Equal(oc.Unkept, want) {
			t.Errorf("the run done in another process, which kept a model: %v: unkept %v, want %v\n%s", kept, oc.Unkept, want, log)
		}
		if strings.Contains(oc.Closing(), "kept no model") == kept {
			t.Errorf("kept %v: closing %q", kept, oc.Closing())
		}
	}
}
