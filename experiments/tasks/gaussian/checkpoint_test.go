package gaussian

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// resumeConfig is a two-level staircase of 60 steps, logged every step.
func resumeConfig(estimator, critic string) *Config {
	c := smallConfig()
	c.Estimator, c.Critic = estimator, critic
	c.MILevels = []float64{1, 3}
	c.StepsPerLevel = 30
	c.Hidden = 16
	return c
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
		moments           string // adam_moments
	}{
		{"jsd", "separable", []int{20}, ""},
		{"jsd", "concat", []int{33}, ""},
		{"mine", "separable", []int{10, 41}, ""},
		{"mine", "concat", []int{30}, ""},
		{"jsd", "concat", []int{25}, "float32"},
	}
	const every = 10
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/cut%v/%s", tc.estimator, tc.critic, tc.cuts, cmp.Or(tc.moments, "float64")), func(t *testing.T) {
			requireEstimator(t, tc.estimator)
			cfg := resumeConfig(tc.estimator, tc.critic)
			cfg.AdamMoments = tc.moments
			r := taskstest.Resume{Task: Task{}, Config: cfg, Seed: 5, FirstStep: 1, Total: cfg.TotalSteps(),
				Every: every, Cuts: tc.cuts, WallClock: []string{"steps_per_second"}}
			want := r.Uninterrupted(t)
			if len(want.Metrics.Steps) != cfg.TotalSteps() {
				t.Fatalf("uninterrupted run logged %d steps, want %d", len(want.Metrics.Steps), cfg.TotalSteps())
			}
			for i, s := range want.Metrics.Steps {
				if s != i+1 {
					t.Fatalf("uninterrupted run logged steps %v, want every step from 1", want.Metrics.Steps)
				}
			}
			got := r.Interrupted(t, want)
			if _, ok := got.Metrics.Values[len(got.Metrics.Values)-1]["steps_per_second"]; !ok {
				t.Errorf("the resumed run did not log steps_per_second with its last step")
			}
		})
	}
}

// checkpointAfter10 runs cfg until the checkpoint after step 10 and
// returns the saved state.
func checkpointAfter10(t *testing.T, cfg *Config) []byte {
	t.Helper()
	cp := &checkpoint.Memory{Every: 10}
	run, _ := taskstest.NewRun(2, cp)
	taskstest.Interrupt(t, Task{}, cfg, run, 10) // steps 1 to 10
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
			taskstest.ResumeFails(t, Task{}, c.cfg, 2, 10, c.state, c.loadErr, c.want...)
		})
	}
	t.Run("file and state disagree", func(t *testing.T) {
		taskstest.ResumeFails(t, Task{}, mineCfg, 2, 12, good, nil, "says 12 steps done but its state is of step 9, counted from 0")
	})
}

// TestResumesACheckpointThatGaveTheStepsIndex resumes from a checkpoint
// file whose step is the index of the last step done, counted from 0, as
// the task saved them before its steps counted the steps done: the run
// must go on from the next step and return the uninterrupted summary.
func TestResumesACheckpointThatGaveTheStepsIndex(t *testing.T) {
	requireEstimator(t, "mine")
	cfg := resumeConfig("mine", "separable")
	cp := &checkpoint.Memory{Every: 10, Step: 9, State: checkpointAfter10(t, cfg), OK: true}
	checkResumed(t, cfg, 2, cp, 11)
}

// checkResumed runs cfg with seed on cp, which holds a checkpoint, and
// checks that the run logged from step first on and returned the summary of
// a run of cfg and seed without a checkpoint.
func checkResumed(t *testing.T, cfg *Config, seed int64, cp tasks.Checkpointer, first int) {
	t.Helper()
	run, _, _ := newRun(seed)
	want, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	run, metrics := taskstest.NewRun(seed, cp)
	got, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	if metrics.Steps[0] != first {
		t.Errorf("the resumed run logged from step %d, want %d", metrics.Steps[0], first)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", got, want)
	}
}

// TestResumeThroughCheckpointFiles interrupts a run that checkpoints to
// files with the checkpoint package's Checkpointer, as the sweep runner
// does, and checks that a second Run on the same directory resumes from the
// file and returns the uninterrupted summary.
func TestResumeThroughCheckpointFiles(t *testing.T) {
	requireEstimator(t, "mine")
	cfg := resumeConfig("mine", "separable")
	dir := t.TempDir()
	run, _ := taskstest.NewRun(8, checkpoint.New(dir, checkpoint.Policy{EverySteps: 20}, nil))
	taskstest.Interrupt(t, Task{}, cfg, run, 28) // steps 1 to 28
	if step, ok := checkpoint.Peek(dir); !ok || step != 28 {
		t.Fatalf("checkpoint file at step %d (found: %v), want 28", step, ok)
	}
	checkResumed(t, cfg, 8, checkpoint.New(dir, checkpoint.Policy{EverySteps: 20}, nil), 29)
}

// TestUnsavedStateStartsOver checks that a run of an estimator that keeps
// state it cannot save takes no checkpoints and, interrupted after step 20
// and run again, ends with the uninterrupted run's numbers.
func TestUnsavedStateStartsOver(t *testing.T) {
	taskstest.RegisterForgetfulMINE()
	cfg := resumeConfig(taskstest.ForgetfulMINE, "separable")
	taskstest.UnsavedStateStartsOver(t, Task{}, cfg, 5, 20, 10)
}

// TestCheckpointMissingAValueIsAnError resumes from states each lacking one
// of the values saveState writes and checks that the error names the
// missing value, rather than the run going on with a zero in its place or
// failing later on a check it happens to trip.
func TestCheckpointMissingAValueIsAnError(t *testing.T) {
	requireEstimator(t, "mine")
	cfg := resumeConfig("mine", "separable")
	good := checkpointAfter10(t, cfg)
	cases := []struct {
		name   string
		remove func(st *checkpoint.State)
		want   string
	}{
		{"estimator", func(st *checkpoint.State) { delete(st.Bytes, stateEstimator) }, `no byte slice "estimator"`},
		{"critic", func(st *checkpoint.State) { delete(st.Bytes, stateCritic) }, `no byte slice "critic"`},
		{"total", func(st *checkpoint.State) { delete(st.Ints, stateTotal) }, `no integer "total_steps"`},
		{"step", func(st *checkpoint.State) { delete(st.Ints, stateStep) }, `no integer "step"`},
		{"estimates", func(st *checkpoint.State) { delete(st.Float64s, stateEstimates) }, `no float64 slice "estimates"`},
		{"critic params", func(st *checkpoint.State) {
			for k := range st.Float32s {
				if strings.HasPrefix(k, stateParams+"/") {
					delete(st.Float32s, k)
				}
			}
			for k := range st.Float64s {
				if strings.HasPrefix(k, stateParams+"/") {
					delete(st.Float64s, k)
				}
			}
		}, `slice "critic_params/0/`},
		{"adam step", func(st *checkpoint.State) { delete(st.Ints, stateAdam+"/step") }, `no integer "adam/step"`},
		{"estimator state", func(st *checkpoint.State) { delete(st.Bytes, stateEstimatorS) }, `no byte slice "estimator_state"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := checkpoint.DecodeState(good)
			if err != nil {
				t.Fatal(err)
			}
			c.remove(st)
			b, err := st.Encode()
			if err != nil {
				t.Fatal(err)
			}
			taskstest.ResumeFails(t, Task{}, cfg, 2, 10, b, nil, c.want)
		})
	}
}

// TestCheckpointOutOfPlaceIsAnError resumes from checkpoints that do not
// fit the run: a state saved for another critic, a state whose step is
// outside the staircase (one past its end, or -1, each with the number of
// estimates that step would hold), and a file whose step is two more than
// the state's step counted from 0 (only one more, or the same for an old
// checkpoint, is accepted).
func TestCheckpointOutOfPlaceIsAnError(t *testing.T) {
	requireEstimator(t, "mine")
	cfg := resumeConfig("mine", "separable")
	good := checkpointAfter10(t, cfg)
	withStep := func(step int) []byte {
		st, err := checkpoint.DecodeState(good)
		if err != nil {
			t.Fatal(err)
		}
		st.PutInt(stateStep, int64(step))
		st.PutFloat64s(stateEstimates, make([]float64, step+1))
		b, err := st.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	concat := resumeConfig("mine", "concat")
	t.Run("other critic", func(t *testing.T) {
		taskstest.ResumeFails(t, Task{}, concat, 2, 10, good, nil, `critic = "separable"`, `"concat"`)
	})
	t.Run("step past the end", func(t *testing.T) {
		taskstest.ResumeFails(t, Task{}, cfg, 2, 61, withStep(60), nil, "step 60 is outside the staircase's steps 0 to 59")
	})
	t.Run("step -1", func(t *testing.T) {
		taskstest.ResumeFails(t, Task{}, cfg, 2, 0, withStep(-1), nil, "step -1 is outside the staircase's steps 0 to 59")
	})
	t.Run("file two steps ahead", func(t *testing.T) {
		taskstest.ResumeFails(t, Task{}, cfg, 2, 11, good, nil, "says 11 steps done but its state is of step 9, counted from 0")
	})
}

// brokenStateMINE is mine whose state cannot be encoded, registered as
// brokenStateName by registerBrokenState.
type brokenStateMINE struct{ estimators.Estimator }

const brokenStateName = "mine-broken-state"

func (b brokenStateMINE) Update() error { return b.Estimator.(estimators.Updater).Update() }

func (brokenStateMINE) MarshalState() ([]byte, error) { return nil, errors.New("cannot encode") }

func (b brokenStateMINE) UnmarshalState(s []byte) error {
	return b.Estimator.(estimators.Stateful).UnmarshalState(s)
}

var registerBrokenState sync.Once

// TestEstimatorStateThatCannotBeSavedIsAnError checks that when a stateful
// estimator fails to encode its state, the run stops with an error naming
// the estimator, and no checkpoint is saved without that state.
func TestEstimatorStateThatCannotBeSavedIsAnError(t *testing.T) {
	requireEstimator(t, "mine")
	registerBrokenState.Do(func() {
		estimators.Register(estimators.Info{Name: brokenStateName, Summary: "mine whose state cannot be encoded (for tests)",
			New: func(estimators.Params) (estimators.Estimator, error) {
				e, err := estimators.New("mine", nil)
				return brokenStateMINE{e}, err
			}})
	})
	cp := &checkpoint.Memory{Every: 10}
	run, _ := taskstest.NewRun(2, cp)
	_, err := Task{}.Run(context.Background(), resumeConfig(brokenStateName, "separable"), run)
	if err == nil || !strings.Contains(err.Error(), "estimator "+brokenStateName+": cannot encode") {
		t.Fatalf("Run with an estimator whose state cannot be encoded: %v", err)
	}
	if len(cp.Saves) != 0 {
		t.Fatalf("checkpoints saved at %v without the estimator's state", cp.Saves)
	}
}
