// Package results reads and writes the files a sweep leaves behind, the
// contract that reports and users rely on:
//
//	<out>/<sweep>/<run id>/config.toml   the fully resolved config
//	<out>/<sweep>/<run id>/metrics.jsonl one JSON object per line: step and values
//	<out>/<sweep>/<run id>/summary.json  status and final metrics
//	<out>/<sweep>/results.csv            one row per run
//
// Every whole file is written atomically (temp file, fsync, rename), so a
// reader sees the old file or the new one, never half of one. metrics.jsonl
// grows by appending lines; a reader skips a torn last line.
package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// File names inside a run directory.
const (
	ConfigFile  = "config.toml"
	MetricsFile = "metrics.jsonl"
	SummaryFile = "summary.json"
	ResultsFile = "results.csv"
)

// Status is the state of a run as recorded in its summary.
type Status string

// The states a run can be in. An interrupted run (stopped by Ctrl-C or
// SIGTERM, or whose process died) did not fail: rerunning the sweep
// continues it from its last checkpoint.
const (
	StatusRunning     Status = "running"
	StatusDone        Status = "done"
	StatusFailed      Status = "failed"
	StatusInterrupted Status = "interrupted"
)

// WriteFileAtomic writes data to path so that a reader, or a crash, never
// sees a partial file: it writes a temporary file in the same directory,
// syncs it, renames it over path and syncs the directory, so that once it
// returns the new file outlasts a crash.
func WriteFileAtomic(path string, data []byte) error {
	if err := ReplaceFile(path, data); err != nil {
		return err
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// SyncDir syncs the directory dir, so that the renames into it, and the
// folders made in it, outlast a crash; a directory that cannot be opened
// is left as it is.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// removedTwice is the error of a write whose temporary file a rerun's
// tidy-up removed on both tries (see ReplaceFile).
func removedTwice(path string) error {
	return fmt.Errorf("writing %s: its temporary file was removed twice before it could be renamed into place", path)
}

// ReplaceFile writes data to path as WriteFileAtomic does, but leaves the
// directory unsynced: after a crash, path holds the new file whole, or what
// it held before, never part of one. The next WriteFileAtomic into the same
// directory makes the new file last too; the sweep runner syncs a run's
// directory once a run, with the summary that ends it, rather than after
// each of its files.
func ReplaceFile(path string, data []byte) error {
	err := replaceOnce(path, data)
	if errors.Is(err, errTempGone) {
		// A rerun's tidy-up removed the temporary file of a write that a
		// paused process had left for long (see sweep's removeOldTemps):
		// write it again.
		err = replaceOnce(path, data)
	}
	if errors.Is(err, errTempGone) {
		return removedTwice(path)
	}
	return err
}

// errTempGone is replaceOnce's error when its temporary file is gone at
// the rename.
var errTempGone = errors.New("temporary file gone")

// beforeRename is called with replaceOnce's temporary file before it is
// renamed into place. It does nothing; a test sets it to remove the file.
var beforeRename = func(tmp string) {}

// replaceOnce is one try of ReplaceFile. Its error names path, not the
// temporary file (see writeError).
func replaceOnce(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return writeError(path, err)
	}
	if err := renameTemp(tmp, path); err != nil {
		os.Remove(tmp)
		if errors.Is(err, errTempGone) || errors.Is(err, errFolderInTheWay) {
			return err
		}
		return writeError(path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file beside path, ".NAME.tmp-*"
// (the name that sweep's tidy-up knows), synced and readable by all, and
// returns its path. It leaves no file behind when it fails.
func writeTemp(path string, data []byte) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	// The deferred removal names the file by name, not by tmp: a return
	// with an error sets tmp to "", and os.Remove("") removes nothing.
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return "", err
	}
	return name, nil
}

// renameTemp renames the temporary file tmp over path. Its error says so
// when path is a folder, and is errTempGone when tmp is gone.
func renameTemp(tmp, path string) error {
	beforeRename(tmp)
	if err := os.Rename(tmp, path); err != nil {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return folderInTheWay(path)
		}
		if _, serr := os.Lstat(tmp); errors.Is(serr, os.ErrNotExist) {
			return errTempGone
		}
		return err
	}
	return nil
}

// errFolderInTheWay is in the error of a file that cannot be written
// because a folder holds its path.
var errFolderInTheWay = errors.New("is a folder, which no file can replace")

// folderInTheWay is the error of a file that cannot be written because a
// folder holds its path.
func folderInTheWay(path string) error {
	return fmt.Errorf("%s %w: move it away", path, errFolderInTheWay)
}

// CreateFileAtomic writes data to path as WriteFileAtomic does, but only
// where there is no file: it links its synced temporary file into place,
// which fails, with an error that is fs.ErrExist, when a file appeared at
// path meanwhile. A crash or a full disk leaves no file at path, rather
// than part of one that a rerun would take for a file of the user's. Where
// the file system has no hard links, it renames the file into place once
// it has seen that path is free.
func CreateFileAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return writeError(path, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	} else if err != nil {
		if _, serr := os.Lstat(path); serr == nil {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		if err := os.Rename(tmp, path); err != nil {
			return writeError(path, err)
		}
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// FileData is a file for WriteFilesAtomic to write: its path and contents.
type FileData struct {
	Path string
	Data []byte
}

// WriteFilesAtomic writes files as WriteFileAtomic writes one, but all or
// none: it writes each to a temporary file beside it, and renames them
// into place only once every one is written and no path is a folder, so
// that a file it cannot write (a folder in the way, a folder it may not
// write, a full disk) leaves every path as it was, and removes nothing.
// Only a rename that fails after those checks (an I/O error, a file of
// another user in a sticky folder) leaves the files before it new and
// those after it old, each whole. Its error is one line naming the file.
func WriteFilesAtomic(files []FileData) error {
	err := replaceAllOnce(files)
	if errors.Is(err, errTempGone) {
		err = replaceAllOnce(files) // as in ReplaceFile
	}
	var gone *tempGoneError
	if errors.As(err, &gone) {
		return removedTwice(gone.path)
	}
	if err != nil {
		return err
	}
	synced := map[string]bool{}
	for _, f := range files {
		if dir := filepath.Dir(f.Path); !synced[dir] {
			synced[dir] = true
			SyncDir(dir)
		}
	}
	return nil
}

// tempGoneError is errTempGone for the file at path.
type tempGoneError struct{ path string }

func (e *tempGoneError) Error() string { return "writing " + e.path + ": " + errTempGone.Error() }

func (e *tempGoneError) Unwrap() error { return errTempGone }

// replaceAllOnce is one try of WriteFilesAtomic.
func replaceAllOnce(files []FileData) error {
	tmps := make([]string, 0, len(files))
	renamed := 0
	defer func() {
		for _, tmp := range tmps[renamed:] {
			os.Remove(tmp)
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(f.Path, f.Data)
		if err != nil {
			return writeError(f.Path, err)
		}
		tmps = append(tmps, tmp)
	}
	for _, f := range files {
		if st, err := os.Lstat(f.Path); err == nil && st.IsDir() {
			return folderInTheWay(f.Path)
		}
	}
	for i, f := range files {
		if err := renameTemp(tmps[i], f.Path); errors.Is(err, errTempGone) {
			return &tempGoneError{path: f.Path}
		} else if err != nil {
			return writeError(f.Path, err)
		}
		renamed++
	}
	return nil
}

// writeError is the error of a file at path that could not be written,
// naming path rather than its temporary file, and saying what to do about
// a folder this user may not write or a full disk.
func writeError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) && strings.Contains(pe.Path, ".tmp-") {
		err = pe.Err
	} else if errors.As(err, &le) {
		err = le.Err
	}
	return &WriteError{Path: path, Err: err, Fix: WriteFix(filepath.Dir(path), err)}
}

// WriteError is the error of a file that could not be written: the file,
// the cause and what to do about it. Its message is "writing PATH: CAUSE"
// followed by Fix.
type WriteError struct {
	Path string
	Err  error
	// Fix is WriteFix's advice for Err, "" where it has none.
	Fix string
}

// Error returns "writing PATH: CAUSE" followed by the fix.
func (e *WriteError) Error() string { return "writing " + e.Path + ": " + e.Err.Error() + e.Fix }

// Unwrap returns the cause, so that errors.Is sees fs.ErrPermission or
// syscall.ENOSPC through a WriteError.
func (e *WriteError) Unwrap() error { return e.Err }

// SaysFix reports whether err holds a WriteError that says what to do, so
// that a caller adding its own advice would repeat it.
func SaysFix(err error) bool {
	var we *WriteError
	return errors.As(err, &we) && we.Fix != ""
}

// WriteFix is what to do about err, the error of a file that could not be
// written in the folder dir, to follow it: " (make DIR writable by this
// user, then rerun)", " (free space on its disk, then rerun)" or
// " (remount its file system read-write, then rerun)"; "" for any other
// error.
func WriteFix(dir string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return " (make " + dir + " writable by this user, then rerun)"
	case DiskFull(err):
		return " (free space on its disk, then rerun)"
	case errors.Is(err, syscall.EROFS):
		return " (remount its file system read-write, then rerun)"
	}
	return ""
}

// DiskFull reports whether err is a write refused for want of space: the
// disk is full (ENOSPC) or the user's quota is spent (EDQUOT).
func DiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// Values maps metric names to values. Non-finite values are stored as JSON
// null and read back as NaN, since JSON has no NaN or infinity.
type Values map[string]float64

// MarshalJSON writes non-finite values as null, with keys sorted.
func (v Values) MarshalJSON() ([]byte, error) {
	keys := slices.Sorted(maps.Keys(v))
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		x := v[k]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
		} else {
			xb, _ := json.Marshal(x)
			b.Write(xb)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Stored returns the values as a summary.json stores and reads them back:
// the same, with the infinities as NaN.
func (v Values) Stored() Values {
	out := make(Values, len(v))
	for k, x := range v {
		if math.IsInf(x, 0) {
			x = math.NaN()
		}
		out[k] = x
	}
	return out
}

// UnmarshalJSON reads null values as NaN.
func (v *Values) UnmarshalJSON(data []byte) error {
	var raw map[string]*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(Values, len(raw))
	for k, p := range raw {
		if p == nil {
			out[k] = math.NaN()
		} else {
			out[k] = *p
		}
	}
	*v = out
	return nil
}

// Record is one line of metrics.jsonl: a step and the values logged at it.
type Record struct {
	Step   int    `json:"step"`
	Values Values `json:"values"`
}

// MetricsWriter appends records to a metrics.jsonl file, one line each.
type MetricsWriter struct {
	f *os.File
	w *bufio.Writer
}

// AppendMetrics opens path for appending records, creating it if needed. A
// torn last line left by a crash is cut off first, so that new records start
// on a line of their own.
func AppendMetrics(path string) (*MetricsWriter, error) {
	if err := trimTornLine(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &MetricsWriter{f: f, w: bufio.NewWriter(f)}, nil
}

// trimTornLine truncates path after its last newline.
func trimTornLine(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	return os.Truncate(path, int64(bytes.LastIndexByte(data, '\n')+1))
}

// Log appends one record. Records are buffered; Flush or Close writes them.
func (m *MetricsWriter) Log(step int, values Values) error {
	b, err := json.Marshal(Record{Step: step, Values: values})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = m.w.Write(b)
	return err
}

// Flush writes buffered records to the file and syncs it.
func (m *MetricsWriter) Flush() error {
	if err := m.w.Flush(); err != nil {
		return err
	}
	return m.f.Sync()
}

// Close flushes and closes the file.
func (m *MetricsWriter) Close() error {
	err := m.Flush()
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadMetrics reads every record of a metrics.jsonl file. A torn or corrupt
// line is skipped and reported in skipped (by line number), never fatal: a
// power cut can leave half a line at the end.
func ReadMetrics(path string) (recs []Record, skipped []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ParseMetrics(f)
}

// ReadLiveMetrics reads a metrics.jsonl file that its run may still be
// writing, as ReadMetrics does but for a last line with no newline yet:
// that is a record the writer has not finished (its buffer is flushed in
// blocks that can end mid-line), not a torn one, so it is left out and not
// counted in skipped.
func ReadLiveMetrics(path string) (recs []Record, skipped []int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseMetrics(bytes.NewReader(b[:bytes.LastIndexByte(b, '\n')+1]))
}

// ParseMetrics reads records from r as ReadMetrics does.
func ParseMetrics(r io.Reader) (recs []Record, skipped []int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil || rec.Values == nil {
			skipped = append(skipped, line)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, skipped, sc.Err()
}

// lastStepWindow is how much of the end of a metrics.jsonl LastStep reads:
// many records, each a line of a few hundred bytes.
const lastStepWindow = 64 << 10

// LastStep returns the step of the last whole record of a metrics.jsonl
// file, reading only its end, and false when that end holds none (a file
// missing, empty or torn there). It is for following a running run without
// reading all its records.
func LastStep(path string) (int, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, false
	}
	from := max(0, st.Size()-lastStepWindow)
	b := make([]byte, st.Size()-from)
	if _, err := f.ReadAt(b, from); err != nil && err != io.EOF {
		return 0, false
	}
	if from > 0 {
		// The window's first line may start mid-record.
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	recs, _, _ := ParseMetrics(bytes.NewReader(b))
	if len(recs) == 0 {
		return 0, false
	}
	return recs[len(recs)-1].Step, true
}

// Summary is the content of summary.json.
type Summary struct {
	RunID  string `json:"run_id"`
	Status Status `json:"status"`
	// Error says why a failed run failed; Step is the step it failed at.
	Error string `json:"error,omitempty"`
	Step  int    `json:"step,omitempty"`
	// Diverged says that a failed run stopped because its training, or
	// what follows it, diverged (the task returned a
	// tasks.DivergedError). Runs are deterministic, so running it again
	// diverges at the same step: the sweep runner keeps it as it is unless
	// told to run it again.
	Diverged bool `json:"diverged,omitempty"`
	// DivergedAfterTraining says that only what followed the finished
	// training diverged (a dim probe or evaluation): the run keeps its
	// checkpoints, and running it again resumes from the finished
	// training.
	DivergedAfterTraining bool  `json:"diverged_after_training,omitempty"`
	Seed                  int64 `json:"seed"`
	// Params holds the swept parameters' values for this run.
	Params map[string]any `json:"params"`
	// Metrics holds the final metrics.
	Metrics  Values    `json:"metrics"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Seconds  float64   `json:"seconds"`
	// Code is the revision of the code that ran it, where the binary
	// knows one (see CodeRevision): a run is known by its
	// settings, not its code, so this is the record of which code made it.
	Code string `json:"code,omitempty"`
}

// WriteSummary writes s to dir/summary.json atomically, and syncs dir.
func WriteSummary(dir string, s *Summary) error {
	return writeSummary(dir, s, WriteFileAtomic)
}

// ReplaceSummary writes s to dir/summary.json atomically without syncing
// dir (see [ReplaceFile]), as for a summary that only says a run started.
func ReplaceSummary(dir string, s *Summary) error {
	return writeSummary(dir, s, ReplaceFile)
}

// writeSummary writes s to dir/summary.json with write.
func writeSummary(dir string, s *Summary, write func(path string, data []byte) error) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return write(filepath.Join(dir, SummaryFile), append(b, '\n'))
}

// ReadSummary reads dir/summary.json. A corrupt file is an error naming it
// (the sweep runner runs such a run again).
func ReadSummary(dir string) (*Summary, error) {
	path := filepath.Join(dir, SummaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseSummary(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return s, nil
}

// ParseSummary reads the content of a summary.json. A file that is not a
// summary (not JSON, or without a known status) is an error.
func ParseSummary(b []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("corrupt summary (%v)", err)
	}
	switch s.Status {
	case StatusRunning, StatusDone, StatusFailed, StatusInterrupted:
	default:
		return nil, fmt.Errorf("corrupt summary (status %q)", s.Status)
	}
	if s.Metrics == nil {
		s.Metrics = Values{}
	}
	return &s, nil
}

// TruncateMetrics cuts the metrics.jsonl at path back to the records with
// step <= maxStep, as a run resuming from a checkpoint after maxStep must, so
// that no step is logged twice. Lines are kept byte for byte; corrupt lines
// are dropped (and counted in dropped). A missing file is not an error. The
// file is rewritten atomically.
func TruncateMetrics(path string, maxStep int) (kept, dropped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		b := bytes.TrimSpace(line)
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil || rec.Values == nil || rec.Step > maxStep {
			dropped++
			continue
		}
		kept++
		out.Write(b)
		out.WriteByte('\n')
	}
	return kept, dropped, WriteFileAtomic(path, out.Bytes())
}
