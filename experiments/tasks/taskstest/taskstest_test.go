package taskstest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// walk is a task to test the harness with: a random walk of Steps steps,
// counted from 1, that logs its position every 3 steps (with a wall-clock
// "now") and keeps the checkpoint contract through a tasks.Loop. With
// forget set it does not restore its random source from a checkpoint, a
// bug that Resume must catch. It names its metrics, "x" in the summary and
// "now" and "x" in the log; with misname set it names "pos" for "x", a bug
// that CheckMetrics must catch.
// With extra set it names a summary metric "y" too, and with repeat it
// names "x" twice, bugs that CheckMetrics must catch as well.
type walk struct{ forget, misname, extra, repeat bool }

func (w walk) Metrics(tasks.Config) tasks.Metrics {
	switch {
	case w.misname:
		return tasks.Metrics{Summary: []string{"pos"}, Logged: []string{"now", "pos"}}
	case w.extra:
		return tasks.Metrics{Summary: []string{"x", "y"}, Logged: []string{"now", "x"}}
	case w.repeat:
		return tasks.Metrics{Summary: []string{"x", "x"}, Logged: []string{"now", "x"}}
	}
	return tasks.Metrics{Summary: []string{"x"}, Logged: []string{"now", "x"}}
}

type walkConfig struct {
	Steps int `toml:"steps"`
}

func (c *walkConfig) Validate() error { return nil }

func (walk) NewConfig() tasks.Config { return &walkConfig{Steps: 20} }

func (w walk) Run(ctx context.Context, cfg tasks.Config, run *tasks.Run) (results.Values, error) {
	c := cfg.(*walkConfig)
	src := rand.NewPCG(uint64(run.Seed), 0)
	rng := rand.New(src)
	x, step := 0.0, 0
	_, err := checkpoint.Resume(run.Checkpoint, func(st *checkpoint.State) error {
		s, err := st.GetInt("step")
		if err != nil {
			return err
		}
		v, err := st.GetFloat64s("x")
		if err != nil {
			return err
		}
		step, x = int(s), v[0]
		if w.forget {
			return nil
		}
		return st.GetRand("rng", src)
	})
	if err != nil {
		return nil, err
	}
	loop := &tasks.Loop{Run: run, Task: "walk", Total: c.Steps, Save: func(s int) error {
		return checkpoint.SaveState(run.Checkpoint, s, func(st *checkpoint.State) error {
			st.PutInt("step", int64(s))
			st.PutFloat64s("x", []float64{x})
			return st.PutRand("rng", src)
		})
	}}
	for step < c.Steps {
		if err := loop.Stopped(ctx); err != nil {
			return nil, err
		}
		x += rng.NormFloat64()
		step++
		if step%3 == 0 {
			if err := run.Metrics.Log(step, results.Values{"x": x, "now": float64(time.Now().UnixNano())}); err != nil {
				return nil, err
			}
		}
		if err := loop.StepDone(step, step); err != nil {
			return nil, err
		}
	}
	return results.Values{"x": x}, nil
}

func TestResumeOfAWalk(t *testing.T) {
	for _, cuts := range [][]int{{4}, {5, 9, 10, 19}, {1, 2, 3}} {
		t.Run(fmt.Sprint(cuts), func(t *testing.T) {
			r := taskstest.Resume{Task: walk{}, Config: &walkConfig{Steps: 20}, Seed: 7, FirstStep: 1, Total: 20,
				Every: 5, Cuts: cuts, WallClock: []string{"now"}, CheckpointUninterrupted: true}
			want := r.Uninterrupted(t)
			if len(want.Metrics.Steps) != 6 || want.Checkpoint.Step != 20 {
				t.Fatalf("the walk logged steps %v and saved after steps %v", want.Metrics.Steps, want.Checkpoint.Saves)
			}
			got := r.Interrupted(t, want)
			if diff := taskstest.SameState(t, got.Checkpoint.State, want.Checkpoint.State); diff != "" {
				t.Errorf("final states differ: %s", diff)
			}
		})
	}
}

// failures is a testing.TB that records failures instead of failing; run
// a check with it through check.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *failures) Error(args ...any)                 { f.msgs = append(f.msgs, fmt.Sprint(args...)) }
func (f *failures) Fatalf(format string, args ...any) { f.Errorf(format, args...); runtime.Goexit() }
func (f *failures) Fatal(args ...any)                 { f.Error(args...); runtime.Goexit() }

// check runs f on a failures in its own goroutine (Fatal ends it) and
// returns the failures.
func check(t *testing.T, f func(tb testing.TB)) []string {
	tb := &failures{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
	return tb.msgs
}

func TestResumeCatchesAForgetfulTask(t *testing.T) {
	msgs := check(t, func(tb testing.TB) {
		r := taskstest.Resume{Task: walk{forget: true}, Config: &walkConfig{Steps: 20}, Seed: 7, FirstStep: 1, Total: 20,
			Every: 5, Cuts: []int{7}, WallClock: []string{"now"}}
		r.Interrupted(tb, r.Uninterrupted(tb))
	})
	if len(msgs) == 0 || !strings.Contains(msgs[0], "attempt 1, step 9: logged") {
		t.Errorf("Resume of a task that forgets its random source reported %q, want the first record after the cut", msgs)
	}
}

func TestResumeCatchesWallClockMetrics(t *testing.T) {
	msgs := check(t, func(tb testing.TB) {
		r := taskstest.Resume{Task: walk{}, Config: &walkConfig{Steps: 20}, Seed: 7, FirstStep: 1, Total: 20,
			Every: 5, Cuts: []int{7}}
		r.Interrupted(tb, r.Uninterrupted(tb))
	})
	if len(msgs) == 0 || !strings.Contains(msgs[0], "step 3: logged") {
		t.Errorf("Resume comparing a wall-clock metric reported %q, want a difference at step 3", msgs)
	}
}

func TestCheckMetrics(t *testing.T) {
	cfg := &walkConfig{Steps: 20}
	run, metrics := taskstest.NewRun(7, nil)
	summary, err := walk{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	taskstest.CheckMetrics(t, walk{}, cfg, summary, metrics)
	for _, c := range []struct {
		name string
		task tasks.Task
		want []string
	}{
		{"misnamed", walk{misname: true}, []string{"summary metrics: the run wrote [x], which Metrics(cfg).Summary does not name; Metrics(cfg).Summary names [pos], which the run did not write",
			"logged metrics: the run wrote [x], which Metrics(cfg).Logged does not name; Metrics(cfg).Logged names [pos], which the run did not write (it names [now pos])"}},
		{"one more", walk{extra: true}, []string{"summary metrics: Metrics(cfg).Summary names [y], which the run did not write (it names [x y])"}},
		{"repeated", walk{repeat: true}, []string{"Metrics(cfg).Summary = [x x] is not sorted without repeats"}},
		{"not a namer", struct{ tasks.Task }{walk{}}, []string{"is not a tasks.MetricsNamer"}},
	} {
		msgs := check(t, func(tb testing.TB) { taskstest.CheckMetrics(tb, c.task, cfg, summary, metrics) })
		if len(msgs) != len(c.want) {
			t.Errorf("%s: CheckMetrics reported %q, want %d messages", c.name, msgs, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(msgs[i], w) {
				t.Errorf("%s: CheckMetrics reported %q, want %q", c.name, msgs[i], w)
			}
		}
	}
}

func TestResumeFails(t *testing.T) {
	err := taskstest.ResumeFails(t, walk{}, &walkConfig{Steps: 20}, 7, 5, []byte("not a state"), nil, "decoding the state")
	if err == nil {
		t.Fatal("no error")
	}
	msgs := check(t, func(tb testing.TB) {
		taskstest.ResumeFails(tb, walk{}, &walkConfig{Steps: 20}, 7, 5, []byte("not a state"), nil, "disk on fire")
	})
	if len(msgs) != 1 || !strings.Contains(msgs[0], `does not mention "disk on fire"`) {
		t.Errorf("ResumeFails with a wrong expectation reported %q", msgs)
	}
}

func TestInterruptSavesTheLastStep(t *testing.T) {
	cp := &checkpoint.Memory{Every: 5}
	run, metrics := taskstest.NewRun(7, cp)
	p := taskstest.Interrupt(t, walk{}, &walkConfig{Steps: 20}, run, 12)
	if p.First != 1 || cp.Step != 12 || fmt.Sprint(cp.Saves) != "[5 10 12]" {
		t.Errorf("first progress %d, saves %v; want 1 and [5 10 12]", p.First, cp.Saves)
	}
	if fmt.Sprint(metrics.Steps) != "[3 6 9 12]" {
		t.Errorf("logged steps %v, want [3 6 9 12]", metrics.Steps)
	}
}

func TestSameState(t *testing.T) {
	enc := func(f func(st *checkpoint.State)) []byte {
		st := checkpoint.NewState()
		st.PutInt("step", 3)
		st.PutFloat32s("w", []float32{1, 2})
		st.PutFloat64s("seconds", []float64{1.5})
		f(st)
		b, err := st.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := enc(func(*checkpoint.State) {})
	for _, c := range []struct {
		name   string
		b      []byte
		ignore []string
		want   string
	}{
		{"same", enc(func(*checkpoint.State) {}), nil, ""},
		{"ignored time", enc(func(st *checkpoint.State) { st.PutFloat64s("seconds", []float64{9}) }), []string{"seconds"}, ""},
		{"time", enc(func(st *checkpoint.State) { st.PutFloat64s("seconds", []float64{9}) }), nil, "seconds[0]: 1.5 and 9"},
		{"weight", enc(func(st *checkpoint.State) { st.PutFloat32s("w", []float32{1, 2.5}) }), nil, "w[1]: 2 and 2.5"},
		{"length", enc(func(st *checkpoint.State) { st.PutFloat32s("w", []float32{1}) }), nil, "w"},
		{"step", enc(func(st *checkpoint.State) { st.PutInt("step", 4) }), nil, "different names or integers or bytes"},
	} {
		if got := taskstest.SameState(t, a, c.b, c.ignore...); !strings.HasPrefix(got, c.want) || (c.want == "") != (got == "") {
			t.Errorf("%s: SameState = %q, want %q", c.name, got, c.want)
		}
	}
}
