package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"flag"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeRun describes a stored run for a test.
type fakeRun struct {
	ID     string
	Status results.Status // default done
	// Diverged marks a failed run as diverged.
	Diverged bool
	Seed     int64
	Params   map[string]any
	Config   map[string]any
	Metrics  results.Values
	// Log, when set, writes the run's metrics.jsonl.
	Log func(log func(step int, v results.Values))
}

// makeRuns stores each fake run in its own directory under a temporary
// directory and returns them as a report sees them.
func makeRuns(t testing.TB, fakes ...fakeRun) []Run {
	t.Helper()
	return makeRunsIn(t, t.TempDir(), fakes...)
}

// makeRunsIn stores each fake run in its own directory under root, with
// its metrics log when it has one, and returns them as a report sees them.
func makeRunsIn(t testing.TB, root string, fakes ...fakeRun) []Run {
	t.Helper()
	runs := make([]Run, 0, len(fakes))
	for _, f := range fakes {
		dir := filepath.Join(root, f.ID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if f.Log != nil {
			w, err := results.AppendMetrics(filepath.Join(dir, results.MetricsFile))
			if err != nil {
				t.Fatal(err)
			}
			f.Log(func(step int, v results.Values) {
				if err := w.Log(step, v); err != nil {
					t.Fatal(err)
				}
			})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		status := f.Status
		if status == "" {
			status = results.StatusDone
		}
		runs = append(runs, Run{
			ID:  f.ID,
			Dir: dir,
			Summary: &results.Summary{
				RunID: f.ID, Status: status, Seed: f.Seed, Params: f.Params, Metrics: f.Metrics,
				Diverged: f.Diverged,
			},
			Config: f.Config,
		})
	}
	return runs
}

// staircaseLog logs a Gaussian-benchmark-like run: the true MI climbs
// through levels (stageLen steps each) and the estimate is the truth, capped
// at ceiling when it is positive, plus seeded noise of the given size.
func staircaseLog(levels []float64, stageLen int, ceiling, noise float64, seed uint64) func(func(int, results.Values)) {
	return func(log func(int, results.Values)) {
		rng := rand.New(rand.NewPCG(seed, 7))
		step := 0
		for _, l := range levels {
			for range stageLen {
				est := l
				if ceiling > 0 {
					est = math.Min(est, ceiling)
				}
				est += noise * rng.NormFloat64()
				log(step, results.Values{"mi": est, "true_mi": l, "loss": -est})
				step++
			}
		}
	}
}

// checkAndMake looks kind up, checks spec and makes its report of runs in
// dir, failing t on any error. It returns the kind, for more reports, and
// the paths of the files made.
func checkAndMake(t *testing.T, kind string, runs []Run, spec Spec, dir string) (Kind, []string) {
	t.Helper()
	k, err := Lookup(kind)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Check(spec); err != nil {
		t.Fatal(err)
	}
	paths, err := k.Make(runs, spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	return k, paths
}

// readCSV returns the records of the CSV file at path, failing t on an
// error.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkFigureFiles checks that paths are dir/name.png and dir/name.svg, that
// the PNG decodes to h pixels high and w wide, plus at most w/2 for a
// legend to the right of the panels, and the SVG is well-formed XML with an
// svg root, and returns the SVG's size in bytes.
func checkFigureFiles(t *testing.T, paths []string, dir, name string, w, h int) int {
	t.Helper()
	want := []string{filepath.Join(dir, name+".png"), filepath.Join(dir, name+".svg")}
	if len(paths) != 2 || paths[0] != want[0] || paths[1] != want[1] {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", paths[0], err)
	}
	if got := img.Bounds().Size(); got.X < w || got.X > w+w/2 || got.Y != h {
		t.Errorf("%s is %dx%d pixels, want %d (and a legend) x %d", paths[0], got.X, got.Y, w, h)
	}
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", paths[1], err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", paths[1], root)
	}
	return len(svg)
}

// checkGolden compares the file at path with testdata/golden, or rewrites
// the golden file with -update.
func checkGolden(t *testing.T, path, golden string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gpath := filepath.Join("testdata", golden)
	if *update {
		if err := os.WriteFile(gpath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(gpath)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s",
			path, gpath, got, want)
	}
}

// madeSVG makes a figure of the given kind and options from runs, in a
// folder of its own, and returns its SVG.
func madeSVG(t *testing.T, runs []Run, kind string, options map[string]any) string {
	t.Helper()
	k, _ := Lookup(kind)
	paths, err := k.Make(runs, Spec{Kind: kind, Name: kind, Options: options}, t.TempDir())
	if err != nil {
		t.Fatalf("%s %v: %v", kind, options, err)
	}
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(svg)
}
