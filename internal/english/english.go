// Package english words the counts in messages and reports, and cuts the
// values that messages repeat to a readable length.
package english

import (
	"strconv"
	"unicode/utf8"
)

// Plural returns n and the noun, with an "s" unless n is 1: "1 run",
// "3 runs", "0 figures". It suits the regular nouns infomax counts.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// MaxEcho is the most bytes of a value that a message repeats.
const MaxEcho = 80

// Clip returns s when it is at most MaxEcho bytes long, and otherwise its
// first bytes, cut at a character boundary, followed by "… (N bytes)", so
// that a message that repeats a value stays readable however long the
// value is.
func Clip(s string) string {
	head, n := clipHead(s)
	if n == 0 {
		return s
	}
	return head + "… (" + Plural(n, "byte") + ")"
}

// Quote returns s in Go's double quotes, as %q writes it, clipped like
// [Clip]: a long value gives its first bytes in quotes followed by
// "… (N bytes)".
func Quote(s string) string {
	head, n := clipHead(s)
	if n == 0 {
		return strconv.Quote(s)
	}
	return strconv.Quote(head) + "… (" + Plural(n, "byte") + ")"
}

// clipHead returns the part of s a message repeats and, when that is not
// all of s, the length of s; n is 0 when s is short enough to repeat whole.
func clipHead(s string) (head string, n int) {
	if len(s) <= MaxEcho {
		return s, 0
	}
	cut := MaxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], len(s)
}
