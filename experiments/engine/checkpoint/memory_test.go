package checkpoint

import (
	"errors"
	"slices"
	"testing"
)

// TestMemory checks the in-memory checkpointer the task tests use: when it
// is due, that it keeps copies, records every save, and returns LoadErr.
func TestMemory(t *testing.T) {
	var due []int
	for _, m := range []*Memory{{}, {Every: 3}} {
		for s := 0; s <= 7; s++ {
			if m.Due(s) {
				due = append(due, s)
			}
		}
	}
	if !slices.Equal(due, []int{3, 6}) {
		t.Fatalf("due at %v, want [3 6]", due)
	}
	m := &Memory{}
	if _, _, ok, err := m.Load(); ok || err != nil {
		t.Fatalf("Load before any save: ok %v err %v", ok, err)
	}
	st := []byte("abc")
	m.Save(2, []byte("x"))
	m.Save(5, st)
	st[0] = 'X'
	step, got, ok, err := m.Load()
	if step != 5 || string(got) != "abc" || !ok || err != nil || !slices.Equal(m.Saves, []int{2, 5}) {
		t.Fatalf("Load = %d %q %v %v, saves %v", step, got, ok, err, m.Saves)
	}
	got[0] = 'Y'
	if _, again, _, _ := m.Load(); string(again) != "abc" {
		t.Fatalf("changing what Load returned changed the checkpoint to %q", again)
	}
	m.LoadErr = errors.New("gone")
	if _, _, ok, err := m.Load(); ok || err != m.LoadErr {
		t.Fatalf("Load with LoadErr: ok %v err %v", ok, err)
	}
}
