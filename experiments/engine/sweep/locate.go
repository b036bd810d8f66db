package sweep

import (
	"slices"
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
	// elems holds, for a key whose value is an array, the line where
	// each of its elements starts.
	elems []int
}

func newLocator(src string) *locator {
	l := &locator{}
	var table []string
	aot, idx := "", -1
	aotCount := map[string]int{}
	inMulti := "" // the delimiter of an open multi-line string
	lines := strings.Split(src, "\n")
	for n := 0; n < len(lines); n++ {
		line := n + 1
		s := strings.TrimSpace(lines[n])
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
		e := locEntry{path: full, aot: aot, idx: idx, line: line}
		value := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "="))
		if strings.HasPrefix(value, "[") {
			// The array's lines hold no keys: go on after its end.
			e.elems, n = arrayElements(lines, n, strings.LastIndex(lines[n], value))
		}
		l.entries = append(l.entries, e)
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
// found prefix is returned, or of the first key inside it (firstUnder); 0
// when nothing matches. An array written inline
// (figures = [{...}]) has no [[...]] elements to find, so a key inside one
// gets the line where the array starts. A lookup takes time in the
// length of key, not in the size of the file.
func (l *locator) line(key []string, aot string, idx int) int {
	if n := l.lookup(key, aot, idx); n > 0 || aot == "" || l.lookup([]string{aot}, aot, 0) > 0 {
		if n == 0 && aot == "" {
			return l.firstUnder(key)
		}
		return n
	}
	return l.lookup([]string{aot}, "", 0)
}

// firstUnder returns the line of the first entry inside key, such as the
// [parameter.estimator] header for the table parameter, which has no line
// of its own; 0 when there is none. It scans the entries: it serves the
// rare key that lookup does not find.
func (l *locator) firstUnder(key []string) int {
	for _, e := range l.entries {
		if len(key) > 0 && e.aot == "" && len(e.path) > len(key) && commonPrefix(e.path, key) == len(key) {
			return e.line
		}
	}
	return 0
}

// elementLine is line for element elem (counted from 0) of the array
// that key holds: the line where the element starts, or where key is when
// the element is not found.
func (l *locator) elementLine(key []string, aot string, idx, elem int) int {
	n := l.line(key, aot, idx)
	for _, e := range l.entries {
		if e.line == n && slices.Equal(e.path, key) && elem >= 0 && elem < len(e.elems) {
			return e.elems[elem]
		}
	}
	return n
}

// arrayElements reads the array whose '[' is at byte col of lines[n], and
// returns the line (counted from 1) where each of its elements starts and
// the index of the line where the array ends. It knows TOML's strings,
// comments, nested arrays and inline tables; an array not closed by the
// end of the source ends at its last line.
func arrayElements(lines []string, n, col int) (elems []int, end int) {
	depth, expect := 0, false // expect: the next token starts an element
	start := func() {
		if depth == 1 && expect {
			elems, expect = append(elems, n+1), false
		}
	}
	for ; n < len(lines); n, col = n+1, 0 {
		for i := col; i < len(lines[n]); i++ {
			switch c := lines[n][i]; c {
			case ' ', '\t', '\r':
			case '#':
				i = len(lines[n])
			case '"', '\'':
				start()
				n, i = skipString(lines, n, i)
			case '[', '{':
				start()
				if depth++; depth == 1 {
					expect = true
				}
			case ']', '}':
				if depth--; depth == 0 {
					return elems, n
				}
			case ',':
				expect = expect || depth == 1
			default:
				start()
			}
		}
	}
	return elems, len(lines) - 1
}

// skipString returns the line and byte of the quote that closes the TOML
// string opening at byte i of lines[n]: basic or literal, on one line or
// (tripled quotes) over several.
func skipString(lines []string, n, i int) (int, int) {
	q := lines[n][i]
	if delim := strings.Repeat(string(q), 3); strings.HasPrefix(lines[n][i:], delim) {
		for i += 3; n < len(lines); n, i = n+1, 0 {
			for ; i < len(lines[n]); i++ {
				switch {
				case q == '"' && lines[n][i] == '\\':
					i++
				case strings.HasPrefix(lines[n][i:], delim):
					return n, i + 2
				}
			}
		}
		return len(lines) - 1, len(lines[len(lines)-1])
	}
	for i++; i < len(lines[n]); i++ {
		switch lines[n][i] {
		case '\\':
			if q == '"' {
				i++
			}
		case q:
			return n, i
		}
	}
	return n, i
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
