package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/internal/english"
)

// demoSweep stores a sweep of the given estimators and seeds under a
// temporary directory as `sweep run` leaves it: a directory per run with
// config.toml, summary.json and metrics.jsonl (steps records of loss, mi
// and true_mi), except that the last run is pending (no directory) and,
// with more than one run, the first failed. It makes a curves figure and a
// table in the reports directory and returns the page of it all.
func demoSweep(t testing.TB, estimators []string, lrs []float64, seeds, steps int) (Page, string) {
	t.Helper()
	sweepDir := filepath.Join(t.TempDir(), "demo")
	reportsDir := filepath.Join(sweepDir, "reports")
	if err := os.MkdirAll(reportsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := Page{Sweep: "demo", Description: "A demo sweep", Task: "gaussian", File: "sweeps/demo.toml",
		Commands: [][2]string{{"run or resume the sweep", "sweep run sweeps/demo.toml --out runs"}},
		Status:   "a status line", Params: []string{"estimator", "lr"}}
	var fakes []fakeRun
	for _, est := range estimators {
		for _, lr := range lrs {
			for seed := range int64(seeds) {
				fakes = append(fakes, demoRun(est, lr, seed, steps))
			}
		}
	}
	runs := makeRunsIn(t, sweepDir, fakes...)
	last := len(runs) - 1
	for i, r := range runs {
		pr := PageRun{Run: r, Index: i, Values: []string{formatValue(fakes[i].Params["estimator"]), formatValue(fakes[i].Params["lr"])},
			Seed: r.Summary.Seed, State: "done", Seconds: 12.5, Time: "12.5s"}
		switch {
		case i == last:
			os.RemoveAll(r.Dir)
			pr.Summary, pr.Config, pr.State, pr.Time = nil, nil, "pending", ""
		case i == 0 && last > 0:
			r.Summary.Status, r.Summary.Error, r.Summary.Step = results.StatusFailed, "diverged at step 7: loss is NaN", 7
			pr.State, pr.Detail = "failed", r.Summary.Error
		}
		if pr.Summary != nil {
			writeRunFiles(t, r)
		}
		p.Runs = append(p.Runs, pr)
	}
	p.Reports = demoReports(t, runs[:last], reportsDir)
	return p, reportsDir
}

// demoRun is one run of demoSweep: its loss falls and its estimate climbs
// a two-step staircase, shifted by the seed.
func demoRun(est string, lr float64, seed int64, steps int) fakeRun {
	return fakeRun{
		ID:     fmt.Sprintf("estimator-%s_lr-%s_s%d_0123abcd", est, formatValue(lr), seed),
		Seed:   seed,
		Params: map[string]any{"estimator": est, "lr": lr},
		Config: map[string]any{"task": "gaussian", "seed": seed, "estimator": est, "lr": lr, "dim": int64(20),
			"critic": map[string]any{"name": "separable", "hidden": int64(64)}, "mi_levels": []any{2.0, 4.0}},
		Metrics: results.Values{"loss": -1.5, "mi": 3.5 + 0.1*float64(seed), "level_2_bias": -0.1, "level_10_bias": -2},
		Log: func(log func(int, results.Values)) {
			for step := range steps {
				truth := 2.0
				if step >= steps/2 {
					truth = 4
				}
				mi := truth * (1 - math.Exp(-float64(step%(steps/2+1))/20)) * (1 - 0.05*float64(seed))
				log(step, results.Values{"loss": -mi, "mi": mi, "true_mi": truth, "steps_per_second": 100})
			}
		},
	}
}

// writeRunFiles writes the summary.json and config.toml of run r.
func writeRunFiles(t testing.TB, r Run) {
	t.Helper()
	if err := results.WriteSummary(r.Dir, r.Summary); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("task = \"gaussian\"\nseed = %d\n", r.Summary.Seed)
	if err := os.WriteFile(filepath.Join(r.Dir, results.ConfigFile), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// demoReports makes a curves figure and a table of runs into dir, and
// declares a figure whose kind failed.
func demoReports(t testing.TB, runs []Run, dir string) []PageReport {
	t.Helper()
	k, _ := Lookup("curves")
	curves := Spec{Kind: "curves", Name: "curves", Options: map[string]any{"y": []any{"loss", "mi"}, "group": "estimator",
		"width": 3, "height": 2}}
	files, err := k.Make(runs, curves, dir)
	if err != nil {
		t.Fatal(err)
	}
	reps := []PageReport{{Spec: curves, Figure: true, Files: files}}
	k, _ = Lookup("table")
	table := Spec{Kind: "table", Name: "final", Options: map[string]any{"rows": []any{"estimator", "lr"}, "columns": "mi"}}
	if files, err = k.Make(runs, table, dir); err != nil {
		t.Fatal(err)
	}
	reps = append(reps, PageReport{Spec: table, Files: files})
	broken := Spec{Kind: "line", Name: "broken", Options: map[string]any{"x": "lr", "y": "accuracy"}}
	return append(reps, PageReport{Spec: broken, Figure: true, Err: fmt.Errorf("no finished run has the summary metric \"accuracy\"")})
}

func TestPageShowsEveryRunFigureTableAndCurve(t *testing.T) {
	p, dir := demoSweep(t, []string{"jsd", "infonce"}, []float64{0.001, 0.01}, 2, 60)
	path, err := WritePage(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, PageFile) {
		t.Errorf("WritePage wrote %s", path)
	}
	page, _ := os.ReadFile(path)
	html := string(page)
	doc := parsePage(t, page)
	for _, r := range p.Runs {
		if !doc.ids["run-"+r.ID] {
			t.Errorf("the run table has no row for %s", r.ID)
		}
	}
	for _, want := range []string{
		// The figure inline, the table's cells, the failed report's error.
		`<svg class="figure" role="img" aria-label="curves"`, "0.001", "3.55 ± 0.07", "no finished run has the summary metric",
		// What is not done, and why.
		"Not done: 2 of 8 runs", "diverged at step 7: loss is NaN", `<span class="state pending">pending</span>`,
		// The sweep, its command and the settings the runs share.
		"A demo sweep", "sweep run sweeps/demo.toml --out runs", "critic.hidden", "[2, 4]",
		// Curves of loss and mi, with the truth dashed; the bookkeeping
		// metric has no column; final metrics in natural order.
		`class="truth"`, "<th>loss</th>", `<th>mi <span class="muted">and true_mi</span></th>`, "level_2_bias</th><th class=\"num\" data-sort=\"num\">level_10_bias",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, "steps_per_second") {
		t.Error("the page draws steps_per_second, a bookkeeping value, as a training curve")
	}
	// Four configurations, each with a loss and an mi sparkline; the
	// pending run's configuration has a curve from its other seed.
	if n := strings.Count(html, `<svg class="spark"`); n != 4*2 {
		t.Errorf("the page has %d sparklines, want 8", n)
	}
	if n := strings.Count(html, `<path class="stop"`); n != 2 {
		t.Errorf("the failed run's stop is marked %d times, want once in each of 2 columns", n)
	}
	checkPageLinks(t, dir, doc)

	// The page is the same, byte for byte, when made again, and as the
	// golden file says.
	again, _ := WritePage(dir, p)
	if b, _ := os.ReadFile(again); !bytes.Equal(b, page) {
		t.Error("a second WritePage of the same sweep wrote another page")
	}
	checkGolden(t, path, "page.html")

	// A log that cannot be read costs its run's curves, not the page.
	unreadable := filepath.Join(p.Runs[1].Dir, results.MetricsFile)
	os.Remove(unreadable)
	os.Mkdir(unreadable, 0o755)
	if _, err := WritePage(dir, p); err != nil {
		t.Fatalf("WritePage with an unreadable metrics.jsonl: %v", err)
	}
	b, _ := os.ReadFile(path)
	if want := "run " + p.Runs[1].ID + ": read " + unreadable; !strings.Contains(string(b), want) {
		t.Errorf("the page does not say %q", want)
	}

	// A log of garbage is read as no records; the page and the run's
	// warnings say which lines were skipped, rather than dropping its
	// curves without a word.
	corrupt := filepath.Join(p.Runs[2].Dir, results.MetricsFile)
	if err := os.WriteFile(corrupt, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	warnings := &Warnings{}
	p.Runs[2].Warnings = warnings
	if _, err := WritePage(dir, p); err != nil {
		t.Fatalf("WritePage with a corrupt metrics.jsonl: %v", err)
	}
	b, _ = os.ReadFile(path)
	want := corrupt + ": skipped 1 line that could not be read (torn or corrupt): line 1"
	if !strings.Contains(string(b), "run "+p.Runs[2].ID+": "+want) {
		t.Errorf("the page does not say %q", want)
	}
	if got := warnings.List(); !slices.Equal(got, []string{want}) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// pageDoc is what the tests read from a page: its ids and its links.
type pageDoc struct {
	ids   map[string]bool
	links []string // every href and src
}

// parsePage reads the page as HTML with encoding/xml's HTML mode, failing
// t where it is not well formed.
func parsePage(t testing.TB, page []byte) pageDoc {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	doc := pageDoc{ids: map[string]bool{}}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return doc
		}
		if err != nil {
			lines := strings.Split(string(page), "\n")
			l, _ := d.InputPos()
			line := lines[min(l, len(lines))-1]
			t.Fatalf("the page is not well formed: %v\n%.300s", err, line)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "id":
				doc.ids[a.Value] = true
			case "href", "src":
				doc.links = append(doc.links, a.Value)
			}
		}
	}
}

// checkPageLinks checks that every link and image of the page in dir
// resolves: a fragment to an id on the page, anything else to a file or
// folder beside it; and that none leaves the machine.
func checkPageLinks(t testing.TB, dir string, doc pageDoc) {
	t.Helper()
	if len(doc.links) == 0 {
		t.Fatal("the page has no links")
	}
	for _, l := range doc.links {
		switch {
		case strings.Contains(l, "://") || strings.HasPrefix(l, "//"):
			t.Errorf("the page links outside: %s", l)
		case strings.HasPrefix(l, "#"):
			if !doc.ids[l[1:]] {
				t.Errorf("the page links %s, which is no id on it", l)
			}
		default:
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l))); err != nil {
				t.Errorf("the page links %s, which does not exist: %v", l, err)
			}
		}
	}
}

// TestPageOf400Runs keeps a large sweep's page usable: 400 runs of 400
// logged steps make a page of a few megabytes, with every run's row, and
// only the first section of curves unfolded.
func TestPageOf400Runs(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400 runs")
	}
	lrs := make([]float64, 20)
	for i := range lrs {
		lrs[i] = 1e-4 * float64(i+1)
	}
	p, dir := demoSweep(t, []string{"jsd", "infonce", "smile", "nwj", "dv"}, lrs, 4, 400)
	start := time.Now()
	path, err := WritePage(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WritePage took %v", time.Since(start))
	page, _ := os.ReadFile(path)
	t.Logf("the page of %d runs is %.1f MB", len(p.Runs), float64(len(page))/(1<<20))
	if len(p.Runs) != 400 || len(page) > 8<<20 {
		t.Errorf("the page of %d runs is %d bytes, want at most 8 MB", len(p.Runs), len(page))
	}
	doc := parsePage(t, page)
	rows := 0
	for id := range doc.ids {
		if strings.HasPrefix(id, "run-") {
			rows++
		}
	}
	if rows != 400 {
		t.Errorf("the page has %d run rows, want 400", rows)
	}
	// 100 configurations in 5 sections: more than openRows, so only the
	// first is open.
	if n := strings.Count(string(page), "<details open><summary>estimator = "); n != 1 {
		t.Errorf("%d sections of curves are open, want 1", n)
	}
	checkPageLinks(t, dir, doc)
}

func TestSigFigs(t *testing.T) {
	for x, want := range map[float64]string{
		0.915: "0.9150", 5.8721601749: "5.872", 36.4729: "36.47", 1234.6: "1235", 11484.3: "11484",
		-0.0012346: "-0.001235", 2e-5: "2e-05", 3e9: "3e+09", 0: "0", math.NaN(): "n/a",
	} {
		if got := sigFigs(x); got != want {
			t.Errorf("sigFigs(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestShortNumber(t *testing.T) {
	for x, want := range map[float64]string{
		-8.761e7: "-8.76e7", 4171949: "4.17e6", 13127: "13127", -0.04728: "-0.0473", 0.004035: "0.00404",
		1.767: "1.77", 0.8387: "0.839", 2.5e-5: "2.50e-5", 1.5e-12: "1.50e-12", 0: "0",
	} {
		if got := shortNumber(x); got != want {
			t.Errorf("shortNumber(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	got := []string{"level_10_bias", "level_2_mse", "level_2_bias", "acc", "level_4_bias", "b2", "b10a"}
	want := "acc b2 b10a level_2_bias level_2_mse level_4_bias level_10_bias"
	slices.SortFunc(got, english.NaturalCompare)
	if strings.Join(got, " ") != want {
		t.Errorf("natural order %v, want %s", got, want)
	}
}

// TestPageNamesTheFilesASweepExtends checks the page of a sweep whose file
// extends others: it names them, in the chain's order.
func TestPageNamesTheFilesASweepExtends(t *testing.T) {
	p, dir := demoSweep(t, []string{"jsd", "infonce"}, []float64{0.001, 0.01}, 2, 60)
	p.Extends = []string{"sweeps/parent.toml", "batchsize"}
	path, err := WritePage(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(path)
	want := `<dt>extends</dt><dd><code>sweeps/parent.toml</code>, which extends <code>batchsize</code></dd>`
	if !strings.Contains(string(page), want) {
		t.Errorf("the page lacks %q", want)
	}
}

// TestConfigLabelLeavesOutSettingsARunDoesNotSet labels the runs of a
// sweep whose overrides (or a conditional parameter) set a setting for
// some runs only: the others' labels leave it out rather than show
// "setting = " with nothing after it, or say they leave it as [base] has
// it where there is nothing else to say.
func TestConfigLabelLeavesOutSettingsARunDoesNotSet(t *testing.T) {
	params := []string{"estimator", "estimator_params.temperature"}
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{"jsd-temp", "2"}, "estimator = jsd-temp, estimator_params.temperature = 2"},
		{[]string{"jsd", ""}, "estimator = jsd"},
	} {
		if got := configLabel(params, c.values); got != c.want {
			t.Errorf("configLabel(%q) = %q, want %q", c.values, got, c.want)
		}
	}
	if got := configLabel(params[1:], []string{""}); got != "estimator_params.temperature unset" {
		t.Errorf("a run with no value: %q, want \"estimator_params.temperature unset\"", got)
	}
	if got := configLabel(nil, nil); got != "all runs" {
		t.Errorf("no parameters: %q, want \"all runs\"", got)
	}
}

// TestPageFoldsManyPendingRuns: a sweep just started has most of its runs
// pending, and a row for each would push the figures a screen or more
// down. Past foldPending, the pending runs are folded under one closed
// line below the failed, interrupted and running ones; fewer stay in the
// table in plan order.
func TestPageFoldsManyPendingRuns(t *testing.T) {
	for _, tc := range []struct {
		seeds, pending int
		fold           bool
	}{{7, 12, true}, {2, 2, false}} {
		p, dir := demoSweep(t, []string{"jsd", "infonce"}, []float64{1e-3}, tc.seeds, 5)
		for i := len(p.Runs) - tc.pending; i < len(p.Runs); i++ {
			p.Runs[i].State, p.Runs[i].Time = "pending", ""
		}
		path, err := WritePage(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		page := string(b)
		missing := page[strings.Index(page, `<section id="missing">`):]
		missing = missing[:strings.Index(missing, "</section>")]
		heading := fmt.Sprintf("Not done: %d of %d runs", tc.pending+1, len(p.Runs))
		folded := fmt.Sprintf(`<details class="pending"><summary>%d pending runs</summary>`, tc.pending)
		failed := strings.Index(missing, "diverged at step 7")
		if !strings.Contains(missing, heading) || failed < 0 || strings.Count(missing, `<span class="state pending">`) != tc.pending {
			t.Errorf("%d pending: the not-done section lacks %q, the failed run or a row per pending run:\n%s", tc.pending, heading, missing)
		}
		if at := strings.Index(missing, folded); (at >= 0) != tc.fold || (tc.fold && at < failed) {
			t.Errorf("%d pending: folded under %q: %v, want %v, after the failed run:\n%s", tc.pending, folded, at >= 0, tc.fold, missing)
		}
		checkPageLinks(t, dir, parsePage(t, b))
	}
}
