package sweep

import (
	"strconv"
	"strings"
)

// locator finds the line of a key in a TOML source. BurntSushi/toml keeps
// key positions to itself, so the locator reads the source again: it follows
// [table] and [[array]] headers and matches `key = value` lines by their full
// key path. It is a best effort that never fails: an unmatched key gives the
// line of its nearest enclosing key that is found, or 0.
type locator struct {
	entries []locEntry
	// index holds the first entry of each key path, by indexKey, both
	// for any array element ("" and 0) and for its own. It is built once
	// lookups has reached scanLookups: a few lookups scan the entries,
	// which costs less than building it.
	index   map[string]int
	lookups int
}

// scanLookups is how many lookups scan the entries before the locator
// builds its index.
const scanLookups = 16

// locEntry is a key defined on a line: its full path, and for keys inside
// an [[array of tables]], the array's name and the element's index.
type locEntry struct {
	path []string
	aot  string
	idx  int
	line int
}

func newLocator(src string) *locator {
	l := &locator{}
	var table []string
	aot, idx := "", -1
	aotCount := map[string]int{}
	inMulti := "" // the delimiter of an open multi-line string
	for n, raw := range strings.Split(src, "\n") {
		line := n + 1
		s := strings.TrimSpace(raw)
		if inMulti != "" {
			if strings.Count(s, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		switch {
		case s == "" || s[0] == '#':
			continue
		case strings.HasPrefix(s, "[["):
			p, rest, ok := parseKey(s[2:])
			if !ok || !strings.HasPrefix(strings.TrimSpace(rest), "]]") {
				continue
			}
			table = p
			aot = strings.Join(p, "\x00")
			idx = aotCount[aot]
			aotCount[aot]++
			l.entries = append(l.entries, locEntry{path: p, aot: aot, idx: idx, line: line})
			continue
		case s[0] == '[':
			p, rest, ok := parseKey(s[1:])
			if !ok || !strings.HasPrefix(strings.TrimSpace(rest), "]") {
				continue
			}
			table = p
			if aot != "" && !hasPrefix(p, strings.Split(aot, "\x00")) {
				aot, idx = "", -1
			}
			l.entries = append(l.entries, locEntry{path: p, aot: aot, idx: idx, line: line})
			continue
		}
		p, rest, ok := parseKey(s)
		if !ok || !strings.HasPrefix(strings.TrimSpace(rest), "=") {
			continue
		}
		full := append(append([]string(nil), table...), p...)
		l.entries = append(l.entries, locEntry{path: full, aot: aot, idx: idx, line: line})
		value := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "="))
		for _, d := range []string{`"""`, `'''`} {
			if strings.HasPrefix(value, d) && strings.Count(value, d)%2 == 1 {
				inMulti = d
			}
		}
	}
	return l
}

// line returns the line where key is defined. For a key inside an array of
// tables, aot names the array (such as "figures") and idx the element;
// otherwise aot is "". When key itself is not found, the line of its longest
// found prefix is returned; 0 when nothing matches. An array written inline
// (figures = [{...}]) has no [[...]] elements to find, so a key inside one
// gets the line where the array starts. A lookup takes time in the
// length of key, not in the size of the file.
func (l *locator) line(key []string, aot string, idx int) int {
	if n := l.lookup(key, aot, idx); n > 0 || aot == "" || l.lookup([]string{aot}, aot, 0) > 0 {
		return n
	}
	return l.lookup([]string{aot}, "", 0)
}

// lookup is line without the fallback for inline arrays.
func (l *locator) lookup(key []string, aot string, idx int) int {
	if l.lookups++; l.lookups <= scanLookups {
		return l.scan(key, aot, idx)
	}
	if l.index == nil {
		l.index = make(map[string]int, 2*len(l.entries))
		for i, e := range l.entries {
			for _, k := range []string{indexKey("", 0, e.path), indexKey(e.aot, e.idx, e.path)} {
				if _, seen := l.index[k]; !seen {
					l.index[k] = i
				}
			}
		}
	}
	if aot == "" {
		idx = 0
	}
	for n := len(key); n > 0; n-- {
		if i, ok := l.index[indexKey(aot, idx, key[:n])]; ok {
			return l.entries[i].line
		}
	}
	return 0
}

// scan is line without the index: the entry whose path is the longest
// prefix of key, the first of them in the file.
func (l *locator) scan(key []string, aot string, idx int) int {
	best, bestLen := 0, 0
	for _, e := range l.entries {
		if aot != "" && (e.aot != aot || e.idx != idx) {
			continue
		}
		n := commonPrefix(e.path, key)
		if n == len(e.path) && n > bestLen {
			best, bestLen = e.line, n
			if n == len(key) {
				return best
			}
		}
	}
	return best
}

// indexKey is the key of the locator's index for the key path inside
// element idx of the array of tables aot ("" and 0 for any element, or
// none).
func indexKey(aot string, idx int, path []string) string {
	return aot + "\x01" + strconv.Itoa(idx) + "\x01" + strings.Join(path, "\x00")
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func hasPrefix(p, prefix []string) bool {
	return len(p) >= len(prefix) && commonPrefix(p, prefix) == len(prefix)
}

// parseKey reads a dotted TOML key (bare, "basic" or 'literal' parts) from
// the start of s, returning its parts and the rest of s.
func parseKey(s string) (parts []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var part string
		switch s[0] {
		case '"':
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, "", false
			}
			u, err := strconv.Unquote(s[:end+1])
			if err != nil {
				u = s[1:end]
			}
			part, s = u, s[end+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			part, s = s[1:end+1], s[end+2:]
		default:
			end := 0
			for end < len(s) && isBareKeyByte(s[end]) {
				end++
			}
			if end == 0 {
				return nil, "", false
			}
			part, s = s[:end], s[end:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return parts, s, true
		}
		s = s[1:]
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
