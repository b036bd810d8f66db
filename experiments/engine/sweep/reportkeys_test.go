package sweep

import (
	"fmt"
	"strings"
	"testing"
)

// TestReportOptionsNamingUnknownKeysFailValidation names keys that no run
// has in the options that name parameters or config keys: validation must
// refuse them at the option's line (before, the sweep trained, then the
// report failed).
func TestReportOptionsNamingUnknownKeysFailValidation(t *testing.T) {
	head := "name = \"r\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n" // lines 1-4
	cases := []struct {
		name, report string
		line         int
		key, want    string
	}{
		{"staircase panel", "[[figures]]\nkind = \"staircase\"\npanel = \"nonexistent\"\n", 7, "figures[0].panel",
			`staircase report "staircase": "nonexistent" is neither a swept parameter nor a config key of task "fake" (swept: estimator;`},
		{"a misspelt line", "[[figures]]\nkind = \"staircase\"\nline = [\"estimator\", \"critc\"]\n", 7, "figures[0].line", `did you mean "critic"?`},
		{"heatmap y", "[[figures]]\nkind = \"heatmap\"\nx = \"width\"\ny = \"depth\"\nz = \"mi\"\n", 8, "figures[0].y", `"depth" is neither`},
		{"line group", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"mi\"\ngroup = \"optim.beta\"\n", 9, "figures[0].group", `"optim.beta" is neither`},
		{"table rows", "[[tables]]\nkind = \"table\"\nrows = \"estimatorr\"\ncolumns = [\"mi\"]\n", 7, "tables[0].rows", `did you mean "estimator"?`},
		{"bias_variance rows", "[[tables]]\nkind = \"bias_variance\"\nrows = [\"estimator\", \"nope\"]\n", 7, "tables[0].rows", `"nope" is neither`},
		{"margin where", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nwhere = {estimater = \"jsd\"}\nbaselines = [{label = \"b\", where = {estimator = \"dv\"}}]\n", 9, "tables[0].where", `"estimater" is neither`},
		{"margin baseline", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {model = \"dv\"}}]\n", 9, "tables[0].baselines", `"model" is neither`},
		// Known keys, values no run has: the report would find no run.
		{"line where value", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"mi\"\nwhere = {estimator = \"jsdd\"}\n", 9, "figures[0].where",
			`line report "line": no run of the sweep matches {estimator = jsdd}, so the report would have no runs (estimator takes dv, jsd)`},
		{"margin baseline value", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {estimator = \"nwj\"}}]\n", 9, "tables[0].baselines",
			`no run of the sweep matches {estimator = nwj} (b),`},
		{"interaction to value", interaction("jsd", "dvv", 8, ""), 11, "tables[0].to",
			`interaction report "i": no run of the sweep matches {estimator = dvv}, so the report would have no runs (estimator takes dv, jsd)`},
		{"interaction reference value", interaction("jsd", "dv", 64, ""), 13, "tables[0].reference",
			`no run of the sweep matches {batch_size = 64}, so the report would have no runs (batch_size takes 8)`},
		{"interaction from value left out by where", interaction("dv", "jsd", 8, "where = {estimator = [\"jsd\", \"nwj\"]}\n"), 10, "tables[0].from",
			`option "from": estimator = dv is left out by where {estimator = jsd|nwj}, so the table would have no runs`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fe := parseErr(t, head+c.report)
			if fe.Line != c.line || fe.Key != c.key || !strings.Contains(fe.Msg, c.want) {
				t.Errorf("got %v\nwant line %d, key %s and %q", fe, c.line, c.key, c.want)
			}
		})
	}
}

// interaction is an interaction table of the fake task's runs, the change
// from one estimator to another by batch size, starting at line 5 (from
// at line 10).
func interaction(from, to string, reference int, where string) string {
	return fmt.Sprintf("[[tables]]\nkind = \"interaction\"\nname = \"i\"\nmetric = \"mi\"\nfactor = \"estimator\"\nfrom = %q\nto = %q\nby = \"batch_size\"\nreference = %d\n%s",
		from, to, reference, where)
}

// TestReportOptionsNamingKnownKeysPass names swept parameters and config
// keys in every way a report finds them: swept, at the top level of the
// config, by a dotted path, by the name of a key in a nested table, and
// the seed; and leaves the staircase's defaults unchecked.
func TestReportOptionsNamingKnownKeysPass(t *testing.T) {
	src := "name = \"r\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n" +
		"[[figures]]\nkind = \"staircase\"\npanel = [\"estimator\", \"width\"]\nline = \"optim.lr\"\n" +
		"[[figures]]\nkind = \"heatmap\"\nx = \"momentum\"\ny = \"seed\"\nz = \"mi\"\n" +
		"[[tables]]\nkind = \"bias_variance\"\n" +
		"[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {estimator = \"dv\", batch_size = 8}}]\n" +
		interaction("dv", "jsd", 8, "where = {batch_size = 8}\n")
	parseFile(t, src)
	parseFile(t, "name = \"r\"\ntask = \"fake\"\n[[figures]]\nkind = \"staircase\"\n")
}
