package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes returns an IDX file of unsigned bytes with the given dimensions
// and data.
func idxBytes(dims []int, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

func writeFile(t *testing.T, path string, data []byte, gz bool) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		w.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mnistPixel is the value of pixel (y, x) of test image i: distinct across
// images, rows and columns, so a misplaced pixel shows.
func mnistPixel(i, y, x int) byte { return byte((i*97 + y*28 + x + 1) % 256) }

func mnistImages(n int) []byte {
	out := make([]byte, 0, n*28*28)
	for i := range n {
		for y := range 28 {
			for x := range 28 {
				out = append(out, mnistPixel(i, y, x))
			}
		}
	}
	return out
}

// writeMNIST writes a 3-image train split and a 2-image test split.
func writeMNIST(t *testing.T, dir string, gz bool) {
	t.Helper()
	suffix := ""
	if gz {
		suffix = ".gz"
	}
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"+suffix), idxBytes([]int{3, 28, 28}, mnistImages(3)), gz)
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"+suffix), idxBytes([]int{3}, []byte{5, 0, 9}), gz)
	writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte"+suffix), idxBytes([]int{2, 28, 28}, mnistImages(2)), gz)
	writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"+suffix), idxBytes([]int{2}, []byte{7, 2}), gz)
}

func TestMNISTFromPathPadsAndScales(t *testing.T) {
	for _, gz := range []bool{true, false} {
		dir := t.TempDir()
		writeMNIST(t, dir, gz)
		train, test, err := Load("mnist", Options{Path: dir})
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if train.N != 3 || test.N != 2 || train.C != 1 || train.H != 32 || train.W != 32 || train.Classes != 10 {
			t.Fatalf("gz=%v: shapes train %d test %d, C=%d H=%d W=%d classes %d", gz, train.N, test.N, train.C, train.H, train.W, train.Classes)
		}
		if got := train.Labels; got[0] != 5 || got[1] != 0 || got[2] != 9 {
			t.Errorf("gz=%v: train labels %v, want [5 0 9]", gz, got)
		}
		if got := test.Labels; got[0] != 7 || got[1] != 2 {
			t.Errorf("gz=%v: test labels %v, want [7 2]", gz, got)
		}
		if train.Name != "mnist" || train.Split != "train" || test.Split != "test" {
			t.Errorf("names %q %q %q", train.Name, train.Split, test.Split)
		}
		for i := range 3 {
			img := train.Image(i)
			for y := range 32 {
				for x := range 32 {
					got := img[y*32+x]
					want := float32(0)
					if y >= 2 && y < 30 && x >= 2 && x < 30 {
						want = float32(mnistPixel(i, y-2, x-2)) / 255
					}
					if got != want {
						t.Fatalf("gz=%v: image %d pixel (%d,%d) = %v, want %v", gz, i, y, x, got, want)
					}
				}
			}
		}
	}
}

func TestMNISTFileErrorsNameTheFile(t *testing.T) {
	full := idxBytes([]int{3, 28, 28}, mnistImages(3))
	cases := []struct {
		name  string
		data  []byte
		gz    bool
		wants []string
	}{
		{"truncated", full[:len(full)-100], false, []string{"truncated", "3 images", "2 of them"}},
		{"truncated gz", full[:len(full)-100], true, []string{"truncated", "3 images"}},
		{"extra bytes", append(append([]byte(nil), full...), 1, 2, 3), false, []string{"3 bytes more"}},
		{"labels magic", idxBytes([]int{3}, []byte{1, 2, 3}), false, []string{"magic number 0x00000801, want 0x00000803"}},
		{"wrong size", idxBytes([]int{1, 27, 28}, make([]byte, 27*28)), false, []string{"27x28", "28x28"}},
		{"short header", []byte{0, 0, 8}, false, []string{"too short"}},
	}
	for _, c := range cases {
		dir := t.TempDir()
		writeMNIST(t, dir, false)
		path := filepath.Join(dir, "train-images-idx3-ubyte")
		if c.gz {
			os.Remove(path)
			path += ".gz"
		}
		writeFile(t, path, c.data, c.gz)
		_, _, err := Load("mnist", Options{Path: dir})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range append(c.wants, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestMNISTCutGzipIsTruncated(t *testing.T) {
	full := idxBytes([]int{3, 28, 28}, mnistImages(3))
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(full)
	w.Close()
	gz := b.Bytes()
	// Cut inside the compressed data, and inside the 8-byte trailer.
	for _, cut := range []int{len(gz) / 2, len(gz) - 4} {
		dir := t.TempDir()
		writeMNIST(t, dir, true)
		path := filepath.Join(dir, "train-images-idx3-ubyte.gz")
		writeFile(t, path, gz[:cut], false)
		_, _, err := Load("mnist", Options{Path: dir})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("gzip cut at %d of %d bytes: %v", cut, len(gz), err)
		}
	}
}

func TestMNISTLabelErrors(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, false)
	labels := filepath.Join(dir, "train-labels-idx1-ubyte")

	writeFile(t, labels, idxBytes([]int{2}, []byte{1, 2}), false)
	_, _, err := Load("mnist", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "3 images") || !strings.Contains(err.Error(), "2 labels") {
		t.Errorf("count mismatch: %v", err)
	}

	writeFile(t, labels, idxBytes([]int{3}, []byte{1, 10, 2}), false)
	_, _, err = Load("mnist", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), labels) || !strings.Contains(err.Error(), "label 1 is 10") {
		t.Errorf("label out of range: %v", err)
	}

	os.Remove(labels)
	_, _, err = Load("mnist", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "train-labels-idx1-ubyte") || !strings.Contains(err.Error(), dir) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFashionMNISTNeedsAPath(t *testing.T) {
	_, _, err := Load("fashion-mnist", Options{})
	if err == nil || !strings.Contains(err.Error(), "data_path") {
		t.Errorf("fashion-mnist without a path: %v", err)
	}
	dir := t.TempDir()
	writeMNIST(t, dir, true)
	train, _, err := Load("fashion-mnist", Options{Path: dir})
	if err != nil || train.Name != "fashion-mnist" || train.N != 3 {
		t.Errorf("fashion-mnist from a path: %v", err)
	}
}

// TestEmbeddedMNIST loads the embedded MNIST files, the default source of
// mnist, and checks what every copy of MNIST must hold.
func TestEmbeddedMNIST(t *testing.T) {
	train, test, err := Load("mnist", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 {
		t.Fatalf("sizes %d/%d, want 60000/10000", train.N, test.N)
	}
	if n, m, ok := EmbeddedSizes("mnist", ""); !ok || n != train.N || m != test.N {
		t.Errorf("EmbeddedSizes gives %d/%d (%v), the files hold %d/%d", n, m, ok, train.N, test.N)
	}
	if _, _, ok := EmbeddedSizes("mnist", t.TempDir()); ok {
		t.Errorf("EmbeddedSizes knows the size of a folder's files before reading them")
	}
	if train.C != 1 || train.H != 32 || train.W != 32 {
		t.Fatalf("shape %dx%dx%d, want 1x32x32", train.C, train.H, train.W)
	}
	if got := setDigest(train); got != mnistTrainDigest {
		t.Errorf("train split decodes to SHA-256 %s, want %s as before MNIST was embedded", got, mnistTrainDigest)
	}
	if got := setDigest(test); got != mnistTestDigest {
		t.Errorf("test split decodes to SHA-256 %s, want %s as before MNIST was embedded", got, mnistTestDigest)
	}
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels train %d test %d, want 5 and 7", train.Labels[0], test.Labels[0])
	}
	for _, s := range []*Set{train, test} {
		var counts [10]int
		for _, l := range s.Labels {
			counts[l]++ // check() has already bounded l to 0..9
		}
		for c, n := range counts {
			if n < s.N/20 {
				t.Errorf("%s: class %d has only %d images", s.Split, c, n)
			}
		}
		var brightest float32
		for i := range s.N {
			img := s.Image(i)
			for y := range 32 {
				for x := range 32 {
					v := img[y*32+x]
					if v < 0 || v > 1 {
						t.Fatalf("%s image %d pixel (%d,%d) = %v, outside [0,1]", s.Split, i, y, x, v)
					}
					if (y < 2 || y >= 30 || x < 2 || x >= 30) && v != 0 {
						t.Fatalf("%s image %d padding pixel (%d,%d) = %v", s.Split, i, y, x, v)
					}
					brightest = max(brightest, v)
				}
			}
		}
		if brightest != 1 {
			t.Errorf("%s: brightest pixel %v, want 1 (255/255)", s.Split, brightest)
		}
	}
	// The mean MNIST intensity is about 0.1307 over 28x28; over 32x32 it
	// shrinks by 784/1024.
	mean, _ := train.ChannelStats()
	if want := 0.1307 * 784 / 1024; mean[0] < want-0.002 || mean[0] > want+0.002 {
		t.Errorf("mean intensity %.4f, want about %.4f", mean[0], want)
	}
}

// BenchmarkLoadEmbeddedMNIST measures decoding both MNIST splits (70000
// images) from the embedded gzip files.
func BenchmarkLoadEmbeddedMNIST(b *testing.B) {
	for b.Loop() {
		if _, _, err := Load("mnist", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
