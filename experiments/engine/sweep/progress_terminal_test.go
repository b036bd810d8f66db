package sweep

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestIsTerminalOnlyForTerminals checks that a character device that is not
// a terminal (the null device) and a regular file give plain log lines,
// and, on Linux, that a pseudo-terminal gets the live line.
func TestIsTerminalOnlyForTerminals(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if st, err := null.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is not a character device here, so it cannot test the difference", os.DevNull)
	}
	if IsTerminal(null) {
		t.Errorf("IsTerminal(%s) = true; a character device is not a terminal", os.DevNull)
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if IsTerminal(file) {
		t.Error("IsTerminal(a regular file) = true")
	}
	if runtime.GOOS != "linux" {
		return
	}
	// The master side of a new pseudo-terminal answers terminal requests
	// as its slave side does.
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("cannot open a pseudo-terminal to check the positive case: %v", err)
	}
	defer pty.Close()
	if !IsTerminal(pty) {
		t.Error("IsTerminal(/dev/ptmx) = false; a pseudo-terminal is a terminal")
	}
}
