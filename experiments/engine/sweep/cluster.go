package sweep

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
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

// CheckClusterPlan reports a plan that cannot work.
func (s *Sweep) CheckClusterPlan(p ClusterPlan) error {
	switch {
	case p.Shards < 0 || p.Shards > MaxShards:
		return fmt.Errorf("--shards %d must be between 1 and %d", p.Shards, MaxShards)
	case p.Shards > len(s.Runs):
		return fmt.Errorf("--shards %d is more than the sweep's %d runs: some shards would have nothing to do", p.Shards, len(s.Runs))
	case p.Parallel < 0:
		return fmt.Errorf("--parallel %d must be at least 1", p.Parallel)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
	Funcs(template.FuncMap{"shellQuote": shellQuote, "yamlString": yamlString}).
	ParseFS(jobTemplateFS, "templates/*.tmpl"))

// clusterJob is what a job template is filled in with: the plan, with its
// defaults, and the sweep it runs.
type clusterJob struct {
	ClusterPlan
	// Sweep is the sweep's name, SweepFile the file it was read from and
	// Runs its number of runs.
	Sweep, SweepFile string
	Runs             int
}

// clusterJob returns the template data of plan p for the sweep.
func (s *Sweep) clusterJob(p ClusterPlan) clusterJob {
	return clusterJob{ClusterPlan: p.withDefaults(s), Sweep: s.Name, SweepFile: s.File, Runs: len(s.Runs)}
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

// yamlString quotes s for YAML.
func yamlString(s string) string { return strconv.Quote(s) }
