//go:build unix

package fulldisk

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
)

// childEnv names the test that a child process of the test binary runs
// under a file size limit (see InChild).
const childEnv = "INFOMAX_FILE_SIZE_CHILD"

// InChild reports whether this process is the child that runs the test t,
// which limits the size of files with Limit. The limit holds for the whole
// process, and go test's own log of the files a test opens (for its cache)
// is a file that it would cut short, failing the package; so in the
// parent, InChild runs t again alone in a child process of the test
// binary, which keeps no such log, fails t with the child's output if the
// child fails, and reports false: the caller then returns.
func InChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a child process under a file size limit: %v\n%s", t.Name(), err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("%s did not pass in its child process:\n%s", t.Name(), out)
	}
	return false
}

// Limit makes every write past n bytes of a file fail until restore is
// called or the test ends, as a full disk makes them fail. It runs only
// in InChild's child process, and the tests of a package that calls it
// must not run in parallel, or their files meet the limit too.
func Limit(t *testing.T, n uint64) (restore func()) {
	t.Helper()
	if os.Getenv(childEnv) != t.Name() {
		t.Fatal("fulldisk.Limit outside a child process: begin the test with if !fulldisk.InChild(t) { return }")
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
