package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/reports"
)

// TestReportWritesThePageWithEveryRunAsStatusSeesIt: `sweep report` writes
// index.html even for a sweep that declares no reports and whose runs are
// not all done, and the page shows every run in the state `sweep status`
// gives it, with the reason, and the walk's curves.
func TestReportWritesThePageWithEveryRunAsStatusSeesIt(t *testing.T) {
	s, out, host := walkInEveryState(t, "")
	code, stdout, errs := runCLI("report", s.File, "--out", out)
	page := filepath.Join(s.Dir(out), sweep.ReportsDir, reports.PageFile)
	if code != exitOK || !strings.HasSuffix(stdout, "page: "+page+" (every figure, table and run, with training curves; open it in a browser)\n") {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, errs)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	_, status, _ := runCLI("status", s.File, "--out", out)
	lines := strings.Split(strings.TrimSpace(status), "\n")
	summary := lines[len(lines)-1]
	// The summary's time left moves with the running run's clock; the
	// counts do not.
	counts, _, _ := strings.Cut(summary, ";")
	for _, want := range []string{
		counts, "diverged at step 2: loss is NaN", fmt.Sprintf("pid %d on %s", os.Getpid(), host),
		`<span class="state pending">pending</span>`, `<span class="state running">running</span>`,
		"Not done: 3 of 6 runs", "<th>x</th>", "sweep run " + s.File + " --out " + out,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, r := range s.Runs {
		if !strings.Contains(html, `id="run-`+r.ID+`"`) {
			t.Errorf("the page has no row for run %s", r.ID)
		}
	}
	// The done runs logged x: a sparkline for each configuration, scale =
	// 0.5 and 2.
	if n := strings.Count(html, `<svg class="spark"`); n != 2 {
		t.Errorf("the page has %d sparklines, want 2", n)
	}
}

// TestPageShowsAFailedReport: a report that fails leaves its error on the
// page, beside the reports that did not.
func TestPageShowsAFailedReport(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "[[figures]]\nkind = \"curves\"\nname = \"walk_curves\"\ny = \"x\"\ngroup = \"scale\"\n"+
		"[[tables]]\nkind = \"failing\"\nname = \"walk_failing\"\n")
	code, stdout, _ := runCLI("run", f, "--out", out)
	if code != exitFailed || !strings.Contains(stdout, "reports failed: report walk_failing (failing): ") || !strings.Contains(stdout, "\npage: ") {
		t.Fatalf("run: exit %d\n%s", code, stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "walk", sweep.ReportsDir, reports.PageFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`aria-label="walk_curves"`, `id="report-walk_failing"`, `read 6 runs and failed, as it always does`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestPageShowsWhatOverridesSet: the run table has a column for a setting
// an override sets, after the swept parameter, with every run's value, as
// results.csv does.
func TestPageShowsWhatOverridesSet(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "[[overrides]]\nwhere = { scale = 2.0 }\nsteps = 5\n")
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errs)
	}
	b, err := os.ReadFile(filepath.Join(out, "walk", sweep.ReportsDir, reports.PageFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if i, j := strings.Index(html, `<th data-sort="text">scale</th><th data-sort="text">steps</th>`), strings.Index(html, `data-sort="num">seed</th>`); i < 0 || j < i {
		t.Errorf("the run table's header lacks scale then steps before seed")
	}
	for _, want := range []string{"<td>0.5</td><td>3</td>", "<td>2</td><td>5</td>"} {
		if n := strings.Count(html, want); n != 3 {
			t.Errorf("the page has %d runs with %q, want 3 (one a seed)", n, want)
		}
	}
}

// TestPageCommandsSayWhereToRunThem: a sweep run with a relative file and
// --out has a page whose commands start with the cd to the folder they
// are relative to, and run from there, they remake the page; with both
// paths absolute, the page gives no cd.
func TestPageCommandsSayWhereToRunThem(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "")
	dir := filepath.Dir(f)
	t.Chdir(dir)
	if code, stdout, errs := runCLI("run", "walk.toml", "--out", "runs"); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errs)
	}
	page := filepath.Join(out, "walk", sweep.ReportsDir, reports.PageFile)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd() // dir, with any symbolic link resolved as the process sees it
	if err != nil {
		t.Fatal(err)
	}
	cd := "<dt>from the folder</dt><dd><code>cd " + sweep.ShellQuote(wd) + "</code></dd>"
	for _, want := range []string{cd, "<code>sweep run walk.toml --out runs</code>", "<code>sweep report walk.toml --out runs</code>"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the page of a relative run lacks %q", want)
		}
	}
	if code, stdout, errs := runCLI("report", f, "--out", out); code != exitOK {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, errs)
	}
	if b, err = os.ReadFile(page); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "from the folder") || !strings.Contains(string(b), "sweep report "+sweep.ShellQuote(f)+" --out "+sweep.ShellQuote(out)) {
		t.Errorf("the page of absolute paths gives a cd, or lacks its report command")
	}
}
