package main

import (
	"strings"
	"testing"
)

// TestReproduceCommand checks the command line that repeats a sitting:
// --only and --benchtime when given, quoted for the shell, and --against
// in place of --bench and --python.
func TestReproduceCommand(t *testing.T) {
	for _, c := range []struct {
		o    options
		want string
	}{
		{options{rounds: 3, bench: "../shared/bench", python: "/usr/bin/python3"},
			"go run ./cmd/speedratio --rounds 3 --bench ../shared/bench --python /usr/bin/python3"},
		{options{rounds: 9, only: "full64, enc", bench: "my bench", python: "/usr/bin/python3", benchtime: "20x"},
			"go run ./cmd/speedratio --rounds 9 --only 'full64, enc' --bench 'my bench' --python /usr/bin/python3 --benchtime 20x"},
		{options{rounds: 1, against: "HEAD~1", bench: "../shared/bench", python: "/usr/bin/python3"},
			"go run ./cmd/speedratio --rounds 1 --against 'HEAD~1'"},
	} {
		if got := reproduceCommand(&c.o); got != c.want {
			t.Errorf("reproduceCommand(%+v):\n got %s\nwant %s", c.o, got, c.want)
		}
	}
}

// TestMarkdownOneRound checks the header of a one-round sitting: "1
// round", not "1 rounds".
func TestMarkdownOneRound(t *testing.T) {
	r := fixedReport()
	r.rounds = 1
	if got, want := r.markdown(), "- 1 round, each running, for each setting, PyTorch then ours"; !strings.Contains(got, want) {
		t.Errorf("markdown lacks %q:\n%s", want, got)
	}
}

// TestMarkdownWorkAgainstACommit checks the work table of a sitting
// against a commit of ours: both sides' GFLOP are our BLAS's count, and
// the commit names the A side.
func TestMarkdownWorkAgainstACommit(t *testing.T) {
	r := fixedReport()
	r.against = "abc1234"
	r.rows[0].torchGFLOP = []float64{20, 20, 20}
	r.rows[0].oursGFLOP = []float64{20, 20, 20}
	want := "(both counted by our BLAS), and the rate per FLOP:\n\n" +
		"| setting | abc1234 GFLOP a step | ours GFLOP a step | ours / abc1234, per FLOP |\n"
	if got := r.workText(); !strings.Contains(got, want) {
		t.Errorf("work table:\n%s\nwant it to hold:\n%s", got, want)
	}
}

// TestWinnersOnlyThoseThatWon checks that a variant which won no round is
// not listed among the winners.
func TestWinnersOnlyThoseThatWon(t *testing.T) {
	r := fixedReport()
	r.rows[1].winners = []string{"threads=1", "threads=1", "threads=1"}
	want := "- Gaussian step, separable critic, hidden 256: threads=1 in 3 of 3 (by round: threads=1, threads=1, threads=1)\n"
	if got := r.winnersText(); !strings.HasSuffix(got, want) {
		t.Errorf("winners:\n%s\nwant the line:\n%s", got, want)
	}
}
