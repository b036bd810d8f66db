package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// row is one setting's measurements, one value per round: the reference's
// rate (the best variant's) and which variant won, and ours with its bytes
// and allocations per op; torchGFLOP and oursGFLOP are the GFLOP of each
// side's matrix products per step, 0 where a side does not count them.
type row struct {
	setting
	torch      []float64
	winners    []string
	ours       []float64
	bytes      []float64
	allocs     []float64
	torchGFLOP []float64
	oursGFLOP  []float64
}

// report is a sitting's measurements and what they ran on.
type report struct {
	date      time.Time
	cpu       string
	blas      string
	torch     torchEnv
	rounds    int
	benchtime string
	command   string
	against   string // the commit ours ran against, instead of PyTorch
	rows      []row
	peaks     []float64 // the machine's peak GFLOP/s, one per round (none against a commit)
}

// refName names the A side: PyTorch, or the commit of --against;
// refShort, in the ratios' headings, torch or the commit.
func (r *report) refName() string {
	if r.against != "" {
		return r.against
	}
	return "PyTorch"
}

func (r *report) refShort() string {
	if r.against != "" {
		return r.against
	}
	return "torch"
}

// summary is the median and range of a sample.
type summary struct {
	median, min, max float64
}

// summarize returns the median (the mean of the middle two for an even
// count), minimum and maximum of xs, which must not be empty.
func summarize(xs []float64) summary {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{median: med, min: s[0], max: s[n-1]}
}

// ratio returns ours over the reference's median: how fast we are as a
// fraction of the reference.
func ratio(ours, torch summary) float64 {
	return ours.median / torch.median
}

// cell writes a summary with its unit for a table cell.
func (s summary) cell(unit string) string {
	return fmt.Sprintf("%.1f (%.1f-%.1f) %s", s.median, s.min, s.max, unit)
}

// markdown writes the report: a header saying when, on what and how it
// ran, the ratio table, the goals against the rounds' own ratios, the
// work and ceiling tables where measured, and which thread count won the
// Gaussian rows.
func (r *report) markdown() string {
	var b strings.Builder
	if r.against != "" {
		fmt.Fprintf(&b, "## Speed against commit %s\n\n", r.against)
	} else {
		b.WriteString("## Speed against the PyTorch reference\n\n")
	}
	fmt.Fprintf(&b, "- date: %s\n", r.date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- CPU: %s\n", orDefault(r.cpu, "unknown"))
	fmt.Fprintf(&b, "- our BLAS: %s\n", orDefault(r.blas, "not logged by the benchmarks run"))
	if r.against != "" {
		fmt.Fprintf(&b, "- against: our benchmarks built from commit %s, in a worktree of its own\n", r.against)
	} else {
		fmt.Fprintf(&b, "- PyTorch: %s\n", r.torch.describe())
	}
	fmt.Fprintf(&b, "- %d %s, each running, for each setting, %s then ours (A B A B); ours at -test.benchtime %s, both on %d threads (-test.cpu, --threads)\n",
		r.rounds, plural(r.rounds, "round", "rounds"), r.refName(), orDefault(r.benchtime, "of each setting (20x to 1000x: at least 20 steps and a few seconds)"), threads)
	fmt.Fprintf(&b, "- reproduce: `%s`\n\n", r.command)
	fmt.Fprintf(&b, "| setting | %s (median, min-max over rounds) | ours (median, min-max) | ratio of medians (ours / %s) | ours MB/op, allocs/op |\n",
		r.refName(), r.refShort())
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, rw := range r.rows {
		t, o := summarize(rw.torch), summarize(rw.ours)
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f× | %.2f MB, %.0f allocs |\n",
			rw.name, t.cell(rw.unit), o.cell(rw.unit), ratio(o, t),
			summarize(rw.bytes).median/1e6, summarize(rw.allocs).median)
	}
	b.WriteString(r.goalsText())
	b.WriteString(r.workText())
	b.WriteString(r.ceilingText())
	b.WriteString(r.winnersText())
	return b.String()
}

// workText compares the work of the steps whose products both sides count
// (the DIM rows): GFLOP a step in matrix products and convolutions, and
// the ratio of the rates per FLOP, ours / torch = the ratio of the medians
// times ours' GFLOP over the reference's. Two steps that do different work
// compare fairly only so. Empty when no row has both counts.
func (r *report) workText() string {
	var b strings.Builder
	for _, rw := range r.rows {
		if len(rw.torchGFLOP) == 0 || len(rw.oursGFLOP) == 0 {
			continue
		}
		tw, ow := summarize(rw.torchGFLOP).median, summarize(rw.oursGFLOP).median
		if tw <= 0 || ow <= 0 {
			continue
		}
		if b.Len() == 0 {
			counted := "the reference's own count, ours counted by our BLAS"
			if r.against != "" {
				counted = "both counted by our BLAS"
			}
			fmt.Fprintf(&b, "\nThe work of each step, GFLOP in matrix products and convolutions (%s), and the rate per FLOP:\n\n", counted)
			fmt.Fprintf(&b, "| setting | %s GFLOP a step | ours GFLOP a step | ours / %s, per FLOP |\n", r.refName(), r.refShort())
			b.WriteString("| --- | --- | --- | --- |\n")
		}
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f× |\n", rw.name, tw, ow,
			ratio(summarize(rw.ours), summarize(rw.torch))*ow/tw)
	}
	return b.String()
}

// winnersText says, for the rows whose reference is the better of several
// variants, which variant won each round.
func (r *report) winnersText() string {
	var b strings.Builder
	for _, rw := range r.rows {
		if len(rw.variants) < 2 || len(rw.winners) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\nThe PyTorch figure of a Gaussian row is, in each round, the better of gaussian_torch.py at --threads 1 and --threads 2:\n\n")
		}
		counts := map[string]int{}
		for _, w := range rw.winners {
			counts[w]++
		}
		var won []string
		for _, v := range rw.variants {
			if counts[v.label] > 0 {
				won = append(won, fmt.Sprintf("%s in %d of %d", v.label, counts[v.label], len(rw.winners)))
			}
		}
		fmt.Fprintf(&b, "- %s: %s (by round: %s)\n", rw.name, strings.Join(won, ", "), strings.Join(rw.winners, ", "))
	}
	return b.String()
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cpuModel describes the CPU from /proc/cpuinfo's text: its first "model
// name" and "cpu family", and ncpu, the number of logical CPUs.
func cpuModel(cpuinfo string, ncpu int) string {
	var model, family string
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "model name" && model == "" {
			model = v
		}
		if k == "cpu family" && family == "" {
			family = v
		}
	}
	if model == "" {
		model = "unknown model"
	}
	s := model
	if family != "" {
		s += ", cpu family " + family
	}
	return fmt.Sprintf("%s, %d logical CPUs", s, ncpu)
}

// reproduceCommand is the command line that repeats the sitting.
func reproduceCommand(o *options) string {
	parts := []string{"go run ./cmd/speedratio", "--rounds", fmt.Sprint(o.rounds)}
	if o.only != "" {
		parts = append(parts, "--only", shellQuote(o.only))
	}
	if o.against != "" {
		parts = append(parts, "--against", shellQuote(o.against))
	} else {
		parts = append(parts, "--bench", shellQuote(o.bench), "--python", shellQuote(o.python))
	}
	if o.benchtime != "" {
		parts = append(parts, "--benchtime", shellQuote(o.benchtime))
	}
	return strings.Join(parts, " ")
}
