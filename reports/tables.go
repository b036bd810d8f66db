package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/infomax/infomax/experiments/engine/results"
)

// tableData is a table ready to be written as Markdown, LaTeX and CSV. The
// Markdown and LaTeX cells are formatted for reading; the CSV cells carry
// full precision.
type tableData struct {
	Header []string
	Rows   [][]string
	// Numeric marks the Markdown columns to align right.
	Numeric []bool
	// Note, when set, is a sentence written under the Markdown table, such
	// as how many runs were left out.
	Note string

	CSVHeader []string
	CSVRows   [][]string
}

// writeTable writes dir/name.md, dir/name.csv and dir/name.tex (see
// latexTable) atomically.
func writeTable(dir, name string, t tableData) ([]string, error) {
	var md bytes.Buffer
	align := make(tw.Alignment, len(t.Header))
	for i := range align {
		align[i] = tw.AlignLeft
		if i < len(t.Numeric) && t.Numeric[i] {
			align[i] = tw.AlignRight
		}
	}
	tb := tablewriter.NewTable(&md,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(align),
	)
	tb.Header(escapeCells(t.Header))
	for _, row := range t.Rows {
		if err := tb.Append(escapeCells(row)); err != nil {
			return nil, fmt.Errorf("table %q: %w", name, err)
		}
	}
	if err := tb.Render(); err != nil {
		return nil, fmt.Errorf("table %q: %w", name, err)
	}
	if t.Note != "" {
		fmt.Fprintf(&md, "\n%s\n", t.Note)
	}

	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	if err := w.Write(t.CSVHeader); err != nil {
		return nil, err
	}
	if err := w.WriteAll(t.CSVRows); err != nil {
		return nil, fmt.Errorf("table %q: %w", name, err)
	}
	return writeFiles(dir, name, fileData{"md", md.Bytes()}, fileData{"csv", csvBuf.Bytes()},
		fileData{"tex", latexTable(name, t)})
}

// fileData is the contents of one file of a report, by its extension.
type fileData struct {
	ext  string
	data []byte
}

// outputExts are the extensions of the files a report writes: a figure's
// PNG and SVG, a table's Markdown, CSV and LaTeX.
var outputExts = []string{"png", "svg", "md", "csv", "tex"}

// RemoveOutputs removes the files that a report named name may have
// written into dir in an earlier call, for a report that failed this
// time: a figure or table left from before would read as this call's. It
// returns the paths it removed.
func RemoveOutputs(dir, name string) ([]string, error) {
	var removed []string
	var errs []error
	for _, ext := range outputExts {
		path := filepath.Join(dir, name+"."+ext)
		switch err := os.Remove(path); {
		case err == nil:
			removed = append(removed, path)
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// WrittenList is the file, in a reports directory, that lists the report
// files the last call of [RemoveStale] was given, one base name a line.
const WrittenList = ".written"

// RemoveStale removes from dir the files that the last call listed in
// WrittenList and that this call did not write (written, their paths):
// the outputs of a report since dropped from the sweep file or renamed,
// which would otherwise sit beside this call's as though they were
// current. Then it lists written for the next call. It removes only what
// it listed, never a file of the user's own, nor the page. It returns the
// paths it removed.
func RemoveStale(dir string, written []string) ([]string, error) {
	now := map[string]bool{}
	for _, p := range written {
		now[filepath.Base(p)] = true
	}
	old, err := os.ReadFile(filepath.Join(dir, WrittenList))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, name := range strings.Split(string(old), "\n") {
		if name == "" || now[name] || name != filepath.Base(name) || strings.HasPrefix(name, ".") || name == PageFile {
			continue
		}
		path := filepath.Join(dir, name)
		switch err := os.Remove(path); {
		case err == nil:
			removed = append(removed, path)
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	list := slices.Sorted(maps.Keys(now))
	if err := results.WriteFileAtomic(filepath.Join(dir, WrittenList), []byte(strings.Join(list, "\n")+"\n")); err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// writeFiles writes each file as dir/name.<ext>, atomically, and returns
// their paths. Each ext is one of outputExts.
func writeFiles(dir, name string, files ...fileData) ([]string, error) {
	var paths []string
	for _, f := range files {
		if !slices.Contains(outputExts, f.ext) {
			return nil, fmt.Errorf("report %q: a file of extension %q, not among outputExts (a bug in the report kind)", name, f.ext)
		}
		path := filepath.Join(dir, name+"."+f.ext)
		if err := results.WriteFileAtomic(path, f.data); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// groupTable returns a table without rows whose columns are the keys of
// the row groups, then header (Markdown) or csvHeader (CSV); the columns
// after the keys are numeric.
func groupTable(note string, keys, header, csvHeader []string) tableData {
	t := tableData{
		Header:    append(append([]string(nil), keys...), header...),
		Note:      note,
		CSVHeader: append(append([]string(nil), keys...), csvHeader...),
	}
	t.Numeric = make([]bool, len(t.Header))
	for i := len(keys); i < len(t.Header); i++ {
		t.Numeric[i] = true
	}
	return t
}

// groupRow returns the start of a table row of group g: its values, then
// cells.
func groupRow(g *group, cells ...string) []string {
	return append(append([]string(nil), g.Values...), cells...)
}

// escapeCells escapes the pipes that would end a Markdown cell.
func escapeCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}

// leftOutNote is the sentence under a table about runs it ignored.
func leftOutNote(out leftOut) string {
	if s := out.String(); s != "" {
		return "Left out: " + s + "."
	}
	return ""
}

// fixed formats x with prec decimals, or "n/a" when it is not finite. A
// magnitude of wideFixed or more, such as an NWJ read-out of -4e35 nats,
// takes prec decimals in scientific notation instead ("-4.120e+35"), which
// keeps its column readable.
func fixed(x float64, prec int) string {
	if !finite(x) {
		return missingValue
	}
	if math.Abs(x) >= wideFixed {
		return strconv.FormatFloat(x, 'e', prec, 64)
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', prec, 64) {
		s = s[1:] // no "-0.000"
	}
	return s
}

// wideFixed is the magnitude from which fixed writes scientific notation:
// ten digits before the point.
const wideFixed = 1e9

// exact formats x for CSV with 12 significant digits (enough for any metric,
// and free of float noise such as 1.7999999999999998), or as an empty cell
// when it is not finite.
func exact(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 12, 64)
}
