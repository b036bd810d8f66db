package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeShortFileIsAnError checks that every file shorter than the
// 8-byte header length, not only an empty one, is an error that says so,
// never a panic reading the length.
func TestDecodeShortFileIsAnError(t *testing.T) {
	for n := 0; n < 8; n++ {
		_, err := Decode("short.safetensors", make([]byte, n))
		if err == nil || !strings.Contains(err.Error(), "shorter than the 8-byte header length") {
			t.Errorf("%d bytes: error %v, want one saying the file is shorter than the header length", n, err)
		}
	}
}

// TestOneMetadataEntryRoundTrips checks that metadata of a single entry
// is written and read back, not only metadata of several.
func TestOneMetadataEntryRoundTrips(t *testing.T) {
	f := &File{
		Tensors:  map[string]Tensor{"w": {DType: F32, Shape: []int{1}, F32: []float32{1.5}}},
		Metadata: map[string]string{"format": "pt"},
	}
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode("m.safetensors", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metadata, f.Metadata) {
		t.Errorf("metadata %v, want %v", got.Metadata, f.Metadata)
	}
}

// TestEncodeRefusesWhatDecodeRefuses checks that Encode refuses an empty
// tensor name and a shape with negative sizes, even ones whose product
// matches the elements given, rather than write a file that Decode (and
// PyTorch) would refuse.
func TestEncodeRefusesWhatDecodeRefuses(t *testing.T) {
	for _, c := range []struct {
		what string
		name string
		t    Tensor
		want string
	}{
		{"empty name", "", Tensor{DType: F32, Shape: []int{1}, F32: []float32{1}}, "may not be named"},
		{"two negative sizes", "w", Tensor{DType: F32, Shape: []int{-1, -1}, F32: []float32{1}}, "negative size"},
		{"a negative size", "w", Tensor{DType: F64, Shape: []int{-1}, F64: []float64{}}, "negative size"},
	} {
		_, err := Encode(&File{Tensors: map[string]Tensor{c.name: c.t}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.what, err, c.want)
		}
	}
}

// TestDecodeRefusesMoreHeaderFaults checks faults TestBadFiles leaves
// out: an empty tensor name, and data offsets holding more bytes than the
// shape (which would otherwise decode into more elements than the shape
// says).
func TestDecodeRefusesMoreHeaderFaults(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty name", craft(`{"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 4), "empty name"},
		{"offsets longer than the shape", craft(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}`, 8), "4 bytes, but data offsets [0, 8]"},
		{"F64 read as F32's width", craft(`{"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}`, 8), "16 bytes, but data offsets [0, 8]"},
	} {
		f, err := Decode("x.safetensors", c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			var got any
			if f != nil {
				got = f.Tensors
			}
			t.Errorf("%s: error %v (tensors %v), want one saying %q", c.name, err, got, c.want)
		}
	}
}

// TestEmptyTensorSharingAnOffset checks that a zero-length tensor whose
// offsets [b, b] start where another tensor starts is read every time,
// whatever order the header's map gives the two: the writer lays out
// sample's "empty" at the offset of "step", so a tiling check that
// ordered the two by start alone would refuse such files at random.
func TestEmptyTensorSharingAnOffset(t *testing.T) {
	b := craft(`{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "c": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}}`, 4)
	for i := 0; i < 64; i++ {
		f, err := Decode("x.safetensors", b)
		if err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
		if len(f.Tensors) != 3 || len(f.Tensors["b"].F32) != 1 || len(f.Tensors["a"].F32) != 0 {
			t.Fatalf("try %d: tensors %v", i, f.Tensors)
		}
	}
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 64; i++ {
		if _, err := Decode("sample.safetensors", good); err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
	}
}

// TestFloatConversions checks Float32s and Float64s: the tensor's own
// dtype as it is, the other one converted element by element.
func TestFloatConversions(t *testing.T) {
	f32 := Tensor{DType: F32, Shape: []int{3}, F32: []float32{1.5, -2, float32(math.Inf(1))}}
	f64 := Tensor{DType: F64, Shape: []int{3}, F64: []float64{0.1, -1e300, 3}}
	if got := f32.Float32s(); !reflect.DeepEqual(got, f32.F32) {
		t.Errorf("F32's Float32s = %v, want %v", got, f32.F32)
	}
	if got, want := f32.Float64s(), []float64{1.5, -2, math.Inf(1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("F32's Float64s = %v, want %v", got, want)
	}
	if got := f64.Float64s(); !reflect.DeepEqual(got, f64.F64) {
		t.Errorf("F64's Float64s = %v, want %v", got, f64.F64)
	}
	if got, want := f64.Float32s(), []float32{float32(0.1), float32(math.Inf(-1)), 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("F64's Float32s = %v, want %v", got, want)
	}
}

// TestEncodeLaysTensorsOutByName checks the layout the package promises:
// the tensors' data in the order of their names, each starting where the
// one before it ends.
func TestEncodeLaysTensorsOutByName(t *testing.T) {
	f := &File{Tensors: map[string]Tensor{
		"c": {DType: F32, Shape: []int{1}, F32: []float32{3}},
		"a": {DType: F64, Shape: []int{1}, F64: []float64{1}},
		"b": {DType: F32, Shape: []int{2}, F32: []float32{2, 2}},
	}}
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	var header map[string]struct {
		Offsets [2]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{"a": {0, 8}, "b": {8, 16}, "c": {16, 20}}
	for name, off := range want {
		if got := header[name].Offsets; got != off {
			t.Errorf("%s: data offsets %v, want %v", name, got, off)
		}
	}
}

// TestEmptyTensorOfAnyShapeRoundTrips checks that a tensor of no
// elements reads back whatever its shape: a zero after positive sizes
// ([2, 0]) as well as before them ([0, 2]). Encode writes both. (The
// overflow guard once met the positive sizes before the zero and refused
// [2, 0] in a file of fewer than 2 data bytes.)
func TestEmptyTensorOfAnyShapeRoundTrips(t *testing.T) {
	for _, shape := range [][]int{{0, 2}, {2, 0}, {8, 0, 3}} {
		f := &File{Tensors: map[string]Tensor{"e": {DType: F32, Shape: shape, F32: []float32{}}}}
		b, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode("e.safetensors", b)
		if err != nil {
			t.Errorf("shape %v: %v", shape, err)
			continue
		}
		if g := got.Tensors["e"]; !reflect.DeepEqual(g.Shape, shape) || len(g.F32) != 0 {
			t.Errorf("shape %v: read back %v with %d elements", shape, g.Shape, len(g.F32))
		}
	}
}

// TestEncodeWritesWhatDecodeReads checks that an empty tensor whose zero
// follows a dimension too large for a file ([2^62, 0]) is written back as
// Decode read it: both take a zero anywhere as no elements. (Encode's
// overflow guard once met the large size before the zero and refused a
// tensor that Decode had just read, the fault Decode's shapeElems fixed.)
func TestEncodeWritesWhatDecodeReads(t *testing.T) {
	for _, shape := range []string{"[4611686018427387904, 0]", "[4611686018427387904, 4, 0]", "[0, 4611686018427387904, 4611686018427387904]"} {
		f, err := Decode("x.safetensors", craft(`{"e": {"dtype": "F32", "shape": `+shape+`, "data_offsets": [0, 0]}}`, 0))
		if err != nil {
			t.Errorf("shape %s: %v", shape, err)
			continue
		}
		if _, err := Encode(f); err != nil {
			t.Errorf("shape %s: Decode reads it, but Encode refuses it: %v", shape, err)
		}
	}
	for _, shape := range [][]int{{-1, 0}, {0, -1}} {
		if _, err := Encode(&File{Tensors: map[string]Tensor{"e": {DType: F32, Shape: shape, F32: []float32{}}}}); err == nil {
			t.Errorf("shape %v: Encode takes a negative size beside a zero", shape)
		}
	}
}
