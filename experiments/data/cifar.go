package data

import (
	"fmt"
	"path/filepath"
)

// The layout of a CIFAR image in the binary distributions: 3072 bytes, the
// red, green and blue 32x32 planes one after another, each row-major. That is
// already the channel-major layout of a Set.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
)

const (
	cifar10Fix  = "download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass the folder that holds data_batch_1.bin .. data_batch_5.bin and test_batch.bin as data_path"
	cifar100Fix = "download the binary version (cifar-100-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass the folder that holds train.bin and test.bin as data_path"
)

func init() {
	Register(Info{
		Name:      "cifar10",
		Summary:   "CIFAR-10, 50000 train / 10000 test, 3x32x32, 10 classes; needs data_path (the binary version)",
		Load:      loadCIFAR10,
		NeedsPath: cifar10Fix,
	})
	Register(Info{
		Name:      "cifar100",
		Summary:   "CIFAR-100 with its 100 fine labels, 50000 train / 10000 test, 3x32x32; needs data_path (the binary version)",
		Load:      func(path string) (*Set, *Set, error) { return loadCIFAR100("cifar100", path, false) },
		NeedsPath: cifar100Fix,
	})
	Register(Info{
		Name:      "cifar100-coarse",
		Summary:   "CIFAR-100 with its 20 coarse (superclass) labels, 50000 train / 10000 test, 3x32x32; needs data_path (the binary version)",
		Load:      func(path string) (*Set, *Set, error) { return loadCIFAR100("cifar100-coarse", path, true) },
		NeedsPath: cifar100Fix,
	})
}

// loadCIFAR10 reads CIFAR-10's binary version: data_batch_1.bin ..
// data_batch_5.bin for training and test_batch.bin for testing, records of 1
// label byte and 3072 pixel bytes, 10000 records in each file.
func loadCIFAR10(dir string) (train, test *Set, err error) {
	if err := CheckPath("cifar10", dir); err != nil {
		return nil, nil, err
	}
	var trainFiles []string
	for b := 1; b <= 5; b++ {
		trainFiles = append(trainFiles, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)))
	}
	testFiles := []string{filepath.Join(dir, "test_batch.bin")}
	spec := cifarSpec{name: "cifar10", labelBytes: 1, labelIndex: 0, classes: 10, fix: cifar10Fix}
	return spec.load(trainFiles, testFiles)
}

// loadCIFAR100 reads CIFAR-100's binary version: train.bin and test.bin,
// records of a coarse label byte, a fine label byte and 3072 pixel bytes
// (50000 and 10000 of them). The fine labels (100 classes) are used unless
// coarse is set (20 classes).
func loadCIFAR100(name, dir string, coarse bool) (train, test *Set, err error) {
	if err := CheckPath(name, dir); err != nil {
		return nil, nil, err
	}
	spec := cifarSpec{name: name, labelBytes: 2, labelIndex: 1, classes: 100, fix: cifar100Fix}
	if coarse {
		spec.labelIndex, spec.classes = 0, 20
	}
	return spec.load([]string{filepath.Join(dir, "train.bin")}, []string{filepath.Join(dir, "test.bin")})
}

// cifarSpec describes one flavour of the CIFAR binary format.
type cifarSpec struct {
	name       string
	labelBytes int // label bytes before the pixels of each record
	labelIndex int // which of them is the label used
	classes    int
	fix        string
}

func (c cifarSpec) load(trainFiles, testFiles []string) (train, test *Set, err error) {
	// Check every file before reading any, so a missing test file is
	// reported before seconds are spent decoding the training files.
	trainRecs, err := c.stat(trainFiles)
	if err != nil {
		return nil, nil, err
	}
	testRecs, err := c.stat(testFiles)
	if err != nil {
		return nil, nil, err
	}
	if train, err = c.read("train", trainRecs); err != nil {
		return nil, nil, err
	}
	if test, err = c.read("test", testRecs); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func (c cifarSpec) stat(paths []string) ([]*recordFile, error) {
	size := c.labelBytes + cifarPixels
	labels := "1 label byte"
	if c.labelBytes > 1 {
		labels = fmt.Sprintf("%d label bytes", c.labelBytes)
	}
	what := fmt.Sprintf("%d-byte records (%s + %d pixel bytes)", size, labels, cifarPixels)
	var out []*recordFile
	for _, p := range paths {
		rf, err := statRecords(c.name, p, size, what, c.fix)
		if err != nil {
			return nil, err
		}
		out = append(out, rf)
	}
	return out, nil
}

func (c cifarSpec) read(split string, files []*recordFile) (*Set, error) {
	n := 0
	for _, rf := range files {
		n += rf.n
	}
	s := &Set{Name: c.name, Split: split, N: n, C: 3, H: cifarSide, W: cifarSide, Classes: c.classes}
	s.Images = make([]float32, n*s.Dim())
	s.Labels = make([]int, n)
	k := 0
	for _, rf := range files {
		err := rf.each(func(i int, rec []byte) error {
			label := int(rec[c.labelIndex])
			if label >= c.classes {
				return fmt.Errorf("%s: record %d of %s has label %d, outside 0..%d; the file is not from %s's binary version; %s",
					c.name, i, rf.path, label, c.classes-1, c.name, c.fix)
			}
			s.Labels[k] = label
			bytesToUnit(s.Image(k), rec[c.labelBytes:])
			k++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}
