package dim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// cancelAt is a Progress that cancels a context once `at` steps have
// finished, and remembers the first step count it was told.
type cancelAt struct {
	at     int
	cancel context.CancelFunc
	first  int
}

func (p *cancelAt) Update(done, total int) {
	if p.first == 0 {
		p.first = done
	}
	if done == p.at {
		p.cancel()
	}
}

// stepRecorder is a MetricsLogger that keeps the steps and values logged.
type stepRecorder struct {
	steps  []int
	values []results.Values
}

func (r *stepRecorder) Log(step int, v results.Values) error {
	r.steps = append(r.steps, step)
	r.values = append(r.values, v)
	return nil
}

func newResumeRun(seed int64, cp tasks.Checkpointer) (*tasks.Run, *stepRecorder) {
	rec := &stepRecorder{}
	return &tasks.Run{ID: "resume", Seed: seed, Metrics: rec, Checkpoint: cp,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, rec
}

// resumeConfig is a tiny DIM(L+G) with a prior (every network, both Adams
// and the prior's random source are in play): 96 training images in
// batches of 16, so 6 steps an epoch and 12 in all, and short probes on Y
// (whose features pass through every batch norm of the encoder).
func resumeConfig(estimator, globalCritic string) *Config {
	c := tinyConfig()
	c.TrainSubset, c.TestSubset = 96, 100
	c.Estimator, c.GlobalCritic = estimator, globalCritic
	c.Alpha, c.Beta, c.Gamma = 0.5, 1, 0.1
	c.ProbeEpochs, c.ProbeBatchSize, c.ProbeHidden = 2, 16, 16
	c.ProbeFeatures = []string{"y"}
	return c
}

// wallClock are the metrics that differ between runs of the same seed.
var wallClock = []string{"images_per_second", "train_seconds"}

// withoutWallClock returns v without the wall-clock metrics.
func withoutWallClock(v results.Values) results.Values {
	out := results.Values{}
	for k, x := range v {
		if !slices.Contains(wallClock, k) {
			out[k] = x
		}
	}
	return out
}

// sameState reports the first difference between two checkpoint states,
// comparing floats bit for bit and leaving out the training time, or "".
func sameState(t *testing.T, a, b []byte) string {
	t.Helper()
	sa, err := checkpoint.DecodeState(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := checkpoint.DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	delete(sa.Float64s, stateTrainSeconds)
	delete(sb.Float64s, stateTrainSeconds)
	if len(sa.Float32s) != len(sb.Float32s) || len(sa.Float64s) != len(sb.Float64s) ||
		!reflect.DeepEqual(sa.Ints, sb.Ints) || !reflect.DeepEqual(sa.Bytes, sb.Bytes) {
		return fmt.Sprintf("different names or integers or bytes: ints %v and %v", sa.Ints, sb.Ints)
	}
	for k, x := range sa.Float32s {
		y := sb.Float32s[k]
		if len(x) != len(y) {
			return k
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return fmt.Sprintf("%s[%d]: %v and %v", k, i, x[i], y[i])
			}
		}
	}
	for k, x := range sa.Float64s {
		y := sb.Float64s[k]
		if len(x) != len(y) {
			return k
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return fmt.Sprintf("%s[%d]: %v and %v", k, i, x[i], y[i])
			}
		}
	}
	return ""
}

// TestResumeReproducesAnUninterruptedRun trains each case once without
// interruption and once stopped after each step in cuts, every attempt a
// new Run on the same checkpointer, which is due every 4 steps: a cut on a
// multiple of 4 stops right after a due checkpoint, another makes the run
// save one as it stops, and a cut at 12 stops after training, before the
// probes, which the next attempt must simply run again. The epochs are 6
// steps long, so cuts at 4 and 8 fall in the middle of an epoch. Every
// attempt must log exactly the uninterrupted run's records for its steps
// (wall-clock figures aside), the last must return the same summary, and
// its final checkpoint (due at step 12) must hold the same state, bit for
// bit: weights, batch-norm statistics, both Adams, the prior's random
// source, mine's moving averages.
func TestResumeReproducesAnUninterruptedRun(t *testing.T) {
	cases := []struct {
		estimator, globalCritic string
		cuts                    []int
	}{
		{"jsd", "concat", []int{8}},
		{"mine", "encode-and-dot", []int{4, 9, 12}},
	}
	const every, seed = 4, 5
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/cut%v", tc.estimator, tc.globalCritic, tc.cuts), func(t *testing.T) {
			cfg := resumeConfig(tc.estimator, tc.globalCritic)
			wantCP := &checkpoint.Memory{Every: every}
			run, want := newResumeRun(seed, wantCP)
			wantSummary, err := Task{}.Run(context.Background(), cfg, run)
			if err != nil {
				t.Fatal(err)
			}
			const total = 12
			if len(want.steps) != cfg.Epochs || want.steps[len(want.steps)-1] != total {
				t.Fatalf("uninterrupted run logged steps %v, want one per epoch ending at %d", want.steps, total)
			}
			if wantCP.Step != total {
				t.Fatalf("uninterrupted run's last checkpoint after step %d, want %d", wantCP.Step, total)
			}

			wantByStep := map[int]results.Values{}
			for i, s := range want.steps {
				wantByStep[s] = want.values[i]
			}
			cp := &checkpoint.Memory{Every: every}
			next := 1 // the first step of the next attempt
			var resumed results.Values
			for attempt := 0; attempt <= len(tc.cuts); attempt++ {
				ctx, cancel := context.WithCancel(context.Background())
				run, got := newResumeRun(seed, cp)
				progress := &cancelAt{at: -1, cancel: cancel}
				last := total
				if attempt < len(tc.cuts) {
					progress.at, last = tc.cuts[attempt], tc.cuts[attempt]
				}
				run.Progress = progress
				summary, err := Task{}.Run(ctx, cfg, run)
				cancel()
				if attempt < len(tc.cuts) {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("attempt %d: Run returned %v, want context.Canceled", attempt, err)
					}
					if !cp.OK || cp.Step != last {
						t.Fatalf("attempt %d, stopped after step %d: last checkpoint after step %d (saves %v), want %d", attempt, last, cp.Step, cp.Saves, last)
					}
				} else if err != nil {
					t.Fatalf("attempt %d: %v", attempt, err)
				} else {
					resumed = summary
				}
				if next <= total && progress.first != next {
					t.Errorf("attempt %d: first progress %d, want %d", attempt, progress.first, next)
				}
				var wantSteps []int
				for _, s := range want.steps {
					if s >= next && s <= last {
						wantSteps = append(wantSteps, s)
					}
				}
				if !reflect.DeepEqual(got.steps, wantSteps) {
					t.Fatalf("attempt %d (steps %d to %d): logged steps %v, want %v", attempt, next, last, got.steps, wantSteps)
				}
				for i, s := range got.steps {
					w := wantByStep[s]
					if !reflect.DeepEqual(withoutWallClock(got.values[i]), withoutWallClock(w)) {
						t.Fatalf("attempt %d, step %d: logged %v, the uninterrupted run logged %v", attempt, s, got.values[i], w)
					}
				}
				next = last + 1
			}
			if !reflect.DeepEqual(resumed, wantSummary) {
				t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", resumed, wantSummary)
			}
			if cp.Step != total {
				t.Fatalf("resumed run's last checkpoint after step %d, want %d", cp.Step, total)
			}
			if diff := sameState(t, cp.State, wantCP.State); diff != "" {
				t.Errorf("the final state of the resumed run differs from the uninterrupted run's: %s", diff)
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

// checkpointAt runs cfg with seed until the checkpoint after step 4 and
// returns the saved state.
func checkpointAt4(t *testing.T, cfg *Config, seed int64) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp := &checkpoint.Memory{Every: 4}
	run, _ := newResumeRun(seed, cp)
	run.Progress = &cancelAt{at: 4, cancel: cancel}
	if _, err := (Task{}).Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if cp.Step != 4 {
		t.Fatalf("checkpoint after step %d, want 4", cp.Step)
	}
	return cp.State
}

// TestBadCheckpointIsAnError resumes from states that cannot be used (not a
// state at all, cut short, saved for other widths, another estimator or
// seed, a corrupt mine state, missing or reshaped values, a checkpointer
// that cannot read) and checks that each is an error naming the problem,
// not a panic or a silent fresh start.
func TestBadCheckpointIsAnError(t *testing.T) {
	const seed = 3
	cfg := resumeConfig("mine", "concat")
	good := checkpointAt4(t, cfg, seed)

	edit := func(change func(st *checkpoint.State)) []byte {
		st, err := checkpoint.DecodeState(good)
		if err != nil {
			t.Fatal(err)
		}
		change(st)
		b, err := st.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	badMine := edit(func(st *checkpoint.State) { st.PutBytes(stateLocalEst, []byte{1, 2, 3}) })
	noPrior := edit(func(st *checkpoint.State) { delete(st.Bytes, statePriorRNG) })
	var weights string
	shortWeights := edit(func(st *checkpoint.State) {
		for k, v := range st.Float32s {
			if strings.HasPrefix(k, stateEncoder+"/") {
				weights = k
				st.Float32s[k] = v[:len(v)-1]
				break
			}
		}
	})
	badSums := edit(func(st *checkpoint.State) { st.PutFloat64s(stateEpochSums, []float64{1, 0, 0, 0, 0, 0}) })

	wider := resumeConfig("mine", "concat")
	wider.Conv1 = 12
	moreUnits := resumeConfig("mine", "concat")
	moreUnits.MIUnits = 48
	jsd := resumeConfig("jsd", "concat")

	cases := []struct {
		name    string
		cfg     *Config
		seed    int64
		state   []byte
		loadErr error
		want    []string
	}{
		{"garbage", cfg, seed, []byte("this is not a checkpoint state"), nil, []string{"decoding the state", checkpoint.FileName}},
		{"truncated", cfg, seed, good[:len(good)/2], nil, []string{"decoding the state"}},
		{"wider encoder", wider, seed, good, nil, []string{"conv1 = 8", "conv1 = 12", checkpoint.FileName}},
		{"wider critic", moreUnits, seed, good, nil, []string{"mi_units = 32", "mi_units = 48"}},
		{"other estimator", jsd, seed, good, nil, []string{"estimator = mine", "estimator = jsd"}},
		{"other seed", cfg, seed + 1, good, nil, []string{"seed 3", "seed 4"}},
		{"corrupt mine state", cfg, seed, badMine, nil, []string{"mine: the saved state has 3 bytes"}},
		{"no prior source", cfg, seed, noPrior, nil, []string{statePriorRNG}},
		{"reshaped weights", cfg, seed, shortWeights, nil, []string{weights, "did the model change"}},
		{"epoch sums", cfg, seed, badSums, nil, []string{"4 steps into its epoch", "count 1"}},
		{"unreadable", cfg, seed, nil, errors.New("disk on fire"), []string{"disk on fire"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := &checkpoint.Memory{Every: 4, Step: 4, State: c.state, OK: true, LoadErr: c.loadErr}
			run, metrics := newResumeRun(c.seed, cp)
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
			if len(metrics.steps) != 0 || len(cp.Saves) != 0 {
				t.Errorf("Run trained after failing to resume: logged steps %v, saved %v", metrics.steps, cp.Saves)
			}
		})
	}
}

// TestResumeThroughCheckpointFiles interrupts a run that checkpoints to
// files with the checkpoint package's Checkpointer, as the sweep runner
// does, and checks that a second Run on the same directory resumes from the
// file (in the middle of the second epoch) and returns the uninterrupted
// summary.
func TestResumeThroughCheckpointFiles(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	run, _ := newResumeRun(8, nil)
	want, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	policy := checkpoint.Policy{EverySteps: 5}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, _ = newResumeRun(8, checkpoint.New(dir, policy, nil))
	run.Progress = &cancelAt{at: 7, cancel: cancel}
	if _, err := (Task{}).Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if step, ok := checkpoint.Peek(dir); !ok || step != 7 {
		t.Fatalf("checkpoint file after step %d (found: %v), want 7", step, ok)
	}
	run, metrics := newResumeRun(8, checkpoint.New(dir, policy, nil))
	got, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(metrics.steps, []int{12}) {
		t.Errorf("the resumed run logged steps %v, want [12]", metrics.steps)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", got, want)
	}
}

// TestStopWhileProbingSavesTheFinishedTraining stops a run after its last
// training step, while it probes (the model is released by then), and
// checks that the checkpoint saved for that step holds the same state as an
// uninterrupted run's checkpoint after it.
func TestStopWhileProbingSavesTheFinishedTraining(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	const total, seed = 12, 5
	wantCP := &checkpoint.Memory{Every: total}
	run, _ := newResumeRun(seed, wantCP)
	if _, err := (Task{}).Run(context.Background(), cfg, run); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp := &checkpoint.Memory{Every: 5} // not due after the last step
	run, _ = newResumeRun(seed, cp)
	run.Progress = &cancelAt{at: total, cancel: cancel}
	if _, err := (Task{}).Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if !slices.Equal(cp.Saves, []int{5, 10, total}) {
		t.Fatalf("checkpoints saved after steps %v, want [5 10 %d]", cp.Saves, total)
	}
	if diff := sameState(t, cp.State, wantCP.State); diff != "" {
		t.Errorf("the state saved when probing stopped differs from an uninterrupted run's: %s", diff)
	}
}
