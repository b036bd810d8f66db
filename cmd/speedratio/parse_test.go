package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goBenchOutput is go test -bench output as our binaries print it: a
// sub-benchmark with / and = in its name, the -2 GOMAXPROCS suffix, a
// benchmark without the suffix, and a logged BLAS line.
const goBenchOutput = `goos: linux
goarch: amd64
pkg: github.com/infomax/infomax/experiments/tasks/gaussian
cpu: AMD EPYC
BenchmarkStep/separable/hidden=256-2         	      20	 104579500 ns/op	         9.562 steps/s	  788938 B/op	    1607 allocs/op
BenchmarkStep/concat/hidden=256-2            	      20	   5000000 ns/op	       200.0 steps/s	 2500000 B/op	     900 allocs/op
BenchmarkDIMStepTorchReference-2   	      20	 404000000 ns/op	       158.5 images/s	        26.76 matmul-GFLOP/op	       111.3 matmul-GFLOP/s	64123456 B/op	   12345 allocs/op
--- BENCH: BenchmarkDIMStepTorchReference-2
    bench_test.go:44: BLAS: go-avx2
    bench_test.go:44: BLAS: go-avx2
BenchmarkEncoderForwardBackward	      10	  89000000 ns/op	       719.1 images/s	       359.5 images/cpu-s	  660000 B/op	     321 allocs/op
PASS
ok  	github.com/infomax/infomax/experiments/tasks/gaussian	3.216s
`

// peakOutput is BenchmarkPeakFMA's output on a 2-core machine with
// AVX-512.
const peakOutput = `goos: linux
goarch: amd64
pkg: github.com/infomax/infomax/internal/blas
cpu: AMD EPYC
BenchmarkPeakFMA/avx2-2         	   5000	     28729 ns/op	       219.0 GFLOP/s
BenchmarkPeakFMA/avx512-2       	   5000	     57245 ns/op	       219.8 GFLOP/s
PASS
`

func TestPeakOf(t *testing.T) {
	if p, w := peakOf(peakOutput); p != 219.8 || w != "avx512" {
		t.Errorf("peakOf = %v %q, want 219.8 avx512", p, w)
	}
	// A skipped benchmark prints only PASS; other benchmarks' lines do not count.
	if p, w := peakOf("PASS\n" + goBenchOutput); p != 0 || w != "" {
		t.Errorf("peakOf of a skipped benchmark = %v %q, want 0", p, w)
	}
}

func TestParseGoBench(t *testing.T) {
	// Read back from a file, as the program reads a subprocess's output.
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(goBenchOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	results, blas := parseGoBench(readFile(path))
	if blas != "go-avx2" {
		t.Errorf("blas = %q, want go-avx2", blas)
	}
	wantNames := []string{"BenchmarkStep/separable/hidden=256", "BenchmarkStep/concat/hidden=256",
		"BenchmarkDIMStepTorchReference", "BenchmarkEncoderForwardBackward"}
	if len(results) != len(wantNames) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(wantNames), results)
	}
	for i, w := range wantNames {
		if results[i].name != w {
			t.Errorf("result %d: name %q, want %q", i, results[i].name, w)
		}
	}
	r := results[0]
	if r.n != 20 || r.values["steps/s"] != 9.562 || r.values["B/op"] != 788938 || r.values["allocs/op"] != 1607 || r.values["ns/op"] != 104579500 {
		t.Errorf("separable: %+v", r)
	}
	if got := results[3].values["images/cpu-s"]; got != 359.5 {
		t.Errorf("encoder images/cpu-s = %v, want 359.5", got)
	}
}

func TestGoMeasure(t *testing.T) {
	m, err := goMeasure(goBenchOutput, "BenchmarkStep/concat/hidden=256", stepsPerSec)
	if err != nil {
		t.Fatal(err)
	}
	want := goMeasurement{rate: 200, bytesPerOp: 2500000, allocsPerOp: 900, blas: "go-avx2"}
	if m != want {
		t.Errorf("got %+v, want %+v", m, want)
	}
	m, err = goMeasure(goBenchOutput, "BenchmarkEncoderForwardBackward", imagesPerSec)
	if err != nil || m.rate != 719.1 || m.gflop != 0 {
		t.Errorf("encoder: %+v, %v", m, err)
	}
	m, err = goMeasure(goBenchOutput, "BenchmarkDIMStepTorchReference", imagesPerSec)
	if err != nil || m.rate != 158.5 || m.gflop != 26.76 {
		t.Errorf("full step: %+v, %v; want 158.5 images/s and 26.76 GFLOP", m, err)
	}
	// hidden=25 must not match hidden=256, nor the parent benchmark.
	for _, name := range []string{"BenchmarkStep/concat/hidden=25", "BenchmarkStep"} {
		if _, err := goMeasure(goBenchOutput, name, stepsPerSec); err == nil || !strings.Contains(err.Error(), "no result line") {
			t.Errorf("%s: err = %v, want no result line", name, err)
		}
	}
	noMem := "BenchmarkStep/separable/hidden=256-2  20  104579500 ns/op  9.562 steps/s\n"
	if _, err := goMeasure(noMem, "BenchmarkStep/separable/hidden=256", stepsPerSec); err == nil || !strings.Contains(err.Error(), "B/op") {
		t.Errorf("without -benchmem: err = %v, want one naming B/op", err)
	}
}

func TestBenchRegex(t *testing.T) {
	for name, want := range map[string]string{
		"BenchmarkDIMStepTorchReference":  "^BenchmarkDIMStepTorchReference$",
		"BenchmarkStep/concat/hidden=256": "^BenchmarkStep$/^concat$/^hidden=256$",
	} {
		if got := benchRegex(name); got != want {
			t.Errorf("benchRegex(%q) = %q, want %q", name, got, want)
		}
	}
}

// dimJSONOutput is what dim_torch.py --batches 16 --only dim_full --json
// wrote (its timing shortened with --min-time on a busy machine).
const dimJSONOutput = `{
 "env": {
  "torch": "1.13.0a0",
  "python": "3.11.2",
  "num_threads": 2,
  "mkldnn": true,
  "cpu_capability": "- CPU capability usage: AVX2",
  "openblas_core": "Cooperlake",
  "openblas_config": "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY USE_OPENMP Cooperlake MAX_THREADS=64",
  "openblas_threads": 2
 },
 "results": [
  {
   "setting": "dim_full",
   "batch": 16,
   "bn": true,
   "optimizer_step": true,
   "channels_last": false,
   "median_s": 67.79575819150159,
   "min_s": 64.475334337003,
   "max_s": 71.11618204600018,
   "times_s": [
    64.475334337003,
    71.11618204600018
   ],
   "img_per_s": 0.23600296577265287,
   "macs_per_step": 2536252160,
   "mflop_per_img": 317.03152,
   "gflops": 0.0748203789634121
  },
  {"setting": "sgemm_torch.mm", "batch": 2048, "median_s": 0.1, "img_per_s": null}
 ]
}`

func TestParseDimJSON(t *testing.T) {
	got, gflop, err := parseDimJSON([]byte(dimJSONOutput), "dim_full", 16)
	// 2 x 2,536,252,160 multiply-adds = 5.07250432 GFLOP.
	if err != nil || got != 0.23600296577265287 || gflop != 5.07250432 {
		t.Errorf("dim_full at 16: %v, %v GFLOP, %v", got, gflop, err)
	}
	noCount := `{"results": [{"setting": "enc_fb", "batch": 64, "img_per_s": 1200.5}]}`
	if got, gflop, err := parseDimJSON([]byte(noCount), "enc_fb", 64); err != nil || got != 1200.5 || gflop != 0 {
		t.Errorf("without macs_per_step: %v, %v GFLOP, %v; want 1200.5, 0, nil", got, gflop, err)
	}
	for _, c := range []struct {
		name  string
		batch int
	}{{"dim_full", 64}, {"enc_fb", 16}, {"sgemm_torch.mm", 2048}} {
		if _, _, err := parseDimJSON([]byte(dimJSONOutput), c.name, c.batch); err == nil {
			t.Errorf("%s at %d: no error", c.name, c.batch)
		}
	}
	if _, _, err := parseDimJSON([]byte("not json"), "dim_full", 16); err == nil {
		t.Error("bad json: no error")
	}
}

// gaussianOutput is what gaussian_torch.py --threads 1 --critic separable
// --hidden 256 printed (--min-time 0.2 on a busy machine).
const gaussianOutput = "gaussian_step critic=separable hidden=256 estimator=jsd batch=64 threads=1: 6.1 steps/s (min 4.6, max 198.7)\n"

func TestParseGaussian(t *testing.T) {
	got, err := parseGaussian(gaussianOutput, "separable")
	if err != nil || got != 6.1 {
		t.Errorf("separable: %v, %v", got, err)
	}
	concat := "some warning\ngaussian_step critic=concat hidden=256 estimator=jsd batch=64 threads=2: 1234.5 steps/s (min 1200.0, max 1250.1)\n"
	if got, err := parseGaussian(concat, "concat"); err != nil || got != 1234.5 {
		t.Errorf("concat: %v, %v", got, err)
	}
	if _, err := parseGaussian(gaussianOutput, "concat"); err == nil {
		t.Error("wrong critic: no error")
	}
	if _, err := parseGaussian("Traceback (most recent call last):\n", "separable"); err == nil {
		t.Error("no line: no error")
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC 9B14\n\nprocessor\t: 1\ncpu family\t: 26\nmodel name\t: other\n"
	if got, want := cpuModel(info, 2), "AMD EPYC 9B14, cpu family 25, 2 logical CPUs"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := cpuModel("", 4), "unknown model, 4 logical CPUs"; got != want {
		t.Errorf("empty: got %q, want %q", got, want)
	}
}
