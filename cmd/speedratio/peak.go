package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The benchmark of the machine's peak float32 arithmetic: an FMA loop on
// every thread, with nothing else to wait for (BenchmarkPeakFMA, one
// sub-benchmark per vector width the CPU has).
const (
	peakPkg   = "./internal/blas"
	peakBench = "BenchmarkPeakFMA"
	peakSteps = "5000x" // calls among the threads: about 0.1 s a width on 2 Zen 4 cores
	peakUnit  = "GFLOP/s"
)

// measurePeak runs round r's peak benchmark, on as many threads as the
// settings, and adds its best width's GFLOP/s to the report. A machine
// where the benchmark skips (no AVX2 and FMA) adds nothing, and the
// report then has no ceiling.
func (s *sitting) measurePeak(r int, rep *report) error {
	args := []string{"-test.run", "^$", "-test.bench", "^" + peakBench + "$",
		"-test.benchtime", peakSteps, "-test.cpu", strconv.Itoa(threads)}
	line := "cd " + shellQuote(peakPkg) + " && " + commandLine(s.bins[peakPkg], args, nil)
	start := time.Now()
	out, err := s.runner.run(peakPkg, s.bins[peakPkg], args, nil)
	if err != nil {
		return &cmdError{cmd: line, err: err, out: out}
	}
	peak, width := peakOf(string(out))
	if peak == 0 {
		fmt.Fprintf(s.progress, "round %d/%d  peak: %s reported no %s; no ceiling in this report\n", r, s.opts.rounds, peakBench, peakUnit)
		return nil
	}
	rep.peaks = append(rep.peaks, peak)
	fmt.Fprintf(s.progress, "round %d/%d  peak         %.1f %s (%s, %.1f s)\n", r, s.opts.rounds, peak, peakUnit, width, time.Since(start).Seconds())
	return nil
}

// peakOf returns the highest GFLOP/s of the peak benchmark's widths in go
// test -bench output, and the width's name; 0 and "" when none ran.
func peakOf(out string) (peak float64, width string) {
	results, _ := parseGoBench(out)
	for _, r := range results {
		w, ok := strings.CutPrefix(r.name, peakBench+"/")
		if v := r.values[peakUnit]; ok && v > peak {
			peak, width = v, w
		}
	}
	return peak, width
}

// ceilingText says, for each row whose benchmark counts its products'
// GFLOP, the least time those products can take at the machine's peak
// (the median of the rounds' peaks), and the highest ratio that allows
// against the reference's median step: what ours would reach if the
// products ran at the peak and everything else took no time. A goal above
// it cannot be met while the machine runs at that peak (the peak varies
// on a shared machine, so the table also gives its range). Empty without
// peaks (or against a commit of ours).
func (r *report) ceilingText() string {
	if len(r.peaks) == 0 || r.against != "" {
		return ""
	}
	peak := summarize(r.peaks)
	var b strings.Builder
	for _, rw := range r.rows {
		if len(rw.oursGFLOP) == 0 || len(rw.torch) == 0 {
			continue
		}
		gflop := summarize(rw.oursGFLOP).median
		if gflop <= 0 {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "\nThe ceiling: the machine's peak, an FMA loop on every thread (%s in internal/blas), was %.1f GFLOP/s (median; %.1f-%.1f). "+
				"At the median peak our products alone take the time below; the highest ratio is the reference's median step over it, "+
				"what ours would reach if the products ran at that peak and nothing else took any time:\n\n",
				peakBench, peak.median, peak.min, peak.max)
			b.WriteString("| setting | ours GFLOP a step | our products at the peak | PyTorch's median step | highest ratio | goal |\n")
			b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
		}
		least := gflop / peak.median
		torchStep := rw.stepSeconds(summarize(rw.torch).median)
		goal := "-"
		if rw.goal > 0 {
			goal = fmt.Sprintf("%.2f×", rw.goal)
		}
		fmt.Fprintf(&b, "| %s | %.3f | %s | %s | %.2f× | %s |\n", rw.name, gflop, millis(least), millis(torchStep), torchStep/least, goal)
	}
	return b.String()
}

// stepSeconds returns the seconds one step takes at rate, in the
// setting's unit: images/s over the batch, or steps/s.
func (st setting) stepSeconds(rate float64) float64 {
	if st.unit == imagesPerSec {
		return float64(st.batch) / rate
	}
	return 1 / rate
}

// millis writes seconds as milliseconds for a table cell.
func millis(s float64) string {
	return fmt.Sprintf("%.2f ms", s*1e3)
}
