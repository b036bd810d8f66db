package reports

import (
	"fmt"
	"strconv"
)

func init() {
	Register(Kind{
		Name: "estimates",
		Summary: "table of an estimate against the truth per group of runs (such as problem and estimator): " +
			"true value, mean with its 95% t-interval over seeds, bias, standard deviation, mean/truth and wall time",
		Check: func(spec Spec) error { _, err := readEstimatesOptions(spec); return err },
		Keys: func(spec Spec) []KeyRef {
			o, _ := readEstimatesOptions(spec)
			return givenKeys(spec, map[string][]string{"rows": o.Rows})
		},
		Metrics: func(spec Spec) []MetricRef {
			o, _ := readEstimatesOptions(spec)
			return append(summaryRefs("estimate", o.Estimate), summaryRefs("truth", o.Truth)...)
		},
		Groups: func(spec Spec) Grouping {
			o, _ := readEstimatesOptions(spec)
			return Grouping{Pool: declaredPool(spec), Unit: "row", Option: "rows", Keys: o.Rows, PerSeed: true}
		},
		Make: makeEstimates,
	})
}

// estimatesOptions are the options of an estimates table:
//
//	rows       parameter or list of parameters, one row per value (required),
//	           such as ["problem", "estimator"]
//	estimate   summary metric of the estimate (default "mi")
//	truth      summary metric of the true value (default "true_mi")
//	precision  decimals in the Markdown table (default 3)
//
// Per row: n, the seeds; the truth (its mean over them, which share it);
// the estimate's mean and 95% t-interval over the seeds; the bias (mean
// minus truth); the sample standard deviation; the ratio of the mean to
// the truth; and the mean wall time of a run in seconds, as the sweep
// recorded it (summary.json's seconds, which vary from machine to machine
// and with the load). Where a row pools runs that share a seed (pool, or
// a key its rows leave out), a seed's value is the mean of its runs' (see
// [perSeed]). A seed whose estimate is not finite (an overflowed NWJ
// read-out) is left out of the mean, interval, bias, sd and ratio, which
// then say "(n=k)" after the interval, as a table's cells do, and a note
// says why. The CSV file has, after the Markdown's columns (the mean's
// split into mean, ci_low and ci_high, the ratio named ratio), estimate_n:
// the k those are over.
type estimatesOptions struct {
	Rows            []string
	Estimate, Truth string
	Precision       int
}

func readEstimatesOptions(spec Spec) (estimatesOptions, error) {
	r := readOptions("estimates", spec, poolOption, "rows", "estimate", "truth", "precision")
	r.require("rows", `a parameter such as "estimator", or a list such as ["problem", "estimator"]`)
	o := estimatesOptions{
		Rows:      r.Strings("rows", nil),
		Estimate:  r.String("estimate", "mi"),
		Truth:     r.String("truth", "true_mi"),
		Precision: r.Int("precision", 3, 0, 12),
	}
	return o, r.Err()
}

// withBoth returns the function that gives a run's finite summary metric
// name where its estimate and truth are finite too, for perSeed: the
// estimate and the truth of a row are then over the same runs.
func (o estimatesOptions) withBoth(name string) func(Run) (float64, bool) {
	return func(r Run) (float64, bool) {
		e, okE := metric(r, o.Estimate)
		tr, okT := metric(r, o.Truth)
		v, ok := metric(r, name)
		return v, ok && okE && okT && finite(e) && finite(tr) && finite(v)
	}
}

func makeEstimates(runs []Run, spec Spec, dir string) ([]string, error) {
	o, done, out, err := startReport("estimates", spec, runs, readEstimatesOptions)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics("estimates", spec, "estimate", done, []string{o.Estimate}); err != nil {
		return nil, err
	}
	if err := checkMetrics("estimates", spec, "truth", done, []string{o.Truth}); err != nil {
		return nil, err
	}
	groups, err := groupRuns("estimates", spec, done, o.Rows)
	if err != nil {
		return nil, err
	}
	header := []string{"n", "true", "mean [95% CI]", "bias", "sd", "mean/true", "seconds"}
	csvHeader := []string{"n", "true", "mean", "ci_low", "ci_high", "bias", "sd", "ratio", "seconds", "estimate_n"}
	t := groupTable(joinNotes(leftOutNote(out), pooledNote("estimates", spec, done)), o.Rows, header, csvHeader)
	p := o.Precision
	marked := false
	for _, g := range groups {
		// The truth is averaged over the runs whose estimate counts, so that
		// bias and mean/true compare like with like.
		xs := seedValues(perSeed(g.Runs, o.withBoth(o.Estimate)))
		truth, _ := MeanSD(seedValues(perSeed(g.Runs, o.withBoth(o.Truth))))
		mean, half := TInterval(xs, 0.95)
		_, sd := MeanSD(xs)
		secs, _ := MeanSD(runSeconds(g.Runs))
		ci := fixed(mean, p)
		if finite(half) {
			ci = fmt.Sprintf("%s [%s, %s]", fixed(mean, p), fixed(mean-half, p), fixed(mean+half, p))
		}
		n, k := seedCount(g.Runs), len(xs)
		if k > 0 && k != n {
			ci += fmt.Sprintf(" (n=%d)", k)
			marked = true
		}
		t.Rows = append(t.Rows, groupRow(g, strconv.Itoa(n), fixed(truth, p), ci, signed(mean-truth, p), fixed(sd, p),
			fixed(mean/truth, 2), fixed(secs, 1)))
		t.CSVRows = append(t.CSVRows, groupRow(g, strconv.Itoa(n), exact(truth), exact(mean), exact(mean-half), exact(mean+half),
			exact(mean-truth), exact(sd), exact(mean/truth), exact(secs), strconv.Itoa(k)))
	}
	if marked {
		t.Note = joinNotes(t.Note, "(n=k): the estimate is not finite in every run of the row; its mean, interval, bias, sd and "+
			"mean/true are over the k seeds where it is finite in every run of the seed.")
	}
	return writeTable(dir, spec.Name, t)
}

// runSeconds returns the wall time of each run as its summary records it.
func runSeconds(runs []Run) []float64 {
	var xs []float64
	for _, r := range runs {
		if r.Summary != nil && r.Summary.Seconds > 0 {
			xs = append(xs, r.Summary.Seconds)
		}
	}
	return xs
}
