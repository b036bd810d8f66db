package reports

import (
	"strings"
	"testing"
)

func TestLatexEscapesAndMarksNumbers(t *testing.T) {
	for in, want := range map[string]string{
		`estimator_params.tau`: `estimator\_params.tau`,
		`50% & $5 #1 {x}`:      `50\% \& \$5 \#1 \{x\}`,
		`a\b ~c^2`:             `a\textbackslash{}b \textasciitilde{}c\textasciicircum{}2`,
		`72.50 ± 0.71`:         `72.50 $\pm$ 0.71`,
	} {
		if got := latexEscape(in); got != want {
			t.Errorf("latexEscape(%q) = %q, want %q", in, got, want)
		}
	}
	tex := string(latexTable("t", tableData{
		Header:  []string{"preset", "lr", "gain"},
		Numeric: []bool{false, false, true},
		Rows:    [][]string{{"dim-l", "1e-05", "-1.5 [-2.0, -1.0]"}, {"dim-l", "1e-04", "+0.5"}, {"dim-g", "1e-04", "n/a"}},
		Note:    "Left out: 1 run not done\n(1 failed).",
	}))
	for _, want := range []string{
		"% Left out: 1 run not done (1 failed).\n",
		"\\begin{tabular}{llr}\n\\toprule\npreset & lr & gain \\\\\n\\midrule\n",
		// Minus signs in numbers only; a parameter keeps its hyphens.
		"dim-l & 1e-05 & $-$1.5 [$-$2.0, $-$1.0] \\\\\n",
		// A repeated leading value is left blank; a later column only
		// where every column before it repeats too.
		" & 1e-04 & +0.5 \\\\\n",
		"dim-g & 1e-04 & n/a \\\\\n\\bottomrule\n\\end{tabular}\n",
	} {
		if !strings.Contains(tex, want) {
			t.Errorf("LaTeX table lacks %q:\n%s", want, tex)
		}
	}
}

// TestLatexRowStartingWithABracket: a row whose first cell is a list
// value, [4, 8], would read after \\ or \midrule as an optional length;
// it starts with {} instead.
func TestLatexRowStartingWithABracket(t *testing.T) {
	tex := string(latexTable("t", tableData{Header: []string{"conv_channels", "n"}, Numeric: []bool{false, true},
		Rows: [][]string{{"[4, 8]", "2"}, {"[4]", "2"}}}))
	for _, want := range []string{"\\midrule\n{}[4, 8] & 2 \\\\\n{}[4] & 2 \\\\\n"} {
		if !strings.Contains(tex, want) {
			t.Errorf("LaTeX table lacks %q:\n%s", want, tex)
		}
	}
}
