package sweep

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/train/optim"
)

// regressConfig is the config of the "regress" task: linear regression
// with Adam on batches drawn from a seeded source, a model of how a real
// task keeps its state in checkpoints.
type regressConfig struct {
	Steps int     `toml:"steps"`
	Dim   int     `toml:"dim"`
	Batch int     `toml:"batch"`
	LR    float64 `toml:"lr"`
}

func (c *regressConfig) Validate() error {
	if c.Steps < 1 || c.Dim < 1 || c.Batch < 1 || !(c.LR > 0) {
		return fmt.Errorf("steps = %d, dim = %d, batch = %d, lr = %g: all must be positive", c.Steps, c.Dim, c.Batch, c.LR)
	}
	return nil
}

type regressTask struct{}

func (regressTask) NewConfig() tasks.Config {
	return &regressConfig{Steps: 40, Dim: 3, Batch: 8, LR: 0.05}
}

// Run fits y = x.w* + noise, w* = (1, 2, ...), following the checkpoint
// contract: resume, save when due, save and return when ctx is done.
func (regressTask) Run(ctx context.Context, c tasks.Config, run *tasks.Run) (results.Values, error) {
	cfg := c.(*regressConfig)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(cfg.Batch, cfg.Dim), G.WithName("x"), G.WithInit(G.Zeroes()))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(cfg.Batch, 1), G.WithName("y"), G.WithInit(G.Zeroes()))
	initRng := rand.New(rand.NewPCG(uint64(run.Seed), 1))
	w0 := make([]float64, cfg.Dim)
	for i := range w0 {
		w0[i] = initRng.NormFloat64()
	}
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(cfg.Dim, 1), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(cfg.Dim, 1), tensor.WithBacking(w0))))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(G.Must(G.Mul(x, w)), y))))))
	var lossVal G.Value
	G.Read(loss, &lossVal)
	grads, err := G.Grad(loss, w)
	if err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt, err := optim.NewAdam(G.Nodes{w}, grads, cfg.LR, 0.9, 0.999)
	if err != nil {
		return nil, err
	}
	data := rand.NewPCG(uint64(run.Seed), 2)

	start, err := checkpoint.Resume(run.Checkpoint, func(st *checkpoint.State) error {
		if err := st.GetNodes("params", G.Nodes{w}); err != nil {
			return err
		}
		if err := st.GetAdam("adam", opt); err != nil {
			return err
		}
		return st.GetRand("data", data)
	})
	if err != nil {
		return nil, err
	}
	saved := start
	save := func(step int) error {
		saved = step
		return checkpoint.SaveState(run.Checkpoint, step, func(st *checkpoint.State) error {
			if err := st.PutNodes("params", G.Nodes{w}); err != nil {
				return err
			}
			st.PutAdam("adam", opt)
			return st.PutRand("data", data)
		})
	}
	r := rand.New(data)
	var last float64
	for step := start + 1; step <= cfg.Steps; step++ {
		if ctx.Err() != nil {
			if saved != step-1 {
				if err := save(step - 1); err != nil {
					return nil, err
				}
			}
			return nil, ctx.Err()
		}
		xs, ys := x.Value().Data().([]float64), y.Value().Data().([]float64)
		for i := range cfg.Batch {
			var t float64
			for j := range cfg.Dim {
				xs[i*cfg.Dim+j] = r.NormFloat64()
				t += xs[i*cfg.Dim+j] * float64(j+1)
			}
			ys[i] = t + 0.1*r.NormFloat64()
		}
		if err := vm.RunAll(); err != nil {
			return nil, err
		}
		last = lossVal.Data().(float64)
		if err := opt.Update(); err != nil {
			return nil, err
		}
		vm.Reset()
		if err := run.Metrics.Log(step, results.Values{"loss": last}); err != nil {
			return nil, err
		}
		if run.Checkpoint != nil && run.Checkpoint.Due(step) {
			if err := save(step); err != nil {
				return nil, err
			}
		}
		run.UpdateProgress(step, cfg.Steps)
	}
	ws := w.Value().Data().([]float64)
	return results.Values{"loss": last, "w0": ws[0], "w_err": math.Abs(ws[cfg.Dim-1] - float64(cfg.Dim))}, nil
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "regress", Summary: "linear regression with checkpoints, for the tests", Task: regressTask{}})
}

const regressFile = `name = "reg"
task = "regress"
seeds = [0, 1]
checkpoint_every = 10
checkpoint_minutes = 0
[parameters.lr]
values = [0.05, 0.1]
`

// cancelOnCheckpoint is a log handler that cancels a context when a run
// saves the checkpoint at a given step, to interrupt it exactly at a
// checkpoint boundary.
type cancelOnCheckpoint struct {
	step   int64
	cancel context.CancelFunc
	mu     *sync.Mutex
	log    *bytes.Buffer
}

func (h *cancelOnCheckpoint) Enabled(context.Context, slog.Level) bool { return true }
func (h *cancelOnCheckpoint) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.log, "%s", r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(h.log, " %s=%v", a.Key, a.Value)
		if r.Message == "checkpoint saved" && a.Key == "step" && a.Value.Int64() == h.step {
			h.cancel()
		}
		return true
	})
	h.log.WriteString("\n")
	return nil
}
func (h *cancelOnCheckpoint) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *cancelOnCheckpoint) WithGroup(string) slog.Handler      { return h }

// runUntilCheckpoint runs the sweep and cancels it when a run saves its
// checkpoint at step; it returns the outcome and the log.
func runUntilCheckpoint(t *testing.T, s *Sweep, out string, step, parallel int) (*Outcome, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log bytes.Buffer
	h := &cancelOnCheckpoint{step: int64(step), cancel: cancel, mu: &sync.Mutex{}, log: &log}
	var stdout bytes.Buffer
	oc, err := (&Runner{Out: out, Stdout: &stdout, Log: slog.New(h), Parallel: parallel}).Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return oc, stdout.String() + log.String()
}

// runFiles returns each run's metrics.jsonl and its summary's status, step
// and metrics, the things an interrupted and resumed run must reproduce.
func runFiles(t *testing.T, s *Sweep, out string) []string {
	t.Helper()
	var got []string
	for _, r := range s.Runs {
		dir := s.RunDir(out, r)
		m, err := os.ReadFile(filepath.Join(dir, results.MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := results.ReadSummary(dir)
		if err != nil {
			t.Fatal(err)
		}
		mj, _ := sum.Metrics.MarshalJSON()
		got = append(got, fmt.Sprintf("%s\n%s %d %s\n%s", r.ID, sum.Status, sum.Step, mj, m))
	}
	csv, err := os.ReadFile(filepath.Join(s.Dir(out), results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	return append(got, string(csv))
}

// straightThrough runs the regress sweep straight through, and returns
// it, its output directory and its run files: the numbers that sweeps
// interrupted and resumed, or run in parallel, must give.
func straightThrough(t *testing.T) (s *Sweep, out string, files []string) {
	t.Helper()
	s = parseFile(t, regressFile)
	out = t.TempDir()
	runSweep(t, s, out)
	return s, out, runFiles(t, s, out)
}

// sameRunFiles fails at the first run whose files differ between got and
// want, which what and than name in the message.
func sameRunFiles(t *testing.T, got, want []string, what, than string) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s:\n%s\n%s:\n%s", what, got[i], than, want[i])
		}
	}
}

func TestInterruptedRunResumesFromItsCheckpointToTheSameNumbers(t *testing.T) {
	s, straight, want := straightThrough(t)
	if s.Checkpoint != (checkpoint.Policy{EverySteps: 10}) {
		t.Fatalf("checkpoint policy %+v", s.Checkpoint)
	}
	for _, r := range s.Runs {
		if _, err := os.Stat(filepath.Join(s.RunDir(straight, r), checkpoint.FileName)); !os.IsNotExist(err) {
			t.Fatalf("a done run kept its checkpoint: %v", err)
		}
	}

	for _, c := range []struct {
		name string
		// damage changes the interrupted run's directory before resuming.
		damage   func(t *testing.T, dir string)
		cancelAt int
		resumeAt int
	}{
		{name: "clean interrupt", cancelAt: 20, resumeAt: 20},
		{name: "crash after the checkpoint", cancelAt: 20, resumeAt: 20, damage: func(t *testing.T, dir string) {
			// As if the process died at step 27: metrics past the
			// checkpoint, a torn line, a summary still running.
			f, err := os.OpenFile(filepath.Join(dir, results.MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			for step := 21; step <= 27; step++ {
				fmt.Fprintf(f, "{\"step\":%d,\"values\":{\"loss\":123}}\n", step)
			}
			f.WriteString("{\"step\":28,\"val")
			f.Close()
			sum, _ := results.ReadSummary(dir)
			sum.Status, sum.Error = results.StatusRunning, ""
			results.WriteSummary(dir, sum)
		}},
		{name: "corrupt checkpoint", cancelAt: 30, resumeAt: 20, damage: func(t *testing.T, dir string) {
			path := filepath.Join(dir, checkpoint.FileName)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)-5], 0o644)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			oc, log := runUntilCheckpoint(t, parseFile(t, regressFile), out, c.cancelAt, 1)
			if !oc.Interrupted || len(oc.Stopped) != 1 || oc.Stopped[0].Checkpoint != c.cancelAt || len(oc.Ran) != 0 || len(oc.Failed) != 0 {
				t.Fatalf("outcome %+v\n%s", oc, log)
			}
			first := s.Runs[0]
			if !strings.Contains(log, fmt.Sprintf("interrupted at step %d; it will resume from the checkpoint at step %d", c.cancelAt, c.cancelAt)) {
				t.Fatalf("the interrupt message does not say what happens next:\n%s", log)
			}
			if step, ok := checkpoint.Peek(s.RunDir(out, first)); !ok || step != c.cancelAt {
				t.Fatalf("checkpoint at %d, %v; want %d", step, ok, c.cancelAt)
			}
			if c.damage != nil {
				c.damage(t, s.RunDir(out, first))
			}
			var stdout bytes.Buffer
			var logBuf bytes.Buffer
			oc, err := (&Runner{Out: out, Stdout: &stdout, Log: slog.New(slog.NewTextHandler(&logBuf, nil))}).Run(context.Background(), parseFile(t, regressFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(oc.Ran) != 4 || !slices.Equal(oc.Resumed, []string{first.ID}) {
				t.Fatalf("second call: ran %v resumed %v\n%s", oc.Ran, oc.Resumed, stdout.String())
			}
			if !strings.Contains(stdout.String(), fmt.Sprintf("(resumed from the checkpoint at step %d)", c.resumeAt)) {
				t.Fatalf("resume not reported at step %d:\n%s", c.resumeAt, stdout.String())
			}
			if c.name == "corrupt checkpoint" && !strings.Contains(logBuf.String(), "ignoring a corrupt checkpoint") {
				t.Fatalf("the corrupt checkpoint was not reported:\n%s", logBuf.String())
			}
			sameRunFiles(t, runFiles(t, s, out), want, "after resuming", "straight through")
		})
	}
}

func TestCheckpointSettingsDecode(t *testing.T) {
	head := "name = \"c\"\ntask = \"regress\"\n"
	if p := parseFile(t, head).Checkpoint; p != (checkpoint.Policy{Every: checkpoint.DefaultMinutes * 60e9}) {
		t.Fatalf("default policy %+v", p)
	}
	if p := parseFile(t, head+"checkpoint_minutes = 0.5\n").Checkpoint; p != (checkpoint.Policy{Every: 30e9}) {
		t.Fatalf("checkpoint_minutes = 0.5 gave %+v", p)
	}
	if p := parseFile(t, head+"checkpoint_every = 0\ncheckpoint_minutes = 0\n").Checkpoint; !p.Off() {
		t.Fatalf("both zero gave %+v", p)
	}
	// Checkpoint settings do not change run ids.
	a, b := parseFile(t, head), parseFile(t, head+"checkpoint_every = 5\n")
	if a.Runs[0].ID != b.Runs[0].ID {
		t.Fatalf("checkpoint_every changed the run id: %s vs %s", a.Runs[0].ID, b.Runs[0].ID)
	}
}

func TestParallelInterruptCheckpointsEveryRunningRun(t *testing.T) {
	s, _, want := straightThrough(t)

	out := t.TempDir()
	oc, log := runUntilCheckpoint(t, parseFile(t, regressFile), out, 20, 4)
	if !oc.Interrupted || len(oc.Stopped) == 0 || len(oc.Failed) != 0 {
		t.Fatalf("outcome %+v\n%s", oc, log)
	}
	withCheckpoint := 0
	for _, f := range oc.Stopped {
		if f.Reason != reasonInterrupted {
			t.Fatalf("run %s: %+v\n%s", f.ID, f, log)
		}
		// A run interrupted before its first step has nothing to save.
		if f.Checkpoint > 0 {
			withCheckpoint++
		}
	}
	if withCheckpoint == 0 {
		t.Fatalf("no interrupted run saved a checkpoint: %+v\n%s", oc.Stopped, log)
	}
	oc2, _ := runSweep(t, parseFile(t, regressFile), out)
	if len(oc2.Resumed) != withCheckpoint {
		t.Fatalf("resumed %v after interrupting %v", oc2.Resumed, oc.Stopped)
	}
	sameRunFiles(t, runFiles(t, s, out), want, "after resuming", "straight through")
}
