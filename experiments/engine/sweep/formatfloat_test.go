package sweep

import (
	"math"
	"strings"
	"testing"
)

// TestNonFiniteFloatsPrintAsTOMLWrites: nan and the infinities in an error
// message read as TOML spells them, not as "NaN.0".
func TestNonFiniteFloatsPrintAsTOMLWrites(t *testing.T) {
	for x, want := range map[float64]string{math.NaN(): "nan", math.Inf(1): "inf", math.Inf(-1): "-inf", 2: "2.0", 0.5: "0.5", 1e300: "1e+300"} {
		if got := formatFloat(x); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", x, got, want)
		}
	}
	_, err := Parse("x.toml", []byte("name = \"x\"\ntask = \"fake\"\ncheckpoint_minutes = nan\n"))
	if err == nil || !strings.Contains(err.Error(), "checkpoint_minutes: nan: must be between 0") {
		t.Fatalf("checkpoint_minutes = nan: %v", err)
	}
}
