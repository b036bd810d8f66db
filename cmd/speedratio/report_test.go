package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want summary
	}{
		{[]float64{5}, summary{5, 5, 5}},
		{[]float64{442.5, 427.4, 435.0}, summary{435.0, 427.4, 442.5}},
		// Even count: the mean of the middle two, (2 + 3) / 2.
		{[]float64{4, 1, 3, 2}, summary{2.5, 1, 4}},
	} {
		if got := summarize(c.xs); got != c.want {
			t.Errorf("summarize(%v) = %+v, want %+v", c.xs, got, c.want)
		}
	}
	xs := []float64{3, 1, 2}
	summarize(xs)
	if xs[0] != 3 || xs[1] != 1 {
		t.Errorf("summarize sorted its argument: %v", xs)
	}
}

func TestRatio(t *testing.T) {
	// 169.5 / 435.0 = 0.38965...; 150 / 400 = 0.375.
	if got := ratio(summary{median: 169.5}, summary{median: 435}); math.Abs(got-0.389655) > 1e-6 {
		t.Errorf("ratio = %v, want 0.389655", got)
	}
	if got := ratio(summarize([]float64{140, 150, 160}), summarize([]float64{410, 390, 400})); got != 0.375 {
		t.Errorf("ratio = %v, want 0.375", got)
	}
}

func TestBestOf(t *testing.T) {
	labels := []string{"threads=1", "threads=2"}
	if r, l := bestOf([]float64{310.5, 402.25}, labels); r != 402.25 || l != "threads=2" {
		t.Errorf("got %v %s, want 402.25 threads=2", r, l)
	}
	if r, l := bestOf([]float64{500, 402.25}, labels); r != 500 || l != "threads=1" {
		t.Errorf("got %v %s, want 500 threads=1", r, l)
	}
	if r, l := bestOf([]float64{300, 300}, labels); r != 300 || l != "threads=1" {
		t.Errorf("tie: got %v %s, want 300 threads=1 (the first)", r, l)
	}
}

// fixedReport is a report with hand-picked numbers.
func fixedReport() *report {
	picked, _ := selectSettings("full64,gauss-sep")
	rows := []row{
		{setting: picked[0], torch: []float64{442.5, 427.4, 435.0}, winners: []string{"", "", ""},
			ours: []float64{159.9, 197.6, 169.5}, bytes: []float64{64.1e6, 64.2e6, 64.1e6}, allocs: []float64{12345, 12345, 12346}},
		{setting: picked[1], torch: []float64{800, 900, 850}, winners: []string{"threads=1", "threads=2", "threads=1"},
			ours: []float64{400, 425, 450}, bytes: []float64{788938, 788938, 788938}, allocs: []float64{1607, 1607, 1607}},
	}
	return &report{
		date: time.Date(2026, 12, 1, 14, 3, 0, 0, time.UTC), cpu: "AMD EPYC, cpu family 25, 2 logical CPUs",
		blas: "go-avx2", torch: tunedEnv(func(string) bool { return true }), rounds: 3, benchtime: "20x",
		command: "go run ./cmd/speedratio --rounds 3 --only full64,gauss-sep --bench ../shared/bench --python /usr/bin/python3 --benchtime 20x",
		rows:    rows,
	}
}

const goldenMarkdown = "## Speed against the PyTorch reference\n" +
	"\n" +
	"- date: 2026-12-01 14:03 UTC\n" +
	"- CPU: AMD EPYC, cpu family 25, 2 logical CPUs\n" +
	"- our BLAS: go-avx2\n" +
	"- PyTorch: tuned (OpenMP OpenBLAS and tcmalloc: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)\n" +
	"- 3 rounds, each running, for each setting, PyTorch then ours (A B A B); ours at -test.benchtime 20x, both on 2 threads (-test.cpu, --threads)\n" +
	"- reproduce: `go run ./cmd/speedratio --rounds 3 --only full64,gauss-sep --bench ../shared/bench --python /usr/bin/python3 --benchtime 20x`\n" +
	"\n" +
	"| setting | PyTorch (median, min-max over rounds) | ours (median, min-max) | ratio of medians (ours / torch) | ours MB/op, allocs/op |\n" +
	"| --- | --- | --- | --- | --- |\n" +
	"| full step, batch 64 | 435.0 (427.4-442.5) images/s | 169.5 (159.9-197.6) images/s | 0.39× | 64.10 MB, 12345 allocs |\n" +
	"| Gaussian step, separable critic, hidden 256 | 850.0 (800.0-900.0) steps/s | 425.0 (400.0-450.0) steps/s | 0.50× | 0.79 MB, 1607 allocs |\n" +
	"\n" +
	"Against the goals, round by round: in each round the reference and ours ran back to back, and the round's ratio is " +
	"ours over the reference's. The interval is for the median ratio: the k-th smallest to the k-th largest of the rounds' ratios, " +
	"which holds it with the coverage given for rounds drawn independently, whatever the ratios' distribution. A goal is met where " +
	"the whole interval is at or above it, missed where it is below, and not told apart by these rounds where the interval holds it:\n" +
	"\n" +
	"| setting | goal | ratio per round: median (interval, coverage) | rounds at or above the goal | verdict |\n" +
	"| --- | --- | --- | --- | --- |\n" +
	// Rounds' ratios 159.9/442.5 = 0.361, 197.6/427.4 = 0.462, 169.5/435.0 = 0.390;
	// 400/800 = 0.500, 425/900 = 0.472, 450/850 = 0.529. Three rounds: the
	// least to the greatest, 1 - 2/8 = 75%.
	"| full step, batch 64 | 1.00× | 0.39× (0.36-0.46, 75%) | 0 of 3 | missed, at 75% |\n" +
	"| Gaussian step, separable critic, hidden 256 | 2.00× | 0.50× (0.47-0.53, 75%) | 0 of 3 | missed, at 75% |\n" +
	"\n" +
	"The PyTorch figure of a Gaussian row is, in each round, the better of gaussian_torch.py at --threads 1 and --threads 2:\n" +
	"\n" +
	"- Gaussian step, separable critic, hidden 256: threads=1 in 2 of 3, threads=2 in 1 of 3 (by round: threads=1, threads=2, threads=1)\n"

func TestMarkdownGolden(t *testing.T) {
	if got := fixedReport().markdown(); got != goldenMarkdown {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, goldenMarkdown)
	}
}

func TestMarkdownWithoutGaussianRows(t *testing.T) {
	r := fixedReport()
	r.rows = r.rows[:1]
	r.rounds = 1
	r.rows[0].torch, r.rows[0].ours = []float64{400}, []float64{200}
	r.blas = ""
	got := r.markdown()
	if !strings.Contains(got, "- our BLAS: not logged by the benchmarks run\n") {
		t.Errorf("no BLAS line for an empty BLAS:\n%s", got)
	}
	want := "| full step, batch 64 | 400.0 (400.0-400.0) images/s | 200.0 (200.0-200.0) images/s | 0.50× | 64.10 MB, 12345 allocs |\n"
	if !strings.Contains(got, want) {
		t.Errorf("markdown:\n%s\nwant the line:\n%s", got, want)
	}
	// One round gives no interval for the goal, nor a verdict.
	want = "| full step, batch 64 | 1.00× | 0.50× (no interval from 1 round) | 0 of 1 | too few rounds |\n"
	if len(got) < len(want) || got[len(got)-len(want):] != want {
		t.Errorf("markdown ends:\n%s\nwant the last line:\n%s", got, want)
	}
}

// TestMarkdownWork checks the table of each step's work: the reference's
// and our GFLOP a step and the rate per FLOP, 0.39 x 26.4 / 20.9 = 0.49,
// for the rows where both sides counted it (not the Gaussian row, whose
// reference gives no count, nor a row whose benchmark reported none).
func TestMarkdownWork(t *testing.T) {
	r := fixedReport()
	r.rows[0].torchGFLOP = []float64{20.9, 20.9, 20.9}
	r.rows[0].oursGFLOP = []float64{26.4, 26.4, 26.4}
	r.rows[1].torchGFLOP = []float64{0, 0, 0}
	r.rows[1].oursGFLOP = []float64{1.2, 1.2, 1.2}
	got := r.markdown()
	want := "\nThe work of each step, GFLOP in matrix products and convolutions (the reference's own count, ours counted by our BLAS), and the rate per FLOP:\n\n" +
		"| setting | PyTorch GFLOP a step | ours GFLOP a step | ours / torch, per FLOP |\n" +
		"| --- | --- | --- | --- |\n" +
		"| full step, batch 64 | 20.90 | 26.40 | 0.49× |\n" +
		"\nThe PyTorch figure of a Gaussian row"
	if !strings.Contains(got, want) {
		t.Errorf("markdown:\n%s\nwant it to hold:\n%s", got, want)
	}
	r.rows[0].oursGFLOP = []float64{0, 0, 0}
	if got := r.markdown(); strings.Contains(got, "GFLOP a step") {
		t.Errorf("a work table without any row counted on both sides:\n%s", got)
	}
}

// TestMarkdownCeiling checks the ceiling table: at the median peak, 210
// GFLOP/s, the full step's 21 GFLOP take 100 ms, against the reference's
// 64 images in 64/435 s = 147.13 ms, so at most 1.47×; the separable
// Gaussian step's 0.06 GFLOP take 0.29 ms against 1/850 s, at most 4.12×.
func TestMarkdownCeiling(t *testing.T) {
	r := fixedReport()
	r.peaks = []float64{200, 220, 210}
	r.rows[0].oursGFLOP = []float64{21, 21, 21}
	r.rows[1].oursGFLOP = []float64{0.06, 0.06, 0.06}
	got := r.markdown()
	for _, want := range []string{
		"was 210.0 GFLOP/s (median; 200.0-220.0)",
		"| setting | ours GFLOP a step | our products at the peak | PyTorch's median step | highest ratio | goal |\n| --- | --- | --- | --- | --- | --- |\n",
		"| full step, batch 64 | 21.000 | 100.00 ms | 147.13 ms | 1.47× | 1.00× |\n",
		"| Gaussian step, separable critic, hidden 256 | 0.060 | 0.29 ms | 1.18 ms | 4.12× | 2.00× |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
	r.peaks = nil
	if got := r.markdown(); strings.Contains(got, "ceiling") {
		t.Errorf("a ceiling without a peak measured:\n%s", got)
	}
	r.peaks, r.against = []float64{210}, "abc1234"
	if got := r.markdown(); strings.Contains(got, "ceiling") {
		t.Errorf("a ceiling against a commit of ours:\n%s", got)
	}
}

func TestTunedEnv(t *testing.T) {
	none := tunedEnv(func(string) bool { return false })
	if none.tuned || len(none.env) != 0 || len(none.missing) != 2 {
		t.Errorf("nothing installed: %+v", none)
	}
	half := tunedEnv(func(p string) bool { return p == tcmalloc })
	if half.tuned || len(half.env) != 1 || half.env[0] != "LD_PRELOAD="+tcmalloc {
		t.Errorf("tcmalloc only: %+v", half)
	}
	want := "not tuned, missing " + openblasOpenMP + " (install with " + installHint + "); ran with LD_PRELOAD=" + tcmalloc
	if got := half.describe(); got != want {
		t.Errorf("describe:\n got %q\nwant %q", got, want)
	}
}
