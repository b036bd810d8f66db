package reports

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
)

// reportView is one figure or table on the page: the figure's SVG inline,
// or the table's cells, and links to every file the report wrote.
type reportView struct {
	Name, Kind string
	Anchor     string
	SVG        template.HTML
	Table      *mdTable
	Links      []link
	// Err says why the report failed, or why the page cannot show it.
	Err string
}

// newReportView reads what the page shows of rep from its files in dir.
func newReportView(dir string, rep PageReport) reportView {
	v := reportView{Name: rep.Spec.Name, Kind: rep.Spec.Kind, Anchor: "report-" + rep.Spec.Name}
	if rep.Err != nil {
		v.Err = rep.Err.Error()
	}
	for _, f := range rep.Files {
		if href := relLink(dir, f); href != "" {
			v.Links = append(v.Links, link{Text: strings.TrimPrefix(filepath.Ext(f), "."), Href: href})
		}
		var err error
		switch filepath.Ext(f) {
		case ".svg":
			v.SVG, err = inlineSVG(f, rep.Spec.Name)
		case ".md":
			v.Table, err = readMarkdownTable(f)
		}
		if err != nil && v.Err == "" {
			v.Err = err.Error()
		}
	}
	return v
}

// inlineSVG returns the SVG file at path ready to sit inside HTML: from its
// <svg> element on, without the XML prolog, sized by CSS.
func inlineSVG(path, name string) (template.HTML, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("%s: no <svg> element", path)
	}
	s = `<svg class="figure" role="img" aria-label="` + template.HTMLEscapeString(name) + `"` + s[i+len("<svg"):]
	// The SVG is one that writeFigure made, with its text escaped.
	return template.HTML(s), nil
}

// mdTable is a Markdown table as writeTable writes it: a header, the
// alignment of each column, the rows, and the note under the table.
type mdTable struct {
	Header []string
	Right  []bool
	Rows   [][]string
	Note   string
}

// readMarkdownTable reads a table written by writeTable back into cells.
func readMarkdownTable(path string) (*mdTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := &mdTable{}
	var rows [][]string
	var note []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "|"):
			rows = append(rows, splitMarkdownRow(line))
		case line != "":
			note = append(note, line)
		}
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: not a Markdown table", path)
	}
	t.Header, t.Rows, t.Note = rows[0], rows[2:], strings.Join(note, " ")
	for _, sep := range rows[1] {
		t.Right = append(t.Right, strings.HasSuffix(sep, ":") && !strings.HasPrefix(sep, ":"))
	}
	return t, nil
}

// splitMarkdownRow splits "| a | b \| c |" into its cells, "a" and "b | c".
func splitMarkdownRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
