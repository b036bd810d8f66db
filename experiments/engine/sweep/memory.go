package sweep

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/english"
)

// maxMemoryKey is the sweep file's key for the memory limit of a run.
const maxMemoryKey = "max_memory_gb"

// MemoryLimit is the most memory one run of a sweep may be estimated to
// need, and where the limit comes from.
type MemoryLimit struct {
	// Bytes is the limit; 0 means none.
	Bytes float64
	// Source says where it comes from, for error messages.
	Source string
}

// machineMemory returns the machine's physical memory in bytes, from
// /proc/meminfo's MemTotal, or 0 when it cannot be read (on a system
// without /proc). Tests replace it.
var machineMemory = func() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	return memTotal(bufio.NewScanner(f))
}

// memTotal returns the MemTotal line's size, in bytes, of a
// /proc/meminfo, or 0 when it has none.
func memTotal(sc *bufio.Scanner) float64 {
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			if kb, err := strconv.ParseFloat(fields[1], 64); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// memoryLimit decodes max_memory_gb, the memory limit of a run in
// gigabytes (10⁹ bytes): 0 turns the check off. Without it the limit is
// the machine's memory, when it is known.
func (p *parser) memoryLimit(root map[string]any, s *Sweep) error {
	if err := p.decodeMemoryLimit(root, s); err != nil || !p.asParent {
		return err
	}
	// A file read as another's parent is checked as a sweep by itself,
	// but its runs' memory is the extending file's to check: that file
	// may make them smaller.
	s.MaxMemory = MemoryLimit{}
	return nil
}

// decodeMemoryLimit sets s.MaxMemory from max_memory_gb or the machine.
func (p *parser) decodeMemoryLimit(root map[string]any, s *Sweep) error {
	v, ok := root[maxMemoryKey]
	if !ok {
		if b := machineMemory(); b > 0 {
			s.MaxMemory = MemoryLimit{Bytes: b, Source: fmt.Sprintf("this machine's memory; set %s to plan for another machine", maxMemoryKey)}
		}
		return nil
	}
	gb, isNum := number(v)
	if !isNum || !(gb >= 0) || math.IsInf(gb, 0) {
		return p.errAt([]string{maxMemoryKey}, "%s: want the memory of the machine the runs will run on, in GB, such as %s = 64 (0 for no limit)", describe(v), maxMemoryKey)
	}
	if gb > 0 {
		s.MaxMemory = MemoryLimit{Bytes: gb * 1e9, Source: maxMemoryKey + " = " + strconv.FormatFloat(gb, 'g', -1, 64)}
	}
	return nil
}

// checkMemory refuses a run whose config estimates that it needs more
// memory than the sweep's limit (see tasks.MemoryEstimator). The message
// starts with the setting that makes the largest part large, as a task's
// Validate does, so that validateErr places it at that key.
func (s *Sweep) checkMemory(cfg tasks.Config) error {
	est, ok := cfg.(tasks.MemoryEstimator)
	if !ok || s.MaxMemory.Bytes == 0 {
		return nil
	}
	mem := est.EstimateMemory()
	total := mem.Total()
	if total <= s.MaxMemory.Bytes {
		return nil
	}
	if fixed := mem.Fixed(); fixed > s.MaxMemory.Bytes {
		return s.limitTooSmall(fixed)
	}
	part := mem.Largest()
	return fmt.Errorf("%s: the run needs about %s of memory, %s of it for %s, more than the limit of %s (%s)",
		part.Setting, english.Bytes(total), english.Bytes(part.Bytes), part.What, english.Bytes(s.MaxMemory.Bytes), s.MaxMemory.Source)
}

// limitTooSmall is the error for a memory limit below fixed, what a run
// needs whatever its settings: at max_memory_gb's line where the file
// sets it, else (the limit is this machine's memory) for the file.
func (s *Sweep) limitTooSmall(fixed float64) error {
	msg := fmt.Sprintf("a run of task %q needs about %s of memory whatever its settings, more than the limit of %s (%s): no setting of the sweep can make it fit",
		s.Task, english.Bytes(fixed), english.Bytes(s.MaxMemory.Bytes), s.MaxMemory.Source)
	if line := s.loc.line([]string{maxMemoryKey}, "", 0); line > 0 {
		return &FileError{File: s.File, Line: line, Key: maxMemoryKey, Msg: msg + "; give a larger " + maxMemoryKey}
	}
	return &FileError{File: s.File, Msg: msg + "; run it on a larger machine, or plan it for one with " + maxMemoryKey}
}

// CheckParallel refuses to run parallel of the runs at indices runs at
// once when the largest that many, by their memory estimates, would
// together need more than the sweep's limit: validation checks each run
// alone, and `--parallel P` puts P of them in one process. The message
// gives the largest P that fits. `sweep run` passes the runs of its shard
// that are not done ([Sweep.Unfinished]); `sweep plan` each shard's runs.
func (s *Sweep) CheckParallel(runs []int, parallel int) error {
	if s.MaxMemory.Bytes == 0 || parallel <= 1 {
		return nil
	}
	sizes := s.largestEstimates(runs, parallel)
	var total float64
	fits := 0
	for i, b := range sizes {
		total += b
		if total <= s.MaxMemory.Bytes {
			fits = i + 1
		}
	}
	if fits == len(sizes) {
		return nil
	}
	return fmt.Errorf("--parallel %d: %d runs at once would need about %s of memory by their estimates, more than the limit of %s (%s); use --parallel %d or less",
		parallel, len(sizes), english.Bytes(total), english.Bytes(s.MaxMemory.Bytes), s.MaxMemory.Source, max(1, fits))
}

// parallelMemory is the memory, in bytes, that parallel of the runs at
// indices runs need at once at the most: the sum of the largest that many
// estimates.
func (s *Sweep) parallelMemory(runs []int, parallel int) float64 {
	var total float64
	for _, b := range s.largestEstimates(runs, parallel) {
		total += b
	}
	return total
}

// largestEstimates returns the n largest memory estimates of the runs at
// indices runs, largest first. Runs whose config gives no estimate count
// nothing.
func (s *Sweep) largestEstimates(runs []int, n int) []float64 {
	var sizes []float64
	for _, i := range runs {
		if est, ok := s.Runs[i].Config.(tasks.MemoryEstimator); ok {
			sizes = append(sizes, est.EstimateMemory().Total())
		}
	}
	slices.SortFunc(sizes, func(a, b float64) int { return cmp.Compare(b, a) })
	return sizes[:min(n, len(sizes))]
}
