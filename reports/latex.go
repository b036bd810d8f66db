package reports

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// latexTable writes t as a LaTeX tabular in the booktabs style, ready to
// paste into a paper (\usepackage{booktabs}): \toprule, \midrule and
// \bottomrule, no vertical rules, numeric columns aligned right with true
// minus signs, "±" as $\pm$, and the leading parameter columns written only where their value
// changes from the row above. The note, such as which runs were left out,
// is a comment above the table.
func latexTable(name string, t tableData) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%% %s, from infomax's sweep report. Needs \\usepackage{booktabs}.\n", latexComment(name))
	if t.Note != "" {
		fmt.Fprintf(&b, "%% %s\n", latexComment(t.Note))
	}
	spec := make([]byte, len(t.Header))
	keys := 0 // the leading columns that are not numeric: the row parameters
	for i := range t.Header {
		spec[i] = 'l'
		if i < len(t.Numeric) && t.Numeric[i] {
			spec[i] = 'r'
		} else if keys == i {
			keys++
		}
	}
	fmt.Fprintf(&b, "\\begin{tabular}{%s}\n\\toprule\n", spec)
	latexRow(&b, t.Header, nil)
	b.WriteString("\\midrule\n")
	var prev []string
	for _, row := range t.Rows {
		cells := append([]string(nil), row...)
		for i := 0; i < keys && i < len(cells) && prev != nil && cells[i] == prev[i]; i++ {
			cells[i] = ""
		}
		latexRow(&b, cells, t.Numeric)
		prev = row
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	return b.Bytes()
}

// latexRow writes one row of cells, escaped, ended by \\; in the numeric
// columns a hyphen before a digit is a minus sign.
func latexRow(b *bytes.Buffer, cells []string, numeric []bool) {
	for i, c := range cells {
		if i > 0 {
			b.WriteString(" & ")
		}
		c = latexEscape(c)
		if i < len(numeric) && numeric[i] {
			c = minusSign.ReplaceAllString(c, "$$-$$$1")
		}
		if i == 0 && strings.HasPrefix(c, "[") {
			c = "{}" + c // after \\ or \midrule, a [ would open an optional length
		}
		b.WriteString(c)
	}
	b.WriteString(" \\\\\n")
}

// latexReplacer escapes the characters LaTeX treats specially in text, and
// writes the signs a table uses in math mode.
var latexReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`,
	`&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`, `_`, `\_`, `{`, `\{`, `}`, `\}`,
	`~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	`±`, `$\pm$`, `≤`, `$\leq$`, `≥`, `$\geq$`, `−`, `$-$`,
)

// minusSign matches a hyphen before a digit or decimal point.
var minusSign = regexp.MustCompile(`-([0-9.])`)

// latexEscape returns s as LaTeX text.
func latexEscape(s string) string { return latexReplacer.Replace(s) }

// latexComment returns s on one line, for a % comment.
func latexComment(s string) string { return strings.Join(strings.Fields(s), " ") }
