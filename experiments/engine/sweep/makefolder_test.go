package sweep

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMakeFolderSyncsTheFoldersAboveWhatItMade: a folder made for a run,
// the sweep or its reports outlasts a crash only once the folder above it
// is synced (results' writes sync the folder they write in), so
// MakeFolder syncs the folder above each one it made, and nothing when it
// made none; a file in the way is named, with the fix.
func TestMakeFolderSyncsTheFoldersAboveWhatItMade(t *testing.T) {
	var synced []string
	defer func(was func(string)) { syncDir = was }(syncDir)
	syncDir = func(dir string) { synced = append(synced, dir) }
	top := t.TempDir()
	dir := filepath.Join(top, "runs", "sweep", "run")
	if err := MakeFolder(dir); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(top, "runs", "sweep"), filepath.Join(top, "runs"), top}
	if !slices.Equal(synced, want) {
		t.Errorf("synced %v, want %v", synced, want)
	}
	synced = nil
	if err := MakeFolder(dir); err != nil || len(synced) != 0 {
		t.Errorf("a folder that exists: synced %v, %v; want none", synced, err)
	}
	file := filepath.Join(top, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MakeFolder(filepath.Join(file, "run")); err == nil || !strings.HasPrefix(err.Error(), file+" is a file, not a folder: move it away") {
		t.Errorf("a file in the way: %v", err)
	}
}
