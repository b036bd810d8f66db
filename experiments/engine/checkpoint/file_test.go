package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// reseal recomputes the checksum of a checkpoint file b, so that a header
// changed by a test is judged on its own and not as a checksum mismatch.
func reseal(b []byte) []byte {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(append([]byte(nil), body...), sum[:]...)
}

// TestEncodeWritesTheDocumentedFormat checks the exact bytes of a
// checkpoint: the magic with format version 1, the step and the length as
// little-endian uint64s, the state, and the SHA-256 of all before it. A
// checkpoint written by an older build must stay readable.
func TestEncodeWritesTheDocumentedFormat(t *testing.T) {
	want := []byte("IMXCKPT\x01")
	want = append(want, 3, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 2, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 'a', 'b')
	sum := sha256.Sum256(want)
	want = append(want, sum[:]...)
	if got := Encode(3, []byte("ab")); !bytes.Equal(got, want) {
		t.Fatalf("Encode(3, \"ab\") =\n%x\nwant\n%x", got, want)
	}
	step, st, err := Decode(want)
	if err != nil || step != 3 || string(st) != "ab" {
		t.Fatalf("Decode of a version 1 file = %d %q %v", step, st, err)
	}
}

// TestDecodeEmptyState checks that a checkpoint with no state bytes, the
// shortest valid file, decodes.
func TestDecodeEmptyState(t *testing.T) {
	step, st, err := Decode(Encode(0, nil))
	if err != nil || step != 0 || len(st) != 0 {
		t.Fatalf("Decode(Encode(0, nil)) = %d %q %v", step, st, err)
	}
}

// TestDecodeRefusesForgedHeaders checks that a file whose checksum matches
// but whose header is wrong (another file format, another format version,
// a length that disagrees with the file, a step out of range) is refused
// with a one-line error that says what is wrong.
func TestDecodeRefusesForgedHeaders(t *testing.T) {
	good := Encode(5, []byte("state"))
	for _, c := range []struct {
		name   string
		change func(b []byte)
		want   string
	}{
		{"other magic", func(b []byte) { b[6] = 'X' }, "not a checkpoint file"},
		{"first byte", func(b []byte) { b[0] = 'X' }, "not a checkpoint file"},
		{"version 2", func(b []byte) { b[7] = 2 }, "checkpoint format version 2, this program reads version 1"},
		{"long length", func(b []byte) { binary.LittleEndian.PutUint64(b[16:24], 6) }, "length 6 in the header, 5 bytes in the file (torn write?)"},
		{"short length", func(b []byte) { binary.LittleEndian.PutUint64(b[16:24], 4) }, "length 4 in the header, 5 bytes in the file (torn write?)"},
		{"step 2^62+1", func(b []byte) { binary.LittleEndian.PutUint64(b[8:16], 1<<62+1) }, "out of range"},
		{"step 2^64-1", func(b []byte) { binary.LittleEndian.PutUint64(b[8:16], 1<<64-1) }, "out of range"},
	} {
		b := append([]byte(nil), good...)
		c.change(b)
		_, _, err := Decode(reseal(b))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Decode = %v, want one line with %q", c.name, err, c.want)
		}
	}
	b := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(b[8:16], 1<<62)
	if step, _, err := Decode(reseal(b)); err != nil || step != 1<<62 {
		t.Errorf("step 2^62: Decode = %d, %v; want it accepted", step, err)
	}
}

// TestSaveWritesOnlyTheTwoNamedFiles checks the files a run directory holds
// after three saves: checkpoint.bin with the newest, checkpoint.prev.bin
// with the one before, and no temporary file left over.
func TestSaveWritesOnlyTheTwoNamedFiles(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	for _, s := range []int{1, 2, 3} {
		if err := c.Save(s, []byte{byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"checkpoint.bin", "checkpoint.prev.bin"}) {
		t.Fatalf("the run directory holds %v", names)
	}
	for name, want := range map[string]int{"checkpoint.bin": 3, "checkpoint.prev.bin": 2} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if s, st, err := Decode(b); err != nil || s != want || !bytes.Equal(st, []byte{byte(want)}) {
			t.Errorf("%s holds %d %v %v, want step %d", name, s, st, err, want)
		}
	}
}

// TestSaveRefusesANegativeStep checks that Save(-1) fails, naming the step,
// and writes nothing.
func TestSaveRefusesANegativeStep(t *testing.T) {
	dir := t.TempDir()
	err := New(dir, Policy{}, nil).Save(-1, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "step -1 is negative") {
		t.Fatalf("Save(-1) = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Save(-1) left %d files", len(entries))
	}
}

// TestSaveKeepsTheCheckpointWhenItCannotBeMoved checks that when the
// current checkpoint cannot be moved to checkpoint.prev.bin (here a
// directory of that name is in the way), Save fails and checkpoint.bin
// still holds the checkpoint it held.
func TestSaveKeepsTheCheckpointWhenItCannotBeMoved(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	if err := c.Save(10, []byte("ten")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, PrevFileName, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := c.Save(20, []byte("twenty"))
	if err == nil || !strings.Contains(err.Error(), "keeping the previous checkpoint") {
		t.Fatalf("Save with checkpoint.prev.bin in the way = %v", err)
	}
	step, st, ok, err := c.Load()
	if err != nil || !ok || step != 10 || string(st) != "ten" {
		t.Fatalf("Load = %d %q %v %v, want the checkpoint at step 10", step, st, ok, err)
	}
}

// TestSaveReportsAFailedWrite checks that Save into a run directory that
// does not exist returns an error naming checkpoint.bin.
func TestSaveReportsAFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	err := New(dir, Policy{}, nil).Save(1, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Fatalf("Save into a missing directory = %v", err)
	}
}

// TestLoadReportsAnUnreadableCheckpoint checks that a checkpoint.bin that
// exists but cannot be read (here a directory) is an error naming it, not
// skipped for checkpoint.prev.bin.
func TestLoadReportsAnUnreadableCheckpoint(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	if err := c.Save(10, []byte("ten")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, FileName), filepath.Join(dir, PrevFileName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, ok, err := c.Load()
	if err == nil || ok || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Fatalf("Load with an unreadable checkpoint.bin: ok %v err %v", ok, err)
	}
}

// TestRemoveWithMissingFiles checks that Remove succeeds when one or both
// checkpoints are missing, and removes the one there is.
func TestRemoveWithMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if err := Remove(dir); err != nil {
		t.Fatalf("Remove with no checkpoints: %v", err)
	}
	c := New(dir, Policy{}, nil)
	if err := c.Save(1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(); err != nil {
		t.Fatalf("Remove with only checkpoint.bin: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
		t.Fatalf("checkpoint.bin after Remove: %v", err)
	}
}

// TestPeek checks that Peek finds no checkpoint in an empty directory, the
// newest step after saves, and the previous one when checkpoint.bin is
// corrupt.
func TestPeek(t *testing.T) {
	dir := t.TempDir()
	if step, ok := Peek(dir); ok || step != 0 {
		t.Fatalf("Peek of an empty directory = %d, %v", step, ok)
	}
	c := New(dir, Policy{}, nil)
	for _, s := range []int{10, 20} {
		if err := c.Save(s, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if step, ok := Peek(dir); !ok || step != 20 {
		t.Fatalf("Peek = %d, %v, want 20", step, ok)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if step, ok := Peek(dir); !ok || step != 10 {
		t.Fatalf("Peek with a corrupt checkpoint.bin = %d, %v, want 10", step, ok)
	}
}

// TestPolicyOff checks Off for the zero policy, negative settings and each
// setting alone.
func TestPolicyOff(t *testing.T) {
	for _, c := range []struct {
		p   Policy
		off bool
	}{
		{Policy{}, true},
		{Policy{EverySteps: -1, Every: -time.Second}, true},
		{Policy{EverySteps: 5}, false},
		{Policy{Every: time.Minute}, false},
		{Policy{EverySteps: 5, Every: time.Minute}, false},
	} {
		if got := c.p.Off(); got != c.off {
			t.Errorf("%+v.Off() = %v, want %v", c.p, got, c.off)
		}
	}
}

// TestDueBoundaries checks that step 0 is never due by steps, that a
// checkpoint is due once exactly Every has passed, and that a new
// Checkpointer counts Every from its creation.
func TestDueBoundaries(t *testing.T) {
	if New(t.TempDir(), Policy{EverySteps: 5}, nil).Due(0) {
		t.Errorf("Due(0) with EverySteps 5")
	}
	if New(t.TempDir(), Policy{Every: time.Hour}, nil).Due(1) {
		t.Errorf("due at once after New with Every an hour")
	}
	c := New(t.TempDir(), Policy{Every: time.Minute}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.last = now
	now = now.Add(time.Minute)
	if !c.Due(1) {
		t.Errorf("not due when exactly Every has passed")
	}
}

// TestDefaultMinutesIsTheREADMEs checks that DefaultMinutes is the default
// the README gives users for a sweep file with neither checkpoint_every
// nor checkpoint_minutes.
func TestDefaultMinutesIsTheREADMEs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Skipf("no README here: %v", err)
	}
	want := fmt.Sprintf("With neither key, runs are checkpointed every %d minutes", DefaultMinutes)
	if !bytes.Contains(bytes.Join(bytes.Fields(readme), []byte(" ")), []byte(want)) {
		t.Fatalf("README.md does not say %q", want)
	}
}

// TestLoadWithOnlyThePreviousCheckpoint checks that when checkpoint.bin is
// missing, as after a crash between Save moving it to checkpoint.prev.bin
// and writing the new one, Load returns checkpoint.prev.bin.
func TestLoadWithOnlyThePreviousCheckpoint(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, Policy{}, nil)
	for _, s := range []int{10, 20} {
		if err := c.Save(s, []byte{byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	step, st, ok, err := c.Load()
	if err != nil || !ok || step != 10 || !bytes.Equal(st, []byte{10}) {
		t.Fatalf("Load with only checkpoint.prev.bin = %d %v %v %v, want step 10", step, st, ok, err)
	}
}

// TestDueCountsFromTheLastSave checks, on the Checkpointer's own clock,
// that Every is counted from the last save: 30 seconds after a save is not
// due with Every a minute, 60 seconds after it is.
func TestDueCountsFromTheLastSave(t *testing.T) {
	c := New(t.TempDir(), Policy{Every: time.Minute}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.last = now
	now = now.Add(30 * time.Second)
	if err := c.Save(1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)
	if c.Due(2) {
		t.Errorf("due 30 seconds after a save")
	}
	now = now.Add(30 * time.Second)
	if !c.Due(3) {
		t.Errorf("not due 60 seconds after a save")
	}
}
