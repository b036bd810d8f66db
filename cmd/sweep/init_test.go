package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/sweeps"
)

// runIDs returns the ids of the sweep's runs, in order.
func runIDs(s *sweep.Sweep) []string {
	var ids []string
	for _, r := range s.Runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestShippedSweepsByNameAreTheirFiles checks, from an empty folder, that
// each shipped sweep loads by name with the hash and run ids of its file in
// sweeps/, and that a sweep directory started from the file accepts the
// sweep by name as unchanged: the two resume each other.
func TestShippedSweepsByNameAreTheirFiles(t *testing.T) {
	repo, err := filepath.Abs("../../sweeps")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	t.Chdir(t.TempDir())
	for _, name := range sweeps.Names() {
		file, err := sweep.Load(filepath.Join(repo, name+sweeps.Ext))
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		byName, _, err := loadSweep(name, &stderr)
		if err != nil {
			t.Fatalf("%s by name: %v", name, err)
		}
		if byName.File != name || byName.FileSHA256 != file.FileSHA256 || !slices.Equal(runIDs(byName), runIDs(file)) {
			t.Errorf("%s by name: file %q, hash %s, %d runs; want the name, and hash %s and the %d runs of its file",
				name, byName.File, byName.FileSHA256, len(byName.Runs), file.FileSHA256, len(file.Runs))
		}
		if err := os.MkdirAll(file.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := file.CheckRecord(out, false); err != nil {
			t.Fatal(err)
		}
		if notes, err := byName.CheckRecord(out, false); err != nil || len(notes) > 0 || stderr.Len() > 0 {
			t.Errorf("%s by name after its file: notes %q, %v, stderr %q; want it taken as unchanged", name, notes, err, stderr.String())
		}
	}
}

// TestEveryFileCommandTakesAShippedName runs validate, plan, status and
// report on a shipped sweep by name, from an empty folder.
func TestEveryFileCommandTakesAShippedName(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errs := runCLI("validate", "gaussian-quick"); code != exitOK || !strings.HasPrefix(out, "ok: 3 runs (sweep gaussian-quick") {
		t.Errorf("validate: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI("plan", "gaussian-quick"); code != exitOK || strings.Count(out, "estimator-") != 3 {
		t.Errorf("plan: exit %d\n%s%s", code, out, errs)
	}
	// Commands the engine suggests name the sweep as it was given.
	if code, out, errs := runCLI("status", "gaussian-quick", "--out", "elsewhere"); code != exitOK || !strings.Contains(out, "`sweep run gaussian-quick --out elsewhere`") {
		t.Errorf("status: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI("report", "gaussian-quick", "--out", "elsewhere"); code == exitUsage || !strings.Contains(errs, "no results for sweep gaussian-quick") {
		t.Errorf("report with nothing run: exit %d, stderr %q; want the sweep found and its results missing", code, errs)
	}
	// A job file for a shipped sweep does not send the user looking for its
	// file.
	for _, format := range []string{"slurm", "k8s"} {
		code, out, errs := runCLI("plan", "gaussian-quick", "--format", format, "--shards", "3")
		text := strings.ReplaceAll(out, "\n# ", " ") // the comments' lines, joined
		if code != exitOK || !strings.Contains(text, "carries the sweep gaussian-quick") || strings.Contains(text, "holds gaussian-quick") || strings.Contains(text, "holding gaussian-quick") {
			t.Errorf("plan --format %s: exit %d\n%s%s", format, code, out, errs)
		}
	}
	if code, out, _ := runCLI("list"); code != exitOK || !strings.Contains(out, "Shipped sweeps") || !strings.Contains(out, "batchsize ") {
		t.Errorf("list does not show the shipped sweeps: exit %d\n%s", code, out)
	}
	if _, out, _ := runCLI("help"); !strings.Contains(out, strings.Join(sweeps.Names(), ", ")) {
		t.Errorf("help does not name the shipped sweeps:\n%s", out)
	}
}

// TestAFileWinsOverAShippedName checks that a file named like a shipped
// sweep is read as the file, and that a local copy that differs from the
// shipped sweep run by name earns a note.
func TestAFileWinsOverAShippedName(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("batchsize", []byte(walkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI("validate", "batchsize"); code != exitOK || !strings.Contains(out, "sweep walk") {
		t.Errorf("validate with a file named batchsize: exit %d\n%s%s; want the file's walk sweep", code, out, errs)
	}
	// A job file for it sends the user to the file; a folder named like a
	// shipped sweep leaves the shipped sweep shipped.
	if code, out, errs := runCLI("plan", "batchsize", "--format", "slurm", "--shards", "1"); code != exitOK || !strings.Contains(out, "that holds batchsize,") {
		t.Errorf("plan of a file named batchsize: exit %d\n%s%s; want it sent to the file", code, out, errs)
	}
	if err := os.Mkdir("gaussian-quick", 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI("plan", "gaussian-quick", "--format", "slurm", "--shards", "1"); code != exitOK || !strings.Contains(out, "The sweep program carries the") {
		t.Errorf("plan of gaussian-quick beside a folder of that name: exit %d\n%s%s; want the shipped sweep", code, out, errs)
	}
	if err := os.Remove("batchsize"); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI("init"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	edited := filepath.Join("sweeps", "table1.toml")
	if err := os.WriteFile(edited, []byte(walkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("validate", "table1")
	if code != exitOK || !strings.Contains(out, "sweep table1") || !strings.Contains(errs, "note: "+edited+" differs from the shipped sweep table1") {
		t.Errorf("validate table1 beside an edited copy: exit %d\n%s%s", code, out, errs)
	}
}

func TestUnknownSweepNamesAreUsageErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	checkUsageErrors(t, []usageError{
		{[]string{"run", "batchsiz"}, "no shipped sweep has it (shipped: " + strings.Join(sweeps.Names(), ", ") + ")"},
		{[]string{"run", "batchsiz"}, `did you mean "batchsize"?`},
		{[]string{"validate", "batchsize.toml"}, "batchsize.toml: no such file; the shipped sweep batchsize runs from anywhere as `sweep run batchsize`"},
		{[]string{"plan", "sweeps/table1.toml"}, "`sweep init` copies the shipped sweep files into sweeps/"},
		{[]string{"status", "nope/x.toml"}, "nope/x.toml: no such file; give a sweep file's path, or a shipped sweep's name"},
	})
}

// TestInitCopiesTheShippedSweepsWithoutOverwriting checks that init writes
// every shipped file, leaves identical files alone, keeps an edited file
// (exit 2, naming it) unless --force, and refuses two folders.
func TestInitCopiesTheShippedSweepsWithoutOverwriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	code, out, errs := runCLI("init", dir)
	if code != exitOK || strings.Count(out, "wrote ") != len(sweeps.Names()) {
		t.Fatalf("init into a new folder: exit %d\n%s%s", code, out, errs)
	}
	for _, name := range sweeps.Names() {
		got, err := os.ReadFile(filepath.Join(dir, name+sweeps.Ext))
		src, _ := sweeps.Source(name)
		if err != nil || !bytes.Equal(got, src) {
			t.Errorf("%s: %v, %d bytes; want the shipped file", name, err, len(got))
		}
	}
	if code, out, _ := runCLI("init", dir); code != exitOK || strings.Count(out, "unchanged ") != len(sweeps.Names()) {
		t.Errorf("init again: exit %d\n%s", code, out)
	}
	edited := filepath.Join(dir, "gaussian.toml")
	if err := os.WriteFile(edited, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI("init", dir)
	if b, _ := os.ReadFile(edited); code != exitUsage || string(b) != "# mine\n" || !strings.Contains(out, "kept "+edited) || !strings.Contains(errs, edited+"; rerun with --force") {
		t.Errorf("init over an edited file: exit %d, file %q\n%s%s", code, b, out, errs)
	}
	code, out, _ = runCLI("init", "--force", dir)
	if b, _ := os.ReadFile(edited); code != exitOK || !strings.Contains(out, "overwrote "+edited) || string(b) == "# mine\n" {
		t.Errorf("init --force: exit %d, file %q\n%s", code, b, out)
	}
	checkUsageErrors(t, []usageError{
		{[]string{"init", dir, "other"}, "sweep init takes at most one folder, got 2 arguments"},
		{[]string{"init", edited}, "give a folder that can be created"},
	})
}

// TestAFileExtendsAShippedSweep checks that a sweep file in a folder
// without the shipped files extends a shipped sweep by its file name,
// and that saying batchsize-epochs-20-tuned's difference from
// batchsize-epochs-20 that way gives that sweep's runs, id for id; a
// local file of that name, once there, is what it extends.
func TestAFileExtendsAShippedSweep(t *testing.T) {
	t.Chdir(t.TempDir())
	child := `name = "batchsize-epochs-20-tuned"
extends = "batchsize-epochs-20.toml"

[[overrides]]
where = { estimator = "dv" }
lr = 8e-3
`
	if err := os.WriteFile("tuned.toml", []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := loadSweep("tuned.toml", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := loadSweep("batchsize-epochs-20-tuned", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Runs) != len(want.Runs) {
		t.Fatalf("%d runs, want %d", len(got.Runs), len(want.Runs))
	}
	for i := range got.Runs {
		if got.Runs[i].ID != want.Runs[i].ID {
			t.Fatalf("run %d: id %s, want %s", i, got.Runs[i].ID, want.Runs[i].ID)
		}
	}
	if err := os.WriteFile("batchsize-epochs-20.toml", []byte(walkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI("validate", "tuned.toml"); code == exitOK || !strings.Contains(errs, "tuned.toml:5: overrides[0].where") || !strings.Contains(errs, "its parameters: scale") {
		t.Errorf("validate with a local batchsize-epochs-20.toml (the walk sweep, whose one parameter is scale): exit %d, %s; want the override to find no estimator", code, errs)
	}
}

// TestAClusterJobNamesTheFilesAnExtendingSweepReads checks that the job
// script of a sweep file that extends a local file says the jobs need both,
// and leaves out a shipped sweep it extends, which the program carries.
func TestAClusterJobNamesTheFilesAnExtendingSweepReads(t *testing.T) {
	t.Chdir(t.TempDir())
	files := map[string]string{
		"mid.toml":   "name = \"mid\"\nextends = \"gaussian-quick.toml\"\nseeds = [3]\n",
		"child.toml": "name = \"child\"\nextends = \"mid.toml\"\nseeds = [4]\n",
	}
	for name, src := range files {
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCLI("plan", "child.toml", "--format", "slurm", "--shards", "1")
	if code != exitOK || !strings.Contains(out, "that holds child.toml and mid.toml,") || strings.Contains(out, "gaussian-quick") {
		t.Errorf("plan --format slurm: exit %d\n%s%s; want the jobs to need child.toml and mid.toml, and not the shipped gaussian-quick", code, out, errs)
	}
}

// TestAShippedParentExtendsShippedSweeps checks that what a shipped sweep
// extends is the shipped sweep, whatever the folder the command runs in
// holds: a file there named like it is not read.
func TestAShippedParentExtendsShippedSweeps(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("batchsize-epochs-replicate.toml", []byte(walkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("mine", 0o755); err != nil {
		t.Fatal(err)
	}
	child := "name = \"mine\"\nextends = \"batchsize-epochs-replicate-jsd-4e-3.toml\"\nseeds = [5]\n"
	if err := os.WriteFile(filepath.Join("mine", "child.toml"), []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := loadSweep(filepath.Join("mine", "child.toml"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Task != "dim" || len(s.Runs) != 4 {
		t.Errorf("task %s, %d runs; want the shipped chain's dim task and 4 runs", s.Task, len(s.Runs))
	}
}
