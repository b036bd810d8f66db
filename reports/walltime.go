package reports

import "strconv"

func init() {
	Register(Kind{
		Name: "walltime",
		Summary: "table of the wall time of the runs per group (such as estimator): runs, mean ± sd and the " +
			"longest seconds per run, and the total, from each run's summary",
		Check: func(spec Spec) error { _, err := readWalltimeOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readWalltimeOptions(spec)
			return givenKeys(spec, map[string][]string{"rows": o.Rows})
		},
		Make: makeWalltime,
	})
}

// walltimeOptions are the options of a walltime table:
//
//	rows       parameter or list of parameters, one row per value (required)
//	precision  decimals of the seconds (default 1)
//
// The times are summary.json's seconds: the wall time the sweep measured
// for each done run, which depends on the machine, its load and --parallel.
type walltimeOptions struct {
	Rows      []string
	Precision int
}

func readWalltimeOptions(spec Spec) (walltimeOptions, error) {
	r := readOptions("walltime", spec, "rows", "precision")
	r.require("rows", `a parameter such as "estimator"`)
	o := walltimeOptions{Rows: r.Strings("rows", nil), Precision: r.Int("precision", 1, 0, 6)}
	return o, r.Err()
}

func makeWalltime(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("walltime", spec, runs, readWalltimeOptions)
	if err != nil {
		return nil, err
	}
	groups, err := groupRuns("walltime", spec, done, o.Rows)
	if err != nil {
		return nil, err
	}
	t := groupTable(leftOutNote(out), o.Rows, []string{"runs", "seconds per run", "longest", "total seconds"},
		[]string{"runs", "mean_seconds", "sd_seconds", "max_seconds", "total_seconds"})
	for _, g := range groups {
		secs := runSeconds(g.Runs)
		mean, sd := MeanSD(secs)
		var total, longest float64
		for _, s := range secs {
			total += s
			longest = max(longest, s)
		}
		n := strconv.Itoa(len(secs))
		t.Rows = append(t.Rows, groupRow(g, n, meanSDCell(mean, sd, len(secs), len(secs), o.Precision),
			fixed(longest, o.Precision), fixed(total, o.Precision)))
		t.CSVRows = append(t.CSVRows, groupRow(g, n, exact(mean), exact(sd), exact(longest), exact(total)))
	}
	return writeTable(dir, spec.Name, t)
}
