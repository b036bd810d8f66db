package main

import "testing"

// TestSettingGoals pins the goal of each row, the ratio ours / PyTorch
// that issue 13 asks (the README's "Where it stands"): the full step and
// the encoder at 1.0×, batch 16 at 1.5×, each Gaussian step at 2×, the
// float32-moment steps as their float64 counterparts, and none for the
// step with every global pair, which does more work than the reference.
func TestSettingGoals(t *testing.T) {
	want := map[string]float64{
		"full64": 1, "full64-all": 0, "full16": 1.5, "full64-f32": 1, "full16-f32": 1.5,
		"enc": 1, "gauss-sep": 2, "gauss-concat": 2,
	}
	if len(allSettings) != len(want) {
		t.Errorf("%d settings, want %d", len(allSettings), len(want))
	}
	for _, st := range allSettings {
		if g, ok := want[st.key]; !ok || st.goal != g {
			t.Errorf("%s: goal %v, want %v", st.key, st.goal, g)
		}
	}
}
