package sweep

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

// TestShardFromRefusesACountWithoutAShard checks the two ways a job could
// run runs it was not given: --shards N (N > 1) with no index from the flag
// or a job array, which would run the whole sweep in each of N processes,
// and a --shard i/N that --shards contradicts, even --shards 1.
func TestShardFromRefusesACountWithoutAShard(t *testing.T) {
	none := func(string) string { return "" }
	for _, n := range []int{2, 3} {
		if sh, _, err := ShardFrom("", n, none); err == nil {
			t.Errorf("--shards %d alone gave shard %v, want an error", n, sh)
		}
	}
	if sh, _, err := ShardFrom("", 1, none); err != nil || !sh.All() {
		t.Errorf("--shards 1 alone: %v %v, want the whole sweep", sh, err)
	}
	for _, n := range []int{1, 3} {
		if sh, _, err := ShardFrom("0/2", n, none); err == nil || !strings.Contains(err.Error(), "disagree") {
			t.Errorf("--shard 0/2 --shards %d: %v %v, want a disagreement", n, sh, err)
		}
	}
}

// TestUnfinishedKeepsADivergedRunUnlessRetried checks that a run that
// failed by diverging is left out of the runs to run unless diverged runs
// are retried, while a run that failed otherwise, and a pending one, are
// always in, and a done one never.
func TestUnfinishedKeepsADivergedRunUnlessRetried(t *testing.T) {
	s := parseFile(t, "name = \"m\"\ntask = \"sized\"\nmax_memory_gb = 0\n[parameters.megabytes]\nvalues = [1000, 2000, 3000, 4000]\n")
	out := t.TempDir()
	stored := map[int]results.Summary{
		0: {Status: results.StatusFailed, Diverged: true},
		1: {Status: results.StatusFailed},
		2: {Status: results.StatusDone},
	}
	for i, sum := range stored {
		dir := s.RunDir(out, s.Runs[i])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		sum.RunID = s.Runs[i].ID
		if err := results.WriteSummary(dir, &sum); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Unfinished(out, Shard{}, false); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("Unfinished without retry = %v, want [1 3]", got)
	}
	if got := s.Unfinished(out, Shard{}, true); !slices.Equal(got, []int{0, 1, 3}) {
		t.Errorf("Unfinished with retry = %v, want [0 1 3]", got)
	}
}
