//go:build unix

package results

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/infomax/infomax/internal/fulldisk"
)

// TestFailedWritesLeaveNoTempFile: a write that fails partway, as on a full
// disk, leaves the file as it was and no temporary file beside it, for
// WriteFileAtomic, ReplaceFile and WriteFilesAtomic alike: a temporary file
// left there would hold the space that the next write needs.
func TestFailedWritesLeaveNoTempFile(t *testing.T) {
	if !fulldisk.InChild(t) {
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, SummaryFile)
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 1<<16))
	fulldisk.Limit(t, 1<<12)
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
	if !fulldisk.InChild(t) {
		return
	}
	path := filepath.Join(t.TempDir(), ResultsFile)
	big := []byte(strings.Repeat("x", 1<<16))
	fulldisk.Limit(t, 1<<12)
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
