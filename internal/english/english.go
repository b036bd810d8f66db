// Package english words the counts in messages and reports.
package english

import "strconv"

// Plural returns n and the noun, with an "s" unless n is 1: "1 run",
// "3 runs", "0 figures". It suits the regular nouns infomax counts.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
