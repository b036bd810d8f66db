package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSweeps writes each named source into a new folder and returns it.
func writeSweeps(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runIDs returns the ids of a sweep's runs, in order.
func runIDs(s *Sweep) []string {
	ids := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		ids[i] = r.ID
	}
	return ids
}

// TestExtendsIsTheMergedFile checks that a file extending gridFile, with
// one [base] key and one parameter of its own, has the runs, ids and
// configs of the one file that says the same thing whole; the axes keep
// the parent's order.
func TestExtendsIsTheMergedFile(t *testing.T) {
	dir := writeSweeps(t, map[string]string{
		"grid.toml": gridFile,
		"child.toml": `name = "child"
extends = "grid.toml"
[parameters.estimator]
values = ["jsd", "dv"]
[base]
steps = 8
`,
	})
	child, err := Load(filepath.Join(dir, "child.toml"))
	if err != nil {
		t.Fatal(err)
	}
	whole := strings.Replace(strings.Replace(strings.Replace(gridFile, `name = "grid"`, `name = "child"`, 1),
		"steps = 6", "steps = 8", 1), `values = ["jsd", "infonce", "dv"]`, `values = ["jsd", "dv"]`, 1)
	want := parseFile(t, whole)
	if got, w := strings.Join(runIDs(child), " "), strings.Join(runIDs(want), " "); got != w {
		t.Fatalf("run ids\n%s\nwant those of the merged file\n%s", got, w)
	}
	if got := strings.Join(child.ParamNames(), " "); got != "estimator optim.lr cubic" {
		t.Errorf("axes %q, want the parent's order: estimator optim.lr cubic", got)
	}
	cfg := child.Runs[0].Config.(*fakeConfig)
	if cfg.BatchSize != 4 || cfg.Steps != 8 || !cfg.Cubic {
		t.Errorf("config %+v: want batch_size 4 from the parent, steps 8 from the child, cubic swept", cfg)
	}
	if child.Name != "child" || child.File != filepath.Join(dir, "child.toml") {
		t.Errorf("name %q file %q: want the child's", child.Name, child.File)
	}
}

// TestExtendsReplacesListsAndChains checks a chain of three files: the
// middle one's [[overrides]] replace the eldest's whole, and the last
// file's seeds replace the others'.
func TestExtendsReplacesListsAndChains(t *testing.T) {
	dir := writeSweeps(t, map[string]string{
		"a.toml": `name = "a"
task = "fake"
seeds = [0, 1]
[base]
steps = 6
[parameters.estimator]
values = ["jsd", "dv"]
[[overrides]]
where = { estimator = "dv" }
width = 9
`,
		"b.toml": `name = "b"
extends = "a.toml"
[[overrides]]
where = { estimator = "jsd" }
width = 7
`,
		"c.toml": `name = "c"
extends = "b.toml"
seeds = [5]
`,
	})
	s, err := Load(filepath.Join(dir, "c.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 2 {
		t.Fatalf("%d runs, want 2 (two estimators, one seed)", len(s.Runs))
	}
	for _, r := range s.Runs {
		cfg := r.Config.(*fakeConfig)
		want := 4 // the fake task's default
		if cfg.Estimator == "jsd" {
			want = 7
		}
		if cfg.Width != want || r.Seed != 5 || cfg.Steps != 6 {
			t.Errorf("%s: width %d seed %d steps %d; want width %d (b's override only), seed 5, steps 6", cfg.Estimator, cfg.Width, r.Seed, cfg.Steps, want)
		}
	}
}

// TestExtendsErrors checks the one-line errors of a broken chain: each
// names the file and line at fault and says what to do.
func TestExtendsErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing parent", map[string]string{"c.toml": "name = \"c\"\nextends = \"nope.toml\"\n"},
			[]string{"c.toml:2: extends:", `"nope.toml": no such sweep file`}},
		{"not a string", map[string]string{"c.toml": "name = \"c\"\nextends = 3\n"},
			[]string{"c.toml:2: extends:", "want the path of the sweep file"}},
		{"loop", map[string]string{
			"a.toml": "name = \"a\"\nextends = \"b.toml\"\n",
			"b.toml": "name = \"b\"\nextends = \"a.toml\"\n",
		}, []string{"extends:", "a loop"}},
		{"no name of its own", map[string]string{
			"grid.toml": gridFile,
			"c.toml":    "extends = \"grid.toml\"\n[base]\nsteps = 2\n",
		}, []string{"c.toml", "name: a sweep that extends", "needs a name of its own"}},
		{"the parent's own mistake", map[string]string{
			"grid.toml": strings.Replace(gridFile, "steps = 6", "stepz = 6", 1),
			"c.toml":    "name = \"c\"\nextends = \"grid.toml\"\n",
		}, []string{"grid.toml:7: base.stepz: unknown key", "c.toml)"}},
		{"an inherited override the child leaves without runs", map[string]string{
			"p.toml": "name = \"p\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n\n[[overrides]]\nwhere = { estimator = \"dv\" }\nwidth = 9\n",
			"c.toml": "name = \"c\"\nextends = \"p.toml\"\n[parameters.estimator]\nvalues = [\"jsd\"]\n",
		}, []string{`p.toml:7: overrides[0].where: estimator = "dv" is not one of`, "(read through extends, from ",
			"which inherits the whole overrides list: give it its own [[overrides]], or overrides = [] for none)"}},
		{"an inherited [base] key the child's own key makes invalid", map[string]string{
			"p.toml": "name = \"p\"\ntask = \"fake\"\n[base]\nsteps = 4\n[base.estimator_params]\ntau = 3.0\n",
			"c.toml": "name = \"c\"\nextends = \"p.toml\"\n[base]\nsteps = 2\n",
		}, []string{"p.toml:6: base.estimator_params.tau = 3: must be at most steps (2) (read through extends, from ", "c.toml)"}},
		{"an inherited override the child's own key makes invalid", map[string]string{
			"p.toml": "name = \"p\"\ntask = \"fake\"\n[parameters.estimator]\nvalues = [\"jsd\", \"dv\"]\n\n[[overrides]]\nwhere = { estimator = \"dv\" }\nestimator_params = { tau = 3.0 }\n",
			"c.toml": "name = \"c\"\nextends = \"p.toml\"\n[base]\nsteps = 2\n",
		}, []string{"p.toml:8: overrides[0].estimator_params.tau = 3: must be at most steps (2) (in the run with estimator = dv",
			"c.toml, which inherits the whole overrides list: give it its own [[overrides]], or overrides = [] for none)"}},
		{"a child that changes the task", map[string]string{
			"p.toml": "name = \"p\"\ntask = \"fake\"\n[base]\nwidth = 3\n",
			"c.toml": "name = \"c\"\nextends = \"p.toml\"\ntask = \"regress\"\n",
		}, []string{"p.toml:4: base.width: unknown key", "(read through extends, from ", `c.toml; `, `p.toml's keys are for task "fake", but `,
			`c.toml:3 sets task = "regress", and an extending file keeps the [base] and [parameters] keys it does not replace: extend a sweep of task "regress", or write the file whole)`}},
		{"an empty [parameters], which drops nothing", map[string]string{
			"grid.toml": gridFile,
			"c.toml":    "name = \"c\"\nextends = \"grid.toml\"\nparameters = {}\n",
		}, []string{"c.toml:3: parameters: is empty, which drops nothing of ", "merges [parameters] key by key"}},
		{"a conditional parameter replaced without a where", map[string]string{
			"p.toml": "name = \"p\"\ntask = \"fake\"\n" + condParams + "where = { estimator = \"jsd\" }\n",
			"c.toml": "name = \"c\"\nextends = \"p.toml\"\n\n[parameters.\"estimator_params.tau\"]\nvalues = [3.0]\n",
		}, []string{`c.toml:4: parameters."estimator_params.tau": replaces the parameter of `, `which is swept only in the runs where { estimator = "jsd" }`,
			"repeat its where to keep the condition, or write where = {} to sweep it in every run"}},
	}
	for _, c := range cases {
		dir := writeSweeps(t, c.files)
		file := "c.toml"
		if _, ok := c.files[file]; !ok {
			file = "a.toml"
		}
		_, err := Load(filepath.Join(dir, file))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not contain %q", c.name, msg, w)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q is more than one line", c.name, msg)
		}
	}
}

// TestExtendsFileSHA256CoversTheParent checks that a change to the parent
// alone changes the sweep's recorded file digest, and that a file with no
// extends keeps the digest of its bytes; sweep.json names the parent.
func TestExtendsFileSHA256CoversTheParent(t *testing.T) {
	child := "name = \"c\"\nextends = \"grid.toml\"\n"
	dir1 := writeSweeps(t, map[string]string{"grid.toml": gridFile, "c.toml": child})
	dir2 := writeSweeps(t, map[string]string{"grid.toml": gridFile + "# a comment\n", "c.toml": child})
	s1, err1 := Load(filepath.Join(dir1, "c.toml"))
	s2, err2 := Load(filepath.Join(dir2, "c.toml"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if s1.FileSHA256 == s2.FileSHA256 {
		t.Error("the digest did not change with the parent")
	}
	plain := parseFile(t, gridFile)
	parent, _ := Load(filepath.Join(dir1, "grid.toml"))
	if sum := sha256.Sum256([]byte(gridFile)); plain.FileSHA256 != parent.FileSHA256 || plain.FileSHA256 != hex.EncodeToString(sum[:]) {
		t.Error("a file without extends changed its digest")
	}
	if got := s1.Record().Extends; len(got) != 1 || got[0] != filepath.Join(dir1, "grid.toml") {
		t.Errorf("sweep.json's extends %q, want the parent's path", got)
	}
	if got := parent.Record().Extends; got != nil {
		t.Errorf("sweep.json's extends %q for a file that extends none, want none", got)
	}
}

// TestExtendsChangeNamesTheExtendedFile checks that a change to the
// extended file alone is reported as a change to the sweep file with the
// files it extends: a note where the runs stay the same, a refusal where
// they change, and the --force note that accepts the change.
func TestExtendsChangeNamesTheExtendedFile(t *testing.T) {
	child := "name = \"c\"\nextends = \"grid.toml\"\n"
	load := func(parent string) *Sweep {
		t.Helper()
		dir := writeSweeps(t, map[string]string{"grid.toml": parent, "c.toml": child})
		s, err := Load(filepath.Join(dir, "c.toml"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := t.TempDir()
	first := load(gridFile)
	if err := os.MkdirAll(first.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := first.CheckRecord(out, false); err != nil {
		t.Fatal(err)
	}
	s := load(gridFile + "# a comment\n")
	notes, err := s.CheckRecord(out, false)
	want := "c.toml, with the file it extends (" + s.Extends[0] + "), changed since the last run but describes the same runs"
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], want) {
		t.Errorf("a comment in the parent: notes %q, error %v; want a note with %q", notes, err, want)
	}
	s = load(strings.Replace(gridFile, "steps = 6", "steps = 7", 1))
	_, err = s.CheckRecord(out, false)
	want = "c.toml, with the file it extends (" + s.Extends[0] + "), no longer describes the sweep in "
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a changed parent: error %v; want one with %q", err, want)
	}
	notes, err = s.CheckRecord(out, true)
	want = "c.toml, with the file it extends (" + s.Extends[0] + "):\n"
	if err != nil || len(notes) != 1 || !strings.HasPrefix(notes[0], "--force: accepting the changed ") || !strings.Contains(notes[0], want) {
		t.Errorf("a changed parent, --force: notes %q, error %v; want the --force note with %q", notes, err, want)
	}
}

// ExampleParseWith reads a sweep that extends another, with a Resolver
// that finds files in memory: the child keeps the parent's axes and
// [base], changes one [base] key and narrows one axis.
func ExampleParseWith() {
	files := map[string]string{
		"parent.toml": `name = "parent"
task = "fake"
seeds = [0]
[base]
steps = 6
width = 8
[parameters.estimator]
values = ["jsd", "infonce", "dv"]
[parameters."optim.lr"]
values = [0.1, 0.2]
`,
	}
	resolve := func(from, name string) (string, []byte, error) {
		src, ok := files[name]
		if !ok {
			return "", nil, os.ErrNotExist
		}
		return name, []byte(src), nil
	}
	child := `name = "child"
extends = "parent.toml"
[base]
steps = 9
[parameters.estimator]
values = ["jsd"]
`
	s, err := ParseWith("child.toml", []byte(child), resolve)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, "extends", s.Extends)
	for _, r := range s.Runs {
		c := r.Config.(*fakeConfig)
		fmt.Println(r.Values, "steps", c.Steps, "width", c.Width)
	}
	// Output:
	// child extends [parent.toml]
	// [jsd 0.1] steps 9 width 8
	// [jsd 0.2] steps 9 width 8
}

// TestExtendsChecksEachFileOnce checks that a long chain reads each file
// a bounded number of times: every file of the chain is checked as a
// sweep once, not once per file that extends it.
func TestExtendsChecksEachFileOnce(t *testing.T) {
	const n = 7
	files := map[string]string{"f0.toml": gridFile}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("f%d.toml", i)] = fmt.Sprintf("name = \"f%d\"\nextends = \"f%d.toml\"\n", i, i-1)
	}
	reads := 0
	resolve := func(from, name string) (string, []byte, error) {
		reads++
		return name, []byte(files[name]), nil
	}
	if _, err := ParseWith("f7.toml", []byte(files["f7.toml"]), resolve); err != nil {
		t.Fatal(err)
	}
	if reads > n*(n+1)/2 {
		t.Errorf("%d reads for a chain of %d files: want at most %d", reads, n+1, n*(n+1)/2)
	}
}

// TestExtendsChainTooLong builds a chain one file longer than MaxExtends:
// the error is at the extends line of the file that would add the extra
// file, and lists the chain so far, so that the reader sees which file to
// point elsewhere.
func TestExtendsChainTooLong(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < MaxExtends; i++ {
		files[fmt.Sprintf("f%d.toml", i)] = fmt.Sprintf("name = \"f%d\"\nextends = \"f%d.toml\"\n", i, i+1)
	}
	files[fmt.Sprintf("f%d.toml", MaxExtends)] = gridFile
	dir := writeSweeps(t, files)
	_, err := Load(filepath.Join(dir, "f0.toml"))
	if err == nil {
		t.Fatalf("a chain of %d files loaded", MaxExtends+1)
	}
	last := filepath.Join(dir, fmt.Sprintf("f%d.toml", MaxExtends-1))
	want := fmt.Sprintf("%s:2: extends: a chain of more than %d files (", last, MaxExtends)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "f0.toml -> ") {
		t.Errorf("error %q, want one with %q and the chain from f0.toml", err, want)
	}
}

// TestExtendsConditionalParameter checks a file that gives new values to a
// conditional parameter of the file it extends: with its own where it is
// the file that says the same thing whole; with where = {} the parameter is
// swept in every run, as a file without where would; an empty where of a
// parameter that replaces none stays an error.
func TestExtendsConditionalParameter(t *testing.T) {
	parent := "name = \"p\"\ntask = \"fake\"\n" + condParams + "where = { estimator = \"jsd\" }\n"
	child := "name = \"c\"\nextends = \"p.toml\"\n[parameters.\"estimator_params.tau\"]\nvalues = [3.0, 4.0]\n"
	for _, c := range []struct{ where, whole string }{
		{"where = { estimator = \"jsd\" }\n", "where = { estimator = \"jsd\" }\n"},
		{"where = {}\n", ""},
	} {
		dir := writeSweeps(t, map[string]string{"p.toml": parent, "c.toml": child + c.where})
		got, err := Load(filepath.Join(dir, "c.toml"))
		if err != nil {
			t.Fatalf("%s: %v", c.where, err)
		}
		whole := "name = \"c\"\ntask = \"fake\"\n" + strings.Replace(condParams, "[1.0, 2.0]", "[3.0, 4.0]", 1) + c.whole
		want := parseFile(t, whole)
		if g, w := strings.Join(runIDs(got), " "), strings.Join(runIDs(want), " "); g != w {
			t.Errorf("%s: run ids\n%s\nwant those of the merged file\n%s", c.where, g, w)
		}
	}
	if _, err := Parse("c.toml", []byte("name = \"c\"\ntask = \"fake\"\n"+condParams+"where = {}\n")); err == nil || !strings.Contains(err.Error(), "where: is empty") {
		t.Errorf("an empty where in a file that extends none: %v, want the error that it is empty", err)
	}
}
