package bmi

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// smallNeural is a neural run small enough to train in a second or two: a
// 2×2 sparse Gaussian (1.02 nats), 1,000 draws, a small separable critic.
func smallNeural(estimator string) *Config {
	c := DefaultConfig()
	c.Problem = "sparse-2x2"
	c.Samples = 1000
	c.Estimator = estimator
	c.Critic, c.Hidden, c.Layers, c.Embed = "separable", 32, 1, 8
	c.BatchSize, c.MaxSteps, c.EvalEvery, c.LR = 128, 400, 50, 5e-3
	return c
}

func run(t *testing.T, c *Config, seed int64) (results.Values, *taskstest.Metrics) {
	t.Helper()
	return taskstest.RunChecked(t, Task{}, c, seed)
}

// TestClassicRun runs ksg and cca on 2,000 draws of a 2×2 dense Gaussian
// (0.29 nats): the summary's truth, bias and ratio agree with the
// estimate, both estimates are within 0.06 of the truth, and a second run
// with the seed gives the same numbers.
func TestClassicRun(t *testing.T) {
	for _, est := range []string{"ksg", "cca"} {
		c := DefaultConfig()
		c.Problem, c.Samples, c.Estimator = "dense-2x2", 2000, est
		out, m := run(t, c, 1)
		truth := DenseMI(0.5, 2, 2)
		if out["true_mi"] != truth || out["bias"] != out["mi"]-truth || out["ratio"] != out["mi"]/truth {
			t.Errorf("%s: summary %v is inconsistent with the truth %v", est, out, truth)
		}
		if math.Abs(out["mi"]-truth) > 0.06 {
			t.Errorf("%s: estimate %.4f, truth %.4f", est, out["mi"], truth)
		}
		if len(m.Steps) != 1 || m.Values[0]["mi"] != out["mi"] {
			t.Errorf("%s: logged %v at %v, want the estimate once", est, m.Values, m.Steps)
		}
		if again, _ := run(t, c, 1); again["mi"] != out["mi"] {
			t.Errorf("%s: seed 1 gave %v, then %v", est, out["mi"], again["mi"])
		}
		if other, _ := run(t, c, 2); other["mi"] == out["mi"] {
			t.Errorf("%s: seeds 1 and 2 gave the same estimate %v", est, out["mi"])
		}
	}
}

// TestNeuralRunLearnsAndIsDeterministic trains infonce on the small
// problem: the estimate (the best test score) is above half the truth (an
// untrained critic scores about 0), at most its log-batch ceiling, and
// scores are logged every eval_every steps; the same seed gives the same
// metrics.
func TestNeuralRunLearnsAndIsDeterministic(t *testing.T) {
	c := smallNeural("infonce")
	out, m := run(t, c, 3)
	t.Logf("infonce: %v", out)
	if !(out["mi"] > 0.5 && out["mi"] <= math.Log(128)) {
		t.Errorf("estimate %.4f; want above 0.5 (truth 1.02) and at most log 128", out["mi"])
	}
	for i, step := range m.Steps {
		if step%c.EvalEvery != 0 || m.Values[i]["test_mi"] > out["mi"] {
			t.Errorf("logged step %d with %v; best %v", step, m.Values[i], out["mi"])
		}
	}
	if last := m.Values[len(m.Values)-1]; last["test_mi"] != out["mi_last"] || !(last["seconds"] > 0) {
		t.Errorf("last logged %v; summary %v", last, out)
	}
	if int(out["steps"]) != m.Steps[len(m.Steps)-1] {
		t.Errorf("summary steps %v, last logged step %d", out["steps"], m.Steps[len(m.Steps)-1])
	}
	again, m2 := run(t, c, 3)
	for k, v := range out {
		if again[k] != v {
			t.Errorf("seed 3 twice: %s = %v then %v", k, v, again[k])
		}
	}
	if len(m2.Steps) != len(m.Steps) {
		t.Errorf("seed 3 twice: %d then %d evaluations", len(m.Steps), len(m2.Steps))
	}
}

// TestEarlyStopping trains with a learning rate so small that the critic
// cannot change its test score: the first evaluation is the best, and with
// patience 2 the run stops at the third.
func TestEarlyStopping(t *testing.T) {
	c := smallNeural("jsd")
	c.LR = 1e-30
	out, m := run(t, c, 4)
	if out["stopped_early"] != 1 || out["steps"] != float64(3*c.EvalEvery) || len(m.Steps) != 3 {
		t.Errorf("stopped_early %v after %v steps and %d evaluations; want 1 after %d and 3", out["stopped_early"], out["steps"], len(m.Steps), 3*c.EvalEvery)
	}
	c.Patience = 0
	out, _ = run(t, c, 4)
	if out["stopped_early"] != 0 || out["steps"] != float64(c.MaxSteps) {
		t.Errorf("patience 0: stopped_early %v after %v steps; want 0 after %d", out["stopped_early"], out["steps"], c.MaxSteps)
	}
}

// TestSmallSplitShrinksTheBatch runs 40 draws, a split of 20 and 20, with
// batch 128: the batch becomes 20, and the run's log says so.
func TestSmallSplitShrinksTheBatch(t *testing.T) {
	c := smallNeural("nwj")
	c.Samples, c.MaxSteps, c.EvalEvery = 40, 20, 10
	if c.batch() != 20 {
		t.Fatalf("batch %d, want 20", c.batch())
	}
	r, m := taskstest.NewRun(5, nil)
	var log strings.Builder
	r.Log = slog.New(slog.NewTextHandler(&log, nil))
	out, err := Task{}.Run(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	taskstest.CheckMetrics(t, Task{}, c, out, m)
	if want := `msg="bmi batch smaller than batch_size: a split has fewer pairs" batch=20 batch_size=128 train_pairs=20 test_pairs=20`; !strings.Contains(log.String(), want) {
		t.Errorf("the run's log lacks %s:\n%s", want, log.String())
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, _ := taskstest.NewRun(1, nil)
	for _, est := range []string{"jsd", "ksg"} {
		c := smallNeural(est)
		if _, err := (Task{}).Run(ctx, c, r); err != context.Canceled {
			t.Errorf("%s: cancelled run returned %v", est, err)
		}
	}
}

// TestValidateNamesTheKey checks that each impossible setting is refused
// with its key first, in one line.
func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		key    string
		change func(*Config)
	}{
		{`problem = "student-2x2-dof0"`, func(c *Config) { c.Problem = "student-2x2-dof0" }},
		{`problem = "sparse-1x1"`, func(c *Config) { c.Problem = "sparse-1x1" }},
		{`problem = "dense-2x2+cubic"`, func(c *Config) { c.Problem = "dense-2x2+cubic" }},
		{"samples", func(c *Config) { c.Samples = 3 }},
		{"spiral_speed", func(c *Config) { c.SpiralSpeed = -1 }},
		{"estimator", func(c *Config) { c.Estimator = "kgs" }},
		{"estimator_params", func(c *Config) { c.Estimator, c.EstimatorParams = "ksg", map[string]float64{"k": 0} }},
		{"samples = 10: ksg needs more than k = 10", func(c *Config) { c.Estimator, c.Samples = "ksg", 10 }},
		{"samples = 8: cca needs more draws", func(c *Config) { c.Estimator, c.Samples, c.Problem = "cca", 8, "dense-4x4" }},
		{"train_fraction", func(c *Config) { c.TrainFraction = 1 }},
		{"train_fraction", func(c *Config) { c.Samples, c.TrainFraction = 10, 0.9 }},
		{"batch_size", func(c *Config) { c.BatchSize = 1 }},
		{"max_steps", func(c *Config) { c.MaxSteps = 0 }},
		{"eval_every", func(c *Config) { c.EvalEvery = c.MaxSteps + 1 }},
		{"patience", func(c *Config) { c.Patience = -1 }},
		{"test_scoring", func(c *Config) { c.TestScoring = "some" }},
		{"lr", func(c *Config) { c.LR = 0 }},
		{"critic", func(c *Config) { c.Critic = "no-such-critic" }},
		{"critic", func(c *Config) { c.Estimator, c.Critic = "ksg", "no-such-critic" }},
		{"critic", func(c *Config) { c.Estimator, c.Critic = "cca", "separable-conv" }},
		{"hidden", func(c *Config) { c.Hidden = 0 }},
		{"layers", func(c *Config) { c.Layers = -1 }},
		{"embed", func(c *Config) { c.Embed = 0 }},
	} {
		c := DefaultConfig()
		tc.change(c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.key) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Validate after setting %s: %v", tc.key, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	r, _ := taskstest.NewRun(1, nil)
	if _, err := (Task{}).Run(context.Background(), struct{ tasks.Config }{}, r); err == nil {
		t.Error("Run accepted another task's config")
	}
}
