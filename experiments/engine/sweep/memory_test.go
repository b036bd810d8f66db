package sweep

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// sizedConfig is the config of the "sized" task: a run of it needs
// megabytes megabytes, by its estimate.
type sizedConfig struct {
	Megabytes int `toml:"megabytes"`
}

func (c *sizedConfig) Validate() error { return nil }

func (c *sizedConfig) EstimateMemory() tasks.Memory {
	return tasks.Memory{
		{What: "the process", Bytes: 1e6},
		{What: "its buffers", Setting: fmt.Sprintf("megabytes = %d", c.Megabytes), Bytes: 1e6 * float64(c.Megabytes)},
	}
}

type sizedTask struct{}

func (sizedTask) NewConfig() tasks.Config { return &sizedConfig{Megabytes: 1} }

func (sizedTask) Run(context.Context, tasks.Config, *tasks.Run) (results.Values, error) {
	return results.Values{}, nil
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "sized", Summary: "a task with a memory estimate", Task: sizedTask{}})
}

// withMachineMemory makes the machine's memory b bytes for the test.
func withMachineMemory(t *testing.T, b float64) {
	old := machineMemory
	machineMemory = func() float64 { return b }
	t.Cleanup(func() { machineMemory = old })
}

// TestRunsOverTheMemoryLimitAreRefused checks the memory limit: the
// machine's memory by default, max_memory_gb when the file sets it, none
// with max_memory_gb = 0; a run over it is refused at the setting its
// estimate blames, with the estimate and the limit.
func TestRunsOverTheMemoryLimitAreRefused(t *testing.T) {
	withMachineMemory(t, 8e9)
	head := "name = \"m\"\ntask = \"sized\"\n"
	fe := parseErr(t, head+"[base]\nmegabytes = 9000\n")
	want := "base.megabytes = 9000: the run needs about 9 GB of memory, 9 GB of it for its buffers, more than the limit of 8 GB (this machine's memory; set max_memory_gb to plan for another machine)"
	if fe.Line != 4 || fe.Msg != want {
		t.Errorf("over the machine's memory: %v\nwant line 4: %s", fe, want)
	}
	fe = parseErr(t, head+"max_memory_gb = 2.5\n[parameters.megabytes]\nvalues = [100, 2600]\n")
	want = "megabytes = 2600: the run needs about 2.6 GB of memory, 2.6 GB of it for its buffers, more than the limit of 2.5 GB (max_memory_gb = 2.5)"
	if fe.Line != 5 || fe.Key != "parameters.megabytes" || fe.Msg != want {
		t.Errorf("over max_memory_gb: %v\nwant line 5, parameters.megabytes: %s", fe, want)
	}
	// A limit below what a run needs whatever its settings (the process's
	// 1 MB here) is the limit's fault, not the setting's.
	fe = parseErr(t, head+"max_memory_gb = 0.0005\n")
	want = `a run of task "sized" needs about 1 MB of memory whatever its settings, more than the limit of 500 kB (max_memory_gb = 0.0005): no setting of the sweep can make it fit; give a larger max_memory_gb`
	if fe.Line != 3 || fe.Key != "max_memory_gb" || fe.Msg != want {
		t.Errorf("a limit no run fits: %v\nwant line 3, max_memory_gb: %s", fe, want)
	}
	withMachineMemory(t, 5e5) // a machine smaller than any run
	fe = parseErr(t, head)
	want = `a run of task "sized" needs about 1 MB of memory whatever its settings, more than the limit of 500 kB (this machine's memory; set max_memory_gb to plan for another machine): no setting of the sweep can make it fit; run it on a larger machine, or plan it for one with max_memory_gb`
	if fe.Line != 0 || fe.Key != "" || fe.Msg != want {
		t.Errorf("a machine no run fits: %v\nwant no line or key: %s", fe, want)
	}
	withMachineMemory(t, 8e9)
	parseFile(t, head+"max_memory_gb = 16\n[base]\nmegabytes = 9000\n")
	parseFile(t, head+"max_memory_gb = 0\n[base]\nmegabytes = 900000000\n")
	for _, bad := range []string{"-1", "\"lots\"", "nan"} {
		fe = parseErr(t, head+"max_memory_gb = "+bad+"\n")
		if fe.Line != 3 || fe.Key != "max_memory_gb" || !strings.Contains(fe.Msg, "want the memory of the machine the runs will run on, in GB") {
			t.Errorf("max_memory_gb = %s: %v", bad, fe)
		}
	}
	withMachineMemory(t, 0) // unknown: no limit
	parseFile(t, head+"[base]\nmegabytes = 900000000\n")
}

func TestMemTotalReadsProcMeminfo(t *testing.T) {
	meminfo := "MemTotal:       24683652 kB\nMemFree:        20944684 kB\n"
	if got := memTotal(bufio.NewScanner(strings.NewReader(meminfo))); got != 24683652*1024 {
		t.Errorf("memTotal = %g", got)
	}
	if got := memTotal(bufio.NewScanner(strings.NewReader("MemFree: 1 kB\n"))); got != 0 {
		t.Errorf("memTotal without MemTotal = %g", got)
	}
}

// TestCheckParallelSumsTheLargestEstimates checks that --parallel P is
// refused when the P largest estimates of the runs given add up to more
// than the limit, with the largest P that fits, and accepted otherwise.
func TestCheckParallelSumsTheLargestEstimates(t *testing.T) {
	withMachineMemory(t, 8e9)
	// Runs of 1,000, 2,000 and 3,000 MB (plus 1 MB each for the process),
	// under a limit of 5.5 GB.
	s := parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 5.5\n[parameters.megabytes]\nvalues = [1000, 2000, 3000]\n")
	all := s.ShardRuns(Shard{})
	for _, p := range []int{1, 2} {
		if err := s.CheckParallel(all, p); err != nil {
			t.Errorf("--parallel %d: %v; want nil (3,000 + 2,000 MB fit in 5.5 GB)", p, err)
		}
	}
	want := "--parallel 3: 3 runs at once would need about 6 GB of memory by their estimates, more than the limit of 5.5 GB (max_memory_gb = 5.5); use --parallel 2 or less"
	for _, p := range []int{3, 100000} {
		err := s.CheckParallel(all, p)
		if p == 100000 {
			want = strings.Replace(want, "--parallel 3:", "--parallel 100000:", 1)
		}
		if err == nil || err.Error() != want {
			t.Errorf("--parallel %d: %v\nwant %s", p, err, want)
		}
	}
	// Shard 0/2 holds the runs of 1,000 and 3,000 MB: both fit at once; so
	// do the two runs left once the largest is done.
	if err := s.CheckParallel(s.ShardRuns(Shard{Index: 0, Count: 2}), 3); err != nil {
		t.Errorf("shard 0/2, --parallel 3: %v; want nil", err)
	}
	if err := s.CheckParallel([]int{0, 1}, 3); err != nil {
		t.Errorf("runs 0 and 1 left, --parallel 3: %v; want nil", err)
	}
	s = parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 0\n[parameters.megabytes]\nvalues = [1000, 2000, 3000]\n")
	if err := s.CheckParallel(all, 3); err != nil {
		t.Errorf("max_memory_gb = 0, --parallel 3: %v; want nil (no limit)", err)
	}
}

// TestUnfinishedLeavesOutDoneRuns checks the runs `sweep run` checks the
// memory of: those of its shard whose summary does not say done.
func TestUnfinishedLeavesOutDoneRuns(t *testing.T) {
	s := parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 0\n[parameters.megabytes]\nvalues = [1000, 2000, 3000, 4000]\n")
	out := t.TempDir()
	for i, status := range map[int]results.Status{1: results.StatusDone, 2: results.StatusFailed} {
		dir := s.RunDir(out, s.Runs[i])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := results.WriteSummary(dir, &results.Summary{RunID: s.Runs[i].ID, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Unfinished(out, Shard{}, false); !slices.Equal(got, []int{0, 2, 3}) {
		t.Errorf("Unfinished = %v, want [0 2 3] (run 1 is done)", got)
	}
	if got := s.Unfinished(out, Shard{Index: 1, Count: 2}, false); !slices.Equal(got, []int{3}) {
		t.Errorf("Unfinished of shard 1/2 = %v, want [3]", got)
	}
}

// TestClusterPlanRefusesAParallelOverTheMemoryLimit checks that a job
// file whose tasks' `sweep run --parallel P` would be refused is not made.
func TestClusterPlanRefusesAParallelOverTheMemoryLimit(t *testing.T) {
	s := parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 5\n[parameters.megabytes]\nvalues = [1000, 3000, 2000, 2500]\n")
	if err := s.CheckClusterPlan(ClusterPlan{Shards: 2, Parallel: 2}); err == nil || !strings.Contains(err.Error(), "--parallel 2: 2 runs at once would need about 5.5 GB") {
		t.Errorf("shards of (1,000, 2,000) and (3,000, 2,500) MB at --parallel 2: %v; want the second refused", err)
	}
	if err := s.CheckClusterPlan(ClusterPlan{Shards: 4, Parallel: 2}); err != nil {
		t.Errorf("one run a shard: %v; want nil", err)
	}
}

// TestClusterJobsAskForTheRunsMemory checks the memory a Slurm array task
// and a Kubernetes pod ask for: over the shards, the largest sum of the
// estimates of the runs a shard may run at once, plus the headroom, in MiB
// rounded up; none for a task without estimates.
func TestClusterJobsAskForTheRunsMemory(t *testing.T) {
	withMachineMemory(t, 8e9)
	s := parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 0\n[parameters.megabytes]\nvalues = [1000, 2000, 3000]\n")
	// One shard of 3 runs, 2 at a time: (3,001 + 2,001) MB + 512 MiB.
	script := s.SlurmScript(ClusterPlan{Shards: 1, Parallel: 2})
	if !strings.Contains(script, "#SBATCH --mem=5283M\n") {
		t.Errorf("one shard, --parallel 2: the script lacks #SBATCH --mem=5283M:\n%s", script)
	}
	checkSbatchHeader(t, script, 8)
	// Three shards of one run each: only the largest run, 3,001 MB, at once.
	if k8s := s.K8sJob(ClusterPlan{Shards: 3, Parallel: 2}); !strings.Contains(k8s, "            memory: \"3374Mi\"\n") {
		t.Errorf("three shards: the manifest lacks memory: \"3374Mi\":\n%s", k8s)
	}
	// Two shards, runs of (1,001, 3,001) and (2,001) MB, 2 at a time: the
	// first shard's two, (1,001 + 3,001) MB + 512 MiB, not the sweep's two
	// largest, (3,001 + 2,001) MB + 512 MiB.
	if script := s.SlurmScript(ClusterPlan{Shards: 2, Parallel: 2}); !strings.Contains(script, "#SBATCH --mem=4329M\n") {
		t.Errorf("two shards: the script lacks #SBATCH --mem=4329M:\n%s", script)
	}
	if script := noopSweep(t, 4).SlurmScript(ClusterPlan{Shards: 1, Parallel: 2}); strings.Contains(script, "--mem") {
		t.Errorf("a task without estimates asks for memory:\n%s", script)
	}
}
