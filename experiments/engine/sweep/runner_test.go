package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/engine/results"
)

const runFile = `name = "e2e"
task = "fake"
seeds = [0, 1]

[base]
steps = 4
batch_size = 2

[parameters.estimator]
values = ["jsd", "dv"]

[[tables]]
kind = "fake_table"
name = "mi_table"
`

func parseFile(t *testing.T, src string) *Sweep {
	t.Helper()
	s, err := Parse("e2e.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// resultsColumn returns the named column of results.csv in the sweep
// directory dir: a value per run.
func resultsColumn(t *testing.T, dir, name string) []string {
	t.Helper()
	tab, err := results.ReadResultsCSV(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var col []string
	for _, row := range tab.Rows {
		col = append(col, row[tab.Column(name)])
	}
	return col
}

func runSweep(t *testing.T, s *Sweep, out string) (*Outcome, string) {
	t.Helper()
	var buf bytes.Buffer
	r := &Runner{Out: out, Stdout: &buf, Report: drawReports}
	oc, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, buf.String())
	}
	return oc, buf.String()
}

func TestRunWritesTheStorageContract(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	oc, log := runSweep(t, s, out)
	if len(oc.Ran) != 4 || len(oc.Failed) != 0 || oc.Interrupted {
		t.Fatalf("outcome %+v\n%s", oc, log)
	}
	for _, r := range s.Runs {
		dir := filepath.Join(out, "e2e", r.ID)
		cfg, err := results.ReadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if cfg["task"] != "fake" || cfg["seed"] != r.Seed || cfg["estimator"] != r.Values[0] || cfg["steps"] != int64(4) {
			t.Fatalf("config.toml of %s: %v", r.ID, cfg)
		}
		recs, skipped, err := results.ReadMetrics(filepath.Join(dir, results.MetricsFile))
		if err != nil || len(skipped) != 0 || len(recs) != 4 {
			t.Fatalf("metrics.jsonl of %s: %d records, skipped %v, err %v", r.ID, len(recs), skipped, err)
		}
		for i, rec := range recs {
			// The fake task logs mi = step * lr * batch_size.
			if rec.Step != i+1 || rec.Values["mi"] != float64(i+1)*0.01*2 {
				t.Fatalf("record %d of %s: %+v", i, r.ID, rec)
			}
		}
		sum, err := results.ReadSummary(dir)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Status != results.StatusDone || sum.RunID != r.ID || sum.Seed != r.Seed || sum.Step != 4 ||
			sum.Params["estimator"] != r.Values[0] || len(sum.Params) != 1 || sum.Metrics["mi"] != 0.08 || sum.Finished.IsZero() {
			t.Fatalf("summary of %s: %+v", r.ID, sum)
		}
		// A test binary records no git revision: the Go version alone.
		if !strings.HasSuffix(sum.Code, runtime.Version()) {
			t.Errorf("summary of %s: code %q; want it to end in the Go version %s", r.ID, sum.Code, runtime.Version())
		}
		if _, err := os.Stat(filepath.Join(dir, results.LockFile)); !os.IsNotExist(err) {
			t.Fatalf("the lock of %s is still there: %v", r.ID, err)
		}
	}

	tab, err := results.ReadResultsCSV(filepath.Join(out, "e2e", results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Header, ","); got != "run_id,estimator,seed,status,loss,mi" {
		t.Fatalf("results.csv header %q", got)
	}
	if len(tab.Rows) != 4 {
		t.Fatalf("results.csv has %d rows", len(tab.Rows))
	}
	for i, row := range tab.Rows {
		want := []string{s.Runs[i].ID, s.Runs[i].Values[0].(string), fmt.Sprint(s.Runs[i].Seed), "done", "-0.08", "0.08"}
		if !slices.Equal(row, want) {
			t.Fatalf("results.csv row %d = %v, want %v", i, row, want)
		}
	}

	report, err := os.ReadFile(filepath.Join(out, "e2e", ReportsDir, "mi_table.txt"))
	if err != nil {
		t.Fatalf("the declared table was not made: %v\n%s", err, log)
	}
	if n := strings.Count(string(report), "task=fake mi=0.08\n"); n != 4 {
		t.Fatalf("report has %d of 4 runs:\n%s", n, report)
	}
}

func TestRerunSkipsDoneRuns(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	runSweep(t, s, out)
	before, err := results.ReadSummary(s.RunDir(out, s.Runs[0]))
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := runSweep(t, parseFile(t, runFile), out)
	if len(oc.Ran) != 0 || len(oc.Skipped) != 4 {
		t.Fatalf("second run: ran %v, skipped %v", oc.Ran, oc.Skipped)
	}
	after, err := results.ReadSummary(s.RunDir(out, s.Runs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !after.Started.Equal(before.Started) {
		t.Fatalf("a done run was run again: started %v then %v", before.Started, after.Started)
	}
}

// TestARunRemovesTheTempFilesOfAKilledWrite stands for a process killed
// while writing a run's files (kill -9): its temporary files are in the run's
// directory, and the next attempt at the run removes them, but not a lock's
// temporary file young enough to be another process's try at the lock.
func TestARunRemovesTheTempFilesOfAKilledWrite(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	dir := s.RunDir(out, s.Runs[0])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{".checkpoint.bin.tmp-3305503613", ".summary.json.tmp-12", ".run.lock.tmp-99"}
	fresh := ".run.lock.tmp-7"
	for _, name := range append(stale, fresh) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleLockTemp)
	if err := os.Chtimes(filepath.Join(dir, ".run.lock.tmp-99"), old, old); err != nil {
		t.Fatal(err)
	}
	oc, log := runSweep(t, s, out)
	if len(oc.Ran) != 4 || len(oc.Failed) != 0 {
		t.Fatalf("outcome %+v\n%s", oc, log)
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s is still in the run's directory: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, fresh)); err != nil {
		t.Errorf("a lock's temporary file of a second ago was removed: %v", err)
	}
}

// TestARerunTidiesWhatAKilledProcessLeft stands for a process killed
// after it wrote a done run's summary and before it removed the run's
// checkpoints and lock, and while it wrote results.csv and the page: the
// next call of Run removes the checkpoints, the dead lock and the
// temporary files old enough to be nobody's, keeps a young one, and runs
// nothing again.
func TestARerunTidiesWhatAKilledProcessLeft(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	runSweep(t, s, out)
	dir := s.RunDir(out, s.Runs[1])
	left := []string{filepath.Join(dir, "checkpoint.bin"), filepath.Join(dir, "checkpoint.prev.bin"), filepath.Join(dir, ".metrics.jsonl.tmp-5")}
	oldTemps := []string{filepath.Join(s.Dir(out), ".results.csv.tmp-1"), filepath.Join(s.Dir(out), ReportsDir, ".index.html.tmp-2")}
	young := filepath.Join(s.Dir(out), ".results.csv.tmp-3")
	for _, path := range append(append(left, oldTemps...), young) {
		if err := os.WriteFile(path, []byte("left"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleSharedTemp)
	for _, path := range oldTemps {
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	lockOnly := s.RunDir(out, s.Runs[2]) // killed after removing its checkpoints, before its lock
	for _, d := range []string{dir, lockOnly} {
		if err := os.WriteFile(filepath.Join(d, results.LockFile), fmt.Appendf(nil, "%d %s\n", deadPID(t), hostname()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oc, log := runSweep(t, parseFile(t, runFile), out)
	if len(oc.Ran) != 0 || len(oc.Skipped) != 4 {
		t.Fatalf("rerun: ran %v, skipped %v\n%s", oc.Ran, oc.Skipped, log)
	}
	for _, path := range append(append(left, oldTemps...), filepath.Join(dir, results.LockFile), filepath.Join(lockOnly, results.LockFile)) {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", path, err)
		}
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a temporary file of a second ago, perhaps another process's write, was removed: %v", err)
	}
}

// TestFailedRunIsRecordedAndRerunNextTime runs a sweep whose runs with
// diverge_if set diverge while the marker file exists. They are recorded
// as failed and diverged; the next call keeps them as they are, even with
// the marker gone (as though the code had changed, a deterministic run
// diverging again otherwise), and a call with RetryDiverged runs them
// again, from the start. A diverged run's checkpoints are removed, and
// one that an earlier version left is not resumed from.
func TestFailedRunIsRecordedAndRerunNextTime(t *testing.T) {
	out := t.TempDir()
	marker := filepath.Join(t.TempDir(), "diverge")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(runFile, "[parameters.estimator]", fmt.Sprintf("[parameters.diverge_if]\nvalues = [\"\", %q]\n[parameters.estimator]", marker), 1)
	s := parseFile(t, src)
	if len(s.Runs) != 8 {
		t.Fatalf("%d runs", len(s.Runs))
	}
	oc, log := runSweep(t, s, out)
	if len(oc.Ran) != 4 || len(oc.Failed) != 4 {
		t.Fatalf("ran %v failed %v\n%s", oc.Ran, oc.Failed, log)
	}
	if !strings.Contains(log, "failed runs (rerun the same command to retry them; a run that diverged would diverge again and is kept, unless you add --retry-diverged):\n  "+
		oc.Failed[0].ID+": diverged at step 3: loss is NaN") ||
		!strings.Contains(log, ": FAILED: diverged at step 3: loss is NaN\n") || strings.Contains(log, "FAILED at step 3: diverged") {
		t.Fatalf("closing lines do not list the failed runs:\n%s", log)
	}
	failed := s.Runs[4] // diverge_if = marker, estimator = jsd, seed 0
	sum, err := results.ReadSummary(s.RunDir(out, failed))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != results.StatusFailed || sum.Step != 3 || sum.Error != "diverged at step 3: loss is NaN" || !sum.Diverged {
		t.Fatalf("summary of the diverged run: %+v", sum)
	}
	tab, err := results.ReadResultsCSV(filepath.Join(out, "e2e", results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if st := tab.Rows[4][tab.Column("status")]; st != "failed" {
		t.Fatalf("results.csv status of the diverged run is %q", st)
	}
	if step, ok := checkpoint.Peek(s.RunDir(out, failed)); ok {
		t.Fatalf("the diverged run kept its checkpoint at step %d", step)
	}
	// As the code before diverged runs lost their checkpoints left one.
	if err := checkpoint.New(s.RunDir(out, failed), checkpoint.Policy{}, nil).Save(2, []byte("state")); err != nil {
		t.Fatal(err)
	}

	os.Remove(marker)
	oc, log = runSweep(t, parseFile(t, src), out)
	if len(oc.Ran) != 0 || len(oc.Skipped) != 4 || len(oc.Kept) != 4 || len(oc.NotDone) != 4 ||
		!strings.Contains(log, "8 runs, 4 done, 4 diverged before and kept (--retry-diverged runs them again), 0 to run") ||
		!strings.HasSuffix(strings.TrimSpace(log), "0 ran, 4 already done, 0 failed, 4 diverged before and kept") {
		t.Fatalf("rerun: ran %v skipped %v kept %v not done %v\n%s", oc.Ran, oc.Skipped, oc.Kept, oc.NotDone, log)
	}
	var buf bytes.Buffer
	oc, err = (&Runner{Out: out, Stdout: &buf, RetryDiverged: true}).Run(context.Background(), parseFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 4 || len(oc.Skipped) != 4 || len(oc.Failed) != 0 {
		t.Fatalf("rerun with RetryDiverged: ran %v skipped %v failed %v\n%s", oc.Ran, oc.Skipped, oc.Failed, buf.String())
	}
	if oc.Ran[0] != failed.ID || strings.Contains(buf.String(), "resumed from") {
		t.Fatalf("rerun ran %v, want the failed runs from their start\n%s", oc.Ran, buf.String())
	}
	recs, _, err := results.ReadMetrics(filepath.Join(s.RunDir(out, failed), results.MetricsFile))
	if err != nil || len(recs) != 4 || recs[0].Step != 1 {
		t.Fatalf("the rerun's metrics.jsonl was not started afresh: %d records, err %v", len(recs), err)
	}
}

// TestDivergedAfterTrainingKeepsTheTraining runs a sweep whose runs with
// diverge_after_if set train, checkpoint their last step and then diverge
// (as a dim probe may) while the marker file exists. They are recorded as
// diverged after training and keep their checkpoints; the next call keeps
// them; with RetryDiverged they resume from the finished training rather
// than train again.
func TestDivergedAfterTrainingKeepsTheTraining(t *testing.T) {
	out := t.TempDir()
	marker := filepath.Join(t.TempDir(), "diverge")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(runFile, "[parameters.estimator]", fmt.Sprintf("[parameters.diverge_after_if]\nvalues = [\"\", %q]\n[parameters.estimator]", marker), 1)
	s := parseFile(t, src)
	oc, log := runSweep(t, s, out)
	if len(oc.Ran) != 4 || len(oc.Failed) != 4 || !strings.Contains(log, "4 failed (4 diverged)") {
		t.Fatalf("ran %v failed %v\n%s", oc.Ran, oc.Failed, log)
	}
	failed := s.Runs[4] // diverge_after_if = marker, estimator = jsd, seed 0
	sum, err := results.ReadSummary(s.RunDir(out, failed))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Step != 4 || !sum.Diverged || !sum.DivergedAfterTraining || sum.Error != "diverged at step 4: probe loss is NaN" {
		t.Fatalf("summary of the diverged run: %+v", sum)
	}
	if step, ok := checkpoint.Peek(s.RunDir(out, failed)); !ok || step != 4 {
		t.Fatalf("the run diverged after training kept no checkpoint of its training (%d, %v)", step, ok)
	}
	if oc, log = runSweep(t, parseFile(t, src), out); len(oc.Ran) != 0 || len(oc.Kept) != 4 {
		t.Fatalf("rerun: ran %v kept %v\n%s", oc.Ran, oc.Kept, log)
	}
	os.Remove(marker)
	var buf bytes.Buffer
	oc, err = (&Runner{Out: out, Stdout: &buf, RetryDiverged: true}).Run(context.Background(), parseFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 4 || len(oc.Failed) != 0 || !strings.Contains(buf.String(), "(resumed from the checkpoint at step 4)") {
		t.Fatalf("rerun with RetryDiverged: ran %v failed %v, want them resumed from their training\n%s", oc.Ran, oc.Failed, buf.String())
	}
	recs, _, err := results.ReadMetrics(filepath.Join(s.RunDir(out, failed), results.MetricsFile))
	if err != nil || len(recs) != 4 || recs[3].Step != 4 {
		t.Fatalf("the resumed run's metrics.jsonl: %d records, err %v; want the 4 of its training", len(recs), err)
	}
}

func TestPanicsAndErrorsInTasksAreRecorded(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, strings.Replace(behaviorFile("panic", "fail", "setuppanic", ""), "seeds = [0, 1]", "", 1))
	oc, log := runSweep(t, s, out)
	if len(oc.Failed) != 3 || len(oc.Ran) != 1 {
		t.Fatalf("failed %v ran %v\n%s", oc.Failed, oc.Ran, log)
	}
	// A panic names the line that panicked, in tasks.Setup's build too.
	for i, want := range []string{`^panic: kaboom \(at sweep/fake_test\.go:\d+\)$`, `^boom$`, `^panic: in setup \(at sweep/fake_test\.go:\d+\)$`} {
		sum, err := results.ReadSummary(s.RunDir(out, s.Runs[i]))
		if err != nil {
			t.Fatal(err)
		}
		step := 2
		if i == 2 {
			step = 0
		}
		if sum.Status != results.StatusFailed || !regexp.MustCompile(want).MatchString(sum.Error) || sum.Step != step {
			t.Fatalf("run %d summary %+v, want failed with %q at step %d", i, sum, want, step)
		}
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// livePID returns the PID of a process of this host that lives until the
// test ends, to hold runs as another sweep process would.
func livePID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command to stand for another process: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// writeHeldRun makes run r of s look as a process with this pid running
// it would: a lock and a summary that says running.
func writeHeldRun(t *testing.T, s *Sweep, out string, r *RunSpec, pid int) {
	t.Helper()
	dir := s.RunDir(out, r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.LockFile), fmt.Appendf(nil, "%d %s\n", pid, hostname()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteSummary(dir, &results.Summary{RunID: r.ID, Status: results.StatusRunning, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// watchWriter is a Runner's Stdout that keeps what is written and closes
// seen once it has been sent a line containing want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func newWatchWriter(want string) *watchWriter {
	return &watchWriter{want: want, seen: make(chan struct{})}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// runWhileHeld runs the sweep in the background with a quick BusyPoll,
// and, once it says it waits for the run held by pid, calls then; it
// returns the outcome and the output. then may cancel ctx, Run's context.
func runWhileHeld(t *testing.T, ctx context.Context, s *Sweep, out string, pid int, then func()) (*Outcome, string) {
	t.Helper()
	w := newWatchWriter(fmt.Sprintf("running in pid %d on %s; waiting for it", pid, hostname()))
	type result struct {
		oc  *Outcome
		err error
	}
	ended := make(chan result, 1)
	go func() {
		oc, err := (&Runner{Out: out, Stdout: w, BusyPoll: time.Millisecond}).Run(ctx, s)
		ended <- result{oc, err}
	}()
	select {
	case <-w.seen:
		then()
	case res := <-ended:
		t.Fatalf("Run returned without waiting for the held run: %+v %v\n%s", res.oc, res.err, w)
	}
	res := <-ended
	if res.err != nil {
		t.Fatalf("Run: %v\n%s", res.err, w)
	}
	return res.oc, w.String()
}

// TestRunsHeldElsewhereAreWaitedFor: a run whose process is gone is taken
// over at once; one that a live process holds is left alone and waited for,
// and counted as done once that process finishes it.
func TestRunsHeldElsewhereAreWaitedFor(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	stale, live := s.Runs[0], s.Runs[1]
	other := livePID(t)
	writeHeldRun(t, s, out, stale, deadPID(t))
	writeHeldRun(t, s, out, live, other)

	states := s.States(out)
	if st := states[0]; st.Status != results.StatusInterrupted {
		t.Fatalf("a run whose process is gone reads as %+v", st)
	}
	if st := states[1]; st.Status != results.StatusRunning || st.Holder == nil || st.Holder.PID != other {
		t.Fatalf("a run held by a live process reads as %+v", st)
	}

	liveDir := s.RunDir(out, live)
	oc, log := runWhileHeld(t, context.Background(), s, out, other, func() {
		// The other process is still at it: its files are untouched.
		if sum, _ := results.ReadSummary(liveDir); sum.Status != results.StatusRunning {
			t.Errorf("the live run's summary was touched: %+v", sum)
		}
		if _, err := os.Stat(filepath.Join(liveDir, results.LockFile)); err != nil {
			t.Errorf("the live lock was removed: %v", err)
		}
		// Now it finishes the run.
		if err := results.WriteSummary(liveDir, &results.Summary{RunID: live.ID, Status: results.StatusDone, Metrics: results.Values{"mi": 1}}); err != nil {
			t.Error(err)
		}
		os.Remove(filepath.Join(liveDir, results.LockFile))
	})
	if !slices.Contains(oc.Ran, stale.ID) || slices.Contains(oc.Ran, live.ID) || !slices.Equal(oc.Skipped, []string{live.ID}) || len(oc.Busy)+len(oc.NotDone) != 0 {
		t.Fatalf("ran %v skipped %v busy %v not done %v\n%s", oc.Ran, oc.Skipped, oc.Busy, oc.NotDone, log)
	}
	if !strings.Contains(log, live.ID+": done in another process") {
		t.Fatalf("the output does not say the waited-for run was done elsewhere:\n%s", log)
	}
}

// TestARunWhoseProcessDiesWhileWaitedForIsTakenOver: the process holding a
// run dies while this one waits for it; this one then runs it.
func TestARunWhoseProcessDiesWhileWaitedForIsTakenOver(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	owner := exec.Command("sleep", "60")
	if err := owner.Start(); err != nil {
		t.Skipf("no sleep command to stand for the other process: %v", err)
	}
	defer owner.Process.Kill()
	held := s.Runs[2]
	writeHeldRun(t, s, out, held, owner.Process.Pid)
	oc, log := runWhileHeld(t, context.Background(), s, out, owner.Process.Pid, func() {
		owner.Process.Kill()
		owner.Wait()
	})
	if len(oc.Ran) != 4 || !slices.Contains(oc.Ran, held.ID) || len(oc.Busy)+len(oc.NotDone)+len(oc.Failed) != 0 {
		t.Fatalf("ran %v busy %v not done %v failed %v\n%s", oc.Ran, oc.Busy, oc.NotDone, oc.Failed, log)
	}
	if st := s.States(out)[2]; st.Status != results.StatusDone {
		t.Fatalf("the run taken over is %s", st.Status)
	}
}

// TestAnInterruptWhileWaitingLeavesTheRunToItsProcess: interrupted while
// it waits for a run that a live process holds, Run leaves that run alone
// and says it is still running elsewhere and not done.
func TestAnInterruptWhileWaitingLeavesTheRunToItsProcess(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	held := s.Runs[3]
	other := livePID(t)
	writeHeldRun(t, s, out, held, other)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	oc, log := runWhileHeld(t, ctx, s, out, other, cancel)
	if !oc.Interrupted || !slices.Equal(oc.Busy, []string{held.ID}) || !slices.Contains(oc.NotDone, held.ID) {
		t.Fatalf("interrupted %v busy %v not done %v\n%s", oc.Interrupted, oc.Busy, oc.NotDone, log)
	}
	if !strings.Contains(log, ", 1 still running in another process") {
		t.Fatalf("the closing line does not count the run still held:\n%s", log)
	}
	if sum, _ := results.ReadSummary(s.RunDir(out, held)); sum.Status != results.StatusRunning {
		t.Fatalf("the held run's summary was touched: %+v", sum)
	}
}

func TestCorruptLockFileIsStale(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, results.LockFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	release, holder, err := acquireLock(dir)
	if err != nil || holder != nil {
		t.Fatalf("acquireLock over a corrupt lock: holder %v err %v", holder, err)
	}
	info, err := readLock(filepath.Join(dir, results.LockFile))
	if err != nil || info.PID != os.Getpid() {
		t.Fatalf("lock now holds %+v, %v", info, err)
	}
	// A second acquisition in the same process sees a live holder.
	if _, holder, _ := acquireLock(dir); holder == nil || holder.PID != os.Getpid() {
		t.Fatalf("a held lock was taken twice")
	}
	release()
	if _, err := os.Stat(filepath.Join(dir, results.LockFile)); !os.IsNotExist(err) {
		t.Fatalf("release left the lock: %v", err)
	}
}

// TestALockLeftByAFormerProcessOfThisPIDIsStale: a container restarted
// after a crash runs sweep under the same hostname and PID (1) as the
// process that died, whose lock then names this process; once its
// heartbeat has stopped it is taken, not waited for. While it is touched,
// as a live namesake in another container touches it, it is left alone.
func TestALockLeftByAFormerProcessOfThisPIDIsStale(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, results.LockFile)
	if err := os.WriteFile(lock, fmt.Appendf(nil, "%d %s\n", os.Getpid(), hostname()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, holder, err := acquireLock(dir); err != nil || holder == nil || holder.PID != os.Getpid() {
		t.Fatalf("acquireLock over a fresh lock of this PID: holder %v, err %v; want it left to its holder", holder, err)
	}
	stopped := time.Now().Add(-formerSelfAfter - time.Second)
	if err := os.Chtimes(lock, stopped, stopped); err != nil {
		t.Fatal(err)
	}
	release, holder, err := acquireLock(dir)
	if err != nil || holder != nil {
		t.Fatalf("acquireLock over a lock of a former process with this PID: holder %v, err %v; want the lock", holder, err)
	}
	// Held now, by this process: a second acquisition sees it held.
	if _, holder, _ := acquireLock(dir); holder == nil {
		t.Fatalf("a held lock was taken twice")
	}
	release()
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Fatalf("release left the lock: %v", err)
	}
}

// cancelOnceStarted returns a context that is cancelled once a blocking run
// of the fake task has written the file "started" in its directory dir.
func cancelOnceStarted(t *testing.T, dir string) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return ctx
}

// TestInterruptSaysTheStepReached checks that a run interrupted after a
// checkpoint later than its last metrics record is said to have reached the
// checkpoint's step, not the record's, in the message and in summary.json.
func TestInterruptSaysTheStepReached(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, behaviorFile("blockahead"))
	run := s.Runs[0]
	ctx := cancelOnceStarted(t, s.RunDir(out, run))
	var buf bytes.Buffer
	if _, err := (&Runner{Out: out, Stdout: &buf}).Run(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"interrupted at step 4; it will resume from the checkpoint at step 4",
		"0 ran, 0 already done, 0 failed, 1 interrupted; 1 run of this shard not started before the interrupt\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	sum, err := results.ReadSummary(s.RunDir(out, run))
	if err != nil || sum.Step != 4 {
		t.Errorf("summary %+v, %v; want step 4", sum, err)
	}
}

func TestInterruptRecordsTheRunAndStops(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, behaviorFile("", "block"))
	blocked := s.Runs[2] // behavior = block, seed 0
	ctx := cancelOnceStarted(t, s.RunDir(out, blocked))
	var buf bytes.Buffer
	oc, err := (&Runner{Out: out, Stdout: &buf, Report: drawReports}).Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !oc.Interrupted || len(oc.Ran) != 2 || len(oc.Failed) != 0 || len(oc.Stopped) != 1 || oc.Stopped[0].ID != blocked.ID {
		t.Fatalf("outcome %+v\n%s", oc, buf.String())
	}
	if !strings.Contains(buf.String(), "2 ran, 0 already done, 0 failed, 1 interrupted") {
		t.Fatalf("the closing line does not count the interrupted run apart:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "To continue, rerun the same command") {
		t.Fatalf("no advice on continuing:\n%s", buf.String())
	}
	sum, err := results.ReadSummary(s.RunDir(out, blocked))
	if err != nil || sum.Status != results.StatusInterrupted {
		t.Fatalf("interrupted run summary %+v, %v", sum, err)
	}
	states := s.States(out)
	if states[3].Status != results.StatusPending {
		t.Fatalf("the run after the interrupted one is %s, want pending", states[3].Status)
	}
	statuses := resultsColumn(t, filepath.Join(out, "e2e"), "status")
	if strings.Join(statuses, ",") != "done,done,interrupted,pending" {
		t.Fatalf("results.csv statuses %v", statuses)
	}
	if _, err := os.Stat(filepath.Join(out, "e2e", ReportsDir)); !os.IsNotExist(err) {
		t.Fatalf("reports were made for an interrupted sweep")
	}
}

func TestProgressLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	r := &Runner{Stdout: &buf}
	p := &progress{r: r, k: 2, n: 5, id: "abc", start: time.Now()}
	for step := 1; step <= 100; step++ {
		p.Update(step, 100)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("100 steps gave %d progress lines, want one per tenth:\n%s", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[0], "[2/5] abc: step 10/100 (10%), ") || !strings.HasPrefix(lines[9], "[2/5] abc: step 100/100 (100%), ") || !strings.Contains(lines[0], "steps/s, ETA ") {
		t.Fatalf("progress lines:\n%s", buf.String())
	}
}

func TestLocksFromOtherHostsAgeByTheirHeartbeat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, results.LockFile)
	if err := os.WriteFile(path, []byte("4242 some-other-node\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, held := lockState(dir); !held || info.Host != "some-other-node" {
		t.Fatalf("a fresh lock from another host reads as %+v held=%v", info, held)
	}
	if _, holder, _ := acquireLock(dir); holder == nil {
		t.Fatalf("a fresh lock from another host was broken")
	}
	old := time.Now().Add(-LockStaleAfter - time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if _, held := lockState(dir); held {
		t.Fatalf("a lock from another host without a heartbeat for %s is still held", LockStaleAfter)
	}
	release, holder, err := acquireLock(dir)
	if err != nil || holder != nil {
		t.Fatalf("the stale lock was not broken: holder %v err %v", holder, err)
	}
	release()
}

// lostCancelContext is a cancelled context whose Done channel never
// closes: every select between it and an idle worker picks the worker, the
// worst case of a cancellation racing the feed.
type lostCancelContext struct{ context.Context }

func (lostCancelContext) Done() <-chan struct{} { return nil }
func (lostCancelContext) Err() error            { return context.Canceled }

// TestNoRunStartsOnceCancelled: a run handed to a worker after the context
// was cancelled is left pending, not started and recorded as interrupted.
func TestNoRunStartsOnceCancelled(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	var buf bytes.Buffer
	ctx := lostCancelContext{context.Background()}
	oc, err := (&Runner{Out: out, Stdout: &buf, Parallel: 2, Report: drawReports}).Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !oc.Interrupted || len(oc.Ran) != 0 || len(oc.Stopped) != 0 || len(oc.NotDone) != len(s.Runs) {
		t.Fatalf("outcome %+v\n%s", oc, buf.String())
	}
	for _, run := range s.Runs {
		if _, err := os.Stat(s.RunDir(out, run)); !os.IsNotExist(err) {
			t.Errorf("run %s was started: %v", run.ID, err)
		}
	}
	statuses := resultsColumn(t, filepath.Join(out, "e2e"), "status")
	if strings.Join(statuses, ",") != "pending,pending,pending,pending" {
		t.Fatalf("results.csv statuses %v", statuses)
	}
}

// TestAnInterruptWhileReportingIsAcknowledged: Ctrl-C while the reports
// are made lets them finish, and says so, rather than seem ignored.
func TestAnInterruptWhileReportingIsAcknowledged(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, runFile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWatchWriter(reportsInterrupted)
	report := func(s *Sweep, out string) ([]string, []State, error) {
		cancel()
		select {
		case <-w.seen:
		case <-time.After(10 * time.Second):
			t.Error("the interrupt was not acknowledged within 10 s")
		}
		return drawReports(s, out)
	}
	oc, err := (&Runner{Out: out, Stdout: w, Report: report}).Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 4 || len(oc.Reports) == 0 || oc.ReportErr != nil {
		t.Fatalf("outcome %+v\n%s", oc, w)
	}
	if n := strings.Count(w.String(), reportsInterrupted); n != 1 {
		t.Fatalf("the acknowledgement was written %d times:\n%s", n, w)
	}
}

// TestAFolderItCannotWriteSaysWhatARerunNeeds: a run that failed for want
// of permission on its folder says to fix that first, since a rerun alone
// fails the same way, once; other setup errors are given as they are.
func TestAFolderItCannotWriteSaysWhatARerunNeeds(t *testing.T) {
	denied := setupFailed(&os.PathError{Op: "mkdir", Path: "runs/x/r1", Err: fs.ErrPermission})
	if want := "mkdir runs/x/r1: permission denied (make the run's folder writable by this user, then rerun)"; denied.reason != want {
		t.Errorf("reason %q, want %q", denied.reason, want)
	}
	if other := setupFailed(errors.New("boom")); other.reason != "boom" {
		t.Errorf("reason %q, want boom", other.reason)
	}
	// A file results could not write says what to do itself, once.
	written := &results.WriteError{Path: "runs/x/r1/config.toml", Err: fs.ErrPermission, Fix: results.WriteFix("runs/x/r1", fs.ErrPermission)}
	config := fmt.Errorf("starting the run: %w", written)
	if got, want := setupFailed(config).reason, "starting the run: writing runs/x/r1/config.toml: permission denied (make runs/x/r1 writable by this user, then rerun)"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	// Advice of its own is not taken for results' advice.
	mentions := fmt.Errorf("a folder writable by this user: %w", fs.ErrPermission)
	if got, want := setupFailed(mentions).reason, mentions.Error()+" (make the run's folder writable by this user, then rerun)"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
}

// TestRunsWhoseIDsAreWrittenAnewAreKept: a sweep run when ids dropped a
// value's minus sign (momentum-1 for -1), run again now that they write it
// (momentum-m1), keeps its done runs: their folders are renamed to the new
// ids, with their summaries, and nothing runs again.
func TestRunsWhoseIDsAreWrittenAnewAreKept(t *testing.T) {
	out := t.TempDir()
	src := strings.Replace(runFile, "[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]", "[parameters.\"optim.momentum\"]\nvalues = [-0.5, 0.9]", 1)
	s := parseFile(t, src)
	runSweep(t, s, out)
	// Rewrite the sweep directory as the earlier code left it.
	dir := s.Dir(out)
	if moved := unsignRunIDs(t, s, out); moved != 2 {
		t.Fatalf("%d runs with a negative momentum; want 2", moved)
	}

	// A file changed besides is refused, and moves no folder.
	changed := strings.Replace(src, "values = [-0.5, 0.9]", "values = [-0.5, 0.9, 0.95]", 1)
	var buf bytes.Buffer
	var ce *ChangedError
	if _, err := (&Runner{Out: out, Stdout: &buf}).Run(context.Background(), parseFile(t, changed)); !errors.As(err, &ce) {
		t.Fatalf("a changed file: %v; want it refused", err)
	}
	if _, err := os.Stat(filepath.Join(dir, strings.Replace(s.Runs[0].ID, "momentum-m0.5", "momentum-0.5", 1))); err != nil {
		t.Fatalf("a refused file moved a run's folder: %v", err)
	}

	oc, log := runSweep(t, parseFile(t, src), out)
	if len(oc.Ran) != 0 || len(oc.Skipped) != 4 || strings.Count(log, "(the same config, its id written anew): its folder is renamed") != 2 {
		t.Fatalf("rerun: ran %v skipped %v\n%s", oc.Ran, oc.Skipped, log)
	}
	for _, r := range s.Runs {
		sum, err := results.ReadSummary(s.RunDir(out, r))
		if err != nil || sum.RunID != r.ID || sum.Status != results.StatusDone {
			t.Errorf("%s after the rename: %+v, %v", r.ID, sum, err)
		}
	}
	rec, _, err := ReadRecord(dir)
	if err != nil || rec.Runs[0].ID != s.Runs[0].ID {
		t.Errorf("sweep.json keeps the old ids: %+v, %v", rec, err)
	}
}
