// Package english words the counts in messages and reports, cuts the
// values that messages repeat to a readable length, and orders names that
// hold numbers as people read them.
package english

import (
	"cmp"
	"math"
	"strconv"
	"strings"
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

// MaxMessage is the most bytes of a message that [ClipQuotes] keeps.
const MaxMessage = 1000

// ClipQuotes returns msg with every double-quoted string in it (as %q
// writes one) longer than MaxEcho clipped as [Quote] clips it, and, if the
// message is still longer than MaxMessage bytes, with its middle cut out:
// its start (what is wrong) and its end (the fix) are kept. It makes a
// readable line of a message that repeats values from elsewhere, such as
// a task's validation error.
func ClipQuotes(msg string) string {
	if len(msg) <= MaxEcho {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			break
		}
		b.WriteString(msg[:i])
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			b.WriteByte('"')
			msg = msg[i+1:]
			continue
		}
		if u, err := strconv.Unquote(q); err == nil && len(u) > MaxEcho {
			b.WriteString(Quote(u))
		} else {
			b.WriteString(q)
		}
		msg = msg[i+len(q):]
	}
	b.WriteString(msg)
	return cutMiddle(b.String())
}

// cutMiddle keeps the first and last parts of a message longer than
// MaxMessage bytes, cut at character boundaries.
func cutMiddle(msg string) string {
	if len(msg) <= MaxMessage {
		return msg
	}
	head, tail := MaxMessage*2/3, len(msg)-MaxMessage/3
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return msg[:head] + " … (" + Plural(tail-head, "byte") + " cut) … " + msg[tail:]
}

// Bytes writes a number of bytes with a decimal unit and three significant
// digits, as "512 B", "1.5 MB" or "23.5 GB"; sizes past the exabytes stay
// in exabytes ("1.84e+07 EB").
func Bytes(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for i < len(units)-1 && math.Abs(b) >= 999.5 {
		b /= 1000
		i++
	}
	return strconv.FormatFloat(b, 'g', 3, 64) + " " + units[i]
}

// NaturalCompare orders strings as people do when they hold numbers: the
// runs of digits by their value, so that "level_2" comes before "level_10".
// Strings it finds equal (level_02 and level_2) are ordered as bytes, so
// that the order is total.
func NaturalCompare(a, b string) int {
	if c := naturalCompare(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// naturalCompare is NaturalCompare without the tie-break.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			na, _ := strconv.ParseFloat(da, 64)
			nb, _ := strconv.ParseFloat(db, 64)
			if na != nb {
				return cmp.Compare(na, nb)
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitsPrefix returns the digits s starts with.
func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// QuotedOr returns the names in Go's double quotes, joined as a choice:
// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func QuotedOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return series(q, "or")
}

// Or returns the names joined as a choice: "a", "a or b", "a, b or c".
func Or(names []string) string { return series(names, "or") }

// And returns the names joined as a list: "a", "a and b", "a, b and c".
func And(names []string) string { return series(names, "and") }

// series joins items with commas and conj before the last.
func series(items []string, conj string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
