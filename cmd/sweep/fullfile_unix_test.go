//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infomax/infomax/internal/fulldisk"
	"github.com/infomax/infomax/sweeps"
)

// TestInitOnAFullDiskLeavesNoHalfFile: `sweep init` whose writes fail
// partway, as on a full disk, leaves no part of a sweep file, which the
// next init would keep as the user's own edit (and `sweep run` would run);
// once there is space again, init copies every file.
func TestInitOnAFullDiskLeavesNoHalfFile(t *testing.T) {
	if !fulldisk.InChild(t) {
		return
	}
	dir := t.TempDir()
	restore := fulldisk.Limit(t, 512)
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
	if !fulldisk.InChild(t) {
		return
	}
	f, out, s := ranSmallWalk(t, "")
	path := filepath.Join(s.Dir(out), "results.csv")
	for _, cmd := range []string{"run", "report"} {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		restore := fulldisk.Limit(t, 8)
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
