//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/infomax/infomax/sweeps"
)

// fileSizeChildEnv names the test that a child process of the test binary
// runs under a file size limit (see inFileSizeChild).
const fileSizeChildEnv = "INFOMAX_FILE_SIZE_CHILD"

// inFileSizeChild reports whether this process is the child that runs the
// test t, which limits the size of files with limitFileSize. The limit
// holds for the whole process, and go test's own log of the files a test
// opens (for its cache) is a file that it would cut short, failing the
// package; so in the parent, inFileSizeChild runs t again alone in a child
// process of the test binary, which keeps no such log, fails t with the
// child's output if the child fails, and reports false: the caller then
// returns.
func inFileSizeChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(fileSizeChildEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fileSizeChildEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a child process under a file size limit: %v\n%s", t.Name(), err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("%s did not pass in its child process:\n%s", t.Name(), out)
	}
	return false
}

// limitFileSize makes every write past n bytes of a file fail until it
// returns, as a full disk makes them fail: the kernel's file size limit
// (RLIMIT_FSIZE), under which a write returns EFBIG (Go ignores the SIGXFSZ
// that comes with it). The tests of this package do not run in parallel.
// results' tests have the same helper.
func limitFileSize(t *testing.T, n uint64) (restore func()) {
	t.Helper()
	if os.Getenv(fileSizeChildEnv) != t.Name() {
		t.Fatal("limitFileSize outside a child process: begin the test with if !inFileSizeChild(t) { return }")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("no file size limit here: %v", err)
	}
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot set the file size limit: %v", err)
	}
	restored := false
	restore = func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatalf("restoring the file size limit: %v", err)
			}
		}
	}
	t.Cleanup(restore)
	return restore
}

// TestInitOnAFullDiskLeavesNoHalfFile: `sweep init` whose writes fail
// partway, as on a full disk, leaves no part of a sweep file, which the
// next init would keep as the user's own edit (and `sweep run` would run);
// once there is space again, init copies every file.
func TestInitOnAFullDiskLeavesNoHalfFile(t *testing.T) {
	if !inFileSizeChild(t) {
		return
	}
	dir := t.TempDir()
	restore := limitFileSize(t, 512)
	code, out, errs := runCLI("init", dir)
	restore()
	if code == exitOK || !strings.Contains(errs, "sweep init: writing "+dir) || strings.Count(errs, "\n") != 1 {
		t.Errorf("init on a full disk: exit %d, want an error of one line naming the file\n%s%s", code, out, errs)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	for _, path := range append(names, hidden...) {
		src, _ := sweeps.Source(strings.TrimSuffix(filepath.Base(path), sweeps.Ext))
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, src) {
			t.Errorf("left %s, %d bytes, not a shipped sweep's file", path, len(got))
		}
	}
	if code, out, errs := runCLI("init", dir); code != exitOK {
		t.Errorf("init with space again: exit %d\n%s%s", code, out, errs)
	}
}

// TestAResultsCSVItCannotWriteIsNamedOnce: a results.csv that cannot be
// written (a full disk) is named once in the error of `sweep run` and of
// `sweep report`, not "writing results.csv: writing
// .../results.csv: ...".
func TestAResultsCSVItCannotWriteIsNamedOnce(t *testing.T) {
	if !inFileSizeChild(t) {
		return
	}
	f, out, s := ranSmallWalk(t, "")
	path := filepath.Join(s.Dir(out), "results.csv")
	for _, cmd := range []string{"run", "report"} {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		restore := limitFileSize(t, 8)
		code, stdout, errs := runCLI(cmd, f, "--out", out)
		restore()
		if code == exitOK || strings.Count(errs, "results.csv") != 1 || !strings.Contains(errs, "sweep: writing "+path+": ") {
			t.Errorf("sweep %s, results.csv unwritable: exit %d; want an error that names %s once\n%s%s", cmd, code, path, stdout, errs)
		}
		if code, stdout, errs := runCLI("report", f, "--out", out); code != exitOK {
			t.Fatalf("sweep report with space again: exit %d\n%s%s", code, stdout, errs)
		}
	}
}
