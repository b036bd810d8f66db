package sweep

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": {0, 1}, "2/4": {2, 4}, " 3 / 4 ": {3, 4}} {
		got, err := ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"4/4":  "the shard index 4 must be between 0 and 3",
		"-1/4": "the shard index -1",
		"1/0":  "the shard count 0",
		"1":    "want i/N",
		"a/b":  "want i/N",
	} {
		if _, err := ParseShard(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseShard(%q) error %v, want %q", in, err, msg)
		}
	}
}

func TestShardFromFlagsAndEnvironment(t *testing.T) {
	cases := []struct {
		name   string
		flag   string
		shards int
		env    map[string]string
		want   Shard
		source string
		err    string
	}{
		{name: "nothing", want: Shard{}},
		{name: "flag", flag: "1/3", want: Shard{1, 3}, source: "--shard"},
		{name: "flag wins over env", flag: "1/3", env: map[string]string{EnvSlurmTaskID: "0", EnvSlurmTaskCount: "3"}, want: Shard{1, 3}, source: "--shard"},
		{name: "flag disagrees", flag: "1/3", shards: 4, err: "disagree"},
		{name: "slurm", env: map[string]string{EnvSlurmTaskID: "2", EnvSlurmTaskCount: "4"}, want: Shard{2, 4}, source: "Slurm job array"},
		{name: "slurm from 1", env: map[string]string{EnvSlurmTaskID: "4", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "4"}, want: Shard{3, 4}, source: "Slurm job array"},
		{name: "slurm with --shards", shards: 8, env: map[string]string{EnvSlurmTaskID: "5"}, want: Shard{5, 8}, source: "Slurm job array"},
		{name: "slurm index too big", env: map[string]string{EnvSlurmTaskID: "4", EnvSlurmTaskCount: "4"}, err: "the shard index 4 must be between 0 and 3"},
		{name: "k8s", env: map[string]string{EnvK8sIndex: "1", EnvShards: "2"}, want: Shard{1, 2}, source: "Kubernetes Indexed Job"},
		{name: "k8s with --shards", shards: 5, env: map[string]string{EnvK8sIndex: "4"}, want: Shard{4, 5}, source: "Kubernetes Indexed Job"},
		{name: "k8s without count", env: map[string]string{EnvK8sIndex: "1"}, err: "pass --shards N (or set SWEEP_SHARDS)"},
		{name: "bad env", env: map[string]string{EnvK8sIndex: "one"}, err: `JOB_COMPLETION_INDEX="one" is not an integer`},
		{name: "shards alone", shards: 3, err: "--shards 3 needs --shard i/3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh, src, err := ShardFrom(c.flag, c.shards, func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || sh != c.want || src != c.source {
				t.Fatalf("ShardFrom = %v %q %v; want %v %q", sh, src, err, c.want, c.source)
			}
		})
	}
}

func TestShardsPartitionTheRuns(t *testing.T) {
	for n := 1; n <= 5; n++ {
		seen := make([]int, 13)
		for i := range n {
			for j := range seen {
				if (Shard{i, n}).Contains(j) {
					seen[j]++
				}
			}
		}
		for j, c := range seen {
			if c != 1 {
				t.Fatalf("%d shards: run %d is in %d shards", n, j, c)
			}
		}
	}
}

// TestConcurrentShardsGiveTheResultsOfOneProcess runs two shards at once
// on one directory and compares results.csv with a single runner's.
func TestConcurrentShardsGiveTheResultsOfOneProcess(t *testing.T) {
	src := strings.Replace(runFile, "seeds = [0, 1]", "seeds = [0, 1, 2]", 1)
	one := t.TempDir()
	runSweep(t, parseFile(t, src), one)
	want, _ := os.ReadFile(filepath.Join(one, "e2e", "results.csv"))

	out := t.TempDir()
	var wg sync.WaitGroup
	outs := make([]*Outcome, 2)
	logs := make([]bytes.Buffer, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			oc, err := (&Runner{Out: out, Stdout: &logs[i], Shard: Shard{i, 2}}).Run(context.Background(), parseFile(t, src))
			if err != nil {
				t.Error(err)
			}
			outs[i] = oc
		}()
	}
	wg.Wait()
	if len(outs[0].Ran)+len(outs[1].Ran) != 6 || len(outs[0].Ran) != 3 {
		t.Fatalf("shards ran %v and %v", outs[0].Ran, outs[1].Ran)
	}
	if !strings.Contains(logs[0].String(), "shard 0/2: 3 of 6 runs") {
		t.Fatalf("shard header:\n%s", logs[0].String())
	}
	got, _ := os.ReadFile(filepath.Join(out, "e2e", "results.csv"))
	if string(got) != string(want) {
		t.Fatalf("two shards wrote\n%s\none process wrote\n%s", got, want)
	}
}

func TestParallelRunsGiveTheSameNumbersAndPlainLines(t *testing.T) {
	s, _, want := straightThrough(t)

	out := t.TempDir()
	var buf bytes.Buffer
	oc, err := (&Runner{Out: out, Stdout: &buf, Parallel: 3, Terminal: true}).Run(context.Background(), parseFile(t, regressFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Ran) != 4 {
		t.Fatalf("ran %v\n%s", oc.Ran, buf.String())
	}
	if strings.Contains(buf.String(), "\r") || !strings.Contains(buf.String(), "3 at a time") {
		t.Fatalf("parallel output is not plain lines:\n%q", buf.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if !strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "sweep reg") && !strings.HasPrefix(line, "4 ran") {
			t.Fatalf("a line mixes runs: %q\n%s", line, buf.String())
		}
	}
	sameRunFiles(t, runFiles(t, s, out), want, "parallel", "serial")
}
