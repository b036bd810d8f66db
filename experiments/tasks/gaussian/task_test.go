package gaussian

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
	"github.com/infomax/infomax/reports"
)

// lastProgress is a Progress that remembers its last update.
type lastProgress struct{ step, total, calls int }

func (p *lastProgress) Update(step, total int) { p.step, p.total, p.calls = step, total, p.calls+1 }

// smallConfig is a benchmark small enough to train in a second or two.
func smallConfig() *Config {
	c := DefaultConfig()
	c.Dim = 4
	c.BatchSize = 16
	c.MILevels = []float64{2}
	c.StepsPerLevel = 300
	c.LR = 2e-3
	c.Hidden = 32
	c.Layers = 1
	c.Embed = 16
	return c
}

// newRun returns a run with the given seed and no checkpointer, which
// records its metrics and its last progress.
func newRun(seed int64) (*tasks.Run, *taskstest.Metrics, *lastProgress) {
	run, m := taskstest.NewRun(seed, nil)
	p := &lastProgress{}
	run.Progress = p
	return run, m, p
}

func requireEstimator(t *testing.T, name string) {
	t.Helper()
	if _, err := estimators.Lookup(name); err != nil {
		t.Skipf("estimator %s is not registered yet: %v", name, err)
	}
}

// TestJSDSeparableLearnsAndIsDeterministic trains a small separable critic
// with jsd at 2 nats: the mean estimate over the second half must exceed
// half the true MI (an untrained critic estimates about 0), and a second run
// with the same seed must log identical metrics.
func TestJSDSeparableLearnsAndIsDeterministic(t *testing.T) {
	requireEstimator(t, "jsd")
	cfg := smallConfig()
	run, metrics, progress := newRun(3)
	summary, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean estimate over the second half: %.3f nats (true 2)", summary["level_2_mean"])
	if got := summary["level_2_mean"]; !(got > 1) {
		t.Errorf("mean jsd estimate over the second half is %g nats, want above 1 (true MI 2)", got)
	}
	if len(metrics.Steps) != cfg.TotalSteps() {
		t.Fatalf("logged %d steps, want %d", len(metrics.Steps), cfg.TotalSteps())
	}
	for i, v := range metrics.Values {
		if v["true_mi"] != 2 {
			t.Fatalf("step %d: true_mi = %g, want 2", metrics.Steps[i], v["true_mi"])
		}
		if _, ok := v["loss"]; !ok {
			t.Fatalf("step %d: no loss logged", metrics.Steps[i])
		}
	}
	if progress.step != cfg.TotalSteps() || progress.total != cfg.TotalSteps() {
		t.Errorf("last progress %d/%d, want %d/%d", progress.step, progress.total, cfg.TotalSteps(), cfg.TotalSteps())
	}
	if sps := metrics.Values[len(metrics.Values)-1]["steps_per_second"]; !(sps > 0) {
		t.Errorf("steps_per_second logged with the last step = %g, want positive", sps)
	}
	if sps, ok := summary["steps_per_second"]; ok {
		t.Errorf("the summary holds the wall-clock steps_per_second %g; it must be reproducible", sps)
	}

	again, metrics2, _ := newRun(3)
	if _, err := (Task{}).Run(context.Background(), cfg, again); err != nil {
		t.Fatal(err)
	}
	for i := range metrics.Values {
		for k, v := range metrics.Values[i] {
			if k == "steps_per_second" {
				continue // wall-clock
			}
			if metrics2.Values[i][k] != v {
				t.Fatalf("seed 3 run twice: step %d %s = %v then %v", metrics.Steps[i], k, v, metrics2.Values[i][k])
			}
		}
	}
	other, metrics3, _ := newRun(4)
	if _, err := (Task{}).Run(context.Background(), cfg, other); err != nil {
		t.Fatal(err)
	}
	if metrics3.Values[0]["mi"] == metrics.Values[0]["mi"] {
		t.Errorf("seeds 3 and 4 gave the same first estimate %v", metrics.Values[0]["mi"])
	}
}

// TestRunsEveryCriticAndEstimator trains each registered estimator with
// each critic for a few steps on a two-level staircase with sparse logging,
// checking the summary's keys and the logged steps.
func TestRunsEveryCriticAndEstimator(t *testing.T) {
	requireEstimator(t, "jsd")
	for _, est := range estimators.CriticNames() {
		for _, critic := range []string{"separable", "concat"} {
			t.Run(est+"/"+critic, func(t *testing.T) {
				cfg := smallConfig()
				cfg.Estimator, cfg.Critic = est, critic
				cfg.MILevels = []float64{1, 2.5}
				cfg.StepsPerLevel = 10
				cfg.LogEvery = 4
				cfg.Hidden = 8
				run, metrics, _ := newRun(1)
				summary, err := Task{}.Run(context.Background(), cfg, run)
				if err != nil {
					t.Fatal(err)
				}
				taskstest.CheckMetrics(t, Task{}, cfg, summary, metrics)
				wantSteps := []int{4, 8, 12, 16, 20}
				if fmt.Sprint(metrics.Steps) != fmt.Sprint(wantSteps) {
					t.Errorf("logged steps %v, want %v", metrics.Steps, wantSteps)
				}
				if metrics.Values[len(metrics.Values)-1]["true_mi"] != 2.5 {
					t.Errorf("last true_mi = %g, want 2.5", metrics.Values[len(metrics.Values)-1]["true_mi"])
				}
				for _, level := range []string{"1", "2.5"} {
					for _, stat := range []string{"mean", "bias", "variance", "mse"} {
						if _, ok := summary["level_"+level+"_"+stat]; !ok {
							t.Errorf("summary lacks level_%s_%s: %v", level, stat, summary)
						}
					}
				}
				e, err := estimators.New(est, nil)
				if err != nil {
					t.Fatal(err)
				}
				if b, ok := e.(estimators.Bounded); ok && !math.IsInf(b.Ceiling(estimators.Diagonal(cfg.BatchSize)), 1) {
					if got, want := summary["ceiling"], b.Ceiling(estimators.Diagonal(cfg.BatchSize)); got != want {
						t.Errorf("ceiling = %g, want %g", got, want)
					}
				} else if _, ok := summary["ceiling"]; ok {
					t.Errorf("unbounded estimator reports a ceiling %g", summary["ceiling"])
				}
			})
		}
	}
}

// TestInterpolatedCeilingInSummary: the interpolated bound's ceiling,
// 1 + log((B-1)/alpha), is in the summary and the declared metrics at
// alpha > 0, and at alpha = 0 (nwj's bound, no ceiling) in neither.
func TestInterpolatedCeilingInSummary(t *testing.T) {
	requireEstimator(t, "interpolated")
	for _, alpha := range []float64{0.5, 0} {
		cfg := smallConfig()
		cfg.Estimator, cfg.EstimatorParams = "interpolated", map[string]float64{"alpha": alpha}
		cfg.MILevels, cfg.StepsPerLevel, cfg.Hidden = []float64{1}, 4, 8
		run, _, _ := newRun(1)
		summary, err := Task{}.Run(context.Background(), cfg, run)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := summary["ceiling"]
		declared := slices.Contains(Task{}.Metrics(cfg).Summary, "ceiling")
		want := 1 + math.Log(float64(cfg.BatchSize-1)/alpha)
		switch {
		case alpha == 0 && (ok || declared):
			t.Errorf("alpha 0: ceiling %g in the summary (%t) or declared (%t), want neither", got, ok, declared)
		case alpha > 0 && (!ok || !declared || math.Abs(got-want) > 1e-12):
			t.Errorf("alpha %g: ceiling %g (in the summary %t, declared %t), want %g", alpha, got, ok, declared, want)
		}
	}
}

// TestDivergenceIsReported trains with an absurd learning rate and checks
// that the run ends with a DivergedError, not a panic or a NaN summary.
func TestDivergenceIsReported(t *testing.T) {
	requireEstimator(t, "nwj")
	cfg := smallConfig()
	cfg.Estimator = "nwj"
	cfg.LR = 1e6
	cfg.MILevels = []float64{10}
	cfg.StepsPerLevel = 200
	run, _, _ := newRun(1)
	_, err := Task{}.Run(context.Background(), cfg, run)
	var div *tasks.DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("Run returned %v, want a *DivergedError", err)
	}
	t.Logf("diverged as expected: %v", div)
	if div.Reason == "" || div.Step < 0 || div.Step >= cfg.TotalSteps() {
		t.Errorf("DivergedError %+v has no reason or an impossible step", div)
	}
	if div.Step > 1 && strings.Contains(div.Reason, "first step") {
		t.Errorf("divergence at step %d blames the untrained critic: %s", div.Step, div.Reason)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	requireEstimator(t, "jsd")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run, metrics, _ := newRun(1)
	_, err := Task{}.Run(ctx, smallConfig(), run)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context returned %v, want context.Canceled", err)
	}
	if len(metrics.Steps) != 0 {
		t.Errorf("a cancelled run logged %d steps", len(metrics.Steps))
	}
}

func TestTaskIsRegistered(t *testing.T) {
	info, err := tasks.Lookup("gaussian")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Task.NewConfig().(*Config); !ok {
		t.Errorf("NewConfig returned %T, want *Config", info.Task.NewConfig())
	}
}

// TestSummaryIsTheReportsLevelStatistics trains through a two-level
// staircase of 7 steps a level, an odd count, logging every step, and
// checks that the summary's level statistics are, to the bit, those that
// the bias_variance table computes from the metrics log
// (reports.StaircaseStats): the same steps (the last 4 of each level)
// averaged; and that the logged true MI steps up after the level's last
// step, where the staircase figure's truth line steps.
func TestSummaryIsTheReportsLevelStatistics(t *testing.T) {
	cfg := smallConfig()
	cfg.MILevels, cfg.StepsPerLevel = []float64{2, 4}, 7
	run, metrics, _ := newRun(5)
	summary, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	var recs []results.Record
	for i, v := range metrics.Values {
		recs = append(recs, results.Record{Step: metrics.Steps[i], Values: v})
		if want := cfg.MILevels[(metrics.Steps[i]-1)/cfg.StepsPerLevel]; v["true_mi"] != want {
			t.Errorf("logged step %d: true_mi %g, want %g", metrics.Steps[i], v["true_mi"], want)
		}
	}
	levels := reports.StaircaseStats(recs, "mi", "true_mi")
	if len(recs) != 14 || len(levels) != 2 {
		t.Fatalf("%d records logged and %d levels read back, want 14 and 2", len(recs), len(levels))
	}
	for _, st := range levels {
		p := levelPrefix(st.Level)
		if st.N != 4 || st.Mean != summary[p+"mean"] || st.Variance != summary[p+"variance"] || st.MSE != summary[p+"mse"] || st.Bias != summary[p+"bias"] {
			t.Errorf("level %g: the report's statistics %+v, the summary's mean %v, variance %v, MSE %v", st.Level, st,
				summary[p+"mean"], summary[p+"variance"], summary[p+"mse"])
		}
	}
}

// TestMetricsDoNotBuildTheBatch: whether a run has a ceiling depends on
// its estimator's parameters, not on its batch, so Metrics, which `sweep
// validate` and the reports' key checks call for every run, asks it of a
// small mask: a batch of 16,384 once cost a 268 MB mask and 1.6 s a run.
// Counted in bytes allocated, not time.
func TestMetricsDoNotBuildTheBatch(t *testing.T) {
	requireEstimator(t, "interpolated")
	cfg := smallConfig()
	cfg.Estimator, cfg.EstimatorParams = "interpolated", map[string]float64{"alpha": 0.5}
	cfg.BatchSize = 1 << 14
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := Task{}.Metrics(cfg)
	runtime.ReadMemStats(&after)
	if !slices.Contains(m.Summary, "ceiling") {
		t.Errorf("Metrics names %v, without the ceiling", m.Summary)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Metrics of a batch of %d allocated %d bytes, want under 1 MiB", cfg.BatchSize, n)
	}
}
