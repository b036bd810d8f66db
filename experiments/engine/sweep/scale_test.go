package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// noopConfig is the config of the "noop" task: a run that logs one record
// and ends, so that a sweep of them times the engine alone.
type noopConfig struct {
	Scale float64 `toml:"scale"`
}

func (c *noopConfig) Validate() error { return nil }

type noopTask struct{}

func (noopTask) NewConfig() tasks.Config { return &noopConfig{Scale: 1} }

// Run logs x = scale * seed at step 1 and returns it.
func (noopTask) Run(_ context.Context, c tasks.Config, run *tasks.Run) (results.Values, error) {
	v := results.Values{"x": c.(*noopConfig).Scale * float64(run.Seed)}
	if err := run.Metrics.Log(1, v); err != nil {
		return nil, err
	}
	return v, nil
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "noop", Summary: "a run that does nothing, for timing the engine", Task: noopTask{}})
}

// noopSweep is a sweep of n noop runs: two scales and n/2 seeds.
func noopSweep(tb testing.TB, n int) *Sweep {
	tb.Helper()
	seeds := make([]string, n/2)
	for i := range seeds {
		seeds[i] = fmt.Sprint(i)
	}
	src := fmt.Sprintf("name = \"noop\"\ntask = \"noop\"\nseeds = [%s]\n[parameters.scale]\nvalues = [1.0, 2.0]\n", strings.Join(seeds, ", "))
	s, err := Parse("noop.toml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkNoopSweep times sweeps of noop runs, two at a time, and reports
// the engine's time per run: ms/run, the wall-clock time of Runner.Run
// (there being no reports) over the number of runs, and cpu-ms/run, the
// CPU time (user and system) this process spent in it, which a machine
// shared with other work inflates less; and the time to parse the sweep
// file, parse-ms, once. Run it with
//
//	go test ./experiments/engine/sweep -run '^$' -bench NoopSweep -benchtime 1x
func BenchmarkNoopSweep(b *testing.B) {
	for _, n := range []int{1000, 2000, 20000} {
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			t0 := time.Now()
			s := noopSweep(b, n)
			parse := time.Since(t0)
			var wall, cpu time.Duration
			for b.Loop() {
				out := b.TempDir()
				t0, c0 := time.Now(), cpuTime()
				oc, err := (&Runner{Out: out, Parallel: 2}).Run(context.Background(), s)
				wall, cpu = time.Since(t0), cpuTime()-c0
				if err != nil || len(oc.Ran) != n {
					b.Fatalf("ran %d of %d: %v", len(oc.Ran), n, err)
				}
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(wall)/float64(n), "ms/run")
			b.ReportMetric(ms(cpu)/float64(n), "cpu-ms/run")
			b.ReportMetric(ms(parse), "parse-ms")
		})
	}
}

// TestBookkeepingDoesNotGrowWithTheRuns: a call of Run reads every run's
// files (Sweep.States) a number of times that does not depend on the number
// of runs; results.csv is not rebuilt from every summary after each run.
func TestBookkeepingDoesNotGrowWithTheRuns(t *testing.T) {
	scans := func(n int) int64 {
		before := stateScans.Load()
		if oc, err := (&Runner{Out: t.TempDir(), Report: drawReports}).Run(context.Background(), noopSweep(t, n)); err != nil || len(oc.Ran) != n {
			t.Fatalf("%d runs: %+v %v", n, oc, err)
		}
		return stateScans.Load() - before
	}
	if few, many := scans(4), scans(40); few != many {
		t.Fatalf("4 runs read every run's files %d times, 40 runs %d times", few, many)
	}
}

// TestResultsTableWritesTheFullRewrite: the results.csv a process writes
// from the rows it keeps as its runs end is the one that rewriting it from
// every summary.json gives, for done, failed, interrupted and diverged runs
// and for non-finite metrics.
func TestResultsTableWritesTheFullRewrite(t *testing.T) {
	out := t.TempDir()
	s := parseFile(t, behaviorFile("", "inf", "diverge", "fail", "block"))
	if err := os.MkdirAll(s.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Runner{Out: out}
	r.startOutput()
	var indices, blocking []int
	for i, run := range s.Runs {
		if strings.Contains(run.ID, "block") {
			blocking = append(blocking, i)
		} else {
			indices = append(indices, i)
		}
	}
	b := r.newBatch(ctx, s, out, s.States(out), &Outcome{}, 2)
	if err := b.run(indices); err != nil {
		t.Fatal(err)
	}
	go func() { // interrupt the blocking runs once both have started
		for _, i := range blocking {
			for {
				if _, err := os.Stat(filepath.Join(s.RunDir(out, s.Runs[i]), "started")); err == nil {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		cancel()
	}()
	if err := b.run(blocking); err != nil {
		t.Fatal(err)
	}
	b.table.written = time.Time{}
	if err := b.table.writeIfDue(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(out), results.ResultsFile)
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteResults(out); err != nil {
		t.Fatal(err)
	}
	rewritten, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{",done,", ",failed,", ",interrupted,", "NaN"} {
		if !strings.Contains(string(rewritten), want) {
			t.Fatalf("results.csv lacks %q; the test does not cover it:\n%s", want, rewritten)
		}
	}
	if string(kept) != string(rewritten) {
		t.Fatalf("results.csv from the rows kept:\n%s\nrewritten from the summaries:\n%s", kept, rewritten)
	}
}
