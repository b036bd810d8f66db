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

// WriteError is the error of a report whose files could not all be
// written: [results.WriteFilesAtomic] replaced none of its files from an
// earlier call, which stay as they were (but where a rename failed midway,
// as it says).
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }

func (e *WriteError) Unwrap() error { return e.Err }

// Outputs returns the paths of the files that a report named name wrote
// into dir in an earlier call and that are still there: those that
// WrittenList lists and that are regular files.
func Outputs(dir, name string) ([]string, error) {
	listed, _, err := readWritten(dir)
	var paths []string
	for _, ext := range outputExts {
		if file := name + "." + ext; listed[file] && isRegular(filepath.Join(dir, file)) {
			paths = append(paths, filepath.Join(dir, file))
		}
	}
	return paths, err
}

// RemoveOutputs removes the files that a report named name wrote into dir
// in an earlier call (see [Outputs]), for a report that failed this time
// for want of what it shows: a figure or table left from before would read
// as this call's. It removes only those regular files, never a folder or a
// file of the user's own of such a name. It returns the paths it removed.
func RemoveOutputs(dir, name string) ([]string, error) {
	paths, err := Outputs(dir, name)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, path := range paths {
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
// files the last call of [RemoveStale] was given, one base name a line,
// and those it kept of the reports declared.
const WrittenList = ".written"

// readWritten returns the base names that dir's WrittenList lists, but
// for any that could name a file outside dir, a hidden file, the page or
// a file no report writes (its extension not one of outputExts: an edited
// list naming notes.txt), and the list's text; none where there is no
// list.
func readWritten(dir string) (listed map[string]bool, text string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, WrittenList))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	listed = map[string]bool{}
	for _, name := range strings.Split(string(b), "\n") {
		if name != "" && name == filepath.Base(name) && !strings.HasPrefix(name, ".") && name != PageFile &&
			slices.Contains(outputExts, strings.TrimPrefix(filepath.Ext(name), ".")) {
			listed[name] = true
		}
	}
	return listed, string(b), nil
}

// isRegular reports whether path is a regular file (not a folder, nor a
// link).
func isRegular(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode().IsRegular()
}

// RemoveStale removes from dir the files that the last call listed in
// WrittenList and that this call did not write (written, their paths),
// but for those of the reports this call could not write (unwritten,
// their names), which keep their earlier files: the outputs of a report
// since dropped from the sweep file, renamed or made another kind (a
// figure's PNG beside the table of its name), which would otherwise sit
// beside this call's as though they were current. Then it lists written,
// and the unwritten reports' earlier files still there, for the next call.
// It removes only regular files it listed, never a folder, a file of the
// user's own, nor the page. It returns the paths it removed.
func RemoveStale(dir string, written, unwritten []string) ([]string, error) {
	now := map[string]bool{}
	for _, p := range written {
		now[filepath.Base(p)] = true
	}
	listed, old, err := readWritten(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, WrittenList), err)
	}
	list := maps.Clone(now)
	var removed []string
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		path := filepath.Join(dir, name)
		switch {
		case now[name] || !isRegular(path):
			// Written again, or gone, or no longer a file of this tool's.
		case ofReport(name, unwritten):
			list[name] = true
		default:
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing %s, of a report the sweep file no longer declares: %w", path, err))
				list[name] = true
			} else if err == nil {
				removed = append(removed, path)
			}
		}
	}
	if text := strings.Join(slices.Sorted(maps.Keys(list)), "\n") + "\n"; text != old {
		if err := results.WriteFilesAtomic([]results.FileData{{Path: filepath.Join(dir, WrittenList), Data: []byte(text)}}); err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// ofReport reports whether the file of base name file is one that a
// report of one of names would write.
func ofReport(file string, names []string) bool {
	for _, ext := range outputExts {
		if stem, ok := strings.CutSuffix(file, "."+ext); ok && slices.Contains(names, stem) {
			return true
		}
	}
	return false
}

// writeFiles writes each file as dir/name.<ext>, all or none (see
// [results.WriteFilesAtomic]), and returns their paths. Each ext is one of
// outputExts. Its error, where the files could not be written, is a
// *WriteError.
func writeFiles(dir, name string, files ...fileData) ([]string, error) {
	var paths []string
	var all []results.FileData
	for _, f := range files {
		if !slices.Contains(outputExts, f.ext) {
			return nil, fmt.Errorf("report %q: a file of extension %q, not among outputExts (a bug in the report kind)", name, f.ext)
		}
		path := filepath.Join(dir, name+"."+f.ext)
		all = append(all, results.FileData{Path: path, Data: f.data})
		paths = append(paths, path)
	}
	if err := results.WriteFilesAtomic(all); err != nil {
		return nil, &WriteError{Err: err}
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
