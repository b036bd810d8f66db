package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/reports"
)

// ranSmallWalk writes the small walk sweep followed by extra (see
// writeSmallWalk), runs it with these extra arguments, which must succeed,
// and returns the file, the output directory and the sweep.
func ranSmallWalk(t *testing.T, extra string, args ...string) (f, out string, s *sweep.Sweep) {
	t.Helper()
	f, out, _ = writeSmallWalk(t, extra)
	if code, stdout, errs := runCLI(append([]string{"run", f, "--out", out}, args...)...); code != exitOK {
		t.Fatalf("sweep run %q: exit %d\n%s%s", args, code, stdout, errs)
	}
	s, err := sweep.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, out, s
}

// editFile replaces the content of the file at path with edit's of it.
func editFile(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnusableOutIsAUsageError: an --out that cannot hold the sweep (a
// regular file, under one, or, when not root, in a read-only directory) is
// for the user to fix: run, status and report exit with 2 and say why and
// what to do. An --out that is a file says so, rather than (report) that
// nothing was run there yet.
func TestUnusableOutIsAUsageError(t *testing.T) {
	f, _, _ := writeSmallWalk(t, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"run", "status", "report"} {
		code, stdout, errs := runCLI(cmd, f, "--out", file)
		if want := ": --out " + file + " is a file, not a folder; pass --out DIR "; code != exitUsage || !strings.Contains(errs, want) || len(regexp.MustCompile(`(?m)^sweep`).FindAllString(errs, -1)) != 1 {
			t.Errorf("sweep %s --out <a file>: exit %d, want 2 and one line with %q\n%s%s", cmd, code, want, stdout, errs)
		}
	}
	// plan needs no results folder: it lists the runs, warning once that
	// the list shows no run's state.
	code, stdout, errs := runCLI("plan", f, "--out", file)
	if want := "sweep plan: output directory "; code != exitOK || !strings.HasPrefix(errs, want) || !strings.HasSuffix(errs, "the list below shows no run's state\n") || strings.Count(errs, "\n") != 1 || !strings.Contains(stdout, "run id") {
		t.Errorf("sweep plan --out <a file>: exit %d, want 0, the run list and one warning line\n%s%s", code, stdout, errs)
	}
	outs := []string{file, filepath.Join(file, "runs")}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, filepath.Join(ro, "runs"))
	}
	for _, out := range outs {
		for _, cmd := range []string{"run", "status", "report"} {
			code, stdout, errs := runCLI(cmd, f, "--out", out)
			line := regexp.MustCompile(`(?m)^sweep.*: output directory ` + regexp.QuoteMeta(filepath.Join(out, "walk")) + `.*; pass --out DIR .*$`)
			if code != exitUsage || !line.MatchString(errs) {
				t.Errorf("sweep %s --out %s: exit %d, want 2\n%s%s", cmd, out, code, stdout, errs)
			}
		}
	}
}

// TestAFullDiskSaysItsOwnFix: an output directory whose sweep.json cannot
// be written for want of space says to free space, as the write's error
// does, not to pass an --out "you can write": the directory is writable.
func TestAFullDiskSaysItsOwnFix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "walk")
	full := &sweep.OutError{Dir: dir, Err: fmt.Errorf("writing %s: %w (free space on its disk, then rerun)", filepath.Join(dir, sweep.RecordFile),
		&fs.PathError{Op: "write", Path: filepath.Join(dir, ".sweep.json.tmp-1"), Err: syscall.ENOSPC})}
	if hint := outHint(full); hint != "" {
		t.Errorf("outHint of a full disk: %q, want none", hint)
	}
	if hint := outHint(&sweep.OutError{Dir: dir, Err: fs.ErrPermission}); !strings.Contains(hint, "--out DIR") {
		t.Errorf("outHint of a folder this user may not write: %q, want the --out hint", hint)
	}
}

// TestReportWarnsOfTornMetricsLines: a done run's metrics.jsonl with a
// corrupt line and a torn last one still makes its figure, and `sweep
// report` names the file and the lines it skipped.
func TestReportWarnsOfTornMetricsLines(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"staircase\"\nname = \"walk\"\nmetric = \"x\"\ntruth = \"x\"\n")
	path := filepath.Join(s.RunDir(out, s.Runs[0]), results.MetricsFile)
	editFile(t, path, func(m string) string {
		lines := strings.SplitAfter(m, "\n")
		lines[1] = "{\"step\": 2, \"valu\n"
		return strings.Join(lines, "") + "{\"step\":4,"
	})
	code, stdout, errs := runCLI("report", f, "--out", out)
	want := "warning: " + path + ": skipped 2 lines that could not be read (torn or corrupt): lines 2 and 4\n"
	if code != exitOK || !strings.Contains(errs, want) {
		t.Fatalf("report: exit %d, stderr lacks %q\n%s%s", code, want, stdout, errs)
	}
}

// TestReportWarnsOfACrashedRunsTornLine: a run whose process died mid-line
// (its summary.json still says running, but no process holds it) is
// interrupted, not live: its torn last line is a warning of `sweep report`,
// as any done run's is, and not left out unwarned as the line a live
// run's writer has not finished yet.
func TestReportWarnsOfACrashedRunsTornLine(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"curves\"\nname = \"walk\"\ny = [\"x\"]\ngroup = [\"scale\"]\n")
	dir := s.RunDir(out, s.Runs[0])
	editFile(t, filepath.Join(dir, results.SummaryFile), func(m string) string {
		if !strings.Contains(m, `"status": "done"`) {
			t.Fatalf("summary.json has no done status to make running:\n%s", m)
		}
		return strings.Replace(m, `"status": "done"`, `"status": "running"`, 1)
	})
	path := filepath.Join(dir, results.MetricsFile)
	editFile(t, path, func(m string) string { return m + "{\"step\":4," })
	code, stdout, errs := runCLI("report", f, "--out", out)
	want := "warning: " + path + ": skipped 1 line that could not be read (torn or corrupt): line 4\n"
	if code != exitOK || !strings.Contains(errs, want) || !strings.Contains(stdout, s.Runs[0].ID+": interrupted") {
		t.Fatalf("report: exit %d, want the run interrupted and stderr to hold %q\n%s%s", code, want, stdout, errs)
	}
}

// TestReportWarnsOfADoneRunsShortLog: a done run whose metrics.jsonl lost
// its end (cut to its first record and a torn line) is one warning of
// `sweep report`, naming the file, the step the log ends at and the run's
// final step, beside the torn line's, and the page says so too; the runs
// whose logs are whole give none.
func TestReportWarnsOfADoneRunsShortLog(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"curves\"\nname = \"walk\"\ny = [\"x\"]\ngroup = [\"scale\"]\n")
	path := filepath.Join(s.RunDir(out, s.Runs[0]), results.MetricsFile)
	editFile(t, path, func(m string) string {
		return strings.SplitAfter(m, "\n")[0] + "{\"step\":2,\"val"
	})
	code, stdout, errs := runCLI("report", f, "--out", out)
	want := "warning: " + path + " ends at step 1, but the run is done at step 3 (summary.json): its later records are lost"
	if code != exitOK || !strings.Contains(errs, want) || !strings.Contains(errs, path+": skipped 1 line") {
		t.Fatalf("report: exit %d, stderr lacks %q\n%s%s", code, want, stdout, errs)
	}
	if n := strings.Count(errs, "but the run is done at step"); n != 1 {
		t.Errorf("report: %d warnings of a log cut short, want 1 (the one run's):\n%s", n, errs)
	}
	page, err := os.ReadFile(filepath.Join(s.Dir(out), sweep.ReportsDir, reports.PageFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), path+" ends at step 1, but the run is done at step 3") {
		t.Errorf("the page does not say that the log of run %s ends at step 1", s.Runs[0].ID)
	}
}

// TestReportSaysHowToRemakeADoneRunsMissingFile: with a done run's
// metrics.jsonl deleted, the report that reads it fails, naming the file
// and saying how to have the run made again, and the figure the first
// call made is removed rather than left to pass for this call's.
func TestReportSaysHowToRemakeADoneRunsMissingFile(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"staircase\"\nname = \"walk\"\nmetric = \"x\"\ntruth = \"x\"\n")
	dir := s.RunDir(out, s.Runs[0])
	if err := os.Remove(filepath.Join(dir, results.MetricsFile)); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runCLI("report", f, "--out", out)
	want := "; restore that file, or delete " + filepath.Join(dir, results.SummaryFile) + " so that `sweep run` runs that run again"
	if code == exitOK || !strings.Contains(errs, results.MetricsFile) || !strings.Contains(errs, want) {
		t.Fatalf("report: exit %d, stderr lacks %q\n%s%s", code, want, stdout, errs)
	}
	if !strings.Contains(errs, "(its files from an earlier call removed)") {
		t.Errorf("report: stderr does not say the figure's earlier files were removed\n%s", errs)
	}
	for _, ext := range []string{".png", ".svg"} {
		if _, err := os.Stat(filepath.Join(s.Dir(out), sweep.ReportsDir, "walk"+ext)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("walk%s of the first call is still there after the report failed (stat: %v)", ext, err)
		}
	}
}

// TestReportRemovesTheFilesOfADroppedReport: a figure dropped from the
// sweep file (an edit that changes no run) leaves no files behind at the
// next `sweep report`, which says what it removed; a file of the user's
// own in the reports directory stays.
func TestReportRemovesTheFilesOfADroppedReport(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"staircase\"\nname = \"walk\"\nmetric = \"x\"\ntruth = \"x\"\n")
	dir := filepath.Join(s.Dir(out), sweep.ReportsDir)
	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, f, func(text string) string { // the figure's name, after the sweep's
		i := strings.LastIndex(text, "name = \"walk\"")
		return text[:i] + "name = \"walk2\"" + text[i+len("name = \"walk\""):]
	})
	code, stdout, errs := runCLI("report", f, "--out", out)
	if want := "removed 2 files of reports the sweep file no longer declares: walk.png, walk.svg\n"; code != exitOK || !strings.Contains(errs, want) {
		t.Fatalf("report: exit %d, stderr lacks %q\n%s%s", code, want, stdout, errs)
	}
	for name, want := range map[string]bool{"walk.png": false, "walk.svg": false, "walk2.png": true, "walk2.svg": true, "notes.md": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: stat %v, want it there: %v", name, err, want)
		}
	}
}

// TestReportCountsEveryRunNotDone: with 3 runs of 6 done, one failed and
// two never started, the table's note counts all three left out, and the
// figure's legend groups them by a setting of the sweep file's [base],
// which the runs not done have too.
func TestReportCountsEveryRunNotDone(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[tables]]\nkind = \"table\"\nname = \"walk_table\"\nrows = \"scale\"\ncolumns = [\"max_abs\"]\n"+
		"[[figures]]\nkind = \"line\"\nname = \"walk_line\"\nx = \"scale\"\ny = \"max_abs\"\ngroup = \"steps\"\n", "--shard", "0/2")
	failed := s.RunDir(out, s.Runs[1])
	os.MkdirAll(failed, 0o755)
	results.WriteSummary(failed, &results.Summary{RunID: s.Runs[1].ID, Status: results.StatusFailed, Error: "diverged at step 2: loss is NaN", Step: 2})
	if code, stdout, errs := runCLI("report", f, "--out", out); code != exitOK || !strings.Contains(stdout, "3 of 6 runs are not done") {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, errs)
	}
	md, err := os.ReadFile(filepath.Join(s.Dir(out), sweep.ReportsDir, "walk_table.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Left out: 3 runs not done (1 failed, 2 pending)."; !strings.Contains(string(md), want) {
		t.Fatalf("the table does not say %q:\n%s", want, md)
	}
	svg, err := os.ReadFile(filepath.Join(s.Dir(out), sweep.ReportsDir, "walk_line.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "3: 1 failed, 2 pending"; !strings.Contains(string(svg), want) {
		t.Errorf("the figure's legend does not say %q", want)
	}
}

// TestStatusAndRunAgreeOnACorruptSummary: for a truncated summary.json,
// status says that `sweep run` runs the run again, and run does, saying so.
func TestStatusAndRunAgreeOnACorruptSummary(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	path := filepath.Join(s.RunDir(out, s.Runs[2]), results.SummaryFile)
	editFile(t, path, func(sum string) string { return sum[:len(sum)/2] })
	want := path + ": corrupt summary (unexpected end of JSON input); `sweep run` runs it again"
	code, stdout, _ := runCLI("status", f, "--out", out)
	if code != exitOK || !strings.Contains(stdout, want) || strings.Contains(stdout, "delete") {
		t.Fatalf("status: exit %d, want %q\n%s", code, want, stdout)
	}
	code, stdout, errs := runCLI("run", f, "--out", out)
	if code != exitOK || !strings.Contains(stdout, "[3/6] "+s.Runs[2].ID+": "+want) || !strings.Contains(stdout, "1 ran, 5 already done") {
		t.Fatalf("run: exit %d, want %q\n%s%s", code, want, stdout, errs)
	}
}

// TestARunThatCannotRunExitsWithOne: a run whose directory cannot be made
// fails, the other runs run, and the exit status is 1, not 0.
func TestARunThatCannotRunExitsWithOne(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "")
	s, err := sweep.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.RunDir(out, s.Runs[1]), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runCLI("run", f, "--out", out)
	if code != exitFailed || !strings.Contains(stdout, "5 ran, 0 already done, 1 failed") || !strings.Contains(stdout, s.Runs[1].ID+": FAILED before it started: "+s.RunDir(out, s.Runs[1])+" is a file, not a folder: move it away, then rerun\n") {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, errs)
	}
}

// TestReportRefusesAFileThatNoLongerDescribesTheRuns: report, status and
// plan read the stored runs by the file as it is. When it no longer
// describes the runs recorded in sweep.json (which run refuses), status
// and plan say so, and
// report refuses it, leaving results.csv and the reports as they were,
// unless --force, which reports the file's runs.
func TestReportRefusesAFileThatNoLongerDescribesTheRuns(t *testing.T) {
	f, out, _ := ranSmallWalk(t, "")
	csv := filepath.Join(out, "walk", "results.csv")
	before, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	editFile(t, f, func(src string) string { return strings.Replace(src, "values = [0.5, 2.0]", "values = [0.5, 3.0]", 1) })
	want := f + " no longer describes the runs recorded in "
	code, stdout, errs := runCLI("status", f, "--out", out)
	if !strings.Contains(errs, "warning: "+want) || !strings.Contains(errs, "(0 changed, 3 added, 3 removed;") {
		t.Errorf("status of a changed file: exit %d, stderr lacks %q\n%s%s", code, want, stdout, errs)
	}
	code, stdout, errs = runCLI("plan", f, "--out", out)
	if code != exitOK || !strings.Contains(errs, "warning: "+want) || !strings.Contains(stdout, "pending") {
		t.Errorf("plan of a changed file: exit %d, want 0 and its runs with the warning\n%s%s", code, stdout, errs)
	}
	code, stdout, errs = runCLI("report", f, "--out", out)
	if code != exitUsage || !strings.Contains(errs, "sweep: "+want) || !strings.Contains(errs, "or add --force to report its runs as they stand") ||
		strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("report of a changed file: exit %d, want 2 and one line saying why\n%s%s", code, stdout, errs)
	}
	if after, _ := os.ReadFile(csv); string(after) != string(before) {
		t.Errorf("the refused report changed results.csv:\n%s\nwas\n%s", after, before)
	}
	code, stdout, errs = runCLI("report", f, "--out", out, "--force")
	if code == exitUsage || !strings.Contains(errs, "warning: "+want) || !strings.Contains(stdout, "3 of 6 runs are not done") {
		t.Errorf("report --force of a changed file: exit %d, want the file's runs reported with the warning\n%s%s", code, stdout, errs)
	}
	editFile(t, f, func(src string) string { return strings.Replace(src, "values = [0.5, 3.0]", "values = [0.5, 2.0]", 1) })
	for _, cmd := range []string{"status", "plan"} {
		if _, _, errs := runCLI(cmd, f, "--out", out); strings.Contains(errs, "no longer describes") {
			t.Errorf("%s of the file as it ran warns: %s", cmd, errs)
		}
	}
}

// TestRunOfACorruptRecordSaysItsFix: a sweep.json that cannot be decoded
// stops `sweep run` with 2 and one line whose fix is --force, without the
// hint for a folder that cannot be written; with --force the run goes on.
func TestRunOfACorruptRecordSaysItsFix(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	if err := os.WriteFile(filepath.Join(s.Dir(out), sweep.RecordFile), []byte("{bad"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runCLI("run", f, "--out", out)
	if code != exitUsage || !strings.Contains(errs, "sweep.json: corrupt (") || !strings.Contains(errs, "rerun with --force to replace it") ||
		strings.Contains(errs, "a directory you can write") {
		t.Errorf("run of a corrupt record: exit %d\n%s%s", code, stdout, errs)
	}
	if code, stdout, errs := runCLI("run", f, "--out", out, "--force"); code != exitOK || !strings.Contains(stdout, "replacing the corrupt sweep.json") {
		t.Errorf("run --force of a corrupt record: exit %d\n%s%s", code, stdout, errs)
	}
}

// TestReportRefusesACorruptRecord: with a sweep.json that cannot be
// decoded, nothing tells whether the file still describes the recorded
// runs, so report of a changed file refuses with 2 and one line naming the
// record and --force, leaving results.csv and the reports as they were;
// status warns of it; report --force reports the file's runs.
func TestReportRefusesACorruptRecord(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"staircase\"\nname = \"walk\"\nmetric = \"x\"\ntruth = \"x\"\n")
	record := filepath.Join(s.Dir(out), sweep.RecordFile)
	if err := os.WriteFile(record, []byte("{bad"), 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, f, func(src string) string { return strings.Replace(src, "values = [0.5, 2.0]", "values = [0.5, 3.0]", 1) })
	kept := []string{filepath.Join(s.Dir(out), results.ResultsFile)}
	for _, name := range []string{"walk.png", "walk.svg", reports.PageFile, reports.WrittenList} {
		kept = append(kept, filepath.Join(s.Dir(out), sweep.ReportsDir, name))
	}
	before := readAll(t, kept)
	code, stdout, errs := runCLI("status", f, "--out", out)
	if code != exitOK || !strings.Contains(errs, "warning: "+record+": corrupt (") || !strings.Contains(errs, "--force replaces the record") {
		t.Errorf("status of a corrupt record: exit %d, want 0 and a warning naming %s\n%s%s", code, record, stdout, errs)
	}
	code, stdout, errs = runCLI("report", f, "--out", out)
	line := regexp.MustCompile(`(?m)^sweep: ` + regexp.QuoteMeta(record) + `: corrupt \(.*: rerun with --force .*$`)
	if code != exitUsage || len(line.FindAllString(errs, -1)) != 1 || strings.Count(errs, "sweep: ") != 1 {
		t.Errorf("report of a corrupt record: exit %d, want 2 and one line naming %s and --force\n%s%s", code, record, stdout, errs)
	}
	for path, after := range readAll(t, kept) {
		if after != before[path] {
			t.Errorf("the refused report changed %s", path)
		}
	}
	code, stdout, errs = runCLI("report", f, "--out", out, "--force")
	if code == exitUsage || !strings.Contains(errs, "warning: "+record+": corrupt (") || !strings.Contains(stdout, "3 of 6 runs are not done") {
		t.Errorf("report --force of a corrupt record: exit %d, want the file's runs reported with the warning\n%s%s", code, stdout, errs)
	}
}

// readAll returns the contents of the files at paths, by path.
func readAll(t *testing.T, paths []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = string(b)
	}
	return m
}

// TestReportKeepsTheFilesOfAReportItCannotWrite: where one file of a
// report cannot be written (a folder of the user's in its place, full or
// empty, or, when not root, a read-only reports folder), report fails
// with one line naming that file, and the report's files from the earlier
// call stay as they were, still listed as the tool's; the folder stays, and
// nothing is said to be of a report no longer declared.
func TestReportKeepsTheFilesOfAReportItCannotWrite(t *testing.T) {
	f, out, s := ranSmallWalk(t, "[[figures]]\nkind = \"staircase\"\nname = \"walk\"\nmetric = \"x\"\ntruth = \"x\"\n")
	dir := filepath.Join(s.Dir(out), sweep.ReportsDir)
	png, svg := filepath.Join(dir, "walk.png"), filepath.Join(dir, "walk.svg")
	before := readAll(t, []string{png})
	report := func(what, want string) {
		t.Helper()
		code, stdout, errs := runCLI("report", f, "--out", out)
		line := regexp.MustCompile(`(?m)^sweep: report walk \(staircase\): ` + regexp.QuoteMeta(want) + `.* \(its files from an earlier call are kept as they were\)$`)
		if code != exitFailed || !line.MatchString(errs) || strings.Contains(errs, "no longer declares") {
			t.Errorf("report with %s: exit %d, want 1 and one line naming the file\n%s%s", what, code, stdout, errs)
		}
		for path, was := range before {
			if now, err := os.ReadFile(path); err != nil || string(now) != was {
				t.Errorf("report with %s: %s changed or is gone (%v)", what, path, err)
			}
		}
		if list, _ := os.ReadFile(filepath.Join(dir, reports.WrittenList)); !strings.Contains(string(list), "walk.png\n") {
			t.Errorf("report with %s: %s no longer lists walk.png:\n%s", what, reports.WrittenList, list)
		}
	}
	if err := os.Remove(svg); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(svg, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	report("a full folder in place of walk.svg", svg+" is a folder, which no file can replace: move it away")
	if err := os.Remove(filepath.Join(svg, "keep")); err != nil {
		t.Fatal(err)
	}
	report("an empty folder in place of walk.svg", svg+" is a folder")
	if st, err := os.Stat(svg); err != nil || !st.IsDir() {
		t.Fatalf("the user's folder %s is gone: %v", svg, err)
	}
	if err := os.Remove(svg); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // root writes anywhere
		return
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	report("a read-only reports folder", "writing "+png+": permission denied (make "+dir+" writable")
}

// TestReportInAFolderItCannotWriteSaysTheFix: when not root, report of a
// sweep whose folder this user may not write (a colleague's results) fails
// with one line that names the folder and says what to do, rather than
// the bare error of its lock file.
func TestReportInAFolderItCannotWriteSaysTheFix(t *testing.T) {
	if os.Geteuid() == 0 { // root writes anywhere
		t.Skip("root writes anywhere")
	}
	f, out, s := ranSmallWalk(t, "")
	if err := os.Remove(filepath.Join(s.Dir(out), ".results.lock")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Dir(out), 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(s.Dir(out), 0o755)
	code, stdout, errs := runCLI("report", f, "--out", out)
	if want := "permission denied (make " + s.Dir(out) + " writable by this user, then rerun)\n"; code != exitFailed || !strings.HasSuffix(errs, want) || strings.Count(errs, "\n") != 1 {
		t.Errorf("report in a read-only folder: exit %d, want 1 and one line ending %q\n%s%s", code, want, stdout, errs)
	}
}

// TestReportWithAFileInPlaceOfItsFolderSaysSo: a file where the reports
// folder goes is an error of one line that names it and says to move it,
// not mkdir's "not a directory".
func TestReportWithAFileInPlaceOfItsFolderSaysSo(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	dir := filepath.Join(s.Dir(out), sweep.ReportsDir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runCLI("report", f, "--out", out)
	if want := "sweep: " + dir + " is a file, not a folder: move it away, then rerun\n"; code != exitFailed || errs != want {
		t.Errorf("report with a file in place of reports/: exit %d, want 1 and %q\n%s%s", code, want, stdout, errs)
	}
}

// TestStatusOfARunWhoseFolderIsAFileSaysTheFix: status and report name a
// file in place of a run's folder and say to move it, as run does, rather
// than that its summary.json cannot be read and `sweep run` runs it again,
// which fails until it is moved.
func TestStatusOfARunWhoseFolderIsAFileSaysTheFix(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	dir := s.RunDir(out, s.Runs[1])
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := dir + " is a file, not a folder: move it away, then rerun"
	for _, cmd := range []string{"status", "report"} {
		if _, stdout, errs := runCLI(cmd, f, "--out", out); !strings.Contains(stdout, want) || strings.Contains(stdout, "runs it again") {
			t.Errorf("sweep %s with a file in place of a run's folder: want %q\n%s%s", cmd, want, stdout, errs)
		}
	}
}

// TestOutOfTheSweepsOwnFolderSaysGiveItsParent: --out DIR/<sweep>, the
// sweep's own folder rather than the DIR its results go under, is a usage
// error for run, status and report that names the parent to give, and
// run makes no second sweep folder inside the first. That folder given as
// the sweep file is an error naming the file and the --out to give.
func TestOutOfTheSweepsOwnFolderSaysGiveItsParent(t *testing.T) {
	f, out, s := ranSmallWalk(t, "")
	own := s.Dir(out)
	want := "--out " + own + " is the sweep's own folder (it holds sweep.json): results go to DIR/walk/, so give its parent: --out " + out
	for _, cmd := range []string{"run", "status", "report"} {
		code, stdout, errs := runCLI(cmd, f, "--out", own)
		if code != exitUsage || !strings.Contains(errs, want) || strings.Contains(errs, "a directory you can write") {
			t.Errorf("%s --out %s: exit %d, want 2 and %q\n%s%s", cmd, own, code, want, stdout, errs)
		}
	}
	if _, err := os.Stat(s.Dir(own)); !os.IsNotExist(err) {
		t.Errorf("run made %s: %v", s.Dir(own), err)
	}
	t.Chdir(own)
	if code, stdout, errs := runCLI("status", f, "--out", "."); code != exitUsage || !strings.Contains(errs, "--out . is the sweep's own folder") ||
		!strings.Contains(errs, "give its parent: --out ..\n") {
		t.Errorf("status --out . in the sweep's folder: exit %d\n%s%s", code, stdout, errs)
	}
	if code, stdout, errs := runCLI("status", f, "--out", out); code != exitOK || !strings.Contains(stdout, "done") {
		t.Errorf("status of the right --out: exit %d\n%s%s", code, stdout, errs)
	}
	want = own + " is the results folder of sweep walk, not a sweep file: give the file it was run from (" + f + ", as its sweep.json records it) with --out " + out
	if code, stdout, errs := runCLI("status", own); code != exitUsage || !strings.Contains(errs, want) {
		t.Errorf("status of the sweep's folder as its file: exit %d, want 2 and %q\n%s%s", code, want, stdout, errs)
	}
	// Named as ".", from inside it, the --out to give is "..", not ".".
	if code, stdout, errs := runCLI("status", "."); code != exitUsage || !strings.Contains(errs, ". is the results folder of sweep walk") ||
		!strings.HasSuffix(errs, " with --out ..\n") {
		t.Errorf("status . in the sweep's folder: exit %d, want 2 and the --out .. to give\n%s%s", code, stdout, errs)
	}
}
