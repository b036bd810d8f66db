// Package safetensors writes and reads the safetensors format of Hugging
// Face (https://github.com/huggingface/safetensors), which PyTorch reads
// with safetensors.torch.load_file: an 8-byte little-endian header length
// N, N bytes of JSON header, then the tensors' bytes. The header maps each
// tensor's name to {"dtype", "shape", "data_offsets": [begin, end]}, the
// offsets counted from the first byte after the header, and may hold
// "__metadata__", a map of strings to strings.
//
// Only what a kept encoder needs is supported: little-endian float32
// ("F32", the weights) and float64 ("F64", batch norm's running
// statistics, kept exactly as the training held them). The writer lays the
// tensors out by name with no gaps and pads the header with spaces to a
// multiple of 8 bytes, as the reference implementation does; the reader
// holds a file to the same rules (no gaps or overlaps, the last tensor
// ending at the end of the file), so that what it accepts PyTorch reads.
package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
)

// The dtypes a tensor can have.
const (
	F32 = "F32"
	F64 = "F64"
)

// metadataKey is the header's entry for the file's metadata.
const metadataKey = "__metadata__"

// maxHeader bounds the header's length (100 MB, the reference
// implementation's limit), so that a corrupt length is refused rather than
// allocated.
const maxHeader = 100 << 20

// Tensor is one named array: its shape and, as its dtype says, F32 or F64
// holds its elements in row-major order.
type Tensor struct {
	DType string
	Shape []int
	F32   []float32
	F64   []float64
}

// Float32s returns t's elements as float32: F32's as they are, F64's
// rounded.
func (t Tensor) Float32s() []float32 {
	if t.DType == F32 {
		return t.F32
	}
	return convert[float32](t.F64)
}

// Float64s returns t's elements as float64: F64's as they are, F32's
// widened.
func (t Tensor) Float64s() []float64 {
	if t.DType == F64 {
		return t.F64
	}
	return convert[float64](t.F32)
}

// convert returns v's elements converted to To.
func convert[To, From float32 | float64](v []From) []To {
	out := make([]To, len(v))
	for i, x := range v {
		out[i] = To(x)
	}
	return out
}

// Len returns the number of elements the shape holds.
func (t Tensor) Len() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// width returns the size of an element of dtype in bytes, 0 for a dtype
// this package does not support.
func width(dtype string) int {
	switch dtype {
	case F32:
		return 4
	case F64:
		return 8
	}
	return 0
}

// File is what a safetensors file holds: its tensors by name and its
// metadata.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// headerEntry is a tensor's entry in the JSON header.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Encode returns the file's bytes: the tensors in the order of their names,
// with no gaps between them. A tensor whose dtype is not F32 or F64, or
// whose elements do not match its shape, is an error naming it.
func Encode(f *File) ([]byte, error) {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(f.Metadata) > 0 {
		header[metadataKey] = f.Metadata
	}
	var data bytes.Buffer
	for _, name := range names {
		t := f.Tensors[name]
		if name == metadataKey || name == "" {
			return nil, fmt.Errorf("safetensors: a tensor may not be named %q", name)
		}
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		begin := int64(data.Len())
		if t.DType == F32 {
			binary.Write(&data, binary.LittleEndian, t.F32)
		} else {
			binary.Write(&data, binary.LittleEndian, t.F64)
		}
		header[name] = headerEntry{DType: t.DType, Shape: append([]int{}, t.Shape...), DataOffsets: [2]int64{begin, int64(data.Len())}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if pad := len(h) % 8; pad != 0 {
		h = append(h, bytes.Repeat([]byte{' '}, 8-pad)...)
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(h)+data.Len()), uint64(len(h)))
	out = append(out, h...)
	return append(out, data.Bytes()...), nil
}

// check reports a tensor whose dtype is not supported or whose elements
// do not match its shape.
func (t Tensor) check() error {
	if width(t.DType) == 0 {
		return fmt.Errorf("dtype %q: only %s and %s are supported", t.DType, F32, F64)
	}
	// By Decode's rule (shapeElems), so that Encode writes what Decode reads.
	if _, err := shapeElems(t.Shape, math.MaxInt/8); errors.Is(err, errTooMany) {
		return fmt.Errorf("shape %v holds more elements than a file can", t.Shape)
	} else if err != nil {
		return fmt.Errorf("shape %v has a negative size", t.Shape)
	}
	n := len(t.F32)
	if t.DType == F64 {
		n = len(t.F64)
	}
	if n != t.Len() || (t.DType == F32 && t.F64 != nil) || (t.DType == F64 && t.F32 != nil) {
		return fmt.Errorf("%d %s elements for shape %v", n, t.DType, t.Shape)
	}
	return nil
}

// Read reads and decodes the safetensors file at path.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, b)
}

// Decode decodes the bytes b of a safetensors file; file names it in
// errors, each one line: "<file>: not a safetensors file: ...".
func Decode(file string, b []byte) (*File, error) {
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not a safetensors file: %w", file, err)
	}
	return f, nil
}

// decode is Decode without the file's name in its errors.
func decode(b []byte) (*File, error) {
	f, entries, n, err := header(b, int64(len(b)))
	if err != nil {
		return nil, err
	}
	data := b[8+n:]
	for name, e := range entries {
		f.Tensors[name] = readTensor(e, data[e.DataOffsets[0]:e.DataOffsets[1]])
	}
	return f, nil
}

// header decodes and checks the header at the start of b, the first bytes
// of a file of size bytes, and returns the file's metadata, its tensor
// entries and the header's length.
func header(b []byte, size int64) (f *File, entries map[string]headerEntry, n uint64, err error) {
	if len(b) < 8 {
		return nil, nil, 0, fmt.Errorf("%d bytes, shorter than the 8-byte header length (truncated?)", size)
	}
	n = binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, 0, fmt.Errorf("a header of %d bytes in a file of %d (truncated?)", n, size)
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, 0, fmt.Errorf("its header is not a JSON object: %s", oneLine(err.Error()))
	}
	f = &File{Tensors: map[string]Tensor{}}
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &f.Metadata); err != nil {
			return nil, nil, 0, fmt.Errorf("%s is not a map of strings to strings", metadataKey)
		}
		delete(raw, metadataKey)
	}
	entries, err = headerEntries(raw, uint64(size)-8-n)
	return f, entries, n, err
}

// ReadHeader reads the header of the safetensors file at path and checks
// it against the file's size as Read does, without reading the tensors:
// the File's tensors have their dtype and shape but no elements.
func ReadHeader(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	var length [8]byte
	k, _ := io.ReadFull(fh, length[:])
	b := length[:k]
	if k == 8 {
		if n := binary.LittleEndian.Uint64(b); n <= maxHeader && n <= uint64(st.Size()-8) {
			b = append(b, make([]byte, n)...)
			if _, err := io.ReadFull(fh, b[8:]); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	f, entries, _, err := header(b, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a safetensors file: %w", path, err)
	}
	for name, e := range entries {
		f.Tensors[name] = Tensor{DType: e.DType, Shape: append([]int{}, e.Shape...)}
	}
	return f, nil
}

// headerEntries decodes the header's tensor entries and checks each
// against the size of the data that follows the header: a supported dtype,
// a shape whose bytes its offsets hold, and offsets that tile the data.
func headerEntries(raw map[string]json.RawMessage, size uint64) (map[string]headerEntry, error) {
	entries := make(map[string]headerEntry, len(raw))
	// In the order of the names, so that a file with several bad
	// entries gets the same error each time.
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		r := raw[name]
		if name == "" {
			return nil, fmt.Errorf("a tensor has an empty name")
		}
		var e headerEntry
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("tensor %q: its entry is not {dtype, shape, data_offsets}: %s", name, oneLine(err.Error()))
		}
		if err := entryComplete(r); err != nil {
			return nil, fmt.Errorf("tensor %q: its entry is not {dtype, shape, data_offsets}: %w", name, err)
		}
		w := width(e.DType)
		if w == 0 {
			return nil, fmt.Errorf("tensor %q has dtype %q; only %s and %s are supported (convert it with tensor.float())", name, e.DType, F32, F64)
		}
		elems, err := shapeElems(e.Shape, size)
		if errors.Is(err, errTooMany) {
			return nil, fmt.Errorf("tensor %q has shape %v, more than the file holds", name, e.Shape)
		} else if err != nil {
			return nil, fmt.Errorf("tensor %q has shape %v, a negative dimension", name, e.Shape)
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || uint64(end) > size {
			return nil, fmt.Errorf("tensor %q has data offsets [%d, %d], past the %d bytes of data (truncated?)", name, begin, end, size)
		}
		if uint64(end-begin) != elems*uint64(w) {
			return nil, fmt.Errorf("tensor %q has shape %v of %s, %d bytes, but data offsets [%d, %d]", name, e.Shape, e.DType, elems*uint64(w), begin, end)
		}
		entries[name] = e
	}
	return entries, checkTiling(entries, size)
}

// entryComplete reports an entry, raw, that lacks one of its three keys,
// gives one as null, or has data_offsets of other than two numbers, which
// decoding into a headerEntry lets through as a zero value (a missing shape
// would read as a scalar) or by dropping the extra offsets.
func entryComplete(raw json.RawMessage) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return err
	}
	for _, k := range []string{"dtype", "shape", "data_offsets"} {
		if v, ok := keys[k]; !ok || string(v) == "null" {
			return fmt.Errorf("%s is missing", k)
		}
	}
	var offsets []json.RawMessage
	if err := json.Unmarshal(keys["data_offsets"], &offsets); err != nil || len(offsets) != 2 {
		return fmt.Errorf("data_offsets is %s, not [begin, end]", oneLine(string(keys["data_offsets"])))
	}
	return nil
}

// errTooMany and errNegative are shapeElems' errors, which its callers
// word for their readers.
var (
	errTooMany  = errors.New("more elements than the limit")
	errNegative = errors.New("a negative size")
)

// shapeElems returns the number of elements of shape: errNegative where a
// size is negative, and errTooMany where, with no size zero, the count
// exceeds limit (checked as it grows, so that the product never
// overflows). A zero anywhere makes the tensor empty whatever the other
// sizes: [2, 0] holds no element, as [0, 2] does. Decode's limit is the
// file's data bytes, Encode's the most a file can hold.
func shapeElems(shape []int, limit uint64) (uint64, error) {
	if slices.ContainsFunc(shape, func(s int) bool { return s < 0 }) {
		return 0, errNegative
	}
	if slices.Contains(shape, 0) {
		return 0, nil
	}
	elems := uint64(1)
	for _, s := range shape {
		if elems > limit/uint64(s) {
			return 0, errTooMany
		}
		elems *= uint64(s)
	}
	return elems, nil
}

// checkTiling reports offsets that leave a gap between tensors, overlap,
// or end before the data does, which the reference reader refuses too.
func checkTiling(entries map[string]headerEntry, size uint64) error {
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		ea, eb := entries[a].DataOffsets, entries[b].DataOffsets
		return cmp.Or(cmp.Compare(ea[0], eb[0]), cmp.Compare(ea[1], eb[1]))
	})
	var at int64
	for _, name := range names {
		off := entries[name].DataOffsets
		if off[0] != at {
			return fmt.Errorf("tensor %q starts at byte %d of the data, not %d where the one before it ends", name, off[0], at)
		}
		at = off[1]
	}
	if uint64(at) != size {
		return fmt.Errorf("its tensors end at byte %d of the data, but it has %d", at, size)
	}
	return nil
}

// readTensor decodes the little-endian bytes b of an entry checked by
// headerEntries.
func readTensor(e headerEntry, b []byte) Tensor {
	t := Tensor{DType: e.DType, Shape: e.Shape}
	if t.Shape == nil {
		t.Shape = []int{}
	}
	if e.DType == F32 {
		t.F32 = make([]float32, len(b)/4)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return t
	}
	t.F64 = make([]float64, len(b)/8)
	for i := range t.F64 {
		t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return t
}

// oneLine joins the lines of a message.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
