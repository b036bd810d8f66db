package main

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/sweeps"
)

// shippedRunIDs are digests of the run ids of every shipped sweep: the
// first 16 hex digits of the SHA-256 of its runs' ids, one a line, in run
// order. A run's id is a hash of its resolved config's TOML, so a new
// config key, or a default that changes, gives every run of a task a new
// id unless it leaves the TOML as it was; runs already done in an output
// folder would then run again. Update a digest only for a change that
// must give new ids, and say so in the commit.
var shippedRunIDs = map[string]string{
	"batchsize":                           "6354f01df3757af9", // 90 runs
	"batchsize-epochs":                    "92e4cc6eda4e6f56", // 60 runs
	"batchsize-epochs-20":                 "0657fff247b9c9e4", // 30 runs
	"batchsize-epochs-20-tuned":           "a0e75c26b32d1cce", // 30 runs
	"batchsize-epochs-5":                  "b95c471abfa85bfd", // 30 runs
	"batchsize-epochs-per-estimator":      "813d0751f7a02f87", // 30 runs
	"batchsize-epochs-replicate":          "ff1dc30d1f56a613", // 30 runs
	"batchsize-epochs-replicate-jsd-4e-3": "ca98e74f2ddbe70a", // 20 runs
	"batchsize-global":                    "d7f0d197ed7a4bd5", // 54 runs
	"batchsize-long":                      "a319c1a879a3f768", // 60 runs
	"batchsize-long-batch":                "290980b4225836d2", // 75 runs
	"batchsize-long-shared":               "23440d7b2a0cf2a9", // 60 runs
	"batchsize-per-estimator":             "82767e8318ab6d0e", // 90 runs
	"gaussian":                            "3a660b51736189c6", // 36 runs
	"gaussian-interpolated":               "f9d227b29e476586", // 5 runs
	"gaussian-quick":                      "730d41137ea55e61", // 3 runs
	"objectives":                          "8633e32e8123d1f9", // 36 runs
	"samples":                             "cfa695e0b41fc869", // 180 runs
	"consistency":                         "148a0eac73873a64", // 135 runs
	"consistency-dim":                     "61aeac3c8db7d3be", // 135 runs
	"consistency-long":                    "15b11f7ff182ec78", // 18 runs
	"consistency-js-dv":                   "249bff315b50f1a1", // 45 runs
	"consistency-conv":                    "e6aad3e9015fdca1", // 36 runs
	"suite":                               "1c54c95f8ae0d103", // 288 runs
	"table1":                              "0e45e4c7c28a117c", // 36 runs
	"table3":                              "b56ca41cce90a27f", // 15 runs
	"table4":                              "a1eb36091249e486", // 12 runs
	"tune-batchsize":                      "da366cbeb7495cdb", // 30 runs
	"tune-batchsize-epochs":               "4462711e7ce02eb3", // 30 runs
	"tune-batchsize-epochs-20":            "582bb9aa2e799da1", // 24 runs
	"tune-batchsize-epochs-20-jsd":        "d692c77ccb8e5c7d", // 18 runs
	"tune-batchsize-epochs-5":             "936763b77d6066f0", // 24 runs
	"tune-batchsize-long":                 "35a083604ca0e00e", // 24 runs
	"tune-batchsize-per-estimator":        "1b94e1e6f86e17e5", // 60 runs
	"tune-global-lr":                      "c876a163d4c1f92b", // 9 runs
	"tune-probes":                         "fa58cbdd2f741ac0", // 60 runs
	"tune-table1":                         "4f6f2991213971aa", // 9 runs
	"tune-table1-global":                  "e95dc59b71bbb3cf", // 24 runs
	"tune-table1-probes":                  "d7bf47897698221e", // 48 runs
	"tune-table3":                         "b88186c6ba0f3860", // 8 runs
}

// TestShippedRunIDsAreStable checks the run ids of every shipped sweep
// against shippedRunIDs.
func TestShippedRunIDsAreStable(t *testing.T) {
	for _, name := range sweeps.Names() {
		src, _ := sweeps.Source(name)
		s, err := sweep.ParseWith(name, src, sweeps.Resolve)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ids strings.Builder
		for _, r := range s.Runs {
			ids.WriteString(r.ID + "\n")
		}
		sum := sha256.Sum256([]byte(ids.String()))
		got := hex.EncodeToString(sum[:])[:16]
		want, known := shippedRunIDs[name]
		if !known {
			t.Errorf("sweeps/%s.toml is not a shipped sweep this test knows: every file in sweeps/ ships in the binary (sweep list, "+
				"sweep init, sweep run %s); keep your own sweep files outside sweeps/, or, to ship it, add %q: %q to shippedRunIDs", name, name, name, got)
			continue
		}
		if got != want {
			t.Errorf("sweep %s: run ids digest %s, want %s (%d runs; first %s): the shipped sweeps' runs changed their ids", name, got, want, len(s.Runs), s.Runs[0].ID)
		}
	}
}
