package data

import (
	"path/filepath"
	"strings"
	"testing"
)

// stlWiggle is added to every pixel of a 3x3 block; it sums to zero, so
// the block's average is its base, and its centre is not zero, so taking
// the centre pixel instead of the average shows.
var stlWiggle = [3][3]int{{1, 0, -1}, {2, -3, 1}, {0, 2, -2}}

// stlBase is the average of block (by, bx) of channel c of image id. It
// weighs rows and columns differently, so a transposed image shows.
func stlBase(id, c, by, bx int) int { return 3 + (id*13+c*29+by*5+bx*2)%240 }

// stlImageBytes returns image id in STL-10's layout: three planes, each
// column-major (the byte at col*96 + row is the pixel at (row, col)).
func stlImageBytes(id int) []byte {
	out := make([]byte, 3*96*96)
	for c := range 3 {
		for row := range 96 {
			for col := range 96 {
				v := stlBase(id, c, row/3, col/3) + stlWiggle[row%3][col%3]
				out[c*96*96+col*96+row] = byte(v)
			}
		}
	}
	return out
}

// writeSTL writes split's images, the given ids, and labels, and makes
// len(ids) the count of both files that the loader expects until the
// test ends.
func writeSTL(t *testing.T, dir, split string, ids []int, labels []byte) {
	t.Helper()
	useRecords(t, map[string]int{split + "_X.bin": len(ids), split + "_y.bin": len(ids)})
	var x []byte
	for _, id := range ids {
		x = append(x, stlImageBytes(id)...)
	}
	writeFile(t, filepath.Join(dir, split+"_X.bin"), x, false)
	writeFile(t, filepath.Join(dir, split+"_y.bin"), labels, false)
}

func TestSTL10TransposesAndPools(t *testing.T) {
	dir := t.TempDir()
	writeSTL(t, dir, "train", []int{0, 1}, []byte{1, 10})
	writeSTL(t, dir, "test", []int{2}, []byte{4})
	train, test, err := Load("stl10", Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 2 || test.N != 1 || train.C != 3 || train.H != 32 || train.W != 32 || train.Classes != 10 {
		t.Fatalf("train %d test %d shape %dx%dx%d classes %d", train.N, test.N, train.C, train.H, train.W, train.Classes)
	}
	if train.Labels[0] != 0 || train.Labels[1] != 9 || test.Labels[0] != 3 {
		t.Errorf("labels %v %v, want [0 9] [3] (1..10 shifted to 0..9)", train.Labels, test.Labels)
	}
	for _, c := range []struct {
		s     *Set
		i, id int
	}{{train, 0, 0}, {train, 1, 1}, {test, 0, 2}} {
		img := c.s.Image(c.i)
		for ch := range 3 {
			for y := range 32 {
				for x := range 32 {
					want := float32(stlBase(c.id, ch, y, x)*9) / (9 * 255)
					if got := img[ch*1024+y*32+x]; got != want {
						t.Fatalf("%s image %d (c=%d, y=%d, x=%d) = %v, want %v", c.s.Split, c.i, ch, y, x, got, want)
					}
				}
			}
		}
	}
}

func TestSTL10FileErrors(t *testing.T) {
	dir := t.TempDir()
	writeSTL(t, dir, "train", []int{0, 1}, []byte{1, 2})
	writeSTL(t, dir, "test", []int{2}, []byte{3})

	trainX := filepath.Join(dir, "train_X.bin")
	writeFile(t, trainX, stlImageBytes(0)[:1000], false)
	_, _, err := Load("stl10", Options{Path: dir})
	for _, w := range []string{trainX, "has 1000 bytes", "2 images of 96x96x3 bytes, 55296 bytes", "stl10_binary.tar.gz"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("truncated images: error %v does not mention %q", err, w)
		}
	}

	writeSTL(t, dir, "train", []int{0, 1}, []byte{1})
	_, _, err = Load("stl10", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "train_y.bin has 1 bytes") || !strings.Contains(err.Error(), "2 one-byte labels, 2 bytes") {
		t.Errorf("a label missing: %v", err)
	}

	for _, bad := range []byte{0, 11} {
		writeSTL(t, dir, "train", []int{0, 1}, []byte{1, bad})
		_, _, err = Load("stl10", Options{Path: dir})
		if err == nil || !strings.Contains(err.Error(), "train_y.bin") || !strings.Contains(err.Error(), "outside 1..10") {
			t.Errorf("label %d: %v", bad, err)
		}
	}

	writeSTL(t, dir, "train", []int{0, 1}, []byte{1, 2})
	testY := filepath.Join(dir, "test_y.bin")
	writeFile(t, testY, nil, false)
	if _, _, err = Load("stl10", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), testY) {
		t.Errorf("empty labels: %v", err)
	}
}

// BenchmarkPoolSTL measures the transpose-and-average of one STL-10 image.
func BenchmarkPoolSTL(b *testing.B) {
	src := stlImageBytes(1)
	dst := make([]float32, 3*32*32)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		poolSTL(dst, src)
	}
}
