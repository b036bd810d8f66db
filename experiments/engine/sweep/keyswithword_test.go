package sweep

import "testing"

// TestKeysWithWord checks the hint for an unknown key that is a whole
// word of known keys: the keys holding it as a word (not as part of one),
// and no hint where none does or so many do that the list would not help.
func TestKeysWithWord(t *testing.T) {
	known := []string{"batch_size", "eval_batch_size", "sizes", "resize_to", "lr"}
	if got, want := keysWithWord("size", known), `; keys with "size" in their name: batch_size, eval_batch_size`; got != want {
		t.Errorf("size: %q, want %q", got, want)
	}
	if got := keysWithWord("epochs", known); got != "" {
		t.Errorf("a word of no key: %q, want no hint", got)
	}
	many := []string{"a_x", "b_x", "c_x", "d_x", "e_x", "f_x"}
	if got := keysWithWord("x", many); got == "" {
		t.Errorf("a word of 6 keys: no hint, want them listed")
	}
	if got := keysWithWord("x", append(many, "g_x")); got != "" {
		t.Errorf("a word of 7 keys: %q, want no hint", got)
	}
}
