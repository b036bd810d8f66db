package sweeps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryFileIsShippedAsItIs checks that the embedded sweeps are exactly
// the .toml files of this folder, with the same bytes, so that a sweep run
// by name and the same sweep run from its file have the same hash and
// resume each other.
func TestEveryFileIsShippedAsItIs(t *testing.T) {
	paths, err := filepath.Glob("*" + Ext)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range paths {
		want = append(want, strings.TrimSuffix(p, Ext))
	}
	slices.Sort(want)
	if got := Names(); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("Names() = %v, want the folder's %v", got, want)
	}
	for _, name := range want {
		disk, err := os.ReadFile(name + Ext)
		if err != nil {
			t.Fatal(err)
		}
		src, ok := Source(name)
		if !ok || string(src) != string(disk) {
			t.Errorf("Source(%q) = %d bytes, %v; want the %d bytes of %s", name, len(src), ok, len(disk), name+Ext)
		}
	}
}

// TestSourceNeedsAShippedName checks that only a bare shipped name finds a
// file: not a file name, a path or an unknown name.
func TestSourceNeedsAShippedName(t *testing.T) {
	name := Names()[0]
	for _, bad := range []string{"", "nope", name + Ext, "./" + name, "sweeps/" + name, "."} {
		if _, ok := Source(bad); ok {
			t.Errorf("Source(%q) found a sweep", bad)
		}
	}
}
