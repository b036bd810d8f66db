package data

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSubsetAndShuffleOfOneSeedAreUnrelated checks what the streams'
// comment promises: a subset drawn from a seed is not the first images
// of the shuffle drawn from the same seed.
func TestSubsetAndShuffleOfOneSeedAreUnrelated(t *testing.T) {
	s := numberedSet(30)
	for seed := range uint64(4) {
		sub, err := s.Subset(20, seed)
		if err != nil {
			t.Fatal(err)
		}
		if ids, order := imageIDs(sub), s.Shuffle(seed)[:20]; slices.Equal(ids, order) {
			t.Errorf("seed %d: the subset %v is the shuffle's first 20", seed, ids)
		}
	}
}

// TestSubsetOfEveryImageIsTheSet checks that a subset of all N images is
// the set itself, in file order, as Subset documents, and so is the
// training split of SplitOff with no validation images.
func TestSubsetOfEveryImageIsTheSet(t *testing.T) {
	s := numberedSet(12)
	if all, err := s.Subset(12, 3); err != nil || all != s {
		t.Errorf("Subset(N) = %p, %v; want the set itself, %p", all, err, s)
	}
	if train, val, err := s.SplitOff(12, 0, 3); err != nil || train != s || val != nil {
		t.Errorf("SplitOff(N, 0) = %p, %p, %v; want the set itself and no validation split", train, val, err)
	}
}

// TestSubsetOfASubsetKeepsTheSplitsIndices checks that Source, for a
// subset of a subset (a validation split cut from a training subset, say),
// holds each image's index in the split as loaded, not in the subset it
// was cut from.
func TestSubsetOfASubsetKeepsTheSplitsIndices(t *testing.T) {
	s := numberedSet(40)
	train, val, err := s.SplitOff(25, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := train.Subset(9, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []*Set{train, val, inner} {
		if !slices.Equal(sub.Source, imageIDs(sub)) {
			t.Errorf("%s split: Source %v, want the images' indices in the split loaded, %v", sub.Split, sub.Source, imageIDs(sub))
		}
	}
}

// TestLoadSplitsRefusesJustOutOfRange checks the loader contract's bounds
// at their edges: a value the least float32 above 1, and a label equal to
// the number of classes, are refused; 0, 1 and the last class are not.
func TestLoadSplitsRefusesJustOutOfRange(t *testing.T) {
	above := greySet("train", 2, 32, 0.5)
	above.Images[5] = math.Nextafter32(1, 2)
	label := greySet("test", 2, 32, 0.5)
	label.Labels[1] = label.Classes
	for _, tc := range []struct {
		train, test *Set
		want        string
	}{
		{above, greySet("test", 2, 32, 0.5), "its loader returned 1.0000001 in train image 0"},
		{greySet("train", 2, 32, 0.5), label, "image 1 has label 1 outside [0, 1)"},
	} {
		badLoad = func() (*Set, *Set) { return tc.train, tc.test }
		if _, err := LoadSplits("test-bad-loader", Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadSplits: %v, want an error containing %q", err, tc.want)
		}
	}
	edge := greySet("train", 2, 32, 1)
	edge.Images[0] = 0
	badLoad = func() (*Set, *Set) { return edge, greySet("test", 2, 32, 0) }
	if _, err := LoadSplits("test-bad-loader", Options{}); err != nil {
		t.Errorf("values 0 and 1 and label 0 of 1 class: %v", err)
	}
}

// TestMNISTRefusesOtherIDXTypes checks that an IDX file whose type byte
// is not 0x08 (unsigned bytes), here 0x0D (float32) with the same
// dimensions, is refused rather than read as bytes.
func TestMNISTRefusesOtherIDXTypes(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, false)
	floats := idxBytes([]int{3}, []byte{5, 0, 9})
	floats[2] = 0x0D
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), floats, false)
	if _, _, err := Load("mnist", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "not an IDX file of 1-dimensional unsigned bytes") {
		t.Errorf("labels of IDX type 0x0D: %v", err)
	}
}

// TestMNISTRefusesAZeroDimension checks that the IDX reader refuses a
// file that promises no images, before any caller's check of the set.
func TestMNISTRefusesAZeroDimension(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, false)
	writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), idxBytes([]int{0, 28, 28}, nil), false)
	writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]int{0}, nil), false)
	if _, _, err := loadMNIST("mnist", dir); err == nil || !strings.Contains(err.Error(), "IDX dimension 0 is 0") {
		t.Errorf("an IDX file of 0 images: %v", err)
	}
}

// TestMNISTRefusesATrailingByte checks that one byte after the labels a
// header promises is refused, in a plain file and in a gzip file (whose
// size says nothing about its contents).
func TestMNISTRefusesATrailingByte(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeMNIST(t, dir, gz)
		suffix := map[bool]string{false: "", true: ".gz"}[gz]
		writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"+suffix), idxBytes([]int{3}, []byte{5, 0, 9, 1}), gz)
		if _, _, err := Load("mnist", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "1 bytes more than its header promises") {
			t.Errorf("gz=%v: labels with a byte after them: %v", gz, err)
		}
		writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"+suffix), append(idxBytes([]int{3, 28, 28}, mnistImages(3)), 7), gz)
		writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"+suffix), idxBytes([]int{3}, []byte{5, 0, 9}), gz)
		if _, _, err := Load("mnist", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "1 bytes more than its header promises") {
			t.Errorf("gz=%v: images with a byte after them: %v", gz, err)
		}
	}
}

// TestMNISTRefusesOtherColumnCounts checks that images 28 rows tall but
// not 28 columns wide are refused, not padded as if they were.
func TestMNISTRefusesOtherColumnCounts(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, false)
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), idxBytes([]int{3, 28, 27}, make([]byte, 3*28*27)), false)
	if _, _, err := Load("mnist", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "holds 28x27 images") {
		t.Errorf("28x27 images: %v", err)
	}
}

// TestCIFAR10RefusesAnExtraByte checks that a batch file one byte longer
// than its records is refused, not read up to its records and the rest
// ignored.
func TestCIFAR10RefusesAnExtraByte(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	test := filepath.Join(dir, "test_batch.bin")
	writeFile(t, test, append(append(cifarRecord(100, 3), cifarRecord(101, 9)...), 0), false)
	if _, _, err := Load("cifar10", Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "has 6147 bytes") {
		t.Errorf("a test batch with a byte after its records: %v", err)
	}
}

// TestSettingsCheckBounds checks Settings.Check's subset sizes at their
// edges against embedded MNIST's 60,000 training and 10,000 test images:
// all of a split may be asked for and one more may not; a validation
// split must leave a training image, and with a training subset must fit
// beside it; and eval_split = "validation" needs a validation split.
func TestSettingsCheckBounds(t *testing.T) {
	for _, tc := range []struct {
		train, test, val int
		eval             string
		want             string // "" for none
	}{
		{60000, 10000, 0, SplitTest, ""},
		{60001, 0, 0, SplitTest, "train_subset = 60001"},
		{0, 10001, 0, SplitTest, "test_subset = 10001"},
		{0, 0, 59999, SplitValidation, ""},
		{0, 0, 60000, SplitValidation, "validation_subset = 60000"},
		{50000, 0, 10000, SplitValidation, ""},
		{50001, 0, 10000, SplitValidation, "validation_subset = 10000: with train_subset = 50001"},
		{1000, 0, 0, SplitValidation, `eval_split = "validation" but validation_subset = 0`},
	} {
		_, err := Settings{Dataset: "mnist", TrainSubset: tc.train, TestSubset: tc.test, ValidationSubset: tc.val, EvalSplit: tc.eval}.Check()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("train %d, test %d, validation %d, eval %s: %v; want %q", tc.train, tc.test, tc.val, tc.eval, err, tc.want)
		}
	}
}

// TestSizesOfAreTheLoadersSizes checks the sizes memory estimates read
// against what the loaders insist on: the record counts of the binary
// versions' files and embedded MNIST's.
func TestSizesOfAreTheLoadersSizes(t *testing.T) {
	r := standardRecords
	for name, want := range map[string]Sizes{
		"cifar10":         {r["data_batch_1.bin"] + r["data_batch_2.bin"] + r["data_batch_3.bin"] + r["data_batch_4.bin"] + r["data_batch_5.bin"], r["test_batch.bin"], 3},
		"cifar100":        {r["train.bin"], r["test.bin"], 3},
		"cifar100-coarse": {r["train.bin"], r["test.bin"], 3},
		"stl10":           {r["train_X.bin"], r["test_X.bin"], 3},
	} {
		if got := SizesOf(name); got != want {
			t.Errorf("SizesOf(%q) = %+v, want %+v", name, got, want)
		}
	}
	for _, name := range []string{"mnist", "fashion-mnist"} {
		mnist, _ := Lookup("mnist")
		if got, want := SizesOf(name), (Sizes{mnist.EmbeddedTrain, mnist.EmbeddedTest, 1}); got != want {
			t.Errorf("SizesOf(%q) = %+v, want %+v", name, got, want)
		}
	}
}
