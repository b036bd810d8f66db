package sweep

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
)

// Shard is one of Count deterministic slices of a sweep's runs: the runs
// whose index modulo Count is Index (round-robin, so that every shard gets a
// mix of configurations). The zero Shard is the whole sweep.
type Shard struct {
	Index, Count int
}

// All reports whether the shard is the whole sweep.
func (sh Shard) All() bool { return sh.Count <= 1 }

// Contains reports whether the run with this index belongs to the shard.
func (sh Shard) Contains(index int) bool { return sh.All() || index%sh.Count == sh.Index }

func (sh Shard) String() string {
	if sh.All() {
		return "all"
	}
	return fmt.Sprintf("%d/%d", sh.Index, sh.Count)
}

// MaxShards bounds the shard count.
const MaxShards = 100000

func checkShard(sh Shard) error {
	switch {
	case sh.Count < 1 || sh.Count > MaxShards:
		return fmt.Errorf("the shard count %d must be between 1 and %d", sh.Count, MaxShards)
	case sh.Index < 0 || sh.Index >= sh.Count:
		return fmt.Errorf("the shard index %d must be between 0 and %d (the count less one)", sh.Index, sh.Count-1)
	}
	return nil
}

// ParseShard reads "i/N", the i-th (from 0) of N shards.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("--shard %q: want i/N, such as --shard 0/4 for the first of four shards", s)
	}
	sh := Shard{Index: i, Count: n}
	if err := checkShard(sh); err != nil {
		return Shard{}, fmt.Errorf("--shard %s: %v", s, err)
	}
	return sh, nil
}

// The environment variables a shard may come from.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"
	// EnvShards gives the shard count where the scheduler does not (a
	// Kubernetes Indexed Job); --shards takes precedence over it.
	EnvShards = "SWEEP_SHARDS"
)

// ShardFrom chooses the shard of this process. In order: the --shard flag
// (flag, "i/N"); a Slurm job array (SLURM_ARRAY_TASK_ID, less
// SLURM_ARRAY_TASK_MIN when set, out of --shards or SLURM_ARRAY_TASK_COUNT);
// a Kubernetes Indexed Job (JOB_COMPLETION_INDEX out of --shards or
// SWEEP_SHARDS); else the whole sweep. shards is the --shards flag (0 when
// unset); getenv reads the environment. source says where the shard came
// from, for the log.
func ShardFrom(flag string, shards int, getenv func(string) string) (sh Shard, source string, err error) {
	if flag != "" {
		sh, err := ParseShard(flag)
		if err != nil {
			return Shard{}, "", err
		}
		if shards > 0 && shards != sh.Count {
			return Shard{}, "", fmt.Errorf("--shard %s and --shards %d disagree on the shard count", flag, shards)
		}
		return sh, "--shard", nil
	}
	envInt := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, fmt.Errorf("%s=%q is not an integer", name, v)
		}
		return n, true, nil
	}
	count := func(env string) (int, error) {
		if shards > 0 {
			return shards, nil
		}
		n, ok, err := envInt(env)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, fmt.Errorf("the shard count is unknown: pass --shards N (or set %s)", env)
		}
		return n, nil
	}
	if id, ok, err := envInt(EnvSlurmTaskID); err != nil {
		return Shard{}, "", err
	} else if ok {
		lo, _, err := envInt(EnvSlurmTaskMin)
		if err != nil {
			return Shard{}, "", err
		}
		n, err := count(EnvSlurmTaskCount)
		if err != nil {
			return Shard{}, "", fmt.Errorf("%s is set: %v", EnvSlurmTaskID, err)
		}
		sh := Shard{Index: id - lo, Count: n}
		if err := checkShard(sh); err != nil {
			return Shard{}, "", fmt.Errorf("Slurm job array (%s=%d, %s=%d): %v", EnvSlurmTaskID, id, EnvSlurmTaskMin, lo, err)
		}
		return sh, "Slurm job array", nil
	}
	if id, ok, err := envInt(EnvK8sIndex); err != nil {
		return Shard{}, "", err
	} else if ok {
		n, err := count(EnvShards)
		if err != nil {
			return Shard{}, "", fmt.Errorf("%s is set: %v", EnvK8sIndex, err)
		}
		sh := Shard{Index: id, Count: n}
		if err := checkShard(sh); err != nil {
			return Shard{}, "", fmt.Errorf("Kubernetes Indexed Job (%s=%d): %v", EnvK8sIndex, id, err)
		}
		return sh, "Kubernetes Indexed Job", nil
	}
	if shards > 1 {
		return Shard{}, "", fmt.Errorf("--shards %d needs --shard i/%d or a job array's index (%s or %s)", shards, shards, EnvSlurmTaskID, EnvK8sIndex)
	}
	return Shard{}, "", nil
}

// ShardRuns returns the indices of the sweep's runs that shard sh holds.
func (s *Sweep) ShardRuns(sh Shard) []int {
	var runs []int
	for i := range s.Runs {
		if sh.Contains(i) {
			runs = append(runs, i)
		}
	}
	return runs
}

// Unfinished returns the indices of the runs of shard sh that are not done
// in the output directory out: those a `sweep run` of the shard would run,
// with retryDiverged as its Runner's RetryDiverged.
func (s *Sweep) Unfinished(out string, sh Shard, retryDiverged bool) []int {
	states := s.States(out)
	var runs []int
	for _, i := range s.ShardRuns(sh) {
		if states[i].Status != results.StatusDone && !states[i].Kept(retryDiverged) {
			runs = append(runs, i)
		}
	}
	return runs
}
