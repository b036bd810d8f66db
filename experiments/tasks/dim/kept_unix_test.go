//go:build unix

package dim

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEncoderFileThatIsAPipeIsRefused checks that an encoder_file naming a
// named pipe is an error naming it, rather than a read of its header that
// waits for a writer forever.
func TestEncoderFileThatIsAPipeIsRefused(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "encoder.safetensors")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	c := keptConfig()
	c.EncoderFile = pipe
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	err := c.CheckDisk()
	if err == nil || !strings.Contains(err.Error(), `encoder_file = "`+pipe+`" is not a regular file`) {
		t.Errorf("CheckDisk error %v, want one saying the pipe is not a regular file", err)
	}
}
