package results

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The readers of stored results must survive whatever a crash, a full disk
// or a careless edit leaves in a sweep directory: errors, never panics or
// hangs.

func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte("{\"step\":1,\"values\":{\"mi\":0.5,\"loss\":null}}\n{\"step\":2,\"val"))
	f.Add([]byte("\n\n{}\n[1]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, skipped, err := ParseMetrics(bytes.NewReader(b))
		if err != nil {
			return
		}
		lines := bytes.Count(b, []byte{'\n'}) + 1
		if len(recs)+len(skipped) > lines {
			t.Fatalf("%d records and %d skipped lines from %d lines", len(recs), len(skipped), lines)
		}
		for _, r := range recs {
			if r.Values == nil {
				t.Fatalf("a record without values was accepted")
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("a parsed record cannot be written back: %v", err)
			}
		}
	})
}

func FuzzParseSummary(f *testing.F) {
	f.Add([]byte(`{"run_id":"a","status":"done","seed":1,"params":{"x":1},"metrics":{"mi":null},"started":"2026-01-01T00:00:00Z","seconds":2}`))
	f.Add([]byte(`{"status":"running"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSummary(b)
		if err != nil {
			return
		}
		if s.Metrics == nil {
			t.Fatalf("a parsed summary has nil metrics")
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("a parsed summary cannot be written back: %v", err)
		}
	})
}
