package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/infomax/infomax/experiments/engine/results"
)

// PageFile is the name of a sweep's page, in its reports directory.
const PageFile = "index.html"

// Page is what a sweep's page shows: the sweep, every run with its state,
// and every declared figure and table. cmd/sweep fills it in from the sweep
// file and the stored runs; WritePage turns it into one self-contained HTML
// file.
type Page struct {
	// Sweep is the sweep's name, Description its description, Task its
	// task and File the sweep file.
	Sweep, Description, Task, File string
	// Extends are the files File extends, the nearest first.
	Extends []string
	// Commands are the commands that made the results and the page, with
	// what each does, such as {"run or resume the sweep", "sweep run ..."}.
	Commands [][2]string
	// Status is the one-line summary `sweep status` ends with.
	Status string
	// Params are the names of the swept parameters, in the file's order,
	// then those of any other settings in which the runs differ (the
	// settings that overrides set).
	Params []string
	// Runs are every run of the sweep, in plan order.
	Runs []PageRun
	// Reports are the declared figures and tables, in the file's order.
	Reports []PageReport
}

// PageRun is one run of a sweep as the page shows it.
type PageRun struct {
	// Run is the run as reports see it: Summary is nil for a run that has
	// not started, Config nil when config.toml cannot be read.
	Run
	// Index is the run's position in the sweep, from 0.
	Index int
	// Values are the run's values of Page.Params, formatted.
	Values []string
	Seed   int64
	// State is done, failed, interrupted, running or pending; Detail says
	// why a run failed or which process runs it.
	State, Detail string
	// Seconds is the wall time recorded in the summary, Time the same for
	// reading.
	Seconds float64
	Time    string
}

// PageReport is one declared figure or table and what making it gave.
type PageReport struct {
	Spec Spec
	// Figure is set for a [[figures]] entry, unset for a [[tables]] one.
	Figure bool
	// Files are the files the report wrote; Err is why it failed.
	Files []string
	Err   error
}

//go:embed page.html.tmpl
var pageTemplateText string

// pageTemplate renders a pageView.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(pageTemplateText))

// WritePage writes the page of p as dir/index.html, atomically, and returns
// its path. dir is the sweep's reports directory: the page's links to the
// reports' files and to the runs' folders are relative to it. The page is
// one file with no network requests (inline SVG, inline style and a little
// script), so that it can be sent on or opened offline.
func WritePage(dir string, p Page) (string, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, newPageView(dir, p)); err != nil {
		return "", fmt.Errorf("page of sweep %s: %w", p.Sweep, err)
	}
	path := filepath.Join(dir, PageFile)
	if err := results.WriteFilesAtomic([]results.FileData{{Path: path, Data: b.Bytes()}}); err != nil {
		return "", err
	}
	return path, nil
}

// pageView is the page as the template reads it.
type pageView struct {
	Page
	Counts []stateCount
	// NotDone are the runs not done, in plan order, but for the pending
	// ones when there are more than foldPending: those are Pending, folded
	// under one line. NotDoneN counts both.
	NotDone, Pending []runRow
	NotDoneN         int
	Figures          []reportView
	Tables           []reportView
	Runs             runTable
	Curves           curvesView
	// Shared are the settings every run with a config has in common.
	Shared [][2]string
	// ResultsHref links results.csv, when it exists.
	ResultsHref string
}

// foldPending is the most pending runs the page lists row by row among
// the runs not done; more, as in a sweep just started, are folded under
// one line, so that they do not push the figures screens down.
const foldPending = 10

// stateCount is how many runs are in one state.
type stateCount struct {
	State string
	N     int
}

// link is a link to a file beside the page.
type link struct{ Text, Href string }

// newPageView gathers what the template shows of p.
func newPageView(dir string, p Page) *pageView {
	v := &pageView{Page: p}
	counts := map[string]int{}
	for _, r := range p.Runs {
		counts[r.State]++
	}
	for _, s := range []string{"done", "failed", "interrupted", "running", "pending"} {
		if counts[s] > 0 {
			v.Counts = append(v.Counts, stateCount{s, counts[s]})
		}
	}
	for _, rep := range p.Reports {
		rv := newReportView(dir, rep)
		if rep.Figure {
			v.Figures = append(v.Figures, rv)
		} else {
			v.Tables = append(v.Tables, rv)
		}
	}
	v.Runs = newRunTable(dir, p)
	fold := counts["pending"] > foldPending
	for _, row := range v.Runs.Rows {
		switch {
		case row.State == "pending" && fold:
			v.Pending = append(v.Pending, row)
		case row.State != "done":
			v.NotDone = append(v.NotDone, row)
		}
	}
	v.NotDoneN = len(v.NotDone) + len(v.Pending)
	v.Curves = newCurvesView(p)
	v.Shared = sharedSettings(p.Runs, p.Params)
	v.ResultsHref = relLink(dir, filepath.Join(dir, "..", results.ResultsFile))
	return v
}

// relLink returns the link from the page in dir to path (ending in a slash
// for a folder), or "" when path does not exist, so that the page has no
// dead links.
func relLink(dir, path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return ""
	}
	rel = filepath.ToSlash(rel)
	if info.IsDir() {
		rel += "/"
	}
	return rel
}

// sigFigs writes x with about four significant digits and no exponent for
// the sizes metrics have, or "n/a" when it is not finite.
func sigFigs(x float64) string {
	if !finite(x) {
		return missingValue
	}
	ax := math.Abs(x)
	if ax != 0 && (ax < 1e-3 || ax >= 1e7) {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	prec := 0
	if ax > 0 && ax < 1000 {
		prec = 3 - int(math.Floor(math.Log10(ax)))
	}
	return fixed(x, prec)
}
