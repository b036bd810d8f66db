package sweep

import (
	"embed"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/infomax/infomax/internal/english"
)

// ClusterPlan says how to spread a sweep over a cluster's job array.
type ClusterPlan struct {
	// File is the sweep file and Out the output directory, as the jobs
	// will see them.
	File, Out string
	// Shards is the number of array tasks; Parallel the runs each runs at
	// once (and the CPUs it asks for).
	Shards, Parallel int
	// Time is the Slurm time limit, such as "24:00:00"; Image the
	// container image of a Kubernetes Job.
	Time, Image string
	// Command is the sweep program as the jobs call it ("sweep" when
	// empty).
	Command string
	// Shipped says that File is the name of a sweep the program carries,
	// not a file the jobs must find.
	Shipped bool
	// Extends are the files that File extends and the jobs must find
	// beside it (not those the program carries).
	Extends []string
}

// DefaultShards is the shard count of `sweep plan --format` without
// --shards: one per run, up to this many.
const DefaultShards = 100

// Defaults of a cluster plan.
const (
	DefaultSlurmTime = "24:00:00"
	DefaultImage     = "ghcr.io/your-org/infomax:latest"
)

func (p ClusterPlan) withDefaults(s *Sweep) ClusterPlan {
	if p.Shards <= 0 {
		p.Shards = min(len(s.Runs), DefaultShards)
	}
	p.Parallel = max(1, p.Parallel)
	if p.Out == "" {
		p.Out = DefaultOut
	}
	if p.Time == "" {
		p.Time = DefaultSlurmTime
	}
	if p.Image == "" {
		p.Image = DefaultImage
	}
	if p.Command == "" {
		p.Command = "sweep"
	}
	return p
}

// CheckClusterPlan reports a plan that cannot work: a shard count or
// parallelism out of range, a --time that is not a Slurm time limit, an
// --image that is not one word, a sweep file path or --out that is not
// valid UTF-8 (a Kubernetes manifest is UTF-8 text), or a --parallel whose
// runs would together need more memory than the limit (see
// [Sweep.CheckParallel]). Every other string is
// quoted where it goes into a script or manifest, comments included.
func (s *Sweep) CheckClusterPlan(p ClusterPlan) error {
	switch {
	case p.Shards < 0 || p.Shards > MaxShards:
		return fmt.Errorf("--shards %d must be between 1 and %d", p.Shards, MaxShards)
	case p.Shards > len(s.Runs):
		return fmt.Errorf("--shards %d is more than the sweep's %s: some shards would have nothing to do", p.Shards, english.Plural(len(s.Runs), "run"))
	case p.Parallel < 0:
		return fmt.Errorf("--parallel %d must be at least 1", p.Parallel)
	case p.Time != "" && !slurmTime.MatchString(p.Time):
		return fmt.Errorf("--time %s is not a Slurm time limit: write minutes (90), hours:minutes:seconds (24:00:00) or days-hours:minutes:seconds (2-00:00:00)", english.Quote(p.Time))
	case p.Image != "" && strings.IndexFunc(p.Image, notImageRune) >= 0:
		return fmt.Errorf("--image %s is not a container image reference: use one word without spaces or control characters, such as ghcr.io/org/infomax:1", english.Quote(p.Image))
	}
	for _, f := range []struct{ what, v string }{{"the sweep file's path", s.File}, {"--out", p.Out}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s %s is not valid UTF-8, which a job file cannot hold: rename it", f.what, english.Quote(f.v))
		}
	}
	// Each task's `sweep run --parallel P` checks its runs' memory against
	// the limit (max_memory_gb, else the memory of the machine it runs on,
	// which here is the one planning): refuse a plan whose tasks would be
	// refused there.
	q := p.withDefaults(s)
	for i := range q.Shards {
		if err := s.CheckParallel(s.ShardRuns(Shard{Index: i, Count: q.Shards}), q.Parallel); err != nil {
			return err
		}
	}
	return nil
}

// slurmTime matches the time limits sbatch --time takes: minutes,
// minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes
// and days-hours:minutes:seconds, or UNLIMITED.
var slurmTime = regexp.MustCompile(`^([0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2}|UNLIMITED|INFINITE)$`)

// notImageRune reports a rune that no container image reference has.
func notImageRune(r rune) bool { return unicode.IsSpace(r) || !strconv.IsPrint(r) }

// shellWord matches the words ShellQuote leaves bare.
var shellWord = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`)

// ShellQuote quotes s as one bash word on one line: bare when it has only
// characters no shell treats specially, in single quotes when every
// character is printable, and otherwise in ANSI-C quotes ($'...') with
// every byte that is not part of a printable character written as \xHH,
// so that no newline (nor any other line break or control character)
// reaches the script, not even inside a comment.
func ShellQuote(s string) string {
	if shellWord.MatchString(s) {
		return s
	}
	if isPrintable(s) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r != utf8.RuneError && strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
		i += n
	}
	b.WriteByte('\'')
	return b.String()
}

// isPrintable reports whether s is valid UTF-8 made only of printable
// characters (spaces included; tabs and line breaks not).
func isPrintable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// SlurmScript returns an sbatch script that runs the sweep as a Slurm job
// array of p.Shards tasks, task i running `sweep run FILE --out DIR --shard
// i/N`.
func (s *Sweep) SlurmScript(p ClusterPlan) string {
	return renderJob("slurm.sh.tmpl", s.clusterJob(p))
}

// K8sJob returns a Kubernetes Indexed Job manifest that runs the sweep in
// p.Shards pods, pod i running `sweep run FILE --out DIR --shards N` with i
// from JOB_COMPLETION_INDEX.
func (s *Sweep) K8sJob(p ClusterPlan) string {
	return renderJob("k8s.yaml.tmpl", s.clusterJob(p))
}

// jobTemplates are the job files of `sweep plan --format`, filled in with a
// clusterJob.
//
//go:embed templates/*.tmpl
var jobTemplateFS embed.FS

var jobTemplates = template.Must(template.New("jobs").
	Funcs(template.FuncMap{"shellQuote": ShellQuote, "yamlString": yamlString, "plural": english.Plural}).
	ParseFS(jobTemplateFS, "templates/*.tmpl"))

// clusterJob is what a job template is filled in with: the plan, with its
// defaults, and the sweep it runs.
type clusterJob struct {
	ClusterPlan
	// Sweep is the sweep's name, SweepFile the file it was read from and
	// Runs its number of runs.
	Sweep, SweepFile string
	Runs             int
	// MemoryMiB is the memory each array task asks for, in MiB: over the
	// shards, the largest sum of the memory estimates of the largest runs a
	// shard may run at once (Parallel of its own runs, or fewer where it has
	// fewer), plus jobMemoryHeadroom; 0 when the task gives no estimate.
	MemoryMiB int
}

// jobMemoryHeadroom is what a job asks for beyond its runs' estimates, which
// are fitted to one run's peak: the reports the last task makes (the gaussian
// sweep's, drawn from 12 runs of 20,000 steps, took it to 0.33 GB where its
// largest run needs 0.15 GB) and the slack of the Go runtime. A cluster kills
// a job over its memory, so the request errs on the large side.
const jobMemoryHeadroom = 512 << 20

// clusterJob returns the template data of plan p for the sweep.
func (s *Sweep) clusterJob(p ClusterPlan) clusterJob {
	j := clusterJob{ClusterPlan: p.withDefaults(s), Sweep: s.Name, SweepFile: s.File, Runs: len(s.Runs)}
	var most float64
	for i := range j.Shards {
		most = max(most, s.parallelMemory(s.ShardRuns(Shard{Index: i, Count: j.Shards}), j.Parallel))
	}
	if most > 0 {
		j.MemoryMiB = int(math.Ceil((most + jobMemoryHeadroom) / (1 << 20)))
	}
	return j
}

// PerShard is about how many runs each shard runs.
func (j clusterJob) PerShard() int { return (j.Runs + j.Shards - 1) / j.Shards }

// LastShard is the index of the last shard.
func (j clusterJob) LastShard() int { return j.Shards - 1 }

// JobName is the Kubernetes Job's name.
func (j clusterJob) JobName() string { return k8sName(j.Sweep) }

// BackoffLimit is how many pod failures the Kubernetes Job tolerates.
func (j clusterJob) BackoffLimit() int { return 3 * j.Shards }

// CPUs is the CPU count a pod asks for, as a string.
func (j clusterJob) CPUs() string { return strconv.Itoa(j.Parallel) }

// Args is the command line of a pod.
func (j clusterJob) Args() []string {
	return []string{j.Command, "run", j.SweepFile, "--out", j.Out, "--shards", strconv.Itoa(j.Shards), "--parallel", strconv.Itoa(j.Parallel)}
}

// PlanCommand is the `sweep plan` command line that prints this job file
// in format ("slurm" or "k8s"), each argument quoted for the shell: every
// flag that goes into the file, at its value, defaults included, so that
// it makes the same file again.
func (j clusterJob) PlanCommand(format string) string {
	args := []string{j.Command, "plan", j.SweepFile, "--format", format,
		"--shards", strconv.Itoa(j.Shards), "--parallel", strconv.Itoa(j.Parallel)}
	if format == "slurm" {
		args = append(args, "--time", j.Time)
	} else {
		args = append(args, "--image", j.Image)
	}
	args = append(args, "--out", j.Out)
	for i, a := range args {
		args[i] = ShellQuote(a)
	}
	return strings.Join(args, " ")
}

// renderJob fills in the job template name. The templates are part of the
// program, so a failure is a bug.
func renderJob(name string, job clusterJob) string {
	var b strings.Builder
	if err := jobTemplates.ExecuteTemplate(&b, name, job); err != nil {
		panic(fmt.Sprintf("sweep: job template %s: %v", name, err))
	}
	return b.String()
}

// k8sName turns a sweep name into a Kubernetes object name (DNS-1123).
func k8sName(name string) string {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	n = strings.Trim(n, "-")
	if len(n) > 50 {
		n = strings.TrimRight(n[:50], "-")
	}
	return "sweep-" + n
}

// yamlString quotes s as a YAML double-quoted scalar on one line: Go's
// quoting escapes every character that is not printable (line breaks among
// them, YAML 1.1's U+0085, U+2028 and U+2029 included) as \n, \t, \xHH,
// \uHHHH or \UHHHHHHHH, which YAML reads as Go does when s is valid UTF-8,
// as CheckClusterPlan makes sure.
func yamlString(s string) string { return strconv.Quote(s) }
