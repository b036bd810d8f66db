package data

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// allocated returns the bytes that fn allocates on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestIDXHugeHeaderIsRefusedBeforeAllocating puts in place of each MNIST
// training file, plain and gzip compressed, one whose header promises
// 200,000,000 records over 10 bytes of data. Each is a one-line error
// naming the file and what its header promises, returned without
// allocating room for the promise (627 GB of float32 images, or 200 MB of
// label bytes): the whole load allocates under 16 MB.
func TestIDXHugeHeaderIsRefusedBeforeAllocating(t *testing.T) {
	for _, c := range []struct {
		base    string
		dims    []int
		promise string
		plain   string // what the error says of the plain file's size
	}{
		{"train-images-idx3-ubyte", []int{200000000, 28, 28}, "its header promises 200000000 images of 28x28, 156800000016 bytes", "holds only 26 bytes"},
		{"train-labels-idx1-ubyte", []int{200000000}, "its header promises 200000000 labels, 200000008 bytes", "holds only 18 bytes"},
	} {
		for _, gz := range []bool{false, true} {
			dir := t.TempDir()
			writeMNIST(t, dir, false)
			path := filepath.Join(dir, c.base)
			wants := []string{path, c.promise, c.plain, "download the file again"}
			if gz {
				os.Remove(path)
				path += ".gz"
				wants = []string{path, c.promise, "gzip file of", "download the file again"}
			}
			writeFile(t, path, idxBytes(c.dims, make([]byte, 10)), gz)
			var err error
			alloc := allocated(func() { _, _, err = Load("mnist", Options{Path: dir}) })
			if err == nil {
				t.Fatalf("%s: no error", path)
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
			if alloc > 16<<20 {
				t.Errorf("%s: refusing its header allocated %d MB", path, alloc>>20)
			}
		}
	}
}

// TestMNISTGzipRoomGrowsWithItsImages lowers gzipUpFront to one image, so
// that a gzip file's images get room as they arrive: the images decode as
// from the plain file, and a gzip file whose header promises 200,000 images
// (627 MB as float32) but holds 200 incompressible ones, so that its size
// alone cannot refute the header, is truncated, found with under 32 MB
// allocated.
func TestMNISTGzipRoomGrowsWithItsImages(t *testing.T) {
	defer func(n int) { gzipUpFront = n }(gzipUpFront)
	gzipUpFront = 28 * 28

	plainDir, gzDir := t.TempDir(), t.TempDir()
	writeMNIST(t, plainDir, false)
	writeMNIST(t, gzDir, true)
	want, wantTest, err := Load("mnist", Options{Path: plainDir})
	if err != nil {
		t.Fatal(err)
	}
	got, gotTest, err := Load("mnist", Options{Path: gzDir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Images, want.Images) || !slices.Equal(gotTest.Images, wantTest.Images) {
		t.Errorf("gzip images grown one at a time differ from the plain file's")
	}

	noise := make([]byte, 200*28*28)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	path := filepath.Join(gzDir, "train-images-idx3-ubyte.gz")
	writeFile(t, path, idxBytes([]int{200000, 28, 28}, noise), true)
	alloc := allocated(func() { _, _, err = Load("mnist", Options{Path: gzDir}) })
	for _, w := range []string{path, "truncated", "200000 images", "ends after 200 of them"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not mention %q", err, w)
		}
	}
	if alloc > 32<<20 {
		t.Errorf("reading 200 of 200000 promised images allocated %d MB", alloc>>20)
	}
}
