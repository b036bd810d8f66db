package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// extendsKey is the top-level key that names the sweep a file builds on.
const extendsKey = "extends"

// MaxExtends is how many files one chain of extends may hold.
const MaxExtends = 8

// Resolver finds the sweep that a file's extends key names. from is the
// extending file's name as Parse was given it, name the key's value; it
// returns the named file's name, to show in errors, and its bytes.
type Resolver func(from, name string) (file string, src []byte, err error)

// ResolveFile is the Resolver of Parse and Load: name is a path, relative
// to the folder of the file that extends it.
func ResolveFile(from, name string) (string, []byte, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(from), name)
	}
	src, err := os.ReadFile(path)
	return path, src, err
}

// mergedKeys are the top-level tables that a file extending another merges
// key by key into the other's: a key of [base] or a parameter of
// [parameters] replaces the one of the same name, and the others stay.
// Every other top-level key, the lists of [[overrides]], [[figures]] and
// [[tables]] among them, replaces the other file's whole.
var mergedKeys = []string{"base", "parameters"}

// layer is one file of a chain of extends, the extending file first.
type layer struct {
	file string
	root map[string]any
	loc  *locator
	keys []toml.Key // the file's keys in source order
}

// owns reports whether this layer's file sets the key at path, by the
// merge rules of mergedKeys.
func (l *layer) owns(path []string) bool {
	if len(path) == 0 {
		return false
	}
	v, ok := l.root[path[0]]
	if !ok {
		return false
	}
	if slices.Contains(mergedKeys, path[0]) && len(path) > 1 {
		m, isMap := v.(map[string]any)
		if !isMap {
			return true
		}
		_, ok = m[path[1]]
	}
	return ok
}

// extend reads the chain of files that root extends, if any, and returns
// the root with every ancestor merged in, and the chain, root's own file
// first. It removes the extends key from the roots.
func (p *parser) extend(root map[string]any, src []byte) (map[string]any, []*layer, error) {
	first := &layer{file: p.file, root: root, loc: p.loc, keys: p.md.Keys()}
	chain := []*layer{first}
	files := append(slices.Clone(p.seen), filepath.Clean(p.file))
	sum := sha256.New()
	sum.Write(src)
	for cur := first; ; {
		v, ok := cur.root[extendsKey]
		if !ok {
			break
		}
		delete(cur.root, extendsKey)
		next, err := p.readParent(cur, v, files)
		if err != nil {
			return nil, nil, err
		}
		sum.Write([]byte{0})
		sum.Write(next.src)
		chain = append(chain, next.layer)
		files = append(files, filepath.Clean(next.file))
		cur = next.layer
	}
	p.sha = hex.EncodeToString(sum.Sum(nil))
	if err := checkOwnName(chain); err != nil {
		return nil, nil, err
	}
	merged := chain[len(chain)-1].root
	for i := len(chain) - 2; i >= 0; i-- {
		if err := refuseEmptyMerged(merged, chain[i], chain[i+1].file); err != nil {
			return nil, nil, err
		}
		child, err := keepConditions(merged, chain[i], chain[i+1].file)
		if err != nil {
			return nil, nil, err
		}
		merged = mergeRoots(merged, child)
	}
	return merged, chain, nil
}

// refuseEmptyMerged refuses an empty [base] or [parameters] in l's file
// where merged, what the files it extends come to (parent the nearest of
// them), has one: it would drop nothing of what it inherits.
func refuseEmptyMerged(merged map[string]any, l *layer, parent string) error {
	for _, k := range mergedKeys {
		if m, ok := l.root[k].(map[string]any); ok && len(m) == 0 {
			if old, _ := merged[k].(map[string]any); len(old) > 0 {
				return &FileError{File: l.file, Line: l.loc.line([]string{k}, "", 0), Key: k,
					Msg: fmt.Sprintf("is empty, which drops nothing of %s: a file that extends another merges [%s] key by key; "+
						"give a key a new value (a parameter value = ... to stop sweeping it), or leave [%s] out", parent, k, k)}
			}
		}
	}
	return nil
}

// keepConditions checks the parameters that l's file gives anew against
// the conditional ones (see Param.Where) of merged, what the files it
// extends come to, parent the nearest of them. A parameter that replaces a
// conditional one must say where it is swept: its own where, or where = {}
// for every run, which keepConditions removes from the root it returns
// (l's root otherwise); without either it would lose the condition unseen.
func keepConditions(merged map[string]any, l *layer, parent string) (map[string]any, error) {
	old, _ := merged["parameters"].(map[string]any)
	params, _ := l.root["parameters"].(map[string]any)
	root, cloned := l.root, false
	for _, name := range slices.Sorted(maps.Keys(params)) {
		oldSpec, _ := old[name].(map[string]any)
		spec, isMap := params[name].(map[string]any)
		oldWhere, conditional := oldSpec["where"]
		if !conditional || !isMap {
			continue
		}
		where, has := spec["where"]
		if w, ok := where.(map[string]any); has && (!ok || len(w) > 0) {
			continue
		}
		if !has {
			return nil, &FileError{File: l.file, Line: l.loc.line([]string{"parameters", name}, "", 0), Key: keyString([]string{"parameters", name}),
				Msg: fmt.Sprintf("replaces the parameter of %s, which is swept only in the runs where %s, and says nowhere: "+
					"repeat its where to keep the condition, or write where = {} to sweep it in every run", parent, inlineTable(oldWhere))}
		}
		if !cloned {
			root, cloned = maps.Clone(l.root), true
			root["parameters"] = maps.Clone(params)
		}
		unconditional := maps.Clone(spec)
		delete(unconditional, "where")
		root["parameters"].(map[string]any)[name] = unconditional
	}
	return root, nil
}

// inlineTable writes a where table as TOML's inline table, its keys sorted:
// { estimator = "smile" }.
func inlineTable(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprint(v)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		val := FormatValue(m[k])
		if s, isString := m[k].(string); isString {
			val = strconv.Quote(s)
		}
		parts = append(parts, keyPart(k)+" = "+val)
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// checkOwnName checks that the first file of a chain has a name of its own,
// none of the files' it extends (each of those is checked as a file by
// itself): one that took another's name would share its results folder.
func checkOwnName(chain []*layer) error {
	l := chain[0]
	name, _ := l.root["name"].(string)
	_, ok := l.root["name"]
	for _, a := range chain[1:] {
		if other, _ := a.root["name"].(string); !ok || name == other {
			return &FileError{File: l.file, Line: l.loc.line([]string{"name"}, "", 0), Key: "name",
				Msg: fmt.Sprintf("a sweep that extends %s needs a name of its own, or its runs would go into that sweep's folder: add name = \"...\" at the top of the file", a.file)}
		}
	}
	return nil
}

// parentFile is a file that a chain extends, read and decoded.
type parentFile struct {
	*layer
	src []byte
}

// readParent resolves and decodes the file that cur's extends value v
// names; seen are the files of the chain so far.
func (p *parser) readParent(cur *layer, v any, seen []string) (*parentFile, error) {
	at := func(format string, args ...any) error {
		return &FileError{File: cur.file, Line: cur.loc.line([]string{extendsKey}, "", 0), Key: extendsKey, Msg: fmt.Sprintf(format, args...)}
	}
	name, ok := v.(string)
	if !ok || name == "" {
		return nil, at("%s: want the path of the sweep file this one builds on, such as extends = \"batchsize.toml\"", describe(v))
	}
	if len(seen) >= MaxExtends {
		return nil, at("a chain of more than %d files (%s): extend a file that extends fewer", MaxExtends, strings.Join(seen, " -> "))
	}
	file, src, err := p.resolve(cur.file, name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, at("%q: no such sweep file (a path is read from the folder of %s)", name, cur.file)
		}
		return nil, at("%q: %v", name, err)
	}
	if slices.Contains(seen, filepath.Clean(file)) {
		return nil, at("%q: a loop (%s -> %s): a file cannot extend itself or a file that extends it", name, strings.Join(seen, " -> "), file)
	}
	// The parent must be a whole sweep on its own: its own mistakes are
	// reported in its own words, file and line.
	if err := p.checkParent(file, src, seen); err != nil {
		return nil, throughExtends(err, cur.file, "")
	}
	pp := &parser{file: file, loc: newLocator(string(src)), resolve: p.resolve}
	root, err := pp.decode(src)
	if err != nil {
		return nil, err
	}
	return &parentFile{layer: &layer{file: file, root: root, loc: pp.loc, keys: pp.md.Keys()}, src: src}, nil
}

// checkParent parses the file a chain extends as a sweep by itself, once
// per chain however many files extend it.
func (p *parser) checkParent(file string, src []byte, seen []string) error {
	if err, done := p.checked[file]; done {
		return err
	}
	check := &parser{file: file, loc: newLocator(string(src)), resolve: p.resolve, seen: seen, asParent: true, checked: p.checked, checkMetrics: p.checkMetrics}
	_, err := check.parse(src)
	err = placeError(err, check.chain)
	p.checked[file] = err
	return err
}

// mergeRoots returns child merged over parent by the rules of mergedKeys;
// neither is changed.
func mergeRoots(parent, child map[string]any) map[string]any {
	out := maps.Clone(parent)
	delete(out, extendsKey)
	for k, v := range child {
		pm, pok := out[k].(map[string]any)
		cm, cok := v.(map[string]any)
		if slices.Contains(mergedKeys, k) && pok && cok {
			m := maps.Clone(pm)
			maps.Copy(m, cm)
			out[k] = m
			continue
		}
		out[k] = v
	}
	return out
}

// chainOrder returns the positions of a chain's keys for the decoder: the
// eldest file's keys in its order, then each later file's new keys in
// theirs, so that the axes keep the order of the file that sets them first.
func chainOrder(chain []*layer) map[string]int {
	order := map[string]int{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, k := range chain[i].keys {
			key := strings.Join(k, "\x00")
			if _, ok := order[key]; !ok {
				order[key] = len(order)
			}
		}
	}
	return order
}

// placeError moves an error about a key that an extended file sets, and
// the extending file does not, to that file and its line.
func placeError(err error, chain []*layer) error {
	var fe *FileError
	if len(chain) < 2 || !errors.As(err, &fe) {
		return err
	}
	key := fe.Key
	if key == "" {
		key = fe.place
	}
	path, list, idx := splitKey(key)
	if len(path) == 0 {
		return err
	}
	for i, l := range chain {
		if !l.owns(path) {
			continue
		}
		if l == chain[0] {
			return err
		}
		moved := *fe
		moved.File = l.file
		moved.Line = l.loc.line(path, list, idx)
		fix := changedTask(chain, i)
		if list != "" {
			// The extending file cannot change one entry of a list it
			// inherits, only the whole list: say how.
			fix = fmt.Sprintf(", which inherits the whole %s list: give it its own [[%s]], or %s = [] for none", list, list, list)
		}
		return throughExtends(&moved, chain[0].file, fix)
	}
	return err
}

// changedTask says, for an error at a key of chain[at], when a file that
// extends it sets another task than the one chain[at]'s keys were written
// for: "; parent.toml's keys are for task \"bmi\", but child.toml:3 sets
// task = \"gaussian\" ..."; "" otherwise. An extending file keeps the keys of
// [base] and [parameters] it does not replace, so it can change the task
// only where they are the new task's too.
func changedTask(chain []*layer, at int) string {
	taskOf := func(layers []*layer) (*layer, string) {
		for _, l := range layers {
			if l.owns([]string{"task"}) {
				t, _ := l.root["task"].(string)
				return l, t
			}
		}
		return nil, ""
	}
	setter, task := taskOf(chain[:at])
	_, written := taskOf(chain[at:])
	if setter == nil || written == "" || task == written {
		return ""
	}
	return fmt.Sprintf("; %s's keys are for task %q, but %s:%d sets task = %q, and an extending file keeps the [base] and [parameters] keys it does not replace: extend a sweep of task %q, or write the file whole",
		chain[at].file, written, setter.file, setter.loc.line([]string{"task"}, "", 0), task, task)
}

// throughExtends says of an error in a file that another extends which
// file was read, and then fix, if any (", which ..."); a note already
// there stays the only one.
func throughExtends(err error, from, fix string) error {
	const note = " (read through extends, from "
	var fe *FileError
	if !errors.As(err, &fe) || strings.Contains(fe.Msg, note) {
		return err
	}
	moved := *fe
	moved.Msg = fe.Msg + note + from + fix + ")"
	return &moved
}

// splitKey reads a FileError's key, such as base.lr, "odd.key".values or
// overrides[2].where, into its path; for a key inside an [[array of
// tables]] it also returns the array's name and the element's index.
func splitKey(key string) (path []string, list string, idx int) {
	for key != "" {
		var seg string
		if key[0] == '"' {
			q, err := strconv.QuotedPrefix(key)
			if err != nil {
				return nil, "", 0
			}
			seg, _ = strconv.Unquote(q)
			key = key[len(q):]
		} else {
			end := strings.IndexAny(key, ".[")
			if end < 0 {
				end = len(key)
			}
			seg, key = key[:end], key[end:]
		}
		path = append(path, seg)
		if strings.HasPrefix(key, "[") {
			end := strings.IndexByte(key, ']')
			n, err := strconv.Atoi(key[1:max(end, 1)])
			if end < 0 || err != nil {
				return nil, "", 0
			}
			list, idx, key = seg, n, key[end+1:]
		}
		key = strings.TrimPrefix(key, ".")
	}
	return path, list, idx
}
