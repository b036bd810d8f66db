// Package registry is the one registry behind every kind of plug-in in
// infomax: estimators, pair, local and global critics, tasks, data sets,
// report kinds and the bmi task's transforms. It works like database/sql's
// driver registry: plug-ins call Register from an init function, users
// look them up by name, and Names lists them sorted. An unknown name is an
// error that lists the known names and suggests the closest one, so that a
// typo in a sweep file is one line to fix.
package registry

import (
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Registry maps names to plug-ins of one kind. The zero value is not usable;
// make one with New.
type Registry[T any] struct {
	kind     string
	describe func(T) (string, error)
	mu       sync.RWMutex
	entries  map[string]T
	// sites holds where each name was registered, for the panic of a
	// second registration.
	sites map[string]string
}

// New returns an empty registry for plug-ins of the given kind, such as
// "estimator"; the kind names the plug-ins in panics and errors. describe
// returns a plug-in's name, and an error when the plug-in is incomplete
// (such as a missing factory; see [Require]).
func New[T any](kind string, describe func(T) (name string, err error)) *Registry[T] {
	return &Registry[T]{kind: kind, describe: describe, entries: map[string]T{}, sites: map[string]string{}}
}

// Require returns nil if ok, else the error "needs <what>", for a describe
// function to report a missing part of a plug-in.
func Require(ok bool, what string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("needs %s", what)
}

// RequireSummary returns nil for a non-empty summary, else the error
// "needs a Summary ...", for a describe function: every plug-in has one
// line for listings such as `sweep list`.
func RequireSummary(summary string) error {
	return Require(strings.TrimSpace(summary) != "", "a Summary (one line for `sweep list`)")
}

// checkName returns why name cannot be a plug-in's name, or nil: names
// are typed in sweep files and listed in columns, so they are lowercase
// letters, digits and the separators '-', '_', '.' and '+', starting with
// a letter or a digit (as "infonce", "encode-and-dot", "bias_variance").
func checkName(name string) error {
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case i > 0 && strings.ContainsRune("-_.+", r):
		default:
			return fmt.Errorf("has %q at byte %d: a name is lowercase letters, digits and '-', '_', '.' or '+', starting with a letter or a digit", r, i)
		}
	}
	return nil
}

// Kind returns the kind of plug-in the registry holds.
func (r *Registry[T]) Kind() string { return r.kind }

// Register makes v available under its name. It is meant to be called from
// init functions, and panics on an empty name, an incomplete plug-in or a
// name registered twice, as database/sql's Register does: all are
// programming errors. The panic of a second registration names the files
// and lines of both; a name that differs from a registered one only in
// case counts as registered twice, since users type names in any case and
// [DidYouMean] ignores it.
func (r *Registry[T]) Register(v T) {
	name, err := r.describe(v)
	site := registrationSite()
	if name == "" {
		panic(fmt.Sprintf("registry: a %s registered without a name, at %s", r.kind, site))
	}
	if err == nil {
		err = checkName(name)
	}
	if err != nil {
		panic(fmt.Sprintf("registry: %s %q (at %s) %v", r.kind, name, site, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for other := range r.entries {
		switch {
		case other == name:
			panic(fmt.Sprintf("registry: %s %q registered twice, at %s and at %s; give one of them another name", r.kind, name, r.sites[name], site))
		case strings.EqualFold(other, name):
			panic(fmt.Sprintf("registry: %s %q (at %s) differs from %q (at %s) only in case; give one of them another name", r.kind, name, site, other, r.sites[other]))
		}
	}
	r.entries[name] = v
	r.sites[name] = site
}

// registrationSite returns the file and line that registered a plug-in:
// the init function on the call stack, which is the plug-in's own file
// even where a helper of its package calls Register, or else the first
// caller outside this file; as "dir/file.go:line".
func registrationSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	var outside string
	for {
		f, more := frames.Next()
		at := fmt.Sprintf("%s:%d", filepath.Join(filepath.Base(filepath.Dir(f.File)), filepath.Base(f.File)), f.Line)
		if fn := f.Function[strings.LastIndex(f.Function, "/")+1:]; strings.Contains(fn, ".init.") || strings.HasSuffix(fn, ".init") {
			return at
		}
		if outside == "" && filepath.Base(f.File) != "registry.go" {
			outside = at
		}
		if !more {
			return outside
		}
	}
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.entries))
}

// Lookup returns the plug-in registered under name. An unknown name is an
// error that lists the known names and suggests the closest one.
func (r *Registry[T]) Lookup(name string) (T, error) {
	r.mu.RLock()
	v, ok := r.entries[name]
	r.mu.RUnlock()
	if !ok {
		var zero T
		return zero, UnknownError(r.kind, name, r.Names())
	}
	return v, nil
}

// UnknownError is the error for a name that is not among known: it lists
// them and, when one is near enough to be a plausible typo, asks whether it
// was meant, as in
//
//	unknown estimator "jds" (known: dv, infonce, jsd); did you mean "jsd"?
func UnknownError(kind, name string, known []string) error {
	return fmt.Errorf("unknown %s %q (known: %s)%s", kind, name, strings.Join(known, ", "), DidYouMean(name, known))
}

// DidYouMean returns `; did you mean "x"?` for the name in known closest to
// name, or "" when none is near enough. Errors that word the rest of their
// message themselves append it.
func DidYouMean(name string, known []string) string {
	if c := Closest(name, known); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// Closest returns the name in known nearest to name by edit distance,
// ignoring case, or "" if none is near enough to be a plausible typo: at
// most max(2, len(name)/3) edits, and fewer than name has bytes, so that an
// empty or one-letter name is never taken for a misspelling (nor a
// two-letter one two edits away, such as "vd" for "dv").
func Closest(name string, known []string) string {
	limit := max(2, len(name)/3)
	lower := ""
	best, bestD := "", 1<<30
	for _, k := range known {
		// The distance is at least the difference in length: a name far
		// longer than every known one (a pasted file, say) costs nothing.
		if abs(len(name)-len(k)) > limit {
			continue
		}
		if lower == "" {
			lower = strings.ToLower(name)
		}
		if d := editDistance(lower, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD <= limit && bestD < len(name) {
		return best
	}
	return ""
}

func abs(n int) int { return max(n, -n) }

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
