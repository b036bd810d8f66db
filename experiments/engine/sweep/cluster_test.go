package sweep

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hostileName is a folder name that breaks out of every kind of quoting and
// comment a job file could use: line breaks (YAML 1.1's too), command
// substitutions, quotes, a backslash and a YAML comment and flow character.
const hostileName = "nl\ntouch PWNED1\n`touch PWNED2`$(touch PWNED3)'\"\\ #: [x], \r\t\u0085\u2028; touch PWNED4 #"

const clusterFile = `name = "c"
task = "fake"
[base]
steps = 3
batch_size = 2
`

// hostileSweep is a one-run sweep read from a file inside hostileName.
func hostileSweep(t *testing.T) *Sweep {
	t.Helper()
	s, err := Parse(filepath.Join(hostileName, "s.toml"), []byte(clusterFile))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlurmScriptRunsNothingButSweep runs the Slurm script of a sweep file
// in a folder with a hostile name, and of an --out with one, with bash and
// a stub `sweep` first on PATH that records its arguments: the script must
// call sweep once, with the path and --out intact, and run nothing else.
func TestSlurmScriptRunsNothingButSweep(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	s := hostileSweep(t)
	out := hostileName + "/runs"
	p := ClusterPlan{Out: out, Shards: 1}
	if err := s.CheckClusterPlan(p); err != nil {
		t.Fatal(err)
	}
	script := s.SlurmScript(p)
	dir, bin := t.TempDir(), t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	stub := "#!/bin/sh\nprintf '%s\\000' \"$@\" >> \"$SWEEP_CALLS\"\nprintf 'END\\000' >> \"$SWEEP_CALLS\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sweep"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "job.sh")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SWEEP_CALLS="+calls, EnvSlurmTaskID+"=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash job.sh: %v\n%s\nscript:\n%s", err, stderr.String(), script)
	}
	if stderr.Len() > 0 {
		t.Errorf("the script wrote to stderr (did it run something?):\n%s", stderr.String())
	}
	got, err := os.ReadFile(calls)
	if err != nil {
		t.Fatalf("sweep was never called: %v\nscript:\n%s", err, script)
	}
	want := []string{"run", filepath.Join(hostileName, "s.toml"), "--out", out, "--shard", "0/1", "--parallel", "1", "END", ""}
	if args := strings.Split(string(got), "\x00"); !slices.Equal(args, want) {
		t.Errorf("sweep was called with %q\nwant exactly one call %q\nscript:\n%s", args, want[:len(want)-1], script)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("the script created files: %v\nscript:\n%s", files, script)
	}
	checkSbatchHeader(t, script, 7)
}

// checkSbatchHeader checks that the script's header is comments only, so
// that sbatch reads every #SBATCH directive, and that it has all want of them.
func checkSbatchHeader(t *testing.T, script string, want int) {
	t.Helper()
	lines := strings.Split(script, "\n")
	directives := 0
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		if !strings.HasPrefix(l, "#") {
			t.Errorf("header line %q is not a comment: sbatch ignores the #SBATCH lines after it", l)
		}
		if strings.HasPrefix(l, "#SBATCH ") {
			directives++
		}
	}
	if directives != want {
		t.Errorf("the header has %d #SBATCH directives, want %d:\n%s", directives, want, script)
	}
}

// TestK8sManifestKeepsAHostileNameInOneQuotedValue compares the manifest of
// a sweep file in a hostile folder with that of a plain one: line for line
// they must have the same keys, and the command must hold the hostile path
// whole, as a double-quoted YAML string.
func TestK8sManifestKeepsAHostileNameInOneQuotedValue(t *testing.T) {
	s := hostileSweep(t)
	p := ClusterPlan{Shards: 1}
	if err := s.CheckClusterPlan(p); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(s.K8sJob(p), "\n")
	plain, err := Parse("plain/s.toml", []byte(clusterFile))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(plain.K8sJob(p), "\n")
	if len(got) != len(want) {
		t.Fatalf("the manifest has %d lines, the plain one %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	key := regexp.MustCompile(`^(#|\s*(- )?[A-Za-z]+:|$)`)
	for i := range got {
		if !key.MatchString(got[i]) || key.FindString(got[i]) != key.FindString(want[i]) {
			t.Errorf("line %d is %q, where the plain manifest has %q", i+1, got[i], want[i])
		}
	}
	args := flowSequence(t, got)
	if len(args) < 3 || args[2] != filepath.Join(hostileName, "s.toml") {
		t.Errorf("command %q does not hold the sweep file's path %q", args, filepath.Join(hostileName, "s.toml"))
	}
}

// flowSequence returns the strings of the manifest's command: [...] line,
// each a double-quoted YAML scalar (whose escapes, for valid UTF-8, are
// Go's).
func flowSequence(t *testing.T, lines []string) []string {
	t.Helper()
	for _, l := range lines {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "command: [")
		if !ok {
			continue
		}
		var args []string
		for rest != "]" {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("command line %q: %v", l, err)
			}
			v, _ := strconv.Unquote(q)
			args = append(args, v)
			rest = strings.TrimPrefix(rest[len(q):], ", ")
		}
		return args
	}
	t.Fatal("the manifest has no command line")
	return nil
}

func TestClusterPlanRefusesBadFlags(t *testing.T) {
	s := hostileSweep(t)
	for _, c := range []struct {
		p    ClusterPlan
		want string
	}{
		{ClusterPlan{Time: "1:00:00\n#SBATCH --wrap=x"}, `--time "1:00:00\n#SBATCH --wrap=x" is not a Slurm time limit`},
		{ClusterPlan{Time: "24h"}, "is not a Slurm time limit"},
		{ClusterPlan{Image: "img:1\n  x: y"}, "is not a container image reference"},
		{ClusterPlan{Out: "runs\xff"}, `--out "runs\xff" is not valid UTF-8`},
	} {
		err := s.CheckClusterPlan(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("plan %+v: error %v, want %q", c.p, err, c.want)
		}
	}
	for _, ok := range []string{"90", "24:00:00", "2-00:00:00", "1-12", "UNLIMITED"} {
		if err := s.CheckClusterPlan(ClusterPlan{Time: ok}); err != nil {
			t.Errorf("--time %s: %v", ok, err)
		}
	}
}

func TestShellQuoteRoundTripsThroughBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	words := []string{"plain/path.toml", "with space", "it's", hostileName, "bad\xffutf8", "é ü"}
	var script strings.Builder
	for _, w := range words {
		q := ShellQuote(w)
		if strings.ContainsAny(q, "\n\r") || strings.Contains(q, "\u2028") || strings.Contains(q, "\u0085") {
			t.Errorf("ShellQuote(%q) = %q spans lines", w, q)
		}
		script.WriteString("printf '%s\\000' " + q + "\n")
	}
	out, err := exec.Command(bash, "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); !slices.Equal(got, words) {
		t.Errorf("bash read back %q\nwant %q", got, words)
	}
}
