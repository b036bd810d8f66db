package sweep

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestTwoFilesOfOneNameCannotBothStart: sweep.json is checked and written
// under the sweep directory's lock, so a second file of the same name that
// starts while the first is checking waits, then sees the first's record and
// is refused. The test plays the first process: it holds the lock while the
// second file is checked, and writes its record before letting go.
func TestTwoFilesOfOneNameCannotBothStart(t *testing.T) {
	out := t.TempDir()
	first := parseFile(t, runFile)
	second := parseFile(t, strings.Replace(runFile, "steps = 4", "steps = 5", 1))
	if err := os.MkdirAll(first.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := first.lockDir(out)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 1)
	lockContended = func(string) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	defer func() { lockContended = func(string) {} }()
	checked := make(chan error, 1)
	go func() {
		_, err := second.CheckRecord(out, false)
		checked <- err
	}()
	select {
	case <-waiting:
	case err := <-checked:
		unlock()
		t.Fatalf("the second file was checked while the first held the directory (error %v)", err)
	}
	if err := first.writeRecord(out); err != nil {
		t.Fatal(err)
	}
	unlock()
	var ce *ChangedError
	if err := <-checked; !errors.As(err, &ce) {
		t.Fatalf("the second file was not refused: %v", err)
	}
	if rec, _, err := ReadRecord(first.Dir(out)); err != nil || rec.FileSHA256 != first.FileSHA256 {
		t.Fatalf("sweep.json is not the first file's: %v", err)
	}
}
