package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gaussianFile writes a one-run, three-step Gaussian sweep with a tiny
// critic, its top-level keys top, and its [base] settings overridden by
// settings (lines of key = value, which come last), and returns its path.
func gaussianFile(t *testing.T, top, settings string) string {
	t.Helper()
	var lines []string
	for _, kv := range []string{"dim = 4", "batch_size = 8", "hidden = 8", "layers = 1", "embed = 4", "mi_levels = [2.0]", "steps_per_level = 3"} {
		if k, _, _ := strings.Cut(kv, " = "); !strings.Contains(settings, k+" = ") {
			lines = append(lines, kv)
		}
	}
	src := "name = \"c\"\ntask = \"gaussian\"\n" + top + "[base]\n" + strings.Join(lines, "\n") + "\n" + settings + "\n"
	f := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestValidateRefusesRunsThatCannotFit gives the settings that passed
// validate and then crashed the run (out of memory with a goroutine dump,
// a panic in makeslice, or zero steps after an overflow): validate must
// refuse each, in one line naming the file, the line and the setting,
// with the estimate.
func TestValidateRefusesRunsThatCannotFit(t *testing.T) {
	for _, c := range []struct {
		setting string
		line    int
		want    string
	}{
		{"batch_size = 100000000000", 11, "the run's sizes overflow: it would need 1.44e+06 EB, 1.44e+06 EB of it for the batch's scores"},
		{"dim = 2000000000", 11, "the run needs about 1.66 TB of memory, 1.15 TB of it for the critic's weights, more than the limit of 16 GB (max_memory_gb = 16)"},
		{"layers = 3000000", 11, "of it for the graph of the critic's layers, more than the limit of 16 GB"},
		{"hidden = 100000\nlayers = 3", 10, "of it for the critic's weights, more than the limit of 16 GB"},
		{"steps_per_level = 9223372036854775807", 11, "the run's sizes overflow"},
		{"steps_per_level = 4611686018427387904\nmi_levels = [2.0, 4.0, 6.0, 8.0]", 10, "times 4 levels, more steps than a count can hold"},
	} {
		f := gaussianFile(t, "max_memory_gb = 16\n", c.setting)
		code, _, errs := runCLI("validate", f)
		first, _, _ := strings.Cut(c.setting, "\n")
		at := f + ":" + strconv.Itoa(c.line) + ": base." + first + ": "
		if code != exitUsage || !strings.HasPrefix(errs, at) || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("validate with %s: exit %d, stderr %q\nwant exit 2 and one line starting %q with %q", c.setting, code, errs, at, c.want)
		}
	}
	f := gaussianFile(t, "max_memory_gb = 0\n", "layers = 20000")
	if code, out, errs := runCLI("validate", f); code != exitOK {
		t.Errorf("max_memory_gb = 0 turns the limit off, but: exit %d %s%s", code, out, errs)
	}
}
