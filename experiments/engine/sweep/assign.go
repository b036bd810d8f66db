package sweep

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"
)

// fieldError is a problem with one key of a task config: Path is the key
// path below the table being decoded (for example ["optim", "lr"]) and Msg
// says what is wrong and how to fix it.
type fieldError struct {
	Path []string
	Msg  string
	// Unknown is set when the key does not exist in the config.
	Unknown bool
}

func (e *fieldError) Error() string {
	return strings.Join(e.Path, ".") + ": " + e.Msg
}

// decoder assigns generic TOML values (as BurntSushi/toml decodes them into
// map[string]any) to the fields of a task config, strictly: every key must
// name a field by its toml tag, and every value must have the field's type.
type decoder struct {
	// order gives the position in the source of a full key path (joined
	// with "\x00"), so that the first problem in the file is the one
	// reported.
	order map[string]int
	// prefix is the key path of the table being decoded within the file,
	// such as ["base"], used to look up order.
	prefix []string
	// owned, when not nil, holds the maps that setPath made, which it
	// may change in place: the parameters of one run set keys of the same
	// map without copying it once per key.
	owned map[uintptr]bool
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
)

// fieldsOf caches tomlFields by type: a sweep file with many parameters
// looks the fields of a config up once per parameter and run.
var fieldsOf sync.Map // reflect.Type -> typeFields

// typeFields is what tomlFields returns for a type.
type typeFields struct {
	names []string
	index map[string][]int
}

// tomlFields returns the fields of struct type t by their toml names,
// sorted, flattening untagged embedded structs as BurntSushi/toml does.
// The caller must not change them.
func tomlFields(t reflect.Type) (names []string, index map[string][]int) {
	if f, ok := fieldsOf.Load(t); ok {
		return f.(typeFields).names, f.(typeFields).index
	}
	names, index = findTOMLFields(t)
	fieldsOf.Store(t, typeFields{names, index})
	return names, index
}

// findTOMLFields is tomlFields without the cache.
func findTOMLFields(t reflect.Type) (names []string, index map[string][]int) {
	index = map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("toml")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := index[name]; dup {
				continue
			}
			index[name] = idx
			names = append(names, name)
		}
	}
	walk(t, nil)
	sort.Strings(names)
	return names, index
}

// fieldByIndex returns the field of struct value v at index, allocating nil
// embedded pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// sortedKeys returns the keys of m in the order they appear in the source
// file (keys not found there last, by name).
func (d *decoder) sortedKeys(path []string, m map[string]any) []string {
	type keyPos struct {
		key string
		pos int
	}
	keys := make([]keyPos, 0, len(m))
	for k := range m {
		keys = append(keys, keyPos{k, d.pos(path, k)})
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].pos != keys[j].pos {
			return keys[i].pos < keys[j].pos
		}
		return keys[i].key < keys[j].key
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.key
	}
	return out
}

// pos returns the position in the source file of key k of the table at
// path, or math.MaxInt when it is not found there.
func (d *decoder) pos(path []string, k string) int {
	full := append(append(append(make([]string, 0, len(d.prefix)+len(path)+1), d.prefix...), path...), k)
	if p, ok := d.order[strings.Join(full, "\x00")]; ok {
		return p
	}
	return math.MaxInt
}

// eachKey calls f with every key of m, in no particular order, and returns
// the error of the key that comes first in the source file (as sortedKeys
// orders them): the first problem in the file is the one reported, without
// sorting a table of a million keys.
func (d *decoder) eachKey(path []string, m map[string]any, f func(k string) error) error {
	var first error
	firstKey, firstPos := "", 0
	for k := range m {
		err := f(k)
		if err == nil {
			continue
		}
		if p := d.pos(path, k); first == nil || p < firstPos || p == firstPos && k < firstKey {
			first, firstKey, firstPos = err, k, p
		}
	}
	return first
}

// assign sets rv, which must be settable, from the TOML value v found at
// path. Tables are merged into structs and maps key by key; arrays replace
// slices whole.
func (d *decoder) assign(rv reflect.Value, v any, path []string) error {
	t := rv.Type()
	if t == durationType {
		return assignDuration(rv, v, path)
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) && rv.CanAddr() {
		return assignText(rv, v, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return throughPointer(rv, func(elem reflect.Value) error { return d.assign(elem, v, path) })
	case reflect.Interface:
		return assignInterface(rv, v, path)
	case reflect.Struct:
		return d.assignStruct(rv, v, path)
	case reflect.Map:
		return d.assignMap(rv, v, path)
	case reflect.Slice, reflect.Array:
		return d.assignList(rv, v, path)
	case reflect.String:
		return assignExact[string](rv, v, path, "a string in quotes")
	case reflect.Bool:
		return assignExact[bool](rv, v, path, "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return assignInt(rv, v, path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return assignUint(rv, v, path)
	case reflect.Float32, reflect.Float64:
		return assignFloat(rv, v, path)
	}
	return badValue(path, "the config field has type %s, which a sweep file cannot set (a bug in the task)", t)
}

// badValue is the error for a value at path that the config field cannot
// take.
func badValue(path []string, format string, args ...any) error {
	return &fieldError{Path: clonePath(path), Msg: fmt.Sprintf(format, args...)}
}

// assignDuration sets a time.Duration from a string such as "90s", or from
// an integer number of nanoseconds.
func assignDuration(rv reflect.Value, v any, path []string) error {
	switch x := v.(type) {
	case string:
		dur, err := time.ParseDuration(x)
		if err != nil {
			return badValue(path, "%q is not a duration; write it like \"90s\" or \"5m\"", x)
		}
		rv.SetInt(int64(dur))
		return nil
	case int64:
		rv.SetInt(x)
		return nil
	}
	return badValue(path, "%s is not a duration; write it as a string like \"90s\"", describe(v))
}

// assignText sets a field that implements encoding.TextUnmarshaler from a
// string.
func assignText(rv reflect.Value, v any, path []string) error {
	s, ok := v.(string)
	if !ok {
		return badValue(path, "%s: want a string", describe(v))
	}
	if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		return badValue(path, "%q: %v", s, err)
	}
	return nil
}

// throughPointer points pointer rv at a new value: a copy of the one it
// points at (the zero value when nil) changed by set. rv is left as it was
// when set fails.
func throughPointer(rv reflect.Value, set func(elem reflect.Value) error) error {
	elem := reflect.New(rv.Type().Elem())
	if !rv.IsNil() {
		elem.Elem().Set(rv.Elem())
	}
	if err := set(elem.Elem()); err != nil {
		return err
	}
	rv.Set(elem)
	return nil
}

// assignInterface sets an empty-interface field to the TOML value as it is.
func assignInterface(rv reflect.Value, v any, path []string) error {
	if t := rv.Type(); t.NumMethod() != 0 {
		return badValue(path, "the config field has interface type %s, which a sweep file cannot set (a bug in the task)", t)
	}
	rv.Set(reflect.ValueOf(v))
	return nil
}

// assignStruct merges a table into a struct, key by key; every key must
// name a field.
func (d *decoder) assignStruct(rv reflect.Value, v any, path []string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return badValue(path, "%s: want a table", describe(v))
	}
	names, index := tomlFields(rv.Type())
	return d.eachKey(path, m, func(k string) error {
		idx, ok := index[k]
		sub := append(clonePath(path), k)
		if !ok {
			return unknownKey(sub, k, names, keyHint(rv, k))
		}
		return d.assign(fieldByIndex(rv, idx), m[k], sub)
	})
}

// assignMap merges a table into a copy of a map with string keys, key by
// key, and sets the field to the copy.
func (d *decoder) assignMap(rv reflect.Value, v any, path []string) error {
	t := rv.Type()
	if t.Key().Kind() != reflect.String {
		return badValue(path, "the config field has map type %s, which a sweep file cannot set (a bug in the task)", t)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return badValue(path, "%s: want a table", describe(v))
	}
	out := cloneMap(rv)
	err := d.eachKey(path, m, func(k string) error {
		return setMapEntry(out, k, func(elem reflect.Value) error { return d.assign(elem, m[k], append(clonePath(path), k)) })
	})
	if err != nil {
		return err
	}
	rv.Set(out)
	return nil
}

// setMapEntry sets key k of map out to a copy of its value (the zero value
// when there is none) changed by set; out is left as it was when set fails.
func setMapEntry(out reflect.Value, k string, set func(elem reflect.Value) error) error {
	t := out.Type()
	key := reflect.ValueOf(k).Convert(t.Key())
	elem := reflect.New(t.Elem()).Elem()
	if old := out.MapIndex(key); old.IsValid() {
		elem.Set(old)
	}
	if err := set(elem); err != nil {
		return err
	}
	out.SetMapIndex(key, elem)
	return nil
}

// assignList sets a slice, replaced whole, or an array, which must get
// exactly its length, from a TOML array.
func (d *decoder) assignList(rv reflect.Value, v any, path []string) error {
	t := rv.Type()
	arr, ok := asArray(v)
	switch {
	case t.Kind() == reflect.Slice && !ok:
		return badValue(path, "%s: want an array like [1, 2]", describe(v))
	case t.Kind() == reflect.Array && !ok:
		return badValue(path, "%s: want an array of %d values", describe(v), t.Len())
	case t.Kind() == reflect.Array && len(arr) != t.Len():
		return badValue(path, "has %d values: want exactly %d", len(arr), t.Len())
	}
	dst := rv
	if t.Kind() == reflect.Slice {
		dst = reflect.MakeSlice(t, len(arr), len(arr))
	}
	for i, x := range arr {
		if err := d.assign(dst.Index(i), x, append(clonePath(path), strconv.Itoa(i))); err != nil {
			return err
		}
	}
	if t.Kind() == reflect.Slice {
		rv.Set(dst)
	}
	return nil
}

// assignExact sets a string or bool field from a TOML value of that type,
// the only one it takes; want says how to write one.
func assignExact[T string | bool](rv reflect.Value, v any, path []string, want string) error {
	x, ok := v.(T)
	if !ok {
		return badValue(path, "%s: want %s", describe(v), want)
	}
	rv.Set(reflect.ValueOf(x).Convert(rv.Type()))
	return nil
}

// assignInt sets a signed integer field from an integer that fits it.
func assignInt(rv reflect.Value, v any, path []string) error {
	n, ok := v.(int64)
	if !ok {
		if f, isFloat := v.(float64); isFloat && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return badValue(path, "%s: want an integer; write %d", describe(v), int64(f))
		}
		return badValue(path, "%s: want an integer", describe(v))
	}
	if rv.OverflowInt(n) {
		return badValue(path, "%d does not fit in %s", n, rv.Kind())
	}
	rv.SetInt(n)
	return nil
}

// assignUint sets an unsigned integer field from a non-negative integer
// that fits it.
func assignUint(rv reflect.Value, v any, path []string) error {
	n, ok := v.(int64)
	if !ok {
		return badValue(path, "%s: want a non-negative integer", describe(v))
	}
	if n < 0 || rv.OverflowUint(uint64(n)) {
		return badValue(path, "%d is out of range: want a non-negative integer that fits in %s", n, rv.Kind())
	}
	rv.SetUint(uint64(n))
	return nil
}

// assignFloat sets a float field from a number that fits it.
func assignFloat(rv reflect.Value, v any, path []string) error {
	f, ok := number(v)
	if !ok {
		return badValue(path, "%s: want a number", describe(v))
	}
	if rv.OverflowFloat(f) {
		return badValue(path, "%g does not fit in %s", f, rv.Kind())
	}
	rv.SetFloat(f)
	return nil
}

// setPath sets the key at the dotted path segs below rv (a settable struct
// or map) to v, as a [parameters] entry does. Nested maps are copied before
// they are changed, so that defaults shared between configs never change,
// except the maps in d.owned, which earlier calls made.
func (d *decoder) setPath(rv reflect.Value, segs []string, v any, done []string) error {
	if len(segs) == 0 {
		return d.assign(rv, v, done)
	}
	t := rv.Type()
	switch t.Kind() {
	case reflect.Pointer:
		return throughPointer(rv, func(elem reflect.Value) error { return d.setPath(elem, segs, v, done) })
	case reflect.Struct:
		if t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			break
		}
		names, index := tomlFields(t)
		idx, ok := index[segs[0]]
		sub := append(clonePath(done), segs[0])
		if !ok {
			return unknownKey(sub, segs[0], names, keyHint(rv, segs[0]))
		}
		return d.setPath(fieldByIndex(rv, idx), segs[1:], v, sub)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		out := rv
		if rv.IsNil() || !d.owned[rv.Pointer()] {
			out = cloneMap(rv)
		}
		err := setMapEntry(out, segs[0], func(elem reflect.Value) error { return d.setPath(elem, segs[1:], v, append(clonePath(done), segs[0])) })
		if err != nil {
			return err
		}
		if d.owned != nil {
			d.owned[out.Pointer()] = true
		}
		rv.Set(out)
		return nil
	case reflect.Slice, reflect.Array:
		return &fieldError{Path: clonePath(done), Msg: fmt.Sprintf("is a list, and a parameter cannot reach into one: sweep the whole list, as in values = [[1, 2], [3, 4]]")}
	}
	return &fieldError{Path: clonePath(done), Unknown: true, Msg: fmt.Sprintf("is a single value with no key %q inside it", segs[0])}
}

// keyHint is the struct value rv's own hint for its unknown key, where its
// type is a tasks.KeyHinter (a task config's place for an estimator's
// parameter); "" otherwise.
func keyHint(rv reflect.Value, key string) string {
	if rv.CanAddr() {
		if h, ok := rv.Addr().Interface().(tasks.KeyHinter); ok {
			return h.KeyHint(key)
		}
	}
	return ""
}

// unknownKey is the error for a key that names no config field: own, the
// config's hint for it (see keyHint), or else a misspelling of a known key
// or the known keys with the key as a word.
func unknownKey(path []string, key string, known []string, own string) error {
	hint := own
	if hint == "" {
		hint = registry.DidYouMean(key, known)
	}
	if hint == "" {
		hint = keysWithWord(key, known)
	}
	msg := "unknown key" + hint
	if len(known) > 0 {
		msg += " (known here: " + strings.Join(known, ", ") + ")"
	} else {
		msg += " (this table has no keys)"
	}
	return &fieldError{Path: clonePath(path), Msg: msg, Unknown: true}
}

// keysWithWord returns `; keys with "critic" in their name: global_critic,
// local_critic, mi_xy_critic` for a key that is one of the underscore-
// separated words of some known keys (a dim sweep's critic, the gaussian
// task's key), or "" where none or more than six have it: a key too short
// for DidYouMean to take for a misspelling of them.
func keysWithWord(key string, known []string) string {
	var with []string
	for _, k := range known {
		if slices.Contains(strings.Split(k, "_"), key) && k != key {
			with = append(with, k)
		}
	}
	if len(with) == 0 || len(with) > 6 {
		return ""
	}
	return fmt.Sprintf("; keys with %q in their name: %s", key, strings.Join(with, ", "))
}

// cloneMap returns a copy of map value m (a new empty map when m is nil).
func cloneMap(m reflect.Value) reflect.Value {
	out := reflect.MakeMapWithSize(m.Type(), m.Len())
	if !m.IsNil() {
		iter := m.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), iter.Value())
		}
	}
	return out
}

// asArray returns v as a list of values if it is a TOML array.
func asArray(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// describe shows a TOML value and its type for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "got the string " + english.Quote(x)
	case int64:
		return fmt.Sprintf("got the integer %d", x)
	case float64:
		return fmt.Sprintf("got the float %s", formatFloat(x))
	case bool:
		return fmt.Sprintf("got %t", x)
	case []any, []map[string]any:
		return "got an array"
	case map[string]any:
		return "got a table"
	case nil:
		return "got nothing"
	}
	return fmt.Sprintf("got %v (%T)", v, v)
}

// formatFloat writes f the way TOML would, always with a decimal point or
// exponent, and NaN and the infinities as nan, inf and -inf.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strings.ToLower(strings.TrimPrefix(s, "+")) // NaN, +Inf, -Inf
	}
	if !strings.ContainsAny(s, ".eEnI") {
		s += ".0"
	}
	return s
}

func clonePath(p []string) []string { return append([]string(nil), p...) }
