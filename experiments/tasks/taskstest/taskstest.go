// Package taskstest provides what tests of a task need, in the spirit of
// net/http/httptest: a recorder of the metrics a run logs ([Metrics]), a
// progress that stops a run after a given number of steps ([CancelAt]), a
// run to pass to Task.Run ([NewRun]), and [Resume], which proves a task's
// checkpoints right: a run interrupted at some steps, every attempt resumed
// from the last one's checkpoint, logs and returns exactly what an
// uninterrupted run with the same seed does.
//
// A task's test of its resume reads:
//
//	r := taskstest.Resume{Task: Task{}, Config: cfg, Seed: 5, FirstStep: 1,
//		Total: 12, Every: 4, Cuts: []int{4, 9}, WallClock: []string{"seconds"}}
//	want := r.Uninterrupted(t)
//	// ... the task's own checks of want ...
//	got := r.Interrupted(t, want)
//	// ... the task's own checks of got, such as its final checkpoint ...
package taskstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// Metrics is a [tasks.MetricsLogger] that keeps the steps logged and a
// copy of the values logged at each.
type Metrics struct {
	Steps  []int
	Values []results.Values
}

// Log records step and a copy of v.
func (m *Metrics) Log(step int, v results.Values) error {
	m.Steps = append(m.Steps, step)
	m.Values = append(m.Values, maps.Clone(v))
	return nil
}

// CancelAt is a [tasks.Progress] that calls Cancel once At steps have
// finished (on an update with done == At), and keeps in First the first
// number of finished steps it is told (0 until then).
type CancelAt struct {
	At     int
	Cancel context.CancelFunc
	First  int
}

// Update records the first update and cancels at At.
func (p *CancelAt) Update(done, total int) {
	if p.First == 0 {
		p.First = done
	}
	if done == p.At {
		p.Cancel()
	}
}

// NewRun returns a run with the given seed and checkpointer (nil for
// none), whose metrics the returned Metrics records and whose log is
// discarded.
func NewRun(seed int64, cp tasks.Checkpointer) (*tasks.Run, *Metrics) {
	m := &Metrics{}
	return &tasks.Run{ID: "taskstest", Seed: seed, Metrics: m, Checkpoint: cp,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, m
}

// RunChecked runs task with cfg on a [NewRun] of seed without a
// checkpointer, fails tb if it returns an error, checks its metrics with
// [CheckMetrics], and returns its summary and what it logged.
func RunChecked(tb testing.TB, task tasks.Task, cfg tasks.Config, seed int64) (results.Values, *Metrics) {
	tb.Helper()
	r, m := NewRun(seed, nil)
	out, err := task.Run(context.Background(), cfg, r)
	if err != nil {
		tb.Fatal(err)
	}
	CheckMetrics(tb, task, cfg, out, m)
	return out, m
}

// Interrupt runs task with cfg on run, giving the run a [CancelAt] as its
// Progress that stops it once done steps have finished, and fails tb unless
// Run returns context.Canceled. It returns the progress.
func Interrupt(tb testing.TB, task tasks.Task, cfg tasks.Config, run *tasks.Run, done int) *CancelAt {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &CancelAt{At: done, Cancel: cancel}
	run.Progress = p
	if _, err := task.Run(ctx, cfg, run); !errors.Is(err, context.Canceled) {
		tb.Fatalf("Run returned %v, want context.Canceled", err)
	}
	return p
}

// Without returns a copy of v without the given keys.
func Without(v results.Values, keys ...string) results.Values {
	out := results.Values{}
	for k, x := range v {
		if !slices.Contains(keys, k) {
			out[k] = x
		}
	}
	return out
}

// CheckMetrics fails tb unless task is a [tasks.MetricsNamer] whose
// Metrics(cfg) names exactly the metrics of a finished run of cfg: the keys
// of summary, which the run returned, and every key logged, which logged
// recorded. A sweep checks its reports' metric names against Metrics before
// any run; a name missing there refuses a good sweep file, and a name left
// there after the run stopped writing it lets a typo through. A run may
// leave out a read-out that overflowed (see tasks.MetricsNamer), but
// CheckMetrics asks for every name: test it on runs that write them all.
func CheckMetrics(tb testing.TB, task tasks.Task, cfg tasks.Config, summary results.Values, logged *Metrics) {
	tb.Helper()
	namer, ok := task.(tasks.MetricsNamer)
	if !ok {
		tb.Fatalf("%T is not a tasks.MetricsNamer: a sweep cannot check the metric names of its reports", task)
	}
	want := namer.Metrics(cfg)
	loggedKeys := map[string]bool{}
	for _, v := range logged.Values {
		for k := range v {
			loggedKeys[k] = true
		}
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"summary", slices.Sorted(maps.Keys(summary)), want.Summary},
		{"logged", slices.Sorted(maps.Keys(loggedKeys)), want.Logged},
	} {
		field := strings.ToUpper(c.what[:1]) + c.what[1:]
		if !slices.IsSorted(c.want) || len(slices.Compact(slices.Clone(c.want))) != len(c.want) {
			tb.Errorf("Metrics(cfg).%s = %v is not sorted without repeats", field, c.want)
		}
		var diffs []string
		if unnamed := notIn(c.got, c.want); len(unnamed) > 0 {
			diffs = append(diffs, fmt.Sprintf("the run wrote %v, which Metrics(cfg).%s does not name", unnamed, field))
		}
		if unwritten := notIn(c.want, c.got); len(unwritten) > 0 {
			diffs = append(diffs, fmt.Sprintf("Metrics(cfg).%s names %v, which the run did not write", field, unwritten))
		}
		if len(diffs) > 0 {
			tb.Errorf("%s metrics: %s (it names %v)", c.what, strings.Join(diffs, "; "), c.want)
		}
	}
}

// notIn returns the names in a that are not in b.
func notIn(a, b []string) []string {
	var out []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

// ResumeFails runs task with cfg and seed on a checkpointer that holds
// state as its checkpoint after step, or whose Load fails with loadErr when
// that is not nil, and checks that Run fails with an error that mentions
// each of want, without training: nothing logged, nothing saved. It
// returns the error.
func ResumeFails(tb testing.TB, task tasks.Task, cfg tasks.Config, seed int64, step int, state []byte, loadErr error, want ...string) error {
	tb.Helper()
	cp := &checkpoint.Memory{Every: step, Step: step, State: state, OK: true, LoadErr: loadErr}
	run, metrics := NewRun(seed, cp)
	_, err := task.Run(context.Background(), cfg, run)
	if err == nil {
		tb.Fatal("Run resumed from a bad checkpoint without an error")
	}
	tb.Logf("error as expected: %v", err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			tb.Errorf("error %q does not mention %q", err, w)
		}
	}
	if len(metrics.Steps) != 0 || len(cp.Saves) != 0 {
		tb.Errorf("Run trained after failing to resume: logged steps %v, saved %v", metrics.Steps, cp.Saves)
	}
	return err
}

// SameState reports the first difference between two encoded checkpoint
// states, comparing floats bit for bit and leaving out the values named in
// ignore (such as a wall-clock time), or "" when they are the same.
func SameState(tb testing.TB, a, b []byte, ignore ...string) string {
	tb.Helper()
	sa, err := checkpoint.DecodeState(a)
	if err != nil {
		tb.Fatal(err)
	}
	sb, err := checkpoint.DecodeState(b)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range []*checkpoint.State{sa, sb} {
		for _, k := range ignore {
			delete(s.Float32s, k)
			delete(s.Float64s, k)
			delete(s.Ints, k)
			delete(s.Bytes, k)
		}
	}
	if len(sa.Float32s) != len(sb.Float32s) || len(sa.Float64s) != len(sb.Float64s) ||
		!reflect.DeepEqual(sa.Ints, sb.Ints) || !reflect.DeepEqual(sa.Bytes, sb.Bytes) {
		return fmt.Sprintf("different names or integers or bytes: ints %v and %v", sa.Ints, sb.Ints)
	}
	if d := firstDiff(sa.Float32s, sb.Float32s, func(x float32) uint64 { return uint64(math.Float32bits(x)) }); d != "" {
		return d
	}
	return firstDiff(sa.Float64s, sb.Float64s, math.Float64bits)
}

// firstDiff returns the first name, in sorted order, whose values differ
// between a and b in length or in bits, or "".
func firstDiff[F float32 | float64](a, b map[string][]F, bits func(F) uint64) string {
	for _, k := range slices.Sorted(maps.Keys(a)) {
		x, y := a[k], b[k]
		if len(x) != len(y) {
			return k
		}
		for i := range x {
			if bits(x[i]) != bits(y[i]) {
				return fmt.Sprintf("%s[%d]: %v and %v", k, i, x[i], y[i])
			}
		}
	}
	return ""
}

// Resume checks that a task's run resumes from its checkpoints exactly:
// see [Resume.Uninterrupted] and [Resume.Interrupted]. Steps are numbered
// as the task numbers them in its metrics and checkpoints, from FirstStep.
type Resume struct {
	Task   tasks.Task
	Config tasks.Config
	Seed   int64
	// FirstStep is the number of the task's first step: 0 or 1.
	FirstStep int
	// Total is the number of training steps of a run.
	Total int
	// Every makes a checkpoint due after every step that is a positive
	// multiple of Every (see [checkpoint.Memory]).
	Every int
	// Cuts are the steps after which the interrupted run's attempts stop,
	// in order; the attempt after the last cut runs to the end.
	Cuts []int
	// WallClock names the metrics that differ between runs of one seed;
	// they are left out of the comparisons.
	WallClock []string
	// CheckpointUninterrupted gives the uninterrupted run a checkpointer
	// too, due every Every steps, so that its last checkpoint can be
	// compared with the resumed run's. Without it, that run has none,
	// which also shows that saving checkpoints changes nothing.
	CheckpointUninterrupted bool
}

// Outcome is what a run returned and logged (for an interrupted run, its
// last attempt) and its checkpointer (nil for none).
type Outcome struct {
	Summary    results.Values
	Metrics    *Metrics
	Checkpoint *checkpoint.Memory
}

// Uninterrupted runs the task once, from start to end, checks the metrics
// it wrote against the task's Metrics ([CheckMetrics]) if it is a
// [tasks.MetricsNamer], and returns what it returned and logged.
func (r Resume) Uninterrupted(tb testing.TB) Outcome {
	tb.Helper()
	var out Outcome
	var cp tasks.Checkpointer
	if r.CheckpointUninterrupted {
		out.Checkpoint = &checkpoint.Memory{Every: r.Every}
		cp = out.Checkpoint
	}
	run, metrics := NewRun(r.Seed, cp)
	summary, err := r.Task.Run(context.Background(), r.Config, run)
	if err != nil {
		tb.Fatal(err)
	}
	out.Summary, out.Metrics = summary, metrics
	if _, ok := r.Task.(tasks.MetricsNamer); ok {
		CheckMetrics(tb, r.Task, r.Config, summary, metrics)
	}
	return out
}

// Interrupted runs the task in attempts that stop after each of the cuts,
// every attempt a new Run on the same [checkpoint.Memory], due every Every
// steps, and checks them against want, the uninterrupted run's outcome:
// each stopped attempt returns context.Canceled with a checkpoint after
// its cut; each attempt starts after the last one's cut, logs exactly
// what want logged for its steps (the WallClock metrics aside); the last
// attempt returns want's summary; and every checkpoint saved is due or at
// a cut. It returns the last attempt's outcome.
func (r Resume) Interrupted(tb testing.TB, want Outcome) Outcome {
	tb.Helper()
	wantByStep := map[int]results.Values{}
	for i, s := range want.Metrics.Steps {
		wantByStep[s] = want.Metrics.Values[i]
	}
	cp := &checkpoint.Memory{Every: r.Every}
	last := r.FirstStep + r.Total - 1 // the run's last step
	next := r.FirstStep               // the first step of the next attempt
	var got Outcome
	for attempt := 0; attempt <= len(r.Cuts); attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		run, metrics := NewRun(r.Seed, cp)
		progress := &CancelAt{At: -1, Cancel: cancel}
		end := last
		if attempt < len(r.Cuts) {
			end = r.Cuts[attempt]
			progress.At = r.done(end)
		}
		run.Progress = progress
		summary, err := r.Task.Run(ctx, r.Config, run)
		cancel()
		if attempt < len(r.Cuts) {
			if !errors.Is(err, context.Canceled) {
				tb.Fatalf("attempt %d: Run returned %v, want context.Canceled", attempt, err)
			}
			if !cp.OK || cp.Step != end {
				tb.Fatalf("attempt %d, stopped after step %d: last checkpoint after step %d (saves %v), want %d", attempt, end, cp.Step, cp.Saves, end)
			}
		} else if err != nil {
			tb.Fatalf("attempt %d: %v", attempt, err)
		}
		if next <= last && progress.First != r.done(next) {
			tb.Errorf("attempt %d: first progress %d, want %d (resuming before step %d)", attempt, progress.First, r.done(next), next)
		}
		var wantSteps []int
		for _, s := range want.Metrics.Steps {
			if s >= next && s <= end {
				wantSteps = append(wantSteps, s)
			}
		}
		if !slices.Equal(metrics.Steps, wantSteps) {
			tb.Fatalf("attempt %d (steps %d to %d): logged steps %v, want %v", attempt, next, end, metrics.Steps, wantSteps)
		}
		for i, s := range metrics.Steps {
			if w := wantByStep[s]; !reflect.DeepEqual(Without(metrics.Values[i], r.WallClock...), Without(w, r.WallClock...)) {
				tb.Fatalf("attempt %d, step %d: logged %v, the uninterrupted run logged %v", attempt, s, metrics.Values[i], w)
			}
		}
		got = Outcome{Summary: summary, Metrics: metrics, Checkpoint: cp}
		next = end + 1
	}
	if !reflect.DeepEqual(got.Summary, want.Summary) {
		tb.Errorf("resumed summary\n%v\nuninterrupted summary\n%v", got.Summary, want.Summary)
	}
	for _, s := range cp.Saves {
		if s%r.Every != 0 && !slices.Contains(r.Cuts, s) {
			tb.Errorf("a checkpoint was saved after step %d, neither due nor an interruption (saves %v)", s, cp.Saves)
		}
	}
	return got
}

// done returns the number of steps finished after step.
func (r Resume) done(step int) int { return step - r.FirstStep + 1 }
