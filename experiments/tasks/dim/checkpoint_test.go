package dim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

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

// sameState reports the first difference between two checkpoint states,
// comparing floats bit for bit and leaving out the training time, or "".
func sameState(t *testing.T, a, b []byte) string {
	t.Helper()
	return taskstest.SameState(t, a, b, stateTrainSeconds)
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
		// negatives is num_negatives and num_global_negatives: drawn
		// anew at every step, they must be drawn the same on resuming.
		negatives int
		moments   string // adam_moments
	}{
		{"jsd", "concat", []int{8}, 0, ""},
		{"mine", "encode-and-dot", []int{4, 9, 12}, 0, ""},
		{"infonce", "concat", []int{5}, 3, ""},
		{"jsd", "encode-and-dot", []int{5}, 0, "float32"},
	}
	const every, seed, total = 4, 5, 12
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/cut%v/K%d/%s", tc.estimator, tc.globalCritic, tc.cuts, tc.negatives, cmp.Or(tc.moments, "float64")), func(t *testing.T) {
			cfg := resumeConfig(tc.estimator, tc.globalCritic)
			cfg.NumNegatives, cfg.NumGlobalNegatives = tc.negatives, tc.negatives
			cfg.AdamMoments = tc.moments
			r := taskstest.Resume{Task: Task{}, Config: cfg, Seed: seed, FirstStep: 1, Total: total,
				Every: every, Cuts: tc.cuts, WallClock: wallClock, CheckpointUninterrupted: true}
			want := r.Uninterrupted(t)
			if steps := want.Metrics.Steps; len(steps) != cfg.Epochs || steps[len(steps)-1] != total {
				t.Fatalf("uninterrupted run logged steps %v, want one per epoch ending at %d", steps, total)
			}
			if want.Checkpoint.Step != total {
				t.Fatalf("uninterrupted run's last checkpoint after step %d, want %d", want.Checkpoint.Step, total)
			}
			got := r.Interrupted(t, want)
			if got.Checkpoint.Step != total {
				t.Fatalf("resumed run's last checkpoint after step %d, want %d", got.Checkpoint.Step, total)
			}
			if diff := sameState(t, got.Checkpoint.State, want.Checkpoint.State); diff != "" {
				t.Errorf("the final state of the resumed run differs from the uninterrupted run's: %s", diff)
			}
		})
	}
}

// checkpointAt4 runs cfg with seed until the checkpoint after step 4 and
// returns the saved state.
func checkpointAt4(t *testing.T, cfg *Config, seed int64) []byte {
	t.Helper()
	cp := &checkpoint.Memory{Every: 4}
	run, _ := taskstest.NewRun(seed, cp)
	taskstest.Interrupt(t, Task{}, cfg, run, 4)
	if cp.Step != 4 {
		t.Fatalf("checkpoint after step %d, want 4", cp.Step)
	}
	return cp.State
}

// TestBadCheckpointIsAnError resumes from states that cannot be used (not a
// state at all, cut short, saved for other widths, another estimator or
// seed, a corrupt mine state, missing or reshaped values, other training
// images, a step past the run's end or other than the checkpointer's, a
// checkpointer that cannot read) and checks that each is an error naming
// the problem, not a panic or a silent fresh start.
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
	otherImages := edit(func(st *checkpoint.State) { st.PutInt(stateTrainImages, 95) })
	pastTheEnd := edit(func(st *checkpoint.State) { st.PutInt(stateStep, 13) })
	// Step 10 is 4 steps into its epoch, as the sums say, but the
	// checkpointer holds the state as step 4's.
	otherStep := edit(func(st *checkpoint.State) { st.PutInt(stateStep, 10) })

	wider := resumeConfig("mine", "concat")
	wider.Conv1 = 12
	moreUnits := resumeConfig("mine", "concat")
	moreUnits.MIUnits = 48
	jsd := resumeConfig("jsd", "concat")
	moments32 := resumeConfig("mine", "concat")
	moments32.AdamMoments = "float32"
	// A local critic as wide as code, checkpointed with Y embedded, then
	// resumed with y_embedding = "official"; and the same checkpoint without
	// the key, as saved before it existed, which reads as "always".
	asWide := resumeConfig("mine", "concat")
	asWide.MIUnits = asWide.Code
	embeddedY := checkpointAt4(t, asWide, seed)
	official := resumeConfig("mine", "concat")
	official.MIUnits, official.YEmbedding = official.Code, yEmbedOfficial
	st, err := checkpoint.DecodeState(embeddedY)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Bytes[stateConfig+"/y_embedding"]; !ok {
		t.Fatal("the checkpoint does not record y_embedding")
	}
	delete(st.Bytes, stateConfig+"/y_embedding")
	beforeTheKey, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}

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
		{"other moments", moments32, seed, good, nil, []string{"adam_moments = float64", "adam_moments = float32"}},
		{"other y embedding", official, seed, embeddedY, nil, []string{"y_embedding = always", "y_embedding = official"}},
		{"y embedding before the key", official, seed, beforeTheKey, nil, []string{"y_embedding = always", "y_embedding = official"}},
		{"corrupt mine state", cfg, seed, badMine, nil, []string{"mine: the saved state has 3 bytes"}},
		{"no prior source", cfg, seed, noPrior, nil, []string{statePriorRNG}},
		{"reshaped weights", cfg, seed, shortWeights, nil, []string{weights, "did the model change"}},
		{"epoch sums", cfg, seed, badSums, nil, []string{"4 steps into its epoch", "count 1"}},
		{"other training images", cfg, seed, otherImages, nil, []string{"training on 95 images", "now gives 96"}},
		{"step past the run's end", cfg, seed, pastTheEnd, nil, []string{"step 13 is outside the run's steps 1 to 12"}},
		{"state of another step", cfg, seed, otherStep, nil, []string{"file says step 4 but its state is of step 10"}},
		{"unreadable", cfg, seed, nil, errors.New("disk on fire"), []string{"disk on fire"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			taskstest.ResumeFails(t, Task{}, c.cfg, c.seed, 4, c.state, c.loadErr, c.want...)
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
	run, _ := taskstest.NewRun(8, nil)
	want, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	policy := checkpoint.Policy{EverySteps: 5}
	run, _ = taskstest.NewRun(8, checkpoint.New(dir, policy, nil))
	taskstest.Interrupt(t, Task{}, cfg, run, 7)
	if step, ok := checkpoint.Peek(dir); !ok || step != 7 {
		t.Fatalf("checkpoint file after step %d (found: %v), want 7", step, ok)
	}
	run, metrics := taskstest.NewRun(8, checkpoint.New(dir, policy, nil))
	got, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(metrics.Steps, []int{12}) {
		t.Errorf("the resumed run logged steps %v, want [12]", metrics.Steps)
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
	run, _ := taskstest.NewRun(seed, wantCP)
	if _, err := (Task{}).Run(context.Background(), cfg, run); err != nil {
		t.Fatal(err)
	}
	cp := &checkpoint.Memory{Every: 5} // not due after the last step
	run, _ = taskstest.NewRun(seed, cp)
	taskstest.Interrupt(t, Task{}, cfg, run, total)
	if !slices.Equal(cp.Saves, []int{5, 10, total}) {
		t.Fatalf("checkpoints saved after steps %v, want [5 10 %d]", cp.Saves, total)
	}
	if diff := sameState(t, cp.State, wantCP.State); diff != "" {
		t.Errorf("the state saved when probing stopped differs from an uninterrupted run's: %s", diff)
	}
}

// TestResumeAfterAShortLastEpoch stops a run whose steps end in the middle
// of an epoch (9 steps, epochs of 6) while it probes, and checks that it
// resumes from the checkpoint of its finished training, whose short last
// epoch is closed (its sums count no step), to the uninterrupted summary.
func TestResumeAfterAShortLastEpoch(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	cfg.Steps = 9
	const seed = 5
	run, _ := taskstest.NewRun(seed, nil)
	want, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatal(err)
	}
	cp := &checkpoint.Memory{Every: 5}
	run, _ = taskstest.NewRun(seed, cp)
	taskstest.Interrupt(t, Task{}, cfg, run, cfg.Steps)
	if !slices.Equal(cp.Saves, []int{5, cfg.Steps}) {
		t.Fatalf("checkpoints saved after steps %v, want [5 %d]", cp.Saves, cfg.Steps)
	}
	run, metrics := taskstest.NewRun(seed, cp)
	got, err := Task{}.Run(context.Background(), cfg, run)
	if err != nil {
		t.Fatalf("resuming after the last step: %v", err)
	}
	if len(metrics.Steps) != 0 {
		t.Errorf("the resumed run logged steps %v, want none: its training had finished", metrics.Steps)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", got, want)
	}
}

// TestUnsavedStateStartsOver checks that a run of an estimator that keeps
// state it cannot save takes no checkpoints and, interrupted after step 8
// and run again, ends with the uninterrupted run's numbers.
func TestUnsavedStateStartsOver(t *testing.T) {
	taskstest.RegisterForgetfulMINE()
	cfg := resumeConfig(taskstest.ForgetfulMINE, "encode-and-dot")
	taskstest.UnsavedStateStartsOver(t, Task{}, cfg, 5, 8, 4, wallClock...)
}

// TestResumedRunCountsTheSavedTrainingTime resumes from a checkpoint
// whose training time reads 1000 seconds: the last epoch's train_seconds
// must count them, not only the resumed attempt's time.
func TestResumedRunCountsTheSavedTrainingTime(t *testing.T) {
	cfg := resumeConfig("jsd", "concat")
	cfg.ProbeEpochs = 1
	st, err := checkpoint.DecodeState(checkpointAt4(t, cfg, 3))
	if err != nil {
		t.Fatal(err)
	}
	st.PutFloat64s(stateTrainSeconds, []float64{1000})
	b, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	run, rec := taskstest.NewRun(3, &checkpoint.Memory{Every: 4, Step: 4, State: b, OK: true})
	if _, err := (Task{}).Run(context.Background(), cfg, run); err != nil {
		t.Fatal(err)
	}
	last := rec.Values[len(rec.Values)-1]
	if got := last["train_seconds"]; !(got >= 1000) {
		t.Errorf("train_seconds %v after resuming from 1000 seconds of training, want at least 1000", got)
	}
}
