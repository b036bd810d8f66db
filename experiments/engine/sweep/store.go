package sweep

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/reports"
)

// DefaultOut is the default output directory.
const DefaultOut = "runs"

// ReportsDir is the directory, inside a sweep directory, of its figures and
// tables.
const ReportsDir = "reports"

// Dir returns the sweep's directory under the output directory out.
func (s *Sweep) Dir(out string) string { return filepath.Join(out, s.Name) }

// OutError is an output directory that cannot hold the sweep: the sweep's
// directory cannot be created, read or written, or its sweep.json is
// corrupt. It is for the user to fix before anything can run, as a usage
// error is.
type OutError struct {
	Dir string
	Err error
}

func (e *OutError) Error() string { return fmt.Sprintf("output directory %s: %v", e.Dir, e.Err) }

func (e *OutError) Unwrap() error { return e.Err }

// ErrOwnFolder is in the error of an --out that is the sweep's own folder,
// DIR/<name>/, given in place of the DIR above it.
var ErrOwnFolder = errors.New("is the sweep's own folder")

// ownFolder returns an error wrapping ErrOwnFolder when out is the
// sweep's own folder (named as the sweep, holding a sweep.json) where the
// folder under it does not exist yet: the results would go to a second
// sweep folder inside the first, and every run would run again.
func (s *Sweep) ownFolder(out string) error {
	abs, err := filepath.Abs(out) // names "." by the folder it is
	if err != nil || filepath.Base(abs) != s.Name {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, RecordFile)); err != nil {
		return nil
	}
	return fmt.Errorf("--out %s %w (it holds %s): results go to DIR/%s/, so give its parent: --out %s",
		out, ErrOwnFolder, RecordFile, s.Name, filepath.Join(out, ".."))
}

// Started reports whether the sweep's directory under out exists. The error,
// an *OutError, says that the directory cannot be used: it exists but is not
// a directory this process can read, or it does not exist and cannot be
// made, because its nearest existing parent is not a directory (--out
// itself a file, say) or not one this process can write, or because out
// is the sweep's own folder (see ErrOwnFolder).
func (s *Sweep) Started(out string) (bool, error) {
	dir := s.Dir(out)
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return false, &OutError{Dir: dir, Err: errors.New("not a directory")}
	case err == nil:
		f, err := os.Open(dir)
		if err != nil {
			return false, &OutError{Dir: dir, Err: err}
		}
		f.Close()
		return true, nil
	case !missing(err):
		return false, &OutError{Dir: dir, Err: err}
	}
	if err := s.ownFolder(out); err != nil {
		return false, &OutError{Dir: dir, Err: err}
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			return false, &OutError{Dir: dir, Err: notAFolder(p, st, out)}
		case err == nil && !writable(p):
			return false, &OutError{Dir: dir, Err: fmt.Errorf("cannot be made: %s is not writable", p)}
		case err == nil:
			return false, nil
		case !missing(err):
			return false, &OutError{Dir: dir, Err: err}
		case p == filepath.Dir(p):
			return false, nil
		}
	}
}

// missing reports whether err, from os.Stat, says that the path is not
// there: it does not exist, or a path above it is not a directory.
func missing(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// notAFolder is the error for p, above the sweep's directory under out,
// which is there but is not a directory (st): "--out runs is a file, not a
// folder" where p is out itself.
func notAFolder(p string, st os.FileInfo, out string) error {
	what := notAFolderWhat(st)
	if p == filepath.Clean(out) {
		return fmt.Errorf("--out %s %s", p, what)
	}
	return fmt.Errorf("%s %s", p, what)
}

// inTheWay is the error of a file (or anything not a folder) at path,
// where a folder goes, naming it and saying what to do; nil when there is
// a folder or nothing there.
func inTheWay(path string) error {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return fmt.Errorf("%s %s: move it away, then rerun", path, notAFolderWhat(st))
	}
	return nil
}

// missingFolders returns dir and the folders above it that do not exist,
// dir first.
func missingFolders(dir string) []string {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			return missing
		}
		missing = append(missing, p)
	}
}

// syncDir is results.SyncDir; a test sets it to see which folders are
// synced.
var syncDir = results.SyncDir

// notAFolderWhat says what st, which is not a folder, is: "is a file, not
// a folder", or "is not a folder".
func notAFolderWhat(st os.FileInfo) string {
	if st.Mode().IsRegular() {
		return "is a file, not a folder"
	}
	return "is not a folder"
}

// MakeFolder makes the folder dir and those above it that are missing, as
// os.MkdirAll does, and syncs the folder above each one it made, so that
// they outlast a crash with the files that are then written into them
// (results' writes sync the folder they write in, not the one above it). A
// file where one of them goes is an error that names it and says what to
// do, where MkdirAll's says "not a directory".
func MakeFolder(dir string) error {
	dir = filepath.Clean(dir)
	made := missingFolders(dir)
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		for _, p := range made {
			syncDir(filepath.Dir(p))
		}
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		if _, serr := os.Stat(p); serr == nil {
			if ierr := inTheWay(p); ierr != nil {
				return ierr
			}
			return err
		}
		if filepath.Dir(p) == p {
			return err
		}
	}
}

// RunDir returns the directory of run r under out.
func (s *Sweep) RunDir(out string, r *RunSpec) string { return filepath.Join(out, s.Name, r.ID) }

// LacksKeptModel reports whether the sweep keeps models (keep_models) and
// the folder of run under out lacks the model its task keeps for it (see
// tasks.ModelKeeper): for a done run, one done before the key was set.
func (s *Sweep) LacksKeptModel(out string, run *RunSpec) bool {
	k, ok := s.task.Task.(tasks.ModelKeeper)
	if !s.KeepModels || !ok {
		return false
	}
	name := k.KeptModel(run.Config)
	if name == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(s.RunDir(out, run), name))
	return errors.Is(err, fs.ErrNotExist)
}

// State is what is known of a run: its planned spec, and its stored
// summary and lock when they exist.
type State struct {
	Run *RunSpec
	// Status is done, failed, interrupted, running or pending. A run
	// whose summary says running but that no live process holds is
	// interrupted: its process died.
	Status results.Status
	// Reason says why a failed run failed, or how an interrupted one was
	// interrupted.
	Reason string
	// Summary is the run's summary.json, nil when there is none (or it is
	// corrupt: then Reason says so).
	Summary *results.Summary
	// Holder is the process running the run, when Status is running.
	Holder *LockInfo
}

// Kept reports whether the runner keeps the run as it is, failed, rather
// than running it again: its training, or what follows it, diverged, and
// retry (as Runner.RetryDiverged) is not set.
func (st State) Kept(retry bool) bool {
	return !retry && st.Status == results.StatusFailed && st.Summary != nil && st.Summary.Diverged
}

// stateScans counts the calls of States, which read every run's files:
// a test holds the runner to a number of them that does not grow with the
// number of runs.
var stateScans atomic.Int64

// rerunsCorrupt ends the reason given for a run whose summary.json cannot
// be read: `sweep run` runs such a run again, as it does a failed one.
const rerunsCorrupt = "; `sweep run` runs it again"

// States reads the state of every run of the sweep under out. Missing
// directories are pending runs, not errors.
func (s *Sweep) States(out string) []State {
	stateScans.Add(1)
	states := make([]State, len(s.Runs))
	for i, r := range s.Runs {
		states[i] = s.state(out, r)
	}
	return states
}

func (s *Sweep) state(out string, r *RunSpec) State {
	dir := s.RunDir(out, r)
	st := State{Run: r, Status: results.StatusPending}
	holder, held := lockState(dir)
	sum, err := results.ReadSummary(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		st.Status, st.Reason = results.StatusFailed, err.Error()+rerunsCorrupt
		if blocked := inTheWay(dir); blocked != nil { // not a folder: no run there to read
			st.Reason = blocked.Error()
		}
	default:
		st.Summary = sum
		st.Status, st.Reason = sum.Status, sum.Error
	}
	switch {
	case st.Status == results.StatusDone:
	case held:
		st.Status, st.Holder = results.StatusRunning, &holder
	case st.Status == results.StatusRunning:
		st.Status, st.Reason = results.StatusInterrupted, "interrupted: its process is gone"
	}
	return st
}

// dirLockFile is the lock, inside a sweep directory, that serializes the
// processes sharing the directory when they check and write sweep.json and
// when they rewrite results.csv.
const dirLockFile = ".results.lock"

// lockDir takes the lock of the sweep's directory under out, waiting for
// it. A lock file it cannot create says what to do (see results.WriteFix).
func (s *Sweep) lockDir(out string) (unlock func(), err error) {
	unlock, err = lockFile(filepath.Join(s.Dir(out), dirLockFile))
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w%s", s.Dir(out), err, results.WriteFix(s.Dir(out), err))
	}
	return unlock, nil
}

// WriteResults rewrites <out>/<sweep>/results.csv from the runs' stored
// summaries: one row per run of the sweep, in plan order. The summaries are
// read and the file written under a lock on the sweep directory, so that
// shards finishing at once never lose each other's rows: the last writer
// has read every summary written before it took the lock.
func (s *Sweep) WriteResults(out string) error {
	_, err := s.rewriteResults(out)
	return err
}

// rewriteResults is WriteResults, and returns the states of the runs it
// read.
func (s *Sweep) rewriteResults(out string) ([]State, error) {
	unlock, err := s.lockResults(out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	states := s.States(out)
	rows := make([]results.ResultsRow, len(s.Runs))
	for i, st := range states {
		rows[i] = s.resultsRow(st.Run, st.Status, st.Summary)
	}
	return states, s.writeResultsCSV(out, rows)
}

// LoadRuns reads the runs of the sweep for reports: every run, in plan
// order, so that a report can say how many it left out and why. A done run
// comes with its summary and config. A run that is not done comes with its
// summary, or one made from its spec when it has none, whose status is its
// state (pending for a run never started, interrupted for one whose process
// died) and whose error is the reason, and with the config the sweep file
// gives it (a report groups it by its settings to say what it left out;
// the run's config.toml, which may be missing, is not read). missing lists
// the runs that are not done, each with its state; a done run whose config
// cannot be read is among them, as failed.
func (s *Sweep) LoadRuns(out string) (runs []reports.Run, missing []State) {
	for _, st := range s.States(out) {
		dir := s.RunDir(out, st.Run)
		var cfg map[string]any
		if st.Status == results.StatusDone {
			var err error
			if cfg, err = results.ReadConfig(dir); err != nil {
				st.Status, st.Reason = results.StatusFailed, err.Error()
			}
		}
		sum := st.Summary
		if st.Status != results.StatusDone {
			missing = append(missing, st)
			sum = s.stateSummary(st)
			cfg = st.Run.configMap()
		}
		runs = append(runs, reports.Run{ID: st.Run.ID, Dir: dir, Summary: sum, Config: st.Run.reportConfig(cfg), Derived: st.Run.derivedKeys()})
	}
	return runs, missing
}

// stateSummary is the summary a report is given for a run that is not done:
// its own, or one made from its spec, with its state's status and reason.
func (s *Sweep) stateSummary(st State) *results.Summary {
	sum := &results.Summary{RunID: st.Run.ID, Seed: st.Run.Seed, Params: s.ParamMap(st.Run), Metrics: results.Values{}}
	if st.Summary != nil {
		c := *st.Summary
		sum = &c
	}
	sum.Status, sum.Error = st.Status, st.Reason
	return sum
}
