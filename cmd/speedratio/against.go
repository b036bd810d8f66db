package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// With --against REV the sitting measures ours against ourselves: the A
// side of every setting is the same benchmark built from commit REV (in a
// git worktree of its own, in the sitting's temporary folder), the B side
// the working tree's, interleaved as against PyTorch. It is how a change's
// speed is told apart from the host's, which moves whole sittings by 10%
// or more: both sides share each moment's noise.

// checkAgainst reports, before anything is compiled, why rev (when given)
// is not a commit git can check out here.
func checkAgainst(rev string, r runner) error {
	if rev == "" {
		return nil
	}
	if _, err := r.run("", "git", []string{"rev-parse", "--verify", "--quiet", rev + "^{commit}"}, nil); err != nil {
		return fmt.Errorf("--against %s: not a commit of this repository (git rev-parse --verify found none); give a commit hash, tag or branch, from the repository root", rev)
	}
	return nil
}

// baselineDir is the worktree's folder inside the sitting's temporary one.
const baselineDir = "baseline"

// addBaseline checks out REV into a worktree and compiles there the test
// binary of each package the settings need.
func (s *sitting) addBaseline() error {
	s.baseDir = filepath.Join(s.tmp, baselineDir)
	args := []string{"worktree", "add", "--detach", s.baseDir, s.opts.against}
	fmt.Fprintf(s.progress, "checking out %s\n", s.opts.against)
	if out, err := s.runner.run("", "git", args, nil); err != nil {
		s.baseDir = ""
		return &cmdError{cmd: commandLine("git", args, nil), err: err, out: out}
	}
	s.baseBins = map[string]string{}
	for _, st := range s.settings {
		if _, ok := s.baseBins[st.pkg]; ok {
			continue
		}
		bin := filepath.Join(s.tmp, "baseline-"+filepath.Base(st.pkg)+".test")
		args := []string{"test", "-c", "-o", bin, st.pkg}
		fmt.Fprintf(s.progress, "compiling %s at %s\n", st.pkg, s.opts.against)
		if out, err := s.runner.run(s.baseDir, "go", args, nil); err != nil {
			return &cmdError{cmd: "cd " + shellQuote(s.baseDir) + " && " + commandLine("go", args, nil), err: err, out: out}
		}
		s.baseBins[st.pkg] = bin
	}
	return nil
}

// removeBaseline removes the worktree, if one was added; a failure is
// reported on the progress stream, since the measurements stand.
func (s *sitting) removeBaseline() {
	if s.baseDir == "" {
		return
	}
	args := []string{"worktree", "remove", "--force", s.baseDir}
	if out, err := s.runner.run("", "git", args, nil); err != nil {
		fmt.Fprintf(s.progress, "speedratio: %s failed: %v %s\n", commandLine("git", args, nil), err, strings.TrimSpace(string(out)))
	}
}

// measureBaseline runs round r of a row's A side at REV and adds it to
// the row where the reference's figures go.
func (s *sitting) measureBaseline(r int, rw *row) error {
	st := rw.setting
	m, err := s.runBench(s.baseBins[st.pkg], filepath.Join(s.baseDir, st.pkg), st)
	if err != nil {
		return err
	}
	rw.torch = append(rw.torch, m.rate)
	rw.torchGFLOP = append(rw.torchGFLOP, m.gflop)
	fmt.Fprintf(s.progress, "round %d/%d  %-12s %s %.1f %s\n", r, s.opts.rounds, st.key, s.opts.against, m.rate, st.unit)
	return nil
}
