//go:build unix

package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/infomax/infomax/internal/fulldisk"
)

// TestSaveAfterAFallbackKeepsTheGoodCheckpoint checks that when
// checkpoint.bin is corrupt and the run resumed from checkpoint.prev.bin,
// a next save that fails (a full disk) still leaves that good checkpoint.
func TestSaveAfterAFallbackKeepsTheGoodCheckpoint(t *testing.T) {
	if !fulldisk.InChild(t) {
		return
	}
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	state := bytes.Repeat([]byte("s"), 1<<12)
	for _, s := range []int{10, 20} {
		if err := c.Save(s, state); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	if step, _, ok, _ := c.Load(); !ok || step != 10 {
		t.Fatalf("Load = %d %v, want the fallback at 10", step, ok)
	}
	restore := fulldisk.Limit(t, 1<<10)
	if err := c.Save(15, state); err == nil {
		t.Fatal("Save past the file size limit succeeded")
	}
	restore()
	if step, _, ok, _ := c.Load(); !ok || step != 10 {
		t.Fatalf("after a failed save, Load = %d %v, want the good checkpoint at step 10", step, ok)
	}
}
