package sweep

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

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
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
)

// tomlFields returns the fields of struct type t by their toml names,
// flattening untagged embedded structs as BurntSushi/toml does.
func tomlFields(t reflect.Type) (names []string, index map[string][]int) {
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
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	pos := func(k string) int {
		full := append(append(append([]string(nil), d.prefix...), path...), k)
		if p, ok := d.order[strings.Join(full, "\x00")]; ok {
			return p
		}
		return math.MaxInt
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, pj := pos(keys[i]), pos(keys[j])
		if pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// assign sets rv, which must be settable, from the TOML value v found at
// path. Tables are merged into structs and maps key by key; arrays replace
// slices whole.
func (d *decoder) assign(rv reflect.Value, v any, path []string) error {
	bad := func(format string, args ...any) error {
		return &fieldError{Path: clonePath(path), Msg: fmt.Sprintf(format, args...)}
	}
	t := rv.Type()
	if t == durationType {
		switch x := v.(type) {
		case string:
			dur, err := time.ParseDuration(x)
			if err != nil {
				return bad("%q is not a duration; write it like \"90s\" or \"5m\"", x)
			}
			rv.SetInt(int64(dur))
			return nil
		case int64:
			rv.SetInt(x)
			return nil
		}
		return bad("%s is not a duration; write it as a string like \"90s\"", describe(v))
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) && rv.CanAddr() {
		s, ok := v.(string)
		if !ok {
			return bad("%s: want a string", describe(v))
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return bad("%q: %v", s, err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		if !rv.IsNil() {
			elem.Elem().Set(rv.Elem())
		}
		if err := d.assign(elem.Elem(), v, path); err != nil {
			return err
		}
		rv.Set(elem)
		return nil
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return bad("the config field has interface type %s, which a sweep file cannot set (a bug in the task)", t)
		}
		rv.Set(reflect.ValueOf(v))
		return nil
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("%s: want a table", describe(v))
		}
		names, index := tomlFields(t)
		for _, k := range d.sortedKeys(path, m) {
			idx, ok := index[k]
			sub := append(clonePath(path), k)
			if !ok {
				return unknownKey(sub, k, names)
			}
			if err := d.assign(fieldByIndex(rv, idx), m[k], sub); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return bad("the config field has map type %s, which a sweep file cannot set (a bug in the task)", t)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return bad("%s: want a table", describe(v))
		}
		out := cloneMap(rv)
		for _, k := range d.sortedKeys(path, m) {
			elem := reflect.New(t.Elem()).Elem()
			key := reflect.ValueOf(k).Convert(t.Key())
			if old := out.MapIndex(key); old.IsValid() {
				elem.Set(old)
			}
			if err := d.assign(elem, m[k], append(clonePath(path), k)); err != nil {
				return err
			}
			out.SetMapIndex(key, elem)
		}
		rv.Set(out)
		return nil
	case reflect.Slice:
		arr, ok := asArray(v)
		if !ok {
			return bad("%s: want an array like [1, 2]", describe(v))
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, x := range arr {
			if err := d.assign(s.Index(i), x, append(clonePath(path), strconv.Itoa(i))); err != nil {
				return err
			}
		}
		rv.Set(s)
		return nil
	case reflect.Array:
		arr, ok := asArray(v)
		if !ok {
			return bad("%s: want an array of %d values", describe(v), t.Len())
		}
		if len(arr) != t.Len() {
			return bad("has %d values: want exactly %d", len(arr), t.Len())
		}
		for i, x := range arr {
			if err := d.assign(rv.Index(i), x, append(clonePath(path), strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return bad("%s: want a string in quotes", describe(v))
		}
		rv.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return bad("%s: want true or false", describe(v))
		}
		rv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			if f, isFloat := v.(float64); isFloat && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return bad("%s: want an integer; write %d", describe(v), int64(f))
			}
			return bad("%s: want an integer", describe(v))
		}
		if rv.OverflowInt(n) {
			return bad("%d does not fit in %s", n, t.Kind())
		}
		rv.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(int64)
		if !ok {
			return bad("%s: want a non-negative integer", describe(v))
		}
		if n < 0 || rv.OverflowUint(uint64(n)) {
			return bad("%d is out of range: want a non-negative integer that fits in %s", n, t.Kind())
		}
		rv.SetUint(uint64(n))
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		default:
			return bad("%s: want a number", describe(v))
		}
		if rv.OverflowFloat(f) {
			return bad("%g does not fit in %s", f, t.Kind())
		}
		rv.SetFloat(f)
		return nil
	}
	return bad("the config field has type %s, which a sweep file cannot set (a bug in the task)", t)
}

// setPath sets the key at the dotted path segs below rv (a settable struct
// or map) to v, as a [parameters] entry does. Nested maps are copied before
// they are changed, so that defaults shared between configs never change.
func (d *decoder) setPath(rv reflect.Value, segs []string, v any, done []string) error {
	if len(segs) == 0 {
		return d.assign(rv, v, done)
	}
	t := rv.Type()
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		if !rv.IsNil() {
			elem.Elem().Set(rv.Elem())
		}
		if err := d.setPath(elem.Elem(), segs, v, done); err != nil {
			return err
		}
		rv.Set(elem)
		return nil
	case reflect.Struct:
		if t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			break
		}
		names, index := tomlFields(t)
		idx, ok := index[segs[0]]
		sub := append(clonePath(done), segs[0])
		if !ok {
			return unknownKey(sub, segs[0], names)
		}
		return d.setPath(fieldByIndex(rv, idx), segs[1:], v, sub)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		out := cloneMap(rv)
		key := reflect.ValueOf(segs[0]).Convert(t.Key())
		elem := reflect.New(t.Elem()).Elem()
		if old := out.MapIndex(key); old.IsValid() {
			elem.Set(old)
		}
		if err := d.setPath(elem, segs[1:], v, append(clonePath(done), segs[0])); err != nil {
			return err
		}
		out.SetMapIndex(key, elem)
		rv.Set(out)
		return nil
	case reflect.Slice, reflect.Array:
		return &fieldError{Path: clonePath(done), Msg: fmt.Sprintf("is a list, and a parameter cannot reach into one: sweep the whole list, as in values = [[1, 2], [3, 4]]")}
	}
	return &fieldError{Path: clonePath(done), Unknown: true, Msg: fmt.Sprintf("is a single value with no key %q inside it", segs[0])}
}

// unknownKey is the error for a key that names no config field.
func unknownKey(path []string, key string, known []string) error {
	msg := "unknown key" + registry.DidYouMean(key, known)
	if len(known) > 0 {
		msg += " (known here: " + strings.Join(known, ", ") + ")"
	} else {
		msg += " (this table has no keys)"
	}
	return &fieldError{Path: clonePath(path), Msg: msg, Unknown: true}
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
		return fmt.Sprintf("got the string %q", x)
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
// exponent.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnI") {
		s += ".0"
	}
	return s
}

func clonePath(p []string) []string { return append([]string(nil), p...) }
