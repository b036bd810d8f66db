package gaussian

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
)

// cancelAfter is a Progress that cancels a context once step `after`
// (counted from 0) has finished.
type cancelAfter struct {
	after  int
	cancel context.CancelFunc
	first  int // the first step count reported
}

func (p *cancelAfter) Update(done, total int) {
	if p.first == 0 {
		p.first = done
	}
	if done == p.after+1 {
		p.cancel()
	}
}

// resumeConfig is a two-level staircase of 60 steps, logged every step.
func resumeConfig(estimator, critic string) *Config {
	c := smallConfig()
	c.Estimator, c.Critic = estimator, critic
	c.MILevels = []float64{1, 3}
	c.StepsPerLevel = 30
	c.Hidden = 16
	return c
}

// withoutSpeed returns v without the wall-clock steps_per_second.
func withoutSpeed(v results.Values) results.Values {
	out := results.Values{}
	for k, x := range v {
		if k != "steps_per_second" {
			out[k] = x
		}
	}
	return out
}

// TestResumeReproducesAnUninterruptedRun trains each case once without
// checkpoints and once interrupted after each step in cuts (a cut on a
// multiple of the checkpoint interval stops right after a due checkpoint;
// another makes the run save one as it stops), every attempt a new Run on
// the same checkpointer. Every attempt must log exactly the uninterrupted
// run's records for its steps, and the last must return the same summary,
// bit for bit. mine checks that the estimator's moving average is restored.
func TestResumeReproducesAnUninterruptedRun(t *testing.T) {
	cases := []struct {
		estimator, critic string
		cuts              []int
	}{
		{"jsd", "separable", []int{20}},
		{"jsd", "concat", []int{33}},
		{"mine", "separable", []int{10, 41}},
		{"mine", "concat", []int{30}},
	}
	const every = 10
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/cut%v", tc.estimator, tc.critic, tc.cuts), func(t *testing.T) {
			requireEstimator(t, tc.estimator)
			cfg := resumeConfig(tc.estimator, tc.critic)
			run, want, _ := newRun(5)
			wantSummary, err := Task{}.Run(context.Background(), cfg, run)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.steps) != cfg.TotalSteps() {
				t.Fatalf("uninterrupted run logged %d steps, want %d", len(want.steps), cfg.TotalSteps())
			}

			cp := &checkpoint.Memory{Every: every}
			next := 0 // the first step of the next attempt
			for attempt := 0; attempt <= len(tc.cuts); attempt++ {
				ctx, cancel := context.WithCancel(context.Background())
				run, got, _ := newRun(5)
				run.Checkpoint = cp
				progress := &cancelAfter{after: -2, cancel: cancel}
				last := cfg.TotalSteps() - 1
				if attempt < len(tc.cuts) {
					progress.after, last = tc.cuts[attempt], tc.cuts[attempt]
				}
				run.Progress = progress
				summary, err := Task{}.Run(ctx, cfg, run)
				cancel()
				if attempt < len(tc.cuts) {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("attempt %d: Run returned %v, want context.Canceled", attempt, err)
					}
					if !cp.OK || cp.Step != last {
						t.Fatalf("attempt %d, stopped after step %d: last checkpoint at step %d (saved: %v), want %d", attempt, last, cp.Step, cp.Saves, last)
					}
				} else if err != nil {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				if progress.first != next+1 {
					t.Errorf("attempt %d: first progress %d, want %d (resuming after step %d)", attempt, progress.first, next+1, next-1)
				}
				if len(got.steps) != last-next+1 || got.steps[0] != next {
					t.Fatalf("attempt %d: logged steps %v, want %d to %d", attempt, got.steps, next, last)
				}
				for i, step := range got.steps {
					if step != want.steps[step] || !reflect.DeepEqual(withoutSpeed(got.values[i]), withoutSpeed(want.values[step])) {
						t.Fatalf("attempt %d, step %d: logged %v, the uninterrupted run logged %v", attempt, step, got.values[i], want.values[step])
					}
				}
				if attempt == len(tc.cuts) {
					if !reflect.DeepEqual(summary, wantSummary) {
						t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", summary, wantSummary)
					}
					if _, ok := got.values[len(got.values)-1]["steps_per_second"]; !ok {
						t.Errorf("the resumed run did not log steps_per_second with its last step")
					}
				}
				next = last + 1
			}
			for _, s := range cp.Saves {
				if s%every != 0 && !contains(tc.cuts, s) {
					t.Errorf("a checkpoint was saved after step %d, neither due nor an interruption (saves %v)", s, cp.Saves)
				}
			}
		})
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// checkpointAfter runs cfg until the checkpoint after step 10 and returns
// the saved state.
func checkpointAfter10(t *testing.T, cfg *Config) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp := &checkpoint.Memory{Every: 10}
	run, _, _ := newRun(2)
	run.Checkpoint, run.Progress = cp, &cancelAfter{after: 10, cancel: cancel}
	if _, err := (Task{}).Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if cp.Step != 10 {
		t.Fatalf("checkpoint at step %d, want 10", cp.Step)
	}
	return cp.State
}

// TestBadCheckpointIsAnError resumes from states that cannot be used (not a
// state at all, cut short, saved for another model or estimator, a mine
// state that is corrupt, a checkpointer that cannot read) and checks that
// each is an error naming the problem, not a panic or a silent fresh start.
func TestBadCheckpointIsAnError(t *testing.T) {
	requireEstimator(t, "mine")
	mineCfg := resumeConfig("mine", "separable")
	good := checkpointAfter10(t, mineCfg)

	st, err := checkpoint.DecodeState(good)
	if err != nil {
		t.Fatal(err)
	}
	st.PutBytes(stateEstimatorS, []byte{1, 2, 3})
	badMine, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	st, _ = checkpoint.DecodeState(good)
	st.PutFloat64s(stateEstimates, []float64{1, 2})
	badEstimates, _ := st.Encode()
	st, _ = checkpoint.DecodeState(good)
	delete(st.Bytes, stateData)
	noData, _ := st.Encode()

	wider := resumeConfig("mine", "separable")
	wider.Hidden = 24
	jsd := resumeConfig("jsd", "separable")
	longer := resumeConfig("mine", "separable")
	longer.StepsPerLevel = 40

	cases := []struct {
		name    string
		cfg     *Config
		state   []byte
		loadErr error
		want    []string
	}{
		{"garbage", mineCfg, []byte("this is not a checkpoint state"), nil, []string{"decoding the state", checkpoint.FileName}},
		{"truncated", mineCfg, good[:len(good)/2], nil, []string{"decoding the state"}},
		{"wider critic", wider, good, nil, []string{"did the model change", checkpoint.FileName}},
		{"other estimator", jsd, good, nil, []string{`estimator = "mine"`, `"jsd"`}},
		{"other staircase", longer, good, nil, []string{"staircase of 60 steps", "has 80"}},
		{"corrupt mine state", mineCfg, badMine, nil, []string{"mine: the saved state has 3 bytes"}},
		{"estimates", mineCfg, badEstimates, nil, []string{"holds 2 estimates"}},
		{"no data source", mineCfg, noData, nil, []string{stateData}},
		{"unreadable", mineCfg, nil, errors.New("disk on fire"), []string{"disk on fire"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := &checkpoint.Memory{Every: 10, Step: 10, State: c.state, OK: true, LoadErr: c.loadErr}
			run, metrics, _ := newRun(2)
			run.Checkpoint = cp
			_, err := Task{}.Run(context.Background(), c.cfg, run)
			if err == nil {
				t.Fatal("Run resumed from a bad checkpoint without an error")
			}
			t.Logf("error as expected: %v", err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if len(metrics.steps) != 0 {
				t.Errorf("Run trained %d steps after failing to resume", len(metrics.steps))
			}
		})
	}
}

// TestResumeThroughCheckpointFiles interrupts a run that checkpoints to
// files with the checkpoint package's Checkpointer, as the sweep runner
// does, and checks that a second Run on the same directory resumes from the
// file and returns the uninterrupted summary.
func TestResumeThroughCheckpointFiles(t *testing.T) {
	requireEstimator(t, "mine")
	cfg := resumeConfig("mine", "separable")
	run, _, _ := newRun(8)
	want, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, _, _ = newRun(8)
	run.Checkpoint = checkpoint.New(dir, checkpoint.Policy{EverySteps: 20}, nil)
	run.Progress = &cancelAfter{after: 27, cancel: cancel}
	if _, err := (Task{}).Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if step, ok := checkpoint.Peek(dir); !ok || step != 27 {
		t.Fatalf("checkpoint file at step %d (found: %v), want 27", step, ok)
	}
	run, metrics, _ := newRun(8)
	run.Checkpoint = checkpoint.New(dir, checkpoint.Policy{EverySteps: 20}, nil)
	got, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	if metrics.steps[0] != 28 {
		t.Errorf("the resumed run logged from step %d, want 28", metrics.steps[0])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", got, want)
	}
}
