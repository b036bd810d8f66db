package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/infomax/infomax/internal/english"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/engine/results"
)

// RecordFile is the name, inside a sweep directory, of the record of the
// resolved sweep the directory holds.
const RecordFile = "sweep.json"

// Record is what sweep.json holds: the sweep file's hash and every run's id,
// config hash and resolved settings, so that a later `sweep run` can tell
// whether the file still describes the same runs.
type Record struct {
	Name       string `json:"name"`
	Task       string `json:"task"`
	File       string `json:"file"`
	FileSHA256 string `json:"file_sha256"`
	// Extends are the files File extends, the nearest first; FileSHA256
	// covers them too.
	Extends []string    `json:"extends,omitempty"`
	Runs    []RecordRun `json:"runs"`
}

// RecordRun is one run in sweep.json.
type RecordRun struct {
	ID           string `json:"id"`
	ConfigSHA256 string `json:"config_sha256"`
	// Settings holds every setting of the resolved config.toml, by dotted
	// key, formatted as by FormatValue.
	Settings map[string]string `json:"settings"`
}

// Record returns the sweep's record.
func (s *Sweep) Record() *Record {
	rec := &Record{Name: s.Name, Task: s.Task, File: s.File, FileSHA256: s.FileSHA256, Extends: s.Extends}
	for _, r := range s.Runs {
		sum := sha256.Sum256(r.ConfigTOML)
		rec.Runs = append(rec.Runs, RecordRun{ID: r.ID, ConfigSHA256: hex.EncodeToString(sum[:]), Settings: flatSettings(r.ConfigTOML)})
	}
	return rec
}

// flatSettings reads a config.toml into dotted keys and formatted values.
func flatSettings(configTOML []byte) map[string]string {
	var m map[string]any
	out := map[string]string{}
	if _, err := toml.NewDecoder(bytes.NewReader(configTOML)).Decode(&m); err != nil {
		return out
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + keyPart(k)
			if sub, ok := v.(map[string]any); ok {
				walk(key+".", sub)
				continue
			}
			out[key] = FormatValue(v)
		}
	}
	walk("", m)
	return out
}

// ErrCorruptRecord is in the error of a sweep.json that cannot be decoded.
var ErrCorruptRecord = errors.New("corrupt")

// ReadRecord reads <dir>/sweep.json; ok is false when there is none.
func ReadRecord(dir string) (rec *Record, ok bool, err error) {
	path := filepath.Join(dir, RecordFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rec = &Record{}
	if err := json.Unmarshal(b, rec); err != nil {
		return nil, false, fmt.Errorf("%s: %w (%v)", path, ErrCorruptRecord, err)
	}
	return rec, true, nil
}

// writeRecord writes rec, the sweep's record, into its directory dir.
func writeRecord(dir string, rec *Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, RecordFile), append(b, '\n'))
}

// Changes is how the runs of a sweep file differ from those recorded in
// its directory.
type Changes struct {
	// Changed pairs runs with the same swept values and seed whose
	// resolved configs differ: old id to new id.
	Changed [][2]string
	// Keys counts, for each "key: old -> new" difference, the changed runs
	// that have it.
	Keys map[string]int
	// Added and Removed are runs only in the file, or only in the record.
	Added, Removed []string
	// FileChanged is set when the file's bytes differ.
	FileChanged bool
}

// None reports whether the file describes the recorded runs.
func (c *Changes) None() bool { return len(c.Changed)+len(c.Added)+len(c.Removed) == 0 }

// Diff compares the sweep's runs with a record.
func (s *Sweep) Diff(old *Record) *Changes {
	return diffRecords(s.Record(), old)
}

// diffRecords compares now, a sweep's record, with old, the one its
// directory holds.
func diffRecords(now, old *Record) *Changes {
	c := &Changes{Keys: map[string]int{}, FileChanged: old.FileSHA256 != now.FileSHA256}
	oldIDs := map[string]RecordRun{}
	for _, r := range old.Runs {
		oldIDs[r.ID] = r
	}
	newIDs := map[string]bool{}
	for _, r := range now.Runs {
		newIDs[r.ID] = true
	}
	// Runs only on one side, by their readable prefix (the id without its
	// hash): the same prefix on both sides is a changed run. Two runs may
	// share a prefix (one cut at its length limit, or values that read
	// the same at four digits): each new run takes the unpaired old run of
	// its prefix whose settings differ least.
	oldOnly := map[string][]RecordRun{}
	var oldOrder []string
	for _, r := range old.Runs {
		if !newIDs[r.ID] {
			oldOnly[idStem(r.ID)] = append(oldOnly[idStem(r.ID)], r)
			oldOrder = append(oldOrder, r.ID)
		}
	}
	paired := map[string]bool{}
	for _, r := range now.Runs {
		if _, ok := oldIDs[r.ID]; ok {
			continue
		}
		prev, ok := closestUnpaired(oldOnly[idStem(r.ID)], paired, r.Settings)
		if !ok {
			c.Added = append(c.Added, r.ID)
			continue
		}
		paired[prev.ID] = true
		c.Changed = append(c.Changed, [2]string{prev.ID, r.ID})
		for _, k := range diffKeys(prev.Settings, r.Settings) {
			c.Keys[k]++
		}
	}
	for _, id := range oldOrder {
		if !paired[id] {
			c.Removed = append(c.Removed, id)
		}
	}
	return c
}

// idStem is a run id without its 8-character config hash.
func idStem(id string) string {
	if i := strings.LastIndexByte(id, '_'); i >= 0 {
		return id[:i]
	}
	return id
}

// closestUnpaired returns the run of candidates, not yet paired, whose
// settings differ from settings in the fewest keys, the first of them on
// a tie; false when every candidate is paired.
func closestUnpaired(candidates []RecordRun, paired map[string]bool, settings map[string]string) (RecordRun, bool) {
	best, found, fewest := RecordRun{}, false, 0
	for _, r := range candidates {
		if paired[r.ID] {
			continue
		}
		if n := len(diffKeys(r.Settings, settings)); !found || n < fewest {
			best, found, fewest = r, true, n
		}
	}
	return best, found
}

// diffKeys lists the settings that differ, as "key: old -> new".
func diffKeys(a, b map[string]string) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: (none) -> %s", k, vb))
		case !inB:
			out = append(out, fmt.Sprintf("%s: %s -> (none)", k, va))
		case va != vb:
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, va, vb))
		}
	}
	sort.Strings(out)
	return out
}

// maxListed bounds the run ids a change message lists per kind.
const maxListed = 5

// Describe writes the changes for people, one point per line.
func (c *Changes) Describe() string {
	var b strings.Builder
	list := func(ids []string) string {
		if len(ids) > maxListed {
			return strings.Join(ids[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxListed)
		}
		return strings.Join(ids, ", ")
	}
	if n := len(c.Changed); n > 0 {
		fmt.Fprintf(&b, "  %s changed:\n", english.Plural(n, "run"))
		for _, k := range slices.Sorted(maps.Keys(c.Keys)) {
			fmt.Fprintf(&b, "    %s (%s)\n", k, english.Plural(c.Keys[k], "run"))
		}
		var ex []string
		for i, p := range c.Changed {
			if i == 2 {
				break
			}
			ex = append(ex, p[0]+" -> "+p[1])
		}
		fmt.Fprintf(&b, "    for example %s\n", strings.Join(ex, ", "))
	}
	if n := len(c.Added); n > 0 {
		fmt.Fprintf(&b, "  %s added: %s\n", english.Plural(n, "run"), list(c.Added))
	}
	if n := len(c.Removed); n > 0 {
		fmt.Fprintf(&b, "  %s removed: %s\n", english.Plural(n, "run"), list(c.Removed))
	}
	return strings.TrimRight(b.String(), "\n")
}

// fileAndExtended names a sweep file and, when it extends others, those
// too: a change to any of them changes the sweep.
func fileAndExtended(file string, extends []string) string {
	if len(extends) == 0 {
		return file
	}
	files := "file"
	if len(extends) > 1 {
		files = "files"
	}
	return fmt.Sprintf("%s, with the %s it extends (%s)", file, files, strings.Join(extends, ", "))
}

// subjectAndExtended is fileAndExtended as the subject of a sentence that
// goes on: the aside about the extended files, if any, ends with a comma.
func subjectAndExtended(file string, extends []string) string {
	if len(extends) == 0 {
		return file
	}
	return fileAndExtended(file, extends) + ","
}

// ChangedError refuses to run a sweep whose file no longer describes the
// runs recorded in its directory.
type ChangedError struct {
	File, Dir string
	// Extends are the files File extends, the nearest first.
	Extends []string
	Changes *Changes
	// Recorded is the file the record was written from, as it was given.
	Recorded string
}

// forceOutcome is what --force does to a changed sweep's runs.
const forceOutcome = "then changed and added runs run, unchanged runs are kept, and removed runs stay on disk but leave results.csv."

func (e *ChangedError) Error() string {
	record := filepath.Join(e.Dir, RecordFile)
	if e.Recorded != "" && fileStem(e.Recorded) != fileStem(e.File) {
		return fmt.Sprintf("%s does not describe the sweep in %s, which %s started (recorded in %s):\n%s\n"+
			"Two files of one name share its folder: give %s a name of its own (name = ...) or another --out; "+
			"or, for it to replace %s's runs, rerun with --force: %s",
			subjectAndExtended(e.File, e.Extends), e.Dir, e.Recorded, record, e.Changes.Describe(), e.File, e.Recorded, forceOutcome)
	}
	return fmt.Sprintf("%s no longer describes the sweep in %s (recorded in %s):\n%s\n"+
		"Undo the change, give another --out to start a new sweep, or rerun with --force: %s",
		subjectAndExtended(e.File, e.Extends), e.Dir, record, e.Changes.Describe(), forceOutcome)
}

// fileStem is a sweep file's name without its folder and extension, which
// the same file has however it is named: by a path from another folder,
// or, for a shipped sweep, by its name or its copy's path.
func fileStem(file string) string {
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
}

// CheckRecord compares the sweep with the record in its directory under out
// and writes the record when there is none or when the runs are unchanged.
// When runs changed it returns a *ChangedError, unless force, when it
// accepts the new file. notes say what was accepted. It holds the sweep
// directory's lock from the reading to the writing, so that of two
// processes started at once with different files of the same name, the
// second sees the first's record and is refused.
func (s *Sweep) CheckRecord(out string, force bool) (notes []string, err error) {
	unlock, err := s.lockDir(out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	dir, now := s.Dir(out), s.Record()
	old, ok, err := ReadRecord(dir)
	if err != nil {
		if !force {
			return nil, fmt.Errorf("%w: rerun with --force to replace it with this file's record", err)
		}
		notes = append(notes, fmt.Sprintf("replacing the corrupt %s (--force)", RecordFile))
		return notes, writeRecord(dir, now)
	}
	if !ok {
		return nil, writeRecord(dir, now)
	}
	renamed := renamedRuns(now, old)
	if !force && len(renamed) > 0 && !diffRecords(now, old.withIDs(renamed)).None() {
		// Refused below: leave every folder where it is.
		renamed = nil
	}
	notes = moveRuns(dir, old, renamed)
	c := diffRecords(now, old)
	switch {
	case c.None() && !c.FileChanged && len(notes) == 0:
		return nil, nil
	case c.None() && !c.FileChanged:
		return notes, writeRecord(dir, now)
	case c.None():
		notes = append(notes, fmt.Sprintf("%s changed since the last run but describes the same runs (comments, reports or checkpoint settings); continuing", subjectAndExtended(s.File, s.Extends)))
	case !force:
		return nil, &ChangedError{File: s.File, Dir: dir, Extends: s.Extends, Changes: c, Recorded: old.File}
	default:
		notes = append(notes, fmt.Sprintf("--force: accepting the changed %s:\n%s", fileAndExtended(s.File, s.Extends), c.Describe()))
		if len(c.Removed) > 0 {
			notes = append(notes, fmt.Sprintf("the %s no longer in the file stay in %s but are left out of results.csv and reports", english.Plural(len(c.Removed), "removed run"), dir))
		}
	}
	return notes, writeRecord(dir, now)
}

// renamedRuns returns the runs of old, the record in the sweep's
// directory, whose ids now, the sweep's record, writes differently for the
// same config (the same config.toml, so the same run: how an id writes a
// value changed, such as a minus sign as m), as pairs of the old and the
// new id.
func renamedRuns(now, old *Record) map[string]string {
	inOld, inNow := map[string]bool{}, map[string]bool{}
	for _, r := range old.Runs {
		inOld[r.ID] = true
	}
	newBySHA := map[string]string{}
	for _, r := range now.Runs {
		inNow[r.ID] = true
		if !inOld[r.ID] {
			newBySHA[r.ConfigSHA256] = r.ID
		}
	}
	renamed := map[string]string{}
	for _, r := range old.Runs {
		if to, ok := newBySHA[r.ConfigSHA256]; ok && !inNow[r.ID] {
			renamed[r.ID] = to
			delete(newBySHA, r.ConfigSHA256)
		}
	}
	return renamed
}

// withIDs returns a copy of the record with the runs renamed.
func (rec *Record) withIDs(renamed map[string]string) *Record {
	c := *rec
	c.Runs = slices.Clone(rec.Runs)
	for i, r := range c.Runs {
		if to, ok := renamed[r.ID]; ok {
			c.Runs[i].ID = to
		}
	}
	return &c
}

// moveRuns moves the folder of each run of old that renamed maps to a new
// id, in the sweep directory dir, and renames it in old, so that it is
// kept as the run it is rather than run again. A folder that a process
// holds (its lock file is there), or whose new name is taken, stays, and
// its run is new to the record. It returns a note for each run moved.
func moveRuns(dir string, old *Record, renamed map[string]string) (notes []string) {
	for i, r := range old.Runs {
		to, ok := renamed[r.ID]
		if !ok || moveRun(dir, r.ID, to) != nil {
			continue
		}
		old.Runs[i].ID = to
		notes = append(notes, fmt.Sprintf("run %s is now %s (the same config, its id written anew): its folder is renamed", r.ID, to))
	}
	return notes
}

// moveRun renames run from's folder in dir to to's, and the run id its
// summary.json records, unless a process holds it or to's folder exists.
// A run that never made a folder moves trivially.
func moveRun(dir, from, to string) error {
	src, dst := filepath.Join(dir, from), filepath.Join(dir, to)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(src, results.LockFile)); err == nil {
		return fmt.Errorf("run %s is locked", from)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if sum, err := results.ReadSummary(dst); err == nil {
		sum.RunID = to
		return results.WriteSummary(dst, sum)
	}
	return nil
}
