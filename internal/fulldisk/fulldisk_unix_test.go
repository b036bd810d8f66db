//go:build unix

package fulldisk

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLimitFailsWritesPastN checks that under Limit(t, 100) a file of 100
// bytes can be written and one of 101 cannot, with EFBIG as on a full
// disk, and that after restore (called twice, as the test's clean-up also
// calls it) files of any size can be written again.
func TestLimitFailsWritesPastN(t *testing.T) {
	if !InChild(t) {
		return
	}
	path := filepath.Join(t.TempDir(), "f")
	restore := Limit(t, 100)
	if err := os.WriteFile(path, make([]byte, 100), 0o644); err != nil {
		t.Fatalf("writing 100 bytes under a 100-byte limit: %v", err)
	}
	if err := os.WriteFile(path, make([]byte, 101), 0o644); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("writing 101 bytes under a 100-byte limit: %v, want EFBIG", err)
	}
	restore()
	restore()
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatalf("writing 1 MiB after restore: %v", err)
	}
}

// TestLimitEndsWithTheTest checks that a limit the test does not restore
// itself is lifted by the test's clean-up: a clean-up registered before
// Limit, and so run after Limit's, can write past the limit.
func TestLimitEndsWithTheTest(t *testing.T) {
	if !InChild(t) {
		return
	}
	path := filepath.Join(t.TempDir(), "f")
	t.Cleanup(func() {
		if err := os.WriteFile(path, make([]byte, 1000), 0o644); err != nil {
			t.Errorf("writing 1000 bytes after the test: %v", err)
		}
	})
	Limit(t, 10)
	if err := os.WriteFile(path, make([]byte, 11), 0o644); err == nil {
		t.Fatalf("wrote 11 bytes under a 10-byte limit")
	}
}

// TestInChildOfASubtest checks that InChild runs a subtest whose name has
// a regular expression's metacharacter in it, and only that, in the child.
func TestInChildOfASubtest(t *testing.T) {
	t.Run("a+b", func(t *testing.T) {
		if !InChild(t) {
			return
		}
		Limit(t, 10)
		if err := os.WriteFile(filepath.Join(t.TempDir(), "f"), make([]byte, 11), 0o644); err == nil {
			t.Fatalf("wrote 11 bytes under a 10-byte limit")
		}
	})
}

// probeEnv makes a run of the test binary play a misuse of this package,
// for the tests below that check how it fails.
const probeEnv = "INFOMAX_FULLDISK_PROBE"

// runProbe runs the test named name again in a child process of the test
// binary with probeEnv set to probe, and returns its output and error.
func runProbe(t *testing.T, name, probe string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), probeEnv+"="+probe)
	return cmd.CombinedOutput()
}

// TestLimitOutsideAChildFails checks that Limit called in a test that did
// not begin with InChild fails that test, saying how to begin it, rather
// than limiting the files of the whole test binary.
func TestLimitOutsideAChildFails(t *testing.T) {
	if os.Getenv(probeEnv) == "limit" {
		Limit(t, 10)
		return
	}
	out, err := runProbe(t, t.Name(), "limit")
	if err == nil || !bytes.Contains(out, []byte("begin the test with if !fulldisk.InChild(t) { return }")) {
		t.Fatalf("Limit outside a child process: %v\n%s", err, out)
	}
}

// TestInChildFailsWhenTheChildDoesNotPass checks that a test whose child
// process does not pass it (here the child skips it, and exits 0) fails in
// the parent rather than passing unchecked.
func TestInChildFailsWhenTheChildDoesNotPass(t *testing.T) {
	if os.Getenv(probeEnv) == "skip" {
		if !InChild(t) {
			return
		}
		t.Skip("the child skips")
	}
	out, err := runProbe(t, t.Name(), "skip")
	if err == nil || !bytes.Contains(out, []byte("did not pass in its child process")) {
		t.Fatalf("a child that skipped: %v\n%s", err, out)
	}
}
