package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cifarPixel is the byte of channel c, row y, column x of record id: it
// differs between channels, rows and columns, so a misplaced plane or a
// transposed image shows.
func cifarPixel(id, c, y, x int) byte { return byte((id*31 + c*101 + y*7 + x*3) % 256) }

// cifarRecord returns a record with the given label bytes and id's pixels.
func cifarRecord(id int, labels ...byte) []byte {
	rec := append([]byte(nil), labels...)
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				rec = append(rec, cifarPixel(id, c, y, x))
			}
		}
	}
	return rec
}

func checkCIFARImage(t *testing.T, s *Set, i, id int) {
	t.Helper()
	img := s.Image(i)
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				if got, want := img[c*1024+y*32+x], float32(cifarPixel(id, c, y, x))/255; got != want {
					t.Fatalf("%s %s image %d (c=%d, y=%d, x=%d) = %v, want %v", s.Name, s.Split, i, c, y, x, got, want)
				}
			}
		}
	}
}

// writeCIFAR10 writes batch b (1..5) with b records (ids 10*b+k, label
// (b+k)%10) and a 2-record test batch (ids 100, 101, labels 3 and 9), and
// makes these the counts the loader expects until the test ends.
func writeCIFAR10(t *testing.T, dir string) {
	t.Helper()
	useRecords(t, map[string]int{"data_batch_1.bin": 1, "data_batch_2.bin": 2, "data_batch_3.bin": 3,
		"data_batch_4.bin": 4, "data_batch_5.bin": 5, "test_batch.bin": 2})
	for b := 1; b <= 5; b++ {
		var data []byte
		for k := range b {
			data = append(data, cifarRecord(10*b+k, byte((b+k)%10))...)
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)), data, false)
	}
	test := append(cifarRecord(100, 3), cifarRecord(101, 9)...)
	writeFile(t, filepath.Join(dir, "test_batch.bin"), test, false)
}

func TestCIFAR10ReadsEveryBatchInOrder(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	train, test, err := Load("cifar10", Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 15 || test.N != 2 || train.C != 3 || train.H != 32 || train.W != 32 || train.Classes != 10 {
		t.Fatalf("train %d test %d, shape %dx%dx%d, classes %d", train.N, test.N, train.C, train.H, train.W, train.Classes)
	}
	i := 0
	for b := 1; b <= 5; b++ {
		for k := range b {
			if train.Labels[i] != (b+k)%10 {
				t.Errorf("train label %d = %d, want %d", i, train.Labels[i], (b+k)%10)
			}
			checkCIFARImage(t, train, i, 10*b+k)
			i++
		}
	}
	if test.Labels[0] != 3 || test.Labels[1] != 9 {
		t.Errorf("test labels %v, want [3 9]", test.Labels)
	}
	checkCIFARImage(t, test, 0, 100)
	checkCIFARImage(t, test, 1, 101)
}

func TestCIFAR10FileErrors(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	batch3 := filepath.Join(dir, "data_batch_3.bin")

	good, _ := os.ReadFile(batch3)
	writeFile(t, batch3, good[:len(good)-5], false)
	_, _, err := Load("cifar10", Options{Path: dir})
	for _, w := range []string{batch3, "3073-byte records", fmt.Sprintf("has %d bytes", len(good)-5), "3 3073-byte records", "9219 bytes", "cifar-10-binary.tar.gz", "data_path"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("truncated batch: error %v does not mention %q", err, w)
		}
	}

	// Whole records, but one fewer than the batch should hold.
	writeFile(t, batch3, good[:2*3073], false)
	_, _, err = Load("cifar10", Options{Path: dir})
	for _, w := range []string{batch3, "has 6146 bytes", "holds 3 3073-byte records", "9219 bytes"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("a record short: error %v does not mention %q", err, w)
		}
	}

	writeFile(t, batch3, nil, false)
	if _, _, err = Load("cifar10", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), batch3) {
		t.Errorf("empty batch: %v", err)
	}

	os.Remove(batch3)
	_, _, err = Load("cifar10", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), batch3) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing batch: %v", err)
	}

	writeCIFAR10(t, dir)
	writeFile(t, batch3, append(good[:2*3073:2*3073], cifarRecord(0, 10)...), false)
	_, _, err = Load("cifar10", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "record 2 of "+batch3) || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label out of range: %v", err)
	}

	if _, _, err = Load("cifar10", Options{}); err == nil || !strings.Contains(err.Error(), "data_path") {
		t.Errorf("no path: %v", err)
	}
	file := filepath.Join(dir, "test_batch.bin")
	if _, _, err = Load("cifar10", Options{Path: file}); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("a file as the path: %v", err)
	}
}

func TestCIFAR100FineAndCoarseLabels(t *testing.T) {
	dir := t.TempDir()
	useRecords(t, map[string]int{"train.bin": 3, "test.bin": 1})
	train := append(cifarRecord(1, 4, 99), cifarRecord(2, 19, 0)...)
	train = append(train, cifarRecord(3, 0, 42)...)
	writeFile(t, filepath.Join(dir, "train.bin"), train, false)
	writeFile(t, filepath.Join(dir, "test.bin"), cifarRecord(4, 7, 55), false)

	fine, fineTest, err := Load("cifar100", Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if fine.N != 3 || fineTest.N != 1 || fine.Classes != 100 {
		t.Fatalf("sizes %d/%d classes %d", fine.N, fineTest.N, fine.Classes)
	}
	if l := fine.Labels; l[0] != 99 || l[1] != 0 || l[2] != 42 || fineTest.Labels[0] != 55 {
		t.Errorf("fine labels %v %v, want [99 0 42] [55]", l, fineTest.Labels)
	}
	for i := range 3 {
		checkCIFARImage(t, fine, i, i+1)
	}
	checkCIFARImage(t, fineTest, 0, 4)

	coarse, coarseTest, err := Load("cifar100-coarse", Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if coarse.Classes != 20 || coarse.Labels[0] != 4 || coarse.Labels[1] != 19 || coarse.Labels[2] != 0 || coarseTest.Labels[0] != 7 {
		t.Errorf("coarse labels %v %v (classes %d), want [4 19 0] [7] (20)", coarse.Labels, coarseTest.Labels, coarse.Classes)
	}
	checkCIFARImage(t, coarse, 2, 3)

	// A CIFAR-10 record (3073 bytes) in a CIFAR-100 file is a size error.
	writeFile(t, filepath.Join(dir, "test.bin"), cifarRecord(4, 7), false)
	_, _, err = Load("cifar100", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "test.bin") || !strings.Contains(err.Error(), "3074-byte records") ||
		!strings.Contains(err.Error(), "cifar-100-binary.tar.gz") {
		t.Errorf("wrong record size: %v", err)
	}
}
