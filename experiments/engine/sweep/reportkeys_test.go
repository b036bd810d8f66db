package sweep

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/tasks"
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
		{"a misspelt line over lines", "[[figures]]\nkind = \"staircase\"\nline = [\n  \"estimator\",\n  \"critc\",\n]\n", 9, "figures[0].line", `did you mean "critic"?`},
		{"heatmap y", "[[figures]]\nkind = \"heatmap\"\nx = \"width\"\ny = \"depth\"\nz = \"mi\"\n", 8, "figures[0].y", `"depth" is neither`},
		{"line group", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"mi\"\ngroup = \"optim.beta\"\n", 9, "figures[0].group", `"optim.beta" is neither`},
		{"table rows", "[[tables]]\nkind = \"table\"\nrows = \"estimatorr\"\ncolumns = [\"mi\"]\n", 7, "tables[0].rows", `did you mean "estimator"?`},
		{"bias_variance rows", "[[tables]]\nkind = \"bias_variance\"\nrows = [\"estimator\", \"nope\"]\n", 7, "tables[0].rows", `"nope" is neither`},
		{"margin where", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nwhere = {estimater = \"jsd\"}\nbaselines = [{label = \"b\", where = {estimator = \"dv\"}}]\n", 9, "tables[0].where", `"estimater" is neither`},
		{"margin baseline", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {model = \"dv\"}}]\n", 9, "tables[0].baselines", `"model" is neither`},
		// Known keys whose values are text where the report needs numbers.
		{"line x of text", "[[figures]]\nkind = \"line\"\nx = \"estimator\"\ny = \"mi\"\n", 7, "figures[0].x",
			`line report "line": x = "estimator" takes dv, jsd in the runs, not numbers: the line kind needs a numeric x (a table or heatmap shows a categorical one)`},
		{"sample_size x of text", "[[figures]]\nkind = \"sample_size\"\nx = \"critic\"\npanel = \"estimator\"\ny = \"mi\"\ntruth = \"loss\"\n", 7, "figures[0].x",
			`x = "critic" takes separable in the runs, not numbers`},
		// Known keys, values no run has: the report would find no run.
		{"line where value", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"mi\"\nwhere = {estimator = \"jsdd\"}\n", 9, "figures[0].where",
			`line report "line": no run of the sweep matches {estimator = jsdd}, so the report would have no runs (estimator takes dv, jsd)`},
		{"margin baseline value", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {estimator = \"nwj\"}}]\n", 9, "tables[0].baselines",
			`no run of the sweep matches {estimator = nwj} (b),`},
		{"margin baseline value over lines", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [\n  {label = \"a\", where = {estimator = \"dv\"}},\n  {label = \"b\", where = {estimator = \"nwj\"}},\n]\n",
			11, "tables[0].baselines", `no run of the sweep matches {estimator = nwj} (b),`},
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
			// The file is at fault, not the task: ParseStored refuses it too.
			if _, err := ParseStored("x.toml", []byte(head+c.report), ResolveFile); err == nil || err.Error() != fe.Error() {
				t.Errorf("ParseStored: got %v, want %v", err, fe)
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
		"[[tables]]\nkind = \"bias_variance\"\ntruth = \"loss\"\n" +
		"[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {estimator = \"dv\", batch_size = 8}}]\n" +
		interaction("dv", "jsd", 8, "where = {batch_size = 8}\n")
	parseFile(t, src)
	parseFile(t, "name = \"r\"\ntask = \"fake\"\n[[figures]]\nkind = \"staircase\"\n")
}

// fakeLogTask is the fake task naming "seconds" as a logged metric too, for
// a summary option that names a logged one, a staircase level's summary
// metric, and "dv_gap" in the summary of its dv runs only, for reports
// that select runs; fakePlainTask is the fake task without its Metrics,
// whose reports' metrics go unchecked.
type (
	fakeLogTask   struct{ fakeTask }
	fakePlainTask struct{ tasks.Task }
)

func (fakeLogTask) Metrics(cfg tasks.Config) tasks.Metrics {
	m := tasks.Metrics{Summary: []string{"level_2_mean", "loss", "mi"}, Logged: []string{"loss", "mi", "seconds"}}
	if cfg.(*fakeConfig).Estimator == "dv" {
		m.Summary = append(m.Summary, "dv_gap")
	}
	return m
}

func init() {
	tasks.Register(tasks.TaskInfo{Name: "fake-log", Summary: "the fake task, logging seconds", Task: fakeLogTask{}})
	tasks.Register(tasks.TaskInfo{Name: "fake-plain", Summary: "the fake task, naming no metrics", Task: fakePlainTask{fakeTask{}}})
}

// TestReportOptionsNamingUnwrittenMetricsFailValidation names metrics that
// no run of the task writes where the reports read them: validation must
// refuse them at the option's line, with the task's metrics and the closest
// one (before, the sweep trained, then the report failed).
func TestReportOptionsNamingUnwrittenMetricsFailValidation(t *testing.T) {
	head := "name = \"r\"\ntask = \"%s\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n" // lines 1-4
	cases := []struct {
		name, task, report string
		line               int
		key, want          string
	}{
		{"line y", "fake", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = [\"mi\", \"los\"]\n", 8, "figures[0].y",
			`line report "line": no run of the sweep writes the summary metric "los" (task "fake" writes loss, mi); did you mean "loss"?`},
		{"line xmetric", "fake", "[[figures]]\nkind = \"line\"\nxmetric = \"negatives\"\ny = \"mi\"\n", 7, "figures[0].xmetric", `the summary metric "negatives"`},
		{"line reference", "fake", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"mi\"\nreference = \"ceiling\"\n", 9, "figures[0].reference", `the summary metric "ceiling"`},
		{"heatmap z", "fake", "[[figures]]\nkind = \"heatmap\"\nx = \"width\"\ny = \"estimator\"\nz = \"mii\"\n", 9, "figures[0].z", `did you mean "mi"?`},
		{"table columns", "fake", "[[tables]]\nkind = \"table\"\nrows = \"estimator\"\ncolumns = [\"mi\", \"acc\"]\n", 8, "tables[0].columns", `the summary metric "acc"`},
		{"table columns over lines", "fake", "[[tables]]\nkind = \"table\"\nrows = \"estimator\"\ncolumns = [\n  \"mi\",\n  \"acc\",\n]\n", 10, "tables[0].columns", `the summary metric "acc"`},
		{"margin baseline metric over lines", "fake", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [\n  {label = \"a\", where = {estimator = \"dv\"}, metric = \"mi\"},\n  {label = \"b\", where = {estimator = \"dv\"}, metric = \"m\"},\n]\n",
			11, "tables[0].baselines", `the summary metric "m"`},
		{"estimates default truth", "fake", "[[tables]]\nkind = \"estimates\"\nrows = \"estimator\"\n", 5, "tables[0].truth", `the summary metric "true_mi"`},
		{"margin baseline", "fake", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"mi\"\nbaselines = [{label = \"b\", where = {estimator = \"dv\"}, metric = \"m\"}]\n", 9,
			"tables[0].baselines", `the summary metric "m"`},
		{"interaction", "fake", strings.Replace(interaction("jsd", "dv", 8, ""), `metric = "mi"`, `metric = "mí"`, 1), 8, "tables[0].metric", `did you mean "mi"?`},
		{"sample_size default truth", "fake", "[[figures]]\nkind = \"sample_size\"\nx = \"width\"\npanel = \"estimator\"\ny = \"loss\"\n", 5, "figures[0].truth", `the summary metric "true_mi"`},
		{"bias_variance default truth", "fake", "[[tables]]\nkind = \"bias_variance\"\n", 5, "tables[0].truth",
			`"true_mi" is the default of truth: set truth to a metric the runs write`},
		{"margin metric", "fake", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"acc\"\nbaselines = [{label = \"b\", where = {estimator = \"dv\"}, metric = \"mi\"}]\n", 8,
			"tables[0].metric", `the summary metric "acc"`},
		{"estimates estimate", "fake", "[[tables]]\nkind = \"estimates\"\nrows = \"estimator\"\nestimate = \"mu\"\ntruth = \"loss\"\n", 8, "tables[0].estimate", `did you mean "mi"?`},
		{"sample_size y", "fake", "[[figures]]\nkind = \"sample_size\"\nx = \"width\"\npanel = \"estimator\"\ny = \"los\"\ntruth = \"mi\"\n", 9, "figures[0].y", `did you mean "loss"?`},
		{"line where", "fake-log", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"dv_gap\"\nwhere = {estimator = \"jsd\"}\n", 8, "figures[0].y",
			`no run of the sweep with {estimator = jsd} writes the summary metric "dv_gap" (those runs write level_2_mean, loss, mi)`},
		{"margin baseline where", "fake-log", "[[tables]]\nkind = \"margin\"\nrows = \"estimator\"\nmetric = \"dv_gap\"\nwhere = {estimator = \"dv\"}\n" +
			"baselines = [{label = \"b\", where = {estimator = \"jsd\"}}]\n", 10, "tables[0].baselines", `no run of the sweep with {estimator = jsd} writes the summary metric "dv_gap"`},
		{"curves y", "fake", "[[figures]]\nkind = \"curves\"\ny = [\"loss\", \"lr\"]\n", 7, "figures[0].y",
			`curves report "curves": no run of the sweep writes the metric logged during training (metrics.jsonl) "lr" (task "fake" writes loss, mi)`},
		{"staircase metric", "fake", "[[figures]]\nkind = \"staircase\"\nmetric = \"estimate\"\n", 7, "figures[0].metric", `metric logged during training (metrics.jsonl) "estimate"`},
		{"bias_variance from the log", "fake", "[[tables]]\nkind = \"bias_variance\"\nsource = \"metrics\"\n", 5, "tables[0].truth", `"true_mi"`},
		// A metric named is read from the log, though the runs write level summaries.
		{"bias_variance metric named", "fake-log", "[[tables]]\nkind = \"bias_variance\"\nmetric = \"mi_est\"\n", 7, "tables[0].metric", `metric logged during training (metrics.jsonl) "mi_est"`},
		{"a logged metric for a summary one", "fake-log", "[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"seconds\"\n", 8, "figures[0].y",
			`(task "fake-log" writes dv_gap, level_2_mean, loss, mi); "seconds" is a metric logged during training (metrics.jsonl), which this option does not read`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf(head, c.task) + c.report
			fe := parseErr(t, src)
			if fe.Line != c.line || fe.Key != c.key || !strings.Contains(fe.Msg, c.want) {
				t.Errorf("got %v\nwant line %d, key %s and %q", fe, c.line, c.key, c.want)
			}
			// The commands that read stored runs parse the file without
			// this check; CheckMetrics makes it, with Parse's error.
			s, err := ParseStored("x.toml", []byte(src), ResolveFile)
			if err != nil {
				t.Fatalf("ParseStored: %v", err)
			}
			if err := s.CheckMetrics(); err == nil || err.Error() != fe.Error() {
				t.Errorf("CheckMetrics: got %v, want %v", err, fe)
			}
		})
	}
}

// TestReportMetricsPass names metrics the runs write, or that a report
// reads only when it needs them, and any metric of a task that does not
// name its metrics: validation must let them through.
func TestReportMetricsPass(t *testing.T) {
	for _, src := range []string{
		"name = \"r\"\ntask = \"fake\"\n[[figures]]\nkind = \"line\"\nxmetric = \"loss\"\ny = [\"mi\", \"loss\"]\nreference = \"mi\"\n" +
			"[[figures]]\nkind = \"curves\"\ny = [\"mi\", \"loss\"]\n" +
			"[[figures]]\nkind = \"staircase\"\n" + // the truth line is drawn where it is logged
			"[[tables]]\nkind = \"bias_variance\"\ntruth = \"loss\"\n" + // source = "auto" reads the log of runs without levels
			"[[tables]]\nkind = \"estimates\"\nrows = \"estimator\"\ntruth = \"loss\"\n",
		"name = \"r\"\ntask = \"fake-log\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n[[figures]]\nkind = \"curves\"\ny = \"seconds\"\n" +
			"[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"dv_gap\"\n" + // some run writes it
			"[[figures]]\nkind = \"line\"\nname = \"dv\"\nx = \"width\"\ny = \"dv_gap\"\nwhere = {estimator = \"dv\"}\n" +
			"[[tables]]\nkind = \"bias_variance\"\n", // the runs' summary levels stand in for the log's true_mi
		"name = \"r\"\ntask = \"fake-plain\"\n[[figures]]\nkind = \"line\"\nx = \"width\"\ny = \"anything\"\n[[figures]]\nkind = \"curves\"\ny = \"at_all\"\n",
	} {
		parseFile(t, src)
	}
}
