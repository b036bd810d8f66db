package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/dim"
	"github.com/infomax/infomax/internal/safetensors"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// usageError is a command line that must exit with 2, and what its stderr
// must say.
type usageError struct {
	args []string
	want string
}

// checkUsageErrors runs each command line and checks its exit status and
// stderr.
func checkUsageErrors(t *testing.T, cases []usageError) {
	t.Helper()
	for _, c := range cases {
		code, _, errs := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("sweep %q: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
		// A usage error is one line, except the bare command's usage.
		if c.args != nil && strings.Count(errs, "\n") != 1 {
			t.Errorf("sweep %q: stderr is not one line:\n%s", c.args, errs)
		}
	}
}

// writeSmallWalk writes a quick version of the walk sweep (3 steps, no
// sleep) followed by extra to walk.toml in a new directory, and returns the
// file, an output directory beside it and the file's text.
func writeSmallWalk(t *testing.T, extra string) (f, out, src string) {
	t.Helper()
	dir := t.TempDir()
	f = filepath.Join(dir, "walk.toml")
	src = strings.Replace(strings.Replace(walkFile, "steps = 60", "steps = 3", 1), "sleep_ms = 2", "sleep_ms = 0", 1) + extra
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return f, filepath.Join(dir, "runs"), src
}

// TestShippedSweepFilesValidate keeps every sweep file in sweeps/ valid,
// and free of pooling warnings: a report that averages over a setting
// says so in its pool option.
func TestShippedSweepFilesValidate(t *testing.T) {
	files, err := filepath.Glob("../../sweeps/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		code, out, errs := runCLI("validate", f)
		if code != exitOK || !strings.HasPrefix(out, "ok: ") || strings.Contains(errs, "warning") {
			t.Errorf("sweep validate %s: exit %d\n%s%s", f, code, out, errs)
		}
	}
}

// TestValidateWarnsOfPooling: validate prints a report's pooling warning
// (here a table by steps, over runs that differ in scale) to stderr
// and still passes the file.
func TestValidateWarnsOfPooling(t *testing.T) {
	f, _, _ := writeSmallWalk(t, "[[tables]]\nkind = \"table\"\nname = \"all\"\nrows = \"steps\"\ncolumns = [\"max_abs\"]\n")
	code, out, errs := runCLI("validate", f)
	want := f + ":14: tables[0].rows: table report \"all\": each row pools runs that differ in scale (0.5, 2), averaging them within each seed"
	if code != exitOK || !strings.HasPrefix(out, "ok: ") || !strings.Contains(errs, "warning: "+want) {
		t.Errorf("validate: exit %d, stderr lacks %q\n%s%s", code, want, out, errs)
	}
	// plan, which a user may call again and again, does not repeat it.
	if code, out, errs := runCLI("plan", f); code != exitOK || strings.Contains(errs, "warning") {
		t.Errorf("plan: exit %d\n%s%s", code, out, errs)
	}
}

func TestUsageAndConfigErrorsExitWithTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nbatch_size = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A data folder that is not there: plan (which may run on another
	// machine) passes it, validate and run refuse it at its key.
	noData := filepath.Join(dir, "nodata.toml")
	missing := filepath.Join(dir, "mnist")
	if err := os.WriteFile(noData, []byte("name = \"x\"\ntask = \"dim\"\n[base]\nsteps = 2\ndata_path = \""+missing+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI("plan", noData); code != exitOK {
		t.Errorf("plan of a sweep whose data folder is missing here: exit %d\n%s%s", code, out, errs)
	}
	// A misspelt estimator parameter in a table of its own: the error
	// points at its line, not at the table's.
	typo := filepath.Join(dir, "typo.toml")
	if err := os.WriteFile(typo, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nestimator = \"smile\"\n\n[base.estimator_params]\ntau = 1.0\ntua = 2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A parameter of one estimator swept beside others without a where:
	// the error names the key once, and the where that fixes it.
	tauForAll := filepath.Join(dir, "tau.toml")
	if err := os.WriteFile(tauForAll, []byte("name = \"x\"\ntask = \"gaussian\"\n[parameters.estimator]\nvalues = [\"smile\", \"nwj\"]\n[parameters.\"estimator_params.tau\"]\nvalues = [1.0, 5.0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The estimator set in [base]: no where to give, no advice of one.
	tauForNWJ := filepath.Join(dir, "taunwj.toml")
	if err := os.WriteFile(tauForNWJ, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nestimator = \"nwj\"\n[parameters.\"estimator_params.tau\"]\nvalues = [1.0, 5.0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No estimator set: the error says the run has the task's default.
	tauForDefault := filepath.Join(dir, "taudefault.toml")
	if err := os.WriteFile(tauForDefault, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nestimator_params = {tau = 1.0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The estimator swept and tau set in [base] for every run: move it to
	// an override for smile's runs.
	tauInBase := filepath.Join(dir, "tauinbase.toml")
	if err := os.WriteFile(tauInBase, []byte("name = \"x\"\ntask = \"gaussian\"\n[base]\nestimator_params = {tau = 1.0}\n[parameters.estimator]\nvalues = [\"smile\", \"infonce\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An estimator's parameter at the top of [base] or swept by its bare
	// name: the error says it belongs in estimator_params.
	tauAtTop := filepath.Join(dir, "tautop.toml")
	if err := os.WriteFile(tauAtTop, []byte("name = \"x\"\ntask = \"dim\"\n[base]\nestimator = \"smile\"\ntau = 1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tauSweptBare := filepath.Join(dir, "taubare.toml")
	if err := os.WriteFile(tauSweptBare, []byte("name = \"x\"\ntask = \"bmi\"\n[base]\nestimator = \"smile\"\n[parameters.tau]\nvalues = [1.0, 5.0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	placeTau := `tau is a parameter of "smile": it goes in the table estimator_params, as estimator_params.tau = ... in [base] or an [[overrides]] entry, ` +
		`or [parameters."estimator_params.tau"] to sweep it (known here: `
	checkUsageErrors(t, []usageError{
		{[]string{"validate", tauAtTop}, tauAtTop + `:5: base.tau: unknown key; ` + placeTau},
		{[]string{"validate", tauSweptBare}, tauSweptBare + `:6: parameters.tau: names no setting of task "bmi": at tau, unknown key; ` + placeTau},
		{[]string{"validate", tauInBase}, tauInBase + `:4: base.estimator_params.tau: estimator "infonce" has no parameter "tau" (it takes none); tau is a parameter of "smile"; ` +
			`estimator = "smile" takes it: move it from [base] to an [[overrides]] entry with where = { estimator = "smile" }` + "\n"},
		{[]string{"validate", tauForDefault}, tauForDefault + `:4: base.estimator_params.tau: estimator "jsd" has no parameter "tau" (it takes none); tau is a parameter of "smile"; ` +
			`estimator is not set, so the run has the task's default: set estimator in [base] (such as estimator = "smile")` + "\n"},
		{[]string{"validate", typo}, typo + `:8: base.estimator_params.tua: estimator "smile" has no parameter "tua" (it takes tau); did you mean "tau"?` + "\n"},
		{[]string{"validate", tauForAll}, tauForAll + `:6: parameters."estimator_params.tau": estimator "nwj" has no parameter "tau" (it takes none); ` +
			`tau is a parameter of "smile"; to sweep it for estimator = "smile" alone, give [parameters."estimator_params.tau"] where = { estimator = "smile" }` + "\n"},
		{[]string{"validate", tauForNWJ}, tauForNWJ + `:6: parameters."estimator_params.tau": estimator "nwj" has no parameter "tau" (it takes none); tau is a parameter of "smile"` + "\n"},
		{[]string{"validate", noData}, noData + ":5: base.data_path: data path \"" + missing + "\" does not exist; give the folder"},
		{[]string{"run", noData, "--out", filepath.Join(dir, "runs")}, noData + ":5: base.data_path"},
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run"}, "needs one sweep file"},
		{[]string{"plan", bad, bad}, "needs one sweep file, got 2"},
		{[]string{"report", bad, "runs"}, "needs one sweep file, got 2 arguments (for the results folder, write --out runs); "},
		{[]string{"status", bad, "my runs"}, "got 2 arguments (for the results folder, write --out 'my runs'); "},
		{[]string{"run", bad, "--bogus"}, "sweep run: flag provided but not defined: -bogus; `sweep run --help` lists its arguments and flags\n"},
		{[]string{"run", bad, "--paralel", "2"}, "sweep run: flag provided but not defined: -paralel; did you mean --parallel?; `sweep run --help`"},
		{[]string{"status", bad, "-outt", "x"}, "status: flag provided but not defined: -outt; did you mean --out?; "},
		{[]string{"validate", bad}, bad + ":4: base.batch_size = 0: must be at least 2"},
		{[]string{"run", filepath.Join(dir, "missing.toml")}, "no such file"},
		{[]string{"list", "extra"}, "takes no arguments"},
	})
}

// TestHelpListsEachCommandsFlags: the one-line usage errors point at
// --help, so --help must list the flags, and exit 0.
func TestHelpListsEachCommandsFlags(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"run":    {"-out DIR", "-parallel", "-shard", "-force"},
		"plan":   {"-format", "-shards"},
		"status": {"-out DIR"},
		"init":   {"-force"},
	} {
		code, _, errs := runCLI(cmd, "--help")
		if code != exitOK || !strings.Contains(errs, "Usage: sweep "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, errs)
		}
		for _, f := range flags {
			if !strings.Contains(errs, "  "+f) {
				t.Errorf("%s --help does not list %s:\n%s", cmd, f, errs)
			}
		}
	}
}

func TestPlanPrintsRunsAndFlagsMayFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "s.toml")
	src := "name = \"s\"\ntask = \"gaussian\"\nseeds = [0, 1]\n[parameters.estimator]\nvalues = [\"jsd\", \"nwj\"]\n" +
		"[[overrides]]\nwhere = { estimator = \"nwj\" }\nlr = 2e-4\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("plan", f, "--out", filepath.Join(dir, "runs"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "4 runs (2 configurations x 2 seeds)") || !strings.Contains(out, "sweep s: task gaussian, grid, ") || strings.Count(out, "estimator-") != 4 || !strings.Contains(out, "estimator-nwj_s1_") {
		t.Fatalf("plan output:\n%s", out)
	}
	// The setting the override sets is a column, with every run's value.
	if !regexp.MustCompile(`(?m)^#\s+run id\s+estimator\s+lr\s+seed$`).MatchString(out) ||
		len(regexp.MustCompile(`(?m)\sjsd\s+0\.0005\s+[01]$`).FindAllString(out, -1)) != 2 ||
		len(regexp.MustCompile(`(?m)\snwj\s+0\.0002\s+[01]$`).FindAllString(out, -1)) != 2 {
		t.Fatalf("plan output lacks the lr column of the override:\n%s", out)
	}
	code, out, _ = runCLI("status", f, "--out", filepath.Join(dir, "runs"))
	if code != exitOK || !strings.Contains(out, "4 runs pending") {
		t.Fatalf("status before any run: exit %d\n%s", code, out)
	}
	// A job script's flag without --format is an error, not ignored.
	code, out, errs = runCLI("plan", f, "--parallel", "1") // its default, but given
	if code != exitUsage || out != "" || !strings.Contains(errs, "--parallel is a setting of the job script: add --format slurm or --format k8s") {
		t.Fatalf("plan --parallel 1 without --format: exit %d\n%s%s", code, out, errs)
	}
}

func TestListShowsTheRegistries(t *testing.T) {
	code, out, _ := runCLI("list")
	for _, want := range []string{"Tasks", "gaussian", "Estimators", "infonce", "ksg", "classic", "Critics", "separable", "Local critics", "concat-and-convolve", "Global critics", "encode-and-dot", "Report kinds", "staircase", "Data sets"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep list lacks %q", want)
		}
	}
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	// Every shipped task names its metrics, so that validation checks
	// the reports' metric names; dim's default run writes these.
	for _, name := range tasks.Names() {
		info, _ := tasks.Lookup(name)
		if _, ok := info.Task.(tasks.MetricsNamer); !ok {
			t.Errorf("task %s does not name its metrics (tasks.MetricsNamer)", name)
		}
	}
	if want := "summary (results.csv): ceiling_local, js_local, linear_conv_acc,"; !strings.Contains(out, want) {
		t.Errorf("sweep list lacks dim's metrics %q", want)
	}
}

func TestPlanFormatsPrintJobArrays(t *testing.T) {
	f := filepath.Join(writeWalkFile(t), "walk.toml")
	code, out, errs := runCLI("plan", f, "--format", "slurm", "--shards", "3", "--parallel", "2", "--out", "/scratch/runs")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --array=0-2\n",
		"#SBATCH --cpus-per-task=2\n",
		"#SBATCH --signal=B:TERM@120\n",
		"exec sweep run " + f + " --out /scratch/runs --shard \"${SLURM_ARRAY_TASK_ID}/3\" --parallel 2\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("slurm script lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "#SBATCH"), strings.Index(out, "set -euo"); i < 0 || j < i || strings.Contains(out[j:], "#SBATCH") {
		t.Errorf("#SBATCH lines must all come before the first command:\n%s", out)
	}

	code, out, errs = runCLI("plan", f, "--format", "k8s", "--shards", "2", "--image", "reg.example/infomax:1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"kind: Job\n",
		"name: sweep-walk\n",
		"completionMode: Indexed\n",
		"completions: 2\n",
		"parallelism: 2\n",
		`image: "reg.example/infomax:1"`,
		`command: ["sweep", "run", "` + f + `", "--out", "runs", "--shards", "2", "--parallel", "1"]`,
		"JOB_COMPLETION_INDEX",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("k8s manifest lacks %q:\n%s", want, out)
		}
	}
	// Without --shards: one array task per run.
	if _, out, _ := runCLI("plan", f, "--format", "slurm"); !strings.Contains(out, "#SBATCH --array=0-5\n") {
		t.Errorf("default shards:\n%s", out)
	}
	checkUsageErrors(t, []usageError{
		{[]string{"plan", f, "--format", "pbs"}, `--format "pbs": use slurm`},
		{[]string{"plan", f, "--format", "slurm", "--shards", "7"}, "--shards 7 is more than the sweep's 6 runs"},
		{[]string{"run", f, "--shard", "2/2"}, "the shard index 2 must be between 0 and 1"},
		{[]string{"run", f, "--shards", "2"}, "--shards 2 needs --shard i/2"},
		{[]string{"run", f, "--parallel", "0"}, "--parallel 0 must be at least 1"},
		{[]string{"plan", f, "--format", "slurm", "--shards", "0"}, `invalid value "0" for flag -shards: must be at least 1`},
		{[]string{"run", f, "--shards", "0"}, `invalid value "0" for flag -shards: must be at least 1`},
		{[]string{"plan", f, "--format", "k8s", "--shards", "two"}, `invalid value "two" for flag -shards: want a whole number`},
		{[]string{"run", f, "--out="}, `invalid value "" for flag -out: is empty: give a folder, or leave --out out for runs`},
		{[]string{"status", f, "--out", ""}, `invalid value "" for flag -out: is empty`},
		{[]string{"validate", filepath.Dir(f)}, "is a folder; give one of its sweep files' paths: " + f},
		{[]string{"validate", filepath.Join(filepath.Dir(f), "none.toml")}, "none.toml: no such file; give a sweep file's path, or a shipped sweep's name (batchsize,"},
	})
}

// TestPlanUsesOrRefusesEveryFlag: every flag of `sweep plan`, with every
// --format, either shows in the job file it prints or is refused in one
// line naming the flag and the format; none is ignored. Without --format,
// a job script's flag names the formats that use it.
func TestPlanUsesOrRefusesEveryFlag(t *testing.T) {
	f := filepath.Join(writeWalkFile(t), "walk.toml")
	flags := []struct {
		flag, value string
		// shows is what the flag's value puts in each format's file.
		shows map[string]string
	}{
		{"--shards", "2", map[string]string{"slurm": "#SBATCH --array=0-1\n", "k8s": "completions: 2\n"}},
		{"--parallel", "3", map[string]string{"slurm": "#SBATCH --cpus-per-task=3\n", "k8s": `"--parallel", "3"]`}},
		{"--out", "/scratch/o", map[string]string{"slurm": "--out /scratch/o --shard", "k8s": `"--out", "/scratch/o"`}},
		{"--time", "1:00:00", map[string]string{"slurm": "#SBATCH --time=1:00:00\n"}},
		{"--image", "reg.example/i:2", map[string]string{"k8s": `image: "reg.example/i:2"`}},
	}
	for _, format := range []string{"slurm", "k8s", "kubernetes"} {
		kind := map[string]string{"kubernetes": "k8s"}[format]
		if kind == "" {
			kind = format
		}
		for _, fl := range flags {
			args := []string{"plan", f, "--format", format, fl.flag, fl.value}
			want, used := fl.shows[kind]
			if !used {
				other := "slurm"
				if kind == "slurm" {
					other = "k8s"
				}
				checkUsageErrors(t, []usageError{{args, "sweep plan: " + fl.flag + " is for --format " + other + " ("}})
				if code, _, errs := runCLI(args...); !strings.Contains(errs, ", not --format "+format+": ") {
					t.Errorf("sweep %q: exit %d, the error does not name --format %s: %s", args, code, format, errs)
				}
				continue
			}
			if code, out, errs := runCLI(args...); code != exitOK || !strings.Contains(out, want) {
				t.Errorf("sweep %q: exit %d, output lacks %q:\n%s%s", args, code, want, out, errs)
			}
		}
	}
	checkUsageErrors(t, []usageError{
		{[]string{"plan", f, "--time", "1:00:00"}, "sweep plan: --time is a setting of the job script: add --format slurm, or leave --time out"},
		{[]string{"plan", f, "--image", "x"}, "sweep plan: --image is a setting of the job script: add --format k8s, or leave --image out"},
		{[]string{"plan", f, "--shards", "2"}, "sweep plan: --shards is a setting of the job script: add --format slurm or --format k8s,"},
		{[]string{"plan", f, "--format", "pbs", "--time", "1"}, `sweep plan: --format "pbs": use slurm`},
	})
}

// TestJobFilesSayTheCommandThatMakesThem: the "Made by" line of a job
// file is a command line that, split as bash splits it, prints the same
// file again, whatever flags made it (an --out with a space, flags left at
// their defaults, --format kubernetes for k8s).
func TestJobFilesSayTheCommandThatMakesThem(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	f := filepath.Join(writeWalkFile(t), "walk.toml")
	madeBy := regexp.MustCompile("(?m)^# Made by `([^`]*)`\\.$")
	for _, args := range [][]string{
		{"--format", "slurm", "--shards", "2", "--parallel", "3", "--time", "1:00:00", "--out", "/scratch/my runs"},
		{"--format", "slurm"},
		{"--format", "kubernetes", "--shards", "3", "--image", "reg.example/i:2", "--out", "o"},
		{"--format", "k8s", "--parallel", "2"},
	} {
		code, job, errs := runCLI(append([]string{"plan", f}, args...)...)
		m := madeBy.FindStringSubmatch(job)
		if code != exitOK || m == nil {
			t.Errorf("plan %q: exit %d, no Made by line:\n%s%s", args, code, job, errs)
			continue
		}
		words, err := exec.Command(bash, "-c", `printf '%s\0' `+m[1]).Output()
		if err != nil {
			t.Fatalf("bash splitting %s: %v", m[1], err)
		}
		again := strings.Split(strings.TrimSuffix(string(words), "\x00"), "\x00")
		if again[0] != "sweep" || again[1] != "plan" {
			t.Errorf("plan %q: Made by %q is not a sweep plan command", args, m[1])
			continue
		}
		if code, job2, errs := runCLI(again[1:]...); code != exitOK || job2 != job {
			t.Errorf("plan %q: Made by %q gives another file (exit %d):\n%s%s\nwant:\n%s", args, m[1], code, job2, errs, job)
		}
	}
}

// TestParallelOverTheMemoryLimitIsAUsageError checks that `sweep run
// --parallel P` refuses, before any run starts, P runs whose estimates
// together exceed the limit, and `sweep plan` a job file that would: gaussian-quick's runs need about 42.5 MB each,
// so two fit in 0.1 GB and three do not.
func TestParallelOverTheMemoryLimitIsAUsageError(t *testing.T) {
	src, err := os.ReadFile("../../sweeps/gaussian-quick.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "g.toml")
	if err := os.WriteFile(f, append([]byte("max_memory_gb = 0.1\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	checkUsageErrors(t, []usageError{
		{[]string{"run", f, "--out", dir, "--parallel", "3"}, "sweep run: --parallel 3: 3 runs at once would need about 127 MB of memory by their estimates, more than the limit of 100 MB (max_memory_gb = 0.1); use --parallel 2 or less"},
		// A job file whose tasks would be refused so is not made.
		{[]string{"plan", f, "--format", "slurm", "--shards", "1", "--parallel", "3"}, "sweep plan: --parallel 3: 3 runs at once would need about 127 MB"},
	})
	if _, err := os.Stat(filepath.Join(dir, "gaussian-quick")); !os.IsNotExist(err) {
		t.Errorf("the refused run made its sweep folder (%v)", err)
	}
}

func TestChangedSweepFileExitsWithTwoUnlessForced(t *testing.T) {
	f, out, small := writeSmallWalk(t, "")
	if code, _, errs := runCLI("run", f, "--out", out); code != exitOK {
		t.Fatalf("first run: exit %d %s", code, errs)
	}
	os.WriteFile(f, []byte(strings.Replace(small, "steps = 3", "steps = 4", 1)), 0o644)
	code, _, errs := runCLI("run", f, "--out", out)
	if code != exitUsage || !strings.Contains(errs, "6 runs changed:\n    steps: 3 -> 4 (6 runs)") {
		t.Fatalf("changed file: exit %d\n%s", code, errs)
	}
	if code, stdout, errs := runCLI("run", f, "--out", out, "--force"); code != exitOK || !strings.Contains(stdout, "6 ran") {
		t.Fatalf("--force: exit %d\n%s%s", code, stdout, errs)
	}
	code, stdout, _ := runCLI("report", f, "--out", out)
	if code != exitOK || !strings.Contains(stdout, "results.csv") || !strings.Contains(stdout, "all 6 runs are done") {
		t.Fatalf("report: exit %d\n%s", code, stdout)
	}
}

// walkInEveryState runs the even runs of the small walk sweep with extra
// added to its file, then makes run 1 failed and run 3 running (held by
// this process), leaving run 5 pending. It returns the sweep, its output
// directory and the host name the lock holds.
func walkInEveryState(t *testing.T, extra string) (s *sweep.Sweep, out, host string) {
	t.Helper()
	_, out, s = ranSmallWalk(t, extra, "--shard", "0/2")
	failed, running := s.RunDir(out, s.Runs[1]), s.RunDir(out, s.Runs[3])
	for _, d := range []string{failed, running} {
		os.MkdirAll(d, 0o755)
	}
	results.WriteSummary(failed, &results.Summary{RunID: s.Runs[1].ID, Status: results.StatusFailed, Error: "diverged at step 2: loss is NaN", Step: 2, Seconds: 1})
	results.WriteSummary(running, &results.Summary{RunID: s.Runs[3].ID, Status: results.StatusRunning, Started: time.Now()})
	os.WriteFile(filepath.Join(running, results.MetricsFile), []byte(`{"step":1,"values":{"x":1}}`+"\n"+`{"step":2,"values":{"x":2}}`+"\n"), 0o644)
	host, _ = os.Hostname()
	os.WriteFile(filepath.Join(running, results.LockFile), fmt.Appendf(nil, "%d %s\n", os.Getpid(), host), 0o644)
	return s, out, host
}

func TestStatusShowsEveryStateWithReasonsAndAnEstimate(t *testing.T) {
	s, out, host := walkInEveryState(t, "")
	f := s.File
	code, stdout, _ := runCLI("status", f, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(stdout, "\n")
	for i, want := range []string{"done", "failed", "done", "running", "done", "pending"} {
		if f := strings.Fields(lines[i+1]); len(f) < 3 || f[1] != s.Runs[i].ID || f[2] != want {
			t.Errorf("line for run %d is %q, want status %s", i, lines[i+1], want)
		}
	}
	// The running run's summary says step 0; its metrics.jsonl has got to 2.
	if f := strings.Fields(lines[4]); len(f) < 4 || f[3] != "2" {
		t.Errorf("line for the running run is %q, want step 2, the last in its metrics.jsonl", lines[4])
	}
	for _, want := range []string{"diverged at step 2: loss is NaN", fmt.Sprintf("pid %d on %s", os.Getpid(), host), "6 runs: 3 done, 1 failed, 1 running, 1 pending", "left at"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
}

// TestREADMESweepExamplesValidate keeps the README honest: every TOML block
// in it that declares a sweep (a line starting with `name =`) must pass
// `sweep validate`, without a warning.
func TestREADMESweepExamplesValidate(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```toml\n")
	checked := 0
	for i, b := range blocks[1:] {
		end := strings.Index(b, "```")
		if end < 0 {
			t.Fatalf("README: TOML block %d is not closed", i+1)
		}
		src := b[:end]
		if !strings.HasPrefix(src, "name = ") {
			continue
		}
		src = withKeptEncoder(t, src)
		f := filepath.Join(t.TempDir(), "readme.toml")
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCLI("validate", f); code != exitOK || !strings.HasPrefix(out, "ok: ") || strings.Contains(errs, "warning") {
			t.Errorf("README TOML block %d does not validate, or with a warning: exit %d\n%s%s", i+1, code, out, errs)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("README has no sweep example to check")
	}
}

// TestDivergedRunsAreKeptUnlessRetried runs walks that diverge: `sweep
// run` records them as failed and exits with 1; run again, it keeps them
// without running them, says so and still exits with 1, and `sweep status`
// leaves them out of the time left; with --retry-diverged it runs them
// again, and, the walks being deterministic, they diverge at the same step,
// which its closing line says without telling to add the flag it has.
func TestDivergedRunsAreKeptUnlessRetried(t *testing.T) {
	f, out, _ := writeSmallWalk(t, "")
	src, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(src), "steps = 3", "steps = 3\ndiverge_above = 1.0", 1)), 0o644)
	code, first, errs := runCLI("run", f, "--out", out)
	if code != exitFailed || !strings.Contains(first, "a run that diverged would diverge again and is kept, unless you add --retry-diverged") ||
		!strings.Contains(first, " failed (") {
		t.Fatalf("run: exit %d\n%s%s", code, first, errs)
	}
	failed := strings.Count(first, "\n  scale-") // the closing lines of the failed runs
	if failed == 0 || failed == 6 {
		t.Fatalf("%d of 6 walks diverged; the test needs some of each\n%s", failed, first)
	}
	code, stdout, errs := runCLI("run", f, "--out", out)
	want := fmt.Sprintf("0 ran, %d already done, 0 failed, %d diverged before and kept", 6-failed, failed)
	if code != exitFailed || !strings.Contains(stdout, want) || strings.Contains(stdout, "] scale") {
		t.Errorf("rerun: exit %d, want 1 and %q with no run\n%s%s", code, want, stdout, errs)
	}
	code, stdout, _ = runCLI("status", f, "--out", out)
	want = fmt.Sprintf("%d failed (%d diverged, kept by `sweep run` unless --retry-diverged)", failed, failed)
	if code != exitOK || !strings.Contains(stdout, want) || strings.Contains(stdout, " left at ") {
		t.Errorf("status: exit %d, want %q and no time left\n%s", code, want, stdout)
	}
	code, stdout, errs = runCLI("run", f, "--out", out, "--retry-diverged")
	want = fmt.Sprintf("0 ran, %d already done, %d failed (%d diverged again)", 6-failed, failed, failed)
	if code != exitFailed || !strings.Contains(stdout, want) ||
		!strings.Contains(stdout, "a run that diverged is deterministic and would diverge again as it is") ||
		strings.Contains(stdout, "unless you add --retry-diverged") {
		t.Fatalf("run --retry-diverged: exit %d, want %q and no hint to add the flag it has\n%s%s", code, want, stdout, errs)
	}
	for _, line := range strings.Split(first, "\n") {
		if strings.HasPrefix(line, "  ") && strings.Contains(line, ": diverged at step ") && !strings.Contains(stdout, line) {
			t.Errorf("the retried run diverged otherwise than at first: %q is not in\n%s", line, stdout)
		}
	}
	// In a new folder no run diverges again, whatever the flag.
	out2 := filepath.Join(t.TempDir(), "runs")
	code, stdout, errs = runCLI("run", f, "--out", out2, "--retry-diverged")
	if want := fmt.Sprintf("%d ran, 0 already done, %d failed (%d diverged)\n", 6-failed, failed, failed); code != exitFailed || !strings.Contains(stdout, want) {
		t.Errorf("run --retry-diverged in a new folder: exit %d, want %q\n%s%s", code, want, stdout, errs)
	}
}

// TestReportReadsWhatTheStoredRunsWrote runs a task whose Metrics misses
// a metric that its runs write: validation refuses a report of it, on the
// task's word, but `sweep report` and `sweep status` read the stored runs,
// so the bug cannot keep a finished sweep from its reports. A metric that
// no stored run wrote still fails its report, with the closest name.
func TestReportReadsWhatTheStoredRunsWrote(t *testing.T) {
	f, out, small := writeSmallWalk(t, "")
	small = strings.Replace(small, `task = "walk"`, `task = "walk-undeclared"`, 1)
	os.WriteFile(f, []byte(small), 0o644)
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errs)
	}
	table := func(metric string) string {
		return "[[tables]]\nkind = \"table\"\nname = \"walk_table\"\nrows = \"scale\"\ncolumns = [\"" + metric + "\"]\n"
	}
	os.WriteFile(f, []byte(small+table("max_abs")), 0o644)
	if code, _, errs := runCLI("validate", f); code != exitUsage || !strings.Contains(errs, `no run of the sweep writes the summary metric "max_abs"`) {
		t.Errorf("validate: exit %d, stderr %q; want exit 2 and the task's metrics", code, errs)
	}
	if code, stdout, errs := runCLI("report", f, "--out", out); code != exitOK || !strings.Contains(stdout, "walk_table.md") {
		t.Errorf("report: exit %d\n%s%s", code, stdout, errs)
	}
	if code, stdout, errs := runCLI("status", f, "--out", out); code != exitOK || !strings.Contains(stdout, "6 runs: 6 done") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, errs)
	}
	os.WriteFile(f, []byte(small+table("max_ab")), 0o644)
	if code, stdout, errs := runCLI("report", f, "--out", out); code != exitFailed ||
		!strings.Contains(errs, `no finished run has the summary metric "max_ab" (metrics: max_abs, x); did you mean "max_abs"?`) {
		t.Errorf("report of a metric no run wrote: exit %d\n%s%s", code, stdout, errs)
	}
}

// TestRunMakesTheReportsOnceEveryRunIsDone: `sweep run` makes the declared
// reports after the runs, and with shards only in the shard that finds
// no run of the sweep pending or running.
func TestRunMakesTheReportsOnceEveryRunIsDone(t *testing.T) {
	f, out, small := writeSmallWalk(t, "[[tables]]\nkind = \"table\"\nname = \"walk_table\"\nrows = \"scale\"\ncolumns = [\"max_abs\"]\n")
	table := filepath.Join(out, "walk", sweep.ReportsDir, "walk_table.md")
	code, stdout, errs := runCLI("run", f, "--out", out, "--shard", "0/2")
	if code != exitOK || !strings.Contains(stdout, "shard 0/2 finished; 3 runs of other shards still pending or running:") || strings.Contains(stdout, "wrote ") {
		t.Fatalf("shard 0/2: exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(table); !os.IsNotExist(err) {
		t.Fatalf("a shard made the reports before every run was done: %v", err)
	}
	code, stdout, errs = runCLI("run", f, "--out", out, "--shard", "1/2")
	page := filepath.Join(out, "walk", sweep.ReportsDir, "index.html")
	if code != exitOK || !strings.Contains(stdout, "wrote "+table+"\n") || !strings.Contains(stdout, "\n3 ran, 0 already done, 0 failed\n") ||
		!strings.HasSuffix(stdout, "\npage: "+page+" (every figure, table and run, with training curves; open it in a browser)\n") {
		t.Fatalf("shard 1/2: exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(table); err != nil {
		t.Fatalf("the last shard made no reports: %v", err)
	}
	// A report that fails is reported, and the exit status says so.
	os.WriteFile(f, []byte(small+"[[tables]]\nkind = \"failing\"\nname = \"walk_failing\"\n"), 0o644)
	code, stdout, errs = runCLI("run", f, "--out", out)
	if code != exitFailed || !strings.Contains(stdout, "reports failed: report walk_failing (failing): ") {
		t.Fatalf("failing report: exit %d\n%s%s", code, stdout, errs)
	}
}

// TestRunOfADoneSweepNeedsNoData: sweep run checks the data folder of the
// runs it will run only: a sweep whose runs are all done runs on a machine
// without its data, keeping them.
func TestRunOfADoneSweepNeedsNoData(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "nodata.toml")
	if err := os.WriteFile(f, []byte("name = \"x\"\ntask = \"dim\"\n[base]\nsteps = 2\ndata_path = \""+filepath.Join(dir, "mnist")+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sweep.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	run := s.Runs[0]
	if err := os.MkdirAll(s.RunDir(out, run), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteSummary(s.RunDir(out, run), &results.Summary{RunID: run.ID, Status: results.StatusDone, Seed: run.Seed, Metrics: results.Values{}}); err != nil {
		t.Fatal(err)
	}
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK || !strings.Contains(stdout, "0 ran, 1 already done") {
		t.Errorf("run of a done sweep without its data: exit %d\n%s%s", code, stdout, errs)
	}
}

// encoderFileRe matches a README example's encoder_file setting.
var encoderFileRe = regexp.MustCompile(`(?m)^encoder_file = "[^"]*"`)

// withKeptEncoder returns src, a README sweep example, with its
// encoder_file, if it has one, pointing at a kept encoder of the sizes
// its [base] sets (dim's defaults for the rest) written to a temporary
// folder: the example then validates as it does beside the run that kept
// the encoder, its sizes checked against the file's tensors.
func withKeptEncoder(t *testing.T, src string) string {
	t.Helper()
	if !encoderFileRe.MatchString(src) {
		return src
	}
	file := struct {
		Base *dim.Config `toml:"base"`
	}{Base: dim.DefaultConfig()}
	if _, err := toml.Decode(src, &file); err != nil {
		t.Fatal(err)
	}
	c := file.Base
	enc, err := architectures.NewEncoder(G.NewGraph(), architectures.NewInit(0), architectures.EncoderSpec{
		InChannels: data.SizesOf(c.Dataset).Channels, Size: data.ImageSide,
		Conv1: c.Conv1, Conv2: c.Conv2, Conv3: c.Conv3, FC: c.FC, Out: c.Code, FirstBN: c.FirstBN})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := enc.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	b, err := safetensors.Encode(&safetensors.File{Tensors: ts})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), dim.KeptEncoder)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return encoderFileRe.ReplaceAllLiteralString(src, fmt.Sprintf("encoder_file = %q", path))
}

// TestEveryTaskWithEstimatorParamsPlacesTheirKeys: every registered task
// whose config has an estimator_params table says, of an estimator's
// parameter written at its top, that it goes there (tasks.KeyHinter), so
// that no task is left with the bare unknown-key error.
func TestEveryTaskWithEstimatorParamsPlacesTheirKeys(t *testing.T) {
	for _, name := range tasks.Names() {
		info, err := tasks.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := info.Task.NewConfig()
		st := reflect.TypeOf(cfg).Elem()
		if !slices.ContainsFunc(reflect.VisibleFields(st), func(f reflect.StructField) bool { return f.Tag.Get("toml") == "estimator_params" }) {
			continue
		}
		h, ok := cfg.(tasks.KeyHinter)
		if !ok {
			t.Errorf("task %s: its config has estimator_params but is no tasks.KeyHinter", name)
			continue
		}
		if got := h.KeyHint("tau"); !strings.Contains(got, `[parameters."estimator_params.tau"]`) {
			t.Errorf("task %s: KeyHint(tau) = %q, want it placed in estimator_params", name, got)
		}
		if got := h.KeyHint("batch_sise"); got != "" {
			t.Errorf("task %s: KeyHint(batch_sise) = %q, want none", name, got)
		}
	}
}

// TestAnEstimatorsParameterPlacedAsTheHintSaysValidates: tau written bare
// in an [[overrides]] entry for smile's runs, beside a swept estimator, is
// told to go in estimator_params where it is; the file with the key so
// written validates. Advice to use [base.estimator_params] would fail for
// the other estimator's runs, whose error sends tau back to the override.
func TestAnEstimatorsParameterPlacedAsTheHintSaysValidates(t *testing.T) {
	head := "name = \"x\"\ntask = \"gaussian\"\n[base]\nestimator = \"smile\"\n[parameters.estimator]\nvalues = [\"smile\", \"jsd\"]\n" +
		"[[overrides]]\nwhere = { estimator = \"smile\" }\n"
	bare := filepath.Join(t.TempDir(), "bare.toml")
	if err := os.WriteFile(bare, []byte(head+"tau = 5.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := `:9: overrides[0].tau: unknown key; tau is a parameter of "smile": it goes in the table estimator_params, ` +
		`as estimator_params.tau = ... in [base] or an [[overrides]] entry, or [parameters."estimator_params.tau"] to sweep it (known here: `
	if code, _, errs := runCLI("validate", bare); code != exitUsage || !strings.Contains(errs, bare+want) {
		t.Errorf("tau bare in an override: exit %d, want 2 and %q\n%s", code, want, errs)
	}
	placed := filepath.Join(t.TempDir(), "placed.toml")
	if err := os.WriteFile(placed, []byte(head+"estimator_params.tau = 5.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, errs := runCLI("validate", placed); code != exitOK {
		t.Errorf("tau as the hint says: exit %d, want 0\n%s%s", code, stdout, errs)
	}
}
