package sweep

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
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
	p = p.withDefaults(s)
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Slurm job array for sweep %s: %d runs in %d shards of about %d runs.\n", s.Name, len(s.Runs), p.Shards, (len(s.Runs)+p.Shards-1)/p.Shards)
	fmt.Fprintf(&b, "# Made by `sweep plan %s --format slurm --shards %d`. Submit it from the directory\n", s.File, p.Shards)
	fmt.Fprintf(&b, "# that holds %s, on a file system every node shares:  sbatch %s.sbatch\n", s.File, s.Name)
	fmt.Fprintf(&b, "# Edit the resources for your cluster. Resubmitting resumes: done runs are\n")
	fmt.Fprintf(&b, "# skipped, interrupted ones continue from their checkpoint. Once all tasks\n")
	fmt.Fprintf(&b, "# are done, the last to finish makes the reports (`%s report %s --out %s`\n", p.Command, s.File, p.Out)
	fmt.Fprintf(&b, "# makes them at any time); `%s status %s --out %s` shows progress.\n", p.Command, s.File, p.Out)
	fmt.Fprintf(&b, "#SBATCH --job-name=sweep-%s\n", s.Name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", p.Shards-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", p.Parallel)
	fmt.Fprintf(&b, "#SBATCH --time=%s\n", p.Time)
	fmt.Fprintf(&b, "#SBATCH --output=sweep-%s-%%A_%%a.out\n", s.Name)
	fmt.Fprintf(&b, "# SIGTERM two minutes before the time limit, so the runs save a checkpoint.\n")
	fmt.Fprintf(&b, "#SBATCH --signal=B:TERM@120\n")
	fmt.Fprintf(&b, "\nset -euo pipefail\n")
	fmt.Fprintf(&b, "exec %s run %s --out %s --shard \"${SLURM_ARRAY_TASK_ID}/%d\" --parallel %d\n",
		p.Command, shellQuote(s.File), shellQuote(p.Out), p.Shards, p.Parallel)
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

// K8sJob returns a Kubernetes Indexed Job manifest that runs the sweep in
// p.Shards pods, pod i running `sweep run FILE --out DIR --shards N` with i
// from JOB_COMPLETION_INDEX.
func (s *Sweep) K8sJob(p ClusterPlan) string {
	p = p.withDefaults(s)
	name := k8sName(s.Name)
	args := []string{p.Command, "run", s.File, "--out", p.Out, "--shards", strconv.Itoa(p.Shards), "--parallel", strconv.Itoa(p.Parallel)}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = yamlString(a)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Kubernetes Indexed Job for sweep %s: %d runs in %d shards.\n", s.Name, len(s.Runs), p.Shards)
	fmt.Fprintf(&b, "# Made by `sweep plan %s --format k8s --shards %d`. Apply with: kubectl apply -f %s.yaml\n", s.File, p.Shards, s.Name)
	fmt.Fprintf(&b, "# Each pod reads its shard from JOB_COMPLETION_INDEX (set by Kubernetes) out of\n")
	fmt.Fprintf(&b, "# --shards. All pods must share the results volume (a ReadWriteMany claim\n")
	fmt.Fprintf(&b, "# named sweep-results, mounted as the working directory /sweep, holding\n")
	fmt.Fprintf(&b, "# %s). Set the image to one with the sweep program. A pod that is\n", s.File)
	fmt.Fprintf(&b, "# stopped gets SIGTERM and checkpoints; a retried pod resumes.\n")
	fmt.Fprintf(&b, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\n", name)
	fmt.Fprintf(&b, "spec:\n  completionMode: Indexed\n  completions: %d\n  parallelism: %d\n  backoffLimit: %d\n", p.Shards, p.Shards, 3*p.Shards)
	fmt.Fprintf(&b, "  template:\n    spec:\n      restartPolicy: OnFailure\n      terminationGracePeriodSeconds: 120\n")
	fmt.Fprintf(&b, "      containers:\n      - name: sweep\n        image: %s\n        workingDir: /sweep\n", yamlString(p.Image))
	fmt.Fprintf(&b, "        command: [%s]\n", strings.Join(quoted, ", "))
	fmt.Fprintf(&b, "        resources:\n          requests:\n            cpu: %q\n          limits:\n            cpu: %q\n", strconv.Itoa(p.Parallel), strconv.Itoa(p.Parallel))
	fmt.Fprintf(&b, "        volumeMounts:\n        - name: results\n          mountPath: /sweep\n")
	fmt.Fprintf(&b, "      volumes:\n      - name: results\n        persistentVolumeClaim:\n          claimName: sweep-results\n")
	return b.String()
}
