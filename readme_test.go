package infomax

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// markdownHeadings returns the Markdown text's headings outside code blocks, in
// order, each with its level and its GitHub anchor.
func markdownHeadings(text string) (heads []markdownHeading) {
	inCode := false
	seen := map[string]int{}
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if inCode || level == 0 || !strings.HasPrefix(line[level:], " ") {
			continue
		}
		title := strings.TrimSpace(line[level:])
		anchor := githubAnchor(title)
		if n := seen[anchor]; n > 0 {
			seen[anchor]++
			anchor += "-" + strconv.Itoa(n)
		} else {
			seen[anchor] = 1
		}
		heads = append(heads, markdownHeading{level, title, anchor})
	}
	return heads
}

// markdownHeading is a heading of a Markdown file.
type markdownHeading struct {
	level         int
	title, anchor string
}

// githubAnchor returns the anchor GitHub gives a heading: lower case,
// letters, digits, hyphens and underscores kept, spaces made hyphens, the
// rest (backticks, colons, question marks, ...) dropped.
func githubAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// readmeContents returns the README's Contents list as its headings make
// it: a line per heading of level 2 and 3, the third indented.
func readmeContents(heads []markdownHeading) string {
	var b strings.Builder
	for _, h := range heads {
		if h.level < 2 || h.level > 3 {
			continue
		}
		b.WriteString(strings.Repeat("  ", h.level-2) + "- [" + h.title + "](#" + h.anchor + ")\n")
	}
	return b.String()
}

// TestREADMEContentsAndLinks keeps the README's Contents list the list of
// its sections, and checks the links of the README and of docs/: each
// link to a heading names one, and each link to a file of the repository
// names a file that exists.
func TestREADMEContentsAndLinks(t *testing.T) {
	readme := readText(t, "README.md")
	const start, end = "<!-- contents: made from the headings; TestREADMEContentsAndLinks checks it -->\n", "<!-- end of contents -->\n"
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md: no Contents list between %q and %q", start, end)
	}
	if got, want := readme[i+len(start):j], readmeContents(markdownHeadings(readme)); got != want {
		t.Errorf("README.md: the Contents list is not its headings'; put this between the two comments:\n%s", want)
	}
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append([]string{"README.md"}, docs...) {
		checkLinks(t, path)
	}
}

// checkLinks checks the links of the Markdown file at path outside code
// blocks: a link to a heading, of this file or of another Markdown file,
// names one; a link to a file, relative to path's folder, names a file
// that exists.
func checkLinks(t *testing.T, path string) {
	text := readText(t, path)
	prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(text, "")
	for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(prose, -1) {
		link := m[1]
		if strings.Contains(link, "://") {
			continue
		}
		file, anchor, _ := strings.Cut(link, "#")
		target := path
		if file != "" {
			target = filepath.Join(filepath.Dir(path), file)
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: the link %s names no file: %v", path, link, err)
				continue
			}
		}
		if anchor != "" && !hasHeading(readText(t, target), anchor) {
			t.Errorf("%s: the link %s names no heading of %s", path, link, target)
		}
	}
}

// hasHeading reports whether the Markdown text has a heading whose
// anchor is anchor.
func hasHeading(text, anchor string) bool {
	for _, h := range markdownHeadings(text) {
		if h.anchor == anchor {
			return true
		}
	}
	return false
}

// readText returns the file at path, failing the test if it cannot be read.
func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
