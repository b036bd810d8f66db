package results

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestResultsCSVRoundTrip(t *testing.T) {
	rows := []ResultsRow{
		{RunID: "a_s0", Params: []string{"jsd", "0.5"}, Seed: 0, Status: StatusDone, Metrics: Values{"mi": 1.25, "loss": math.NaN()}},
		{RunID: "b_s1", Params: []string{"infonce, \"quoted\"", "1"}, Seed: 1, Status: StatusFailed, Metrics: Values{"bias": math.Inf(-1)}},
		{RunID: "c_s0", Params: []string{"dv", "2"}, Seed: 0, Status: StatusPending},
		{RunID: "d_s0", Params: []string{"smile", "3"}, Seed: 0, Status: StatusDone, Metrics: Values{"level_10_mean": 9.5, "level_2_mean": 2}},
	}
	path := filepath.Join(t.TempDir(), ResultsFile)
	if err := WriteResultsCSV(path, []string{"estimator", "tau"}, rows); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadResultsCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"run_id", "estimator", "tau", "seed", "status", "bias", "level_2_mean", "level_10_mean", "loss", "mi"}
	if !slices.Equal(tab.Header, wantHeader) {
		t.Fatalf("header %v, want %v", tab.Header, wantHeader)
	}
	want := [][]string{
		{"a_s0", "jsd", "0.5", "0", "done", "", "", "", "NaN", "1.25"},
		{"b_s1", "infonce, \"quoted\"", "1", "1", "failed", "-Inf", "", "", "", ""},
		{"c_s0", "dv", "2", "0", "pending", "", "", "", "", ""},
		{"d_s0", "smile", "3", "0", "done", "", "2", "9.5", "", ""},
	}
	for i := range want {
		if !slices.Equal(tab.Rows[i], want[i]) {
			t.Fatalf("row %d = %q, want %q", i, tab.Rows[i], want[i])
		}
	}
	if _, err := EncodeResultsCSV([]string{"x"}, rows); err == nil {
		t.Fatal("rows with the wrong number of parameter values were accepted")
	}
}

func TestParseResultsCSVRejectsOtherFiles(t *testing.T) {
	for _, src := range []string{"", "a,b\n1,2\n", "run_id,seed\nx,1\n", "run_id,seed,status\nx,1\n", "run_id,\"seed\nx"} {
		if _, err := ParseResultsCSV(bytes.NewReader([]byte(src))); err == nil {
			t.Errorf("%q was accepted as results.csv", src)
		}
	}
}

func FuzzParseResultsCSV(f *testing.F) {
	f.Add([]byte("run_id,estimator,seed,status,mi\na,jsd,0,done,1.5\n"))
	f.Add([]byte("run_id,seed,status\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		tab, err := ParseResultsCSV(bytes.NewReader(src))
		if err != nil {
			return
		}
		for _, row := range tab.Rows {
			if len(row) != len(tab.Header) {
				t.Fatalf("row %q is not as long as the header %q", row, tab.Header)
			}
		}
	})
}

func TestTruncateMetricsKeepsStepsUpToTheCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	src := "{\"step\":1,\"values\":{\"a\":1}}\n{\"step\":2,\"values\":{\"a\":2}}\ngarbage\n{\"step\":3,\"values\":{\"a\":3}}\n{\"step\":4,\"val"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	kept, dropped, err := TruncateMetrics(path, 2)
	if err != nil || kept != 2 || dropped != 3 {
		t.Fatalf("TruncateMetrics = %d kept, %d dropped, %v", kept, dropped, err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "{\"step\":1,\"values\":{\"a\":1}}\n{\"step\":2,\"values\":{\"a\":2}}\n" {
		t.Fatalf("metrics after truncation:\n%s", got)
	}
	if _, _, err := TruncateMetrics(filepath.Join(t.TempDir(), "none"), 3); err != nil {
		t.Fatalf("a missing file: %v", err)
	}
}

// TestLastStepReadsTheLastWholeRecord checks LastStep on files it writes: a
// short one, one longer than the window it reads (whose first line there
// starts mid-record), one torn at the end, an empty one and none.
func TestLastStepReadsTheLastWholeRecord(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var long strings.Builder
	for step := 1; long.Len() < 3*lastStepWindow; step++ {
		fmt.Fprintf(&long, `{"step":%d,"values":{"loss":%d.25}}`+"\n", step, step)
	}
	lastLong := strings.Count(long.String(), "\n")
	// A record of many metrics, wider than a small window would be.
	var metrics []string
	for i := range 1000 {
		metrics = append(metrics, fmt.Sprintf(`"metric_%d":%d.5`, i, i))
	}
	wide := `{"step":1,"values":{"x":1}}` + "\n" + `{"step":9,"values":{` + strings.Join(metrics, ",") + `}}` + "\n"
	for _, tc := range []struct {
		name, text string
		step       int
		ok         bool
	}{
		{"short", `{"step":1,"values":{"x":1}}` + "\n" + `{"step":7,"values":{"x":2}}` + "\n", 7, true},
		{"one record", `{"step":5,"values":{"x":1}}` + "\n", 5, true},
		{"long", long.String(), lastLong, true},
		{"wide last record", wide, 9, true},
		{"torn", `{"step":1,"values":{"x":1}}` + "\n" + `{"step":2,"values":{"x":2}}` + "\n" + `{"step":3,"val`, 2, true},
		{"empty", "", 0, false},
	} {
		if step, ok := LastStep(write(tc.name, tc.text)); step != tc.step || ok != tc.ok {
			t.Errorf("%s: LastStep = %d, %v; want %d, %v", tc.name, step, ok, tc.step, tc.ok)
		}
	}
	if step, ok := LastStep(filepath.Join(dir, "none")); ok {
		t.Errorf("a missing file: LastStep = %d, true; want false", step)
	}
}

// TestReplaceFileNamesAFolderInTheWay: a folder where the file goes is an
// error that says so and what to do, and leaves no temporary file.
func TestReplaceFileNamesAFolderInTheWay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ResultsFile)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := ReplaceFile(path, []byte("a,b\n"))
	if err == nil || err.Error() != path+" is a folder, which no file can replace: move it away" {
		t.Fatalf("ReplaceFile over a folder: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if err := ReplaceFile(filepath.Join(dir, "ok.csv"), []byte("a\n")); err != nil {
		t.Fatal(err)
	}
}

// TestReplaceFileWritesAgainWhenItsTempFileIsRemoved: a temporary file
// removed before its rename, as a rerun's tidy-up removes one that a
// paused process left for long, is written again; removed twice, the
// error says so.
func TestReplaceFileWritesAgainWhenItsTempFileIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	removals := 1
	beforeRename = func(tmp string) {
		if removals > 0 {
			removals--
			os.Remove(tmp)
		}
	}
	defer func() { beforeRename = func(string) {} }()
	if err := ReplaceFile(path, []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\n" {
		t.Fatalf("file holds %q, %v", b, err)
	}
	removals = 2
	if err := ReplaceFile(path, []byte("b\n")); err == nil || !strings.Contains(err.Error(), "removed twice") {
		t.Fatalf("temporary file removed at both tries: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a\n" {
		t.Fatalf("the old file became %q", b)
	}
}

// TestWriteFilesAtomicIsAllOrNone: where one of the files cannot be
// written (a folder in its place, or, when not root, a read-only folder),
// none is: the others keep their old contents, the folder stays and no
// temporary file is left; the error names the file. Otherwise all are
// written.
func TestWriteFilesAtomicIsAllOrNone(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.md"), filepath.Join(dir, "b.tex")
	if err := os.WriteFile(a, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(b, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []FileData{{Path: a, Data: []byte("new a")}, {Path: b, Data: []byte("new b")}}
	check := func(what, want string) {
		t.Helper()
		if err := WriteFilesAtomic(files); err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line starting %q", what, err, want)
		}
		if got, err := os.ReadFile(a); err != nil || string(got) != "old" {
			t.Errorf("%s: a.md holds %q, %v; want its old contents", what, got, err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
			t.Errorf("%s: temporary files left: %v", what, left)
		}
	}
	check("a folder in place of b.tex", b+" is a folder, which no file can replace: move it away")
	if st, err := os.Stat(b); err != nil || !st.IsDir() {
		t.Fatalf("the folder b.tex is gone: %v", err)
	}
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		check("a read-only folder", "writing "+a+": permission denied (make "+dir+" writable")
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFilesAtomic(files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if got, err := os.ReadFile(f.Path); err != nil || string(got) != string(f.Data) {
			t.Errorf("%s holds %q, %v; want %q", f.Path, got, err, f.Data)
		}
	}
}

// TestWriteFilesAtomicWritesAgainWhenATempFileIsRemoved: as with
// ReplaceFile, a temporary file removed before its rename (by a rerun's
// tidy-up) is written again with the others; removed twice, the error
// names its file.
func TestWriteFilesAtomicWritesAgainWhenATempFileIsRemoved(t *testing.T) {
	dir := t.TempDir()
	files := []FileData{{Path: filepath.Join(dir, "a.md"), Data: []byte("a")}, {Path: filepath.Join(dir, "b.md"), Data: []byte("b")}}
	removals := 1
	beforeRename = func(tmp string) {
		if removals > 0 && strings.HasPrefix(filepath.Base(tmp), ".b.md.tmp-") {
			removals--
			os.Remove(tmp)
		}
	}
	defer func() { beforeRename = func(string) {} }()
	if err := WriteFilesAtomic(files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if got, err := os.ReadFile(f.Path); err != nil || string(got) != string(f.Data) {
			t.Errorf("%s holds %q, %v; want %q", f.Path, got, err, f.Data)
		}
	}
	removals = 2
	if err := WriteFilesAtomic(files); err == nil || err.Error() != "writing "+files[1].Path+": its temporary file was removed twice before it could be renamed into place" {
		t.Errorf("temporary file removed at both tries: %v", err)
	}
}

// TestCreateFileAtomicNeverReplacesAFile: CreateFileAtomic writes a new
// file whole, and refuses, with fs.ErrExist, a path where a file is,
// leaving it and no temporary file.
func TestCreateFileAtomicNeverReplacesAFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.toml")
	if err := CreateFileAtomic(path, []byte("a = 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := CreateFileAtomic(path, []byte("a = 2\n")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("over an existing file: %v, want fs.ErrExist", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a = 1\n" {
		t.Errorf("the file holds %q, %v; want the first contents", b, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestWriteFixSaysWhatToDo: the error of a file that could not be written
// for want of permission, of space or of a writable file system says what
// to do; any other error is left as it is.
func TestWriteFixSaysWhatToDo(t *testing.T) {
	dir := filepath.Join("runs", "x")
	for _, c := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "open", Path: filepath.Join(dir, ".results.lock"), Err: syscall.EACCES}, " (make runs/x writable by this user, then rerun)"},
		{fmt.Errorf("write: %w", syscall.ENOSPC), " (free space on its disk, then rerun)"},
		{syscall.EDQUOT, " (free space on its disk, then rerun)"},
		{&os.PathError{Op: "open", Path: filepath.Join(dir, ".results.lock"), Err: syscall.EROFS}, " (remount its file system read-write, then rerun)"},
		{syscall.EISDIR, ""},
	} {
		if got := WriteFix(dir, c.err); got != c.want {
			t.Errorf("WriteFix(%q, %v) = %q, want %q", dir, c.err, got, c.want)
		}
	}
}

// TestWriteErrorSaysItsFix: a file that could not be written is a
// WriteError that names the file, not its temporary file, keeps its cause
// for errors.Is, and tells SaysFix whether it says what to do, through
// wrapping; an error that merely mentions the advice does not.
func TestWriteErrorSaysItsFix(t *testing.T) {
	path := filepath.Join("runs", "x", ResultsFile)
	denied := fmt.Errorf("recording: %w", writeError(path, &os.PathError{Op: "open", Path: path + ".tmp-1", Err: syscall.EACCES}))
	if want := "recording: writing runs/x/results.csv: permission denied (make runs/x writable by this user, then rerun)"; denied.Error() != want {
		t.Errorf("%q, want %q", denied, want)
	}
	if !SaysFix(denied) || !errors.Is(denied, fs.ErrPermission) {
		t.Errorf("SaysFix %v, errors.Is(ErrPermission) %v, want both", SaysFix(denied), errors.Is(denied, fs.ErrPermission))
	}
	if dir := writeError(path, syscall.EISDIR); SaysFix(dir) || dir.Error() != "writing runs/x/results.csv: is a directory" {
		t.Errorf("a folder in the way: %q, SaysFix %v, want no fix", dir, SaysFix(dir))
	}
	if mention := errors.New("make runs/x writable by this user, then rerun"); SaysFix(mention) {
		t.Error("SaysFix of a plain error that mentions the advice")
	}
}

// TestWriteResultsCSVErrorNamesTheFile: rows that do not fit the columns
// (a bug of the caller's) are an error that names results.csv's path, as a
// failed write's is, and leave no file.
func TestWriteResultsCSVErrorNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	err := WriteResultsCSV(path, []string{"a", "b"}, []ResultsRow{{RunID: "r", Params: []string{"1"}}})
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+path+": ") {
		t.Errorf("WriteResultsCSV of a row short of a column: %v, want an error naming %s", err, path)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("a failed WriteResultsCSV left %s: %v", path, serr)
	}
}
