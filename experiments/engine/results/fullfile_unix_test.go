//go:build unix

package results

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
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

// limitFileSize makes every write past n bytes of a file fail for the rest
// of the test, as a full disk makes them fail: the kernel's file size limit
// (RLIMIT_FSIZE), under which a write returns EFBIG (Go ignores the SIGXFSZ
// that comes with it). The tests of this package do not run in parallel,
// so no other test's files meet the limit.
func limitFileSize(t *testing.T, n uint64) {
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
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restoring the file size limit: %v", err)
		}
	})
}

// TestFailedWritesLeaveNoTempFile: a write that fails partway, as on a full
// disk, leaves the file as it was and no temporary file beside it, for
// WriteFileAtomic, ReplaceFile and WriteFilesAtomic alike: a temporary file
// left there would hold the space that the next write needs.
func TestFailedWritesLeaveNoTempFile(t *testing.T) {
	if !inFileSizeChild(t) {
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, SummaryFile)
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 1<<16))
	limitFileSize(t, 1<<12)
	writes := map[string]func() error{
		"WriteFileAtomic":  func() error { return WriteFileAtomic(path, big) },
		"ReplaceFile":      func() error { return ReplaceFile(path, big) },
		"WriteFilesAtomic": func() error { return WriteFilesAtomic([]FileData{{Path: path, Data: big}}) },
	}
	for name, write := range writes {
		if err := write(); err == nil {
			t.Errorf("%s of %d bytes past the limit: no error", name, len(big))
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
			t.Errorf("%s: temporary files left: %v", name, left)
			for _, l := range left {
				os.Remove(l)
			}
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
			t.Errorf("%s: the file holds %d bytes, %v; want its old contents", name, len(b), err)
		}
	}
}

// TestFailedWritesNameTheFile: the error of a write that fails partway is
// one line naming the file written, not its temporary file, and on a full
// disk says what to do.
func TestFailedWritesNameTheFile(t *testing.T) {
	if !inFileSizeChild(t) {
		return
	}
	path := filepath.Join(t.TempDir(), ResultsFile)
	big := []byte(strings.Repeat("x", 1<<16))
	limitFileSize(t, 1<<12)
	want := "writing " + path + ": file too large"
	for name, write := range map[string]func(string, []byte) error{"WriteFileAtomic": WriteFileAtomic, "ReplaceFile": ReplaceFile} {
		if err := write(path, big); err == nil || err.Error() != want {
			t.Errorf("%s past the file size limit: %v, want %q", name, err, want)
		}
	}
	full := &os.PathError{Op: "write", Path: filepath.Join(filepath.Dir(path), ".results.csv.tmp-1"), Err: syscall.ENOSPC}
	if err, want := writeError(path, full), "writing "+path+": no space left on device (free space on its disk, then rerun)"; err.Error() != want || !DiskFull(err) {
		t.Errorf("a full disk: %q, want %q", err, want)
	}
}
