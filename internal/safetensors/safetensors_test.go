package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// sample is a file with a matrix, a vector, a float64 vector, a scalar and
// an empty tensor, holding values whose bits a lossy round trip would
// change (a NaN payload, -0, a subnormal).
func sample() *File {
	return &File{
		Tensors: map[string]Tensor{
			"conv1.weight":    {DType: F32, Shape: []int{2, 3}, F32: []float32{1, -2.5, math.Float32frombits(0x7fc00123), float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, 3e38}},
			"conv1.bias":      {DType: F32, Shape: []int{2}, F32: []float32{0.1, -0.2}},
			"bn.running_mean": {DType: F64, Shape: []int{3}, F64: []float64{0.1, 1e-300, -7}},
			"step":            {DType: F32, Shape: []int{}, F32: []float32{42}},
			"empty":           {DType: F32, Shape: []int{0, 4}, F32: []float32{}},
		},
		Metadata: map[string]string{"run_id": "s0_abc", "format": "pt"},
	}
}

// TestRoundTrip checks that Decode gives back every tensor bit for bit,
// with its shape, dtype and the metadata.
func TestRoundTrip(t *testing.T) {
	f := sample()
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metadata, f.Metadata) {
		t.Errorf("metadata %v, want %v", got.Metadata, f.Metadata)
	}
	if len(got.Tensors) != len(f.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(f.Tensors))
	}
	for name, want := range f.Tensors {
		g := got.Tensors[name]
		if g.DType != want.DType || !reflect.DeepEqual(g.Shape, want.Shape) || len(g.F32) != len(want.F32) || len(g.F64) != len(want.F64) {
			t.Fatalf("%s: got %s %v (%d, %d elements), want %s %v", name, g.DType, g.Shape, len(g.F32), len(g.F64), want.DType, want.Shape)
		}
		for i := range want.F32 {
			if math.Float32bits(g.F32[i]) != math.Float32bits(want.F32[i]) {
				t.Errorf("%s[%d] = %#x, want %#x", name, i, math.Float32bits(g.F32[i]), math.Float32bits(want.F32[i]))
			}
		}
		for i := range want.F64 {
			if math.Float64bits(g.F64[i]) != math.Float64bits(want.F64[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.F64[i], want.F64[i])
			}
		}
	}
	again, err := Encode(got)
	if err != nil || string(again) != string(b) {
		t.Errorf("encoding the decoded file gives other bytes (err %v)", err)
	}
}

// TestLayout reads an encoded file with a decoder written here from the
// format's description alone: the header length, a space-padded JSON
// header whose length is a multiple of 8, string metadata, and each
// tensor's little-endian bytes at its offsets from the end of the header.
func TestLayout(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n%8 != 0 || b[8] != '{' {
		t.Fatalf("header of %d bytes starting %q; want a multiple of 8 starting with '{'", n, b[8])
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil || meta["run_id"] != "s0_abc" {
		t.Errorf("__metadata__ = %s (%v), want the run id", header["__metadata__"], err)
	}
	var w struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(header["conv1.weight"], &w); err != nil {
		t.Fatal(err)
	}
	if w.DType != "F32" || !reflect.DeepEqual(w.Shape, []int{2, 3}) || w.Offsets[1]-w.Offsets[0] != 24 {
		t.Fatalf("conv1.weight's entry %+v, want F32 [2 3] of 24 bytes", w)
	}
	data := b[8+n:]
	if got := math.Float32frombits(binary.LittleEndian.Uint32(data[w.Offsets[0]+4:])); got != -2.5 {
		t.Errorf("conv1.weight[0][1] = %v, want -2.5", got)
	}
	if err := json.Unmarshal(header["bn.running_mean"], &w); err != nil {
		t.Fatal(err)
	}
	if got := math.Float64frombits(binary.LittleEndian.Uint64(data[w.Offsets[0]+16:])); w.DType != "F64" || got != -7 {
		t.Errorf("bn.running_mean: %s, [2] = %v; want F64, -7", w.DType, got)
	}
}

// craft returns a file of the given header text followed by data bytes.
func craft(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, data)...)
}

// TestBadFiles checks that each kind of broken file is a one-line error
// naming the file and saying what is wrong.
func TestBadFiles(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header length"},
		{"truncated data", good[:len(good)-3], "truncated?"},
		{"truncated header", good[:20], "truncated?"},
		{"bad header", craft(`{"a": [1, 2`, 0), "header is not a JSON object"},
		{"header not an object", craft(`[1, 2, 3]`, 0), "header is not a JSON object"},
		{"bad metadata", craft(`{"__metadata__": {"a": 1}}`, 0), "__metadata__ is not a map"},
		{"offset past the end", craft(`{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, 4), `tensor "w" has data offsets [0, 8], past the 4 bytes`},
		{"other dtype", craft(`{"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}`, 4), `tensor "w" has dtype "F16"`},
		{"shape and offsets disagree", craft(`{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}`, 8), "12 bytes, but data offsets [0, 8]"},
		{"gap", craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, 8), "starts at byte 4"},
		{"trailing bytes", craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 8), "end at byte 4 of the data, but it has 8"},
		{"huge shape", craft(`{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}`, 4), "more than the file holds"},
		{"overlap", craft(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, 8), `tensor "b" starts at byte 4 of the data, not 8`},
		// Two negative sizes multiply to 1 in uint64: refused by sign,
		// not by the byte count.
		{"negative shape", craft(`{"w": {"dtype": "F32", "shape": [-1, -1], "data_offsets": [0, 4]}}`, 4), "a negative dimension"},
		{"unknown field", craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}`, 4), "not {dtype, shape, data_offsets}"},
		{"no shape", craft(`{"w": {"dtype": "F32", "data_offsets": [0, 4]}}`, 4), "shape is missing"},
		{"null shape", craft(`{"w": {"dtype": "F32", "shape": null, "data_offsets": [0, 4]}}`, 4), "shape is missing"},
		{"no offsets", craft(`{"w": {"dtype": "F32", "shape": [0]}}`, 0), "data_offsets is missing"},
		{"three offsets", craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}`, 4), "data_offsets is [0, 4, 8], not [begin, end]"},
		{"one offset", craft(`{"w": {"dtype": "F32", "shape": [0], "data_offsets": [0]}}`, 0), "data_offsets is [0], not [begin, end]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("runs/x/encoder.safetensors", c.b)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "runs/x/encoder.safetensors: ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming the file and saying %q", msg, c.want)
			}
		})
	}
}

// TestEncodeRefuses checks that a tensor the format cannot hold as given is
// an error naming it.
func TestEncodeRefuses(t *testing.T) {
	for name, tn := range map[string]Tensor{
		"bf16":     {DType: "BF16", Shape: []int{1}},
		"short":    {DType: F32, Shape: []int{2, 2}, F32: []float32{1, 2, 3}},
		"mixed":    {DType: F64, Shape: []int{1}, F64: []float64{1}, F32: []float32{1}},
		"mixed32":  {DType: F32, Shape: []int{1}, F32: []float32{1}, F64: []float64{1}},
		"negative": {DType: F32, Shape: []int{-1}},
		// Len wraps to 0, which the empty F32 matches: the guard must
		// catch it. (A zero anywhere is an empty tensor, written as read.)
		"overflow": {DType: F32, Shape: []int{1 << 32, 1 << 32}},
	} {
		_, err := Encode(&File{Tensors: map[string]Tensor{name: tn}})
		if err == nil || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("%s: error %v, want one naming the tensor", name, err)
		}
	}
}

// FuzzDecode checks that no input makes Decode panic, and that what it
// accepts encodes and decodes to the same tensors.
func FuzzDecode(f *testing.F) {
	good, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 4))
	f.Add(craft(`{}`, 0))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode("fuzz", b)
		if err != nil {
			return
		}
		again, err := Encode(got)
		if err != nil {
			t.Fatalf("a decoded file does not encode: %v", err)
		}
		back, err := Decode("fuzz", again)
		if err != nil || len(back.Tensors) != len(got.Tensors) {
			t.Fatalf("re-encoded file: %v", err)
		}
		// Every element's bits and the metadata survive: encoding what
		// the re-encoded file decodes to gives its bytes again.
		if third, err := Encode(back); err != nil || !bytes.Equal(third, again) {
			t.Fatalf("a decoded file does not re-encode to the same bytes: %v", err)
		}
	})
}

// TestReadHeader checks that ReadHeader gives each tensor's dtype and
// shape and the metadata without the elements, and refuses a truncated
// file, naming it, as Read does.
func TestReadHeader(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	w := f.Tensors["conv1.weight"]
	if w.DType != F32 || !reflect.DeepEqual(w.Shape, []int{2, 3}) || w.F32 != nil || f.Metadata["run_id"] != "s0_abc" || len(f.Tensors) != 5 {
		t.Errorf("header %+v", f)
	}
	for _, cut := range []int{len(b) - 1, 30, 5} {
		short := filepath.Join(dir, "short.safetensors")
		if err := os.WriteFile(short, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadHeader(short); err == nil || !strings.HasPrefix(err.Error(), short+": not a safetensors file: ") || !strings.Contains(err.Error(), "truncated?") {
			t.Errorf("cut at %d: error %v, want one naming the file and saying it is truncated", cut, err)
		}
	}
}

// TestBadFileErrorIsTheSameEachTime checks that a file with several bad
// entries, as a truncated one has, gets the same error on every read:
// the first bad tensor by name, not one chosen by a map's order.
func TestBadFileErrorIsTheSameEachTime(t *testing.T) {
	b := craft(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "c": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}, "d": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}`, 2)
	_, first := Decode("x", b)
	if first == nil || !strings.Contains(first.Error(), `tensor "a"`) {
		t.Fatalf("error %v, want one naming tensor \"a\", the first by name", first)
	}
	for range 50 {
		if _, err := Decode("x", b); err == nil || err.Error() != first.Error() {
			t.Fatalf("errors differ between reads of one file:\n%v\n%v", first, err)
		}
	}
}

// TestHeaderPadding checks that the header is padded with spaces to a
// multiple of 8 bytes whatever its JSON's length, as the reference writer
// does, so that the data after it is 8-byte aligned.
func TestHeaderPadding(t *testing.T) {
	for k := range 16 {
		f := &File{Tensors: map[string]Tensor{"w": {DType: F64, Shape: []int{1}, F64: []float64{1}}}, Metadata: map[string]string{"m": strings.Repeat("x", k)}}
		b, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(b[:8])
		h := string(b[8 : 8+n])
		if n%8 != 0 || strings.TrimRight(h, " ") != strings.TrimSpace(h) || !strings.HasSuffix(strings.TrimRight(h, " "), "}") || len(h)-len(strings.TrimRight(h, " ")) >= 8 {
			t.Errorf("metadata of %d bytes: header %q of %d bytes, want JSON padded with fewer than 8 spaces to a multiple of 8", k, h, n)
		}
	}
}

// TestHeaderLengthOverLimit checks that a header length over the 100 MB
// limit is refused as such by ReadHeader, without allocating that many bytes,
// even where the file is long enough to hold it.
func TestHeaderLengthOverLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.safetensors")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write(binary.LittleEndian.AppendUint64(nil, maxHeader+8))
	// A sparse file longer than the header it claims.
	if err := fh.Truncate(maxHeader + 64); err != nil {
		t.Skip(err)
	}
	fh.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = ReadHeader(path)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("ReadHeader allocated %d bytes for a header length over the limit", alloc)
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("a header of %d bytes", maxHeader+8)) {
		t.Errorf("error %v, want one refusing a header of %d bytes", err, maxHeader+8)
	}
}
