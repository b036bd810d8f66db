package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// benchResult is one result line of `go test -bench`: the benchmark's name
// without the -GOMAXPROCS suffix, its iteration count and its values by
// unit (ns/op, B/op, allocs/op and the reported metrics).
type benchResult struct {
	name   string
	n      int
	values map[string]float64
}

// procsSuffix is the -GOMAXPROCS suffix of a benchmark name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// blasLine matches the BLAS line our benchmarks log.
var blasLine = regexp.MustCompile(`\bBLAS: (.+?)\s*$`)

// parseGoBench returns the benchmark result lines of go test -bench output
// and the BLAS our benchmarks logged (empty when none did).
func parseGoBench(out string) (results []benchResult, blas string) {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := blasLine.FindStringSubmatch(line); m != nil && blas == "" {
			blas = m[1]
			continue
		}
		if r, ok := parseBenchLine(line); ok {
			results = append(results, r)
		}
	}
	return results, blas
}

// parseBenchLine parses one result line, such as
//
//	BenchmarkStep/separable/hidden=256-2  20  1234 ns/op  810.2 steps/s  512 B/op  7 allocs/op
//
// ok is false for any other line.
func parseBenchLine(line string) (r benchResult, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return r, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return r, false
	}
	r = benchResult{name: procsSuffix.ReplaceAllString(f[0], ""), n: n, values: map[string]float64{}}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchResult{}, false
		}
		r.values[f[i+1]] = v
	}
	return r, true
}

// goMeasurement is what one run of our benchmark gave: gflop is the
// GFLOP of matrix products per op (metric matmul-GFLOP/op), 0 when the
// benchmark does not report it.
type goMeasurement struct {
	rate, bytesPerOp, allocsPerOp float64
	gflop                         float64
	blas                          string
}

// goMeasure picks the named benchmark's result out of go test -bench
// output and returns its metric unit, B/op and allocs/op.
func goMeasure(out, name, unit string) (goMeasurement, error) {
	results, blas := parseGoBench(out)
	for _, r := range results {
		if r.name != name {
			continue
		}
		m := goMeasurement{blas: blas, gflop: r.values[matmulGFLOPPerOp]}
		var ok [3]bool
		m.rate, ok[0] = r.values[unit]
		m.bytesPerOp, ok[1] = r.values["B/op"]
		m.allocsPerOp, ok[2] = r.values["allocs/op"]
		for i, u := range []string{unit, "B/op", "allocs/op"} {
			if !ok[i] {
				return goMeasurement{}, fmt.Errorf("%s reported no %s", name, u)
			}
		}
		return m, nil
	}
	return goMeasurement{}, fmt.Errorf("no result line for %s", name)
}

// matmulGFLOPPerOp is the metric our DIM and encoder benchmarks report the
// GFLOP of their matrix products per step in.
const matmulGFLOPPerOp = "matmul-GFLOP/op"

// dimJSON is the part of dim_torch.py's --json file that is read.
type dimJSON struct {
	Results []struct {
		Setting     string   `json:"setting"`
		Batch       int      `json:"batch"`
		ImgPerS     *float64 `json:"img_per_s"`
		MacsPerStep *float64 `json:"macs_per_step"`
	} `json:"results"`
}

// parseDimJSON returns the images/s of setting name at batch from
// dim_torch.py's --json output, and the GFLOP of the step's matrix
// products and convolutions as the script counts them (2 per
// multiply-add; 0 when it gives no count).
func parseDimJSON(data []byte, name string, batch int) (rate, gflop float64, err error) {
	var d dimJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, 0, fmt.Errorf("reading dim_torch.py's --json output: %v", err)
	}
	for _, r := range d.Results {
		if r.Setting == name && r.Batch == batch && r.ImgPerS != nil {
			if r.MacsPerStep != nil {
				gflop = 2 * *r.MacsPerStep / 1e9
			}
			return *r.ImgPerS, gflop, nil
		}
	}
	return 0, 0, fmt.Errorf("dim_torch.py's --json output has no %s at batch %d", name, batch)
}

// gaussianLine matches gaussian_torch.py's one output line, such as
//
//	gaussian_step critic=separable hidden=256 estimator=jsd batch=64 threads=1: 812.3 steps/s (min 790.1, max 820.4)
var gaussianLine = regexp.MustCompile(`^gaussian_step critic=(\S+) hidden=(\d+) .*: ([0-9.eE+-]+) steps/s\b`)

// parseGaussian returns the steps/s that gaussian_torch.py printed for
// critic.
func parseGaussian(out, critic string) (float64, error) {
	for _, line := range strings.Split(out, "\n") {
		m := gaussianLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || m[1] != critic {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return 0, fmt.Errorf("gaussian_torch.py's steps/s %q: %v", m[3], err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("gaussian_torch.py printed no \"gaussian_step critic=%s ...: N steps/s\" line", critic)
}
