package english

import (
	"slices"
	"strings"
	"testing"
)

// TestClipAtMaxEcho checks Clip's and ClipQuotes' bound: a value of
// exactly MaxEcho bytes is repeated whole, one byte more is clipped.
func TestClipAtMaxEcho(t *testing.T) {
	at, over := strings.Repeat("x", MaxEcho), strings.Repeat("x", MaxEcho+1)
	if got := Clip(at); got != at {
		t.Errorf("Clip of %d bytes = %q, want it whole", MaxEcho, got)
	}
	if got := Clip(over); got != at+"… (81 bytes)" {
		t.Errorf("Clip of %d bytes = %q", MaxEcho+1, got)
	}
	msg := `estimator = "` + at + `": unknown`
	if got := ClipQuotes(msg); got != msg {
		t.Errorf("ClipQuotes clipped a quoted value of exactly %d bytes: %q", MaxEcho, got)
	}
}

// TestClipQuotesAtMaxMessage checks that a message of exactly MaxMessage
// bytes is kept whole, and one byte more has its middle cut.
func TestClipQuotesAtMaxMessage(t *testing.T) {
	at := strings.Repeat("y", MaxMessage)
	if got := ClipQuotes(at); got != at {
		t.Errorf("ClipQuotes cut a message of exactly %d bytes to %d", MaxMessage, len(got))
	}
	if got := ClipQuotes(at + "y"); !strings.Contains(got, " bytes cut) … ") {
		t.Errorf("ClipQuotes kept a message of %d bytes whole", MaxMessage+1)
	}
}

// TestNaturalCompareShorterFirst checks that a name that begins another
// comes before it: "mi" before "mi_2", "level" before "level_10".
func TestNaturalCompareShorterFirst(t *testing.T) {
	names := []string{"mi_2", "level_10", "mi", "level"}
	slices.SortFunc(names, NaturalCompare)
	if want := []string{"level", "level_10", "mi", "mi_2"}; !slices.Equal(names, want) {
		t.Errorf("sorted %v, want %v", names, want)
	}
}
