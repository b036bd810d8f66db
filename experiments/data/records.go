package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// recordFile is a file of fixed-size records with no header, as in the
// binary distributions of CIFAR and STL-10.
type recordFile struct {
	name string // data set, for messages
	path string
	size int    // bytes per record
	what string // what a record holds, for messages
	fix  string // how to get a good copy, for messages
	n    int    // number of records, which the file's size matches
}

// standardRecords is the number of records in each file of the standard
// binary distributions that the loaders read, by file name (no name is in
// two of them); statRecords refuses a file of any other size. Tests,
// which write small files of these formats, set their own counts for the
// files they write (see useRecords in records_test.go).
var standardRecords = map[string]int{
	// CIFAR-10: 50000 training images in five batches, 10000 test images.
	"data_batch_1.bin": 10000,
	"data_batch_2.bin": 10000,
	"data_batch_3.bin": 10000,
	"data_batch_4.bin": 10000,
	"data_batch_5.bin": 10000,
	"test_batch.bin":   10000,
	// CIFAR-100.
	"train.bin": 50000,
	"test.bin":  10000,
	// STL-10's labelled splits: images and their labels.
	"train_X.bin": 5000,
	"train_y.bin": 5000,
	"test_X.bin":  8000,
	"test_y.bin":  8000,
}

// statRecords checks that path exists and holds exactly the records of
// size bytes that the standard file of its name holds (standardRecords).
// what describes a record ("3073-byte records (1 label byte + 3072 pixel
// bytes)") and fix says how to get the files; both go into the errors.
func statRecords(name, path string, size int, what, fix string) (*recordFile, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %s does not exist; %s", name, path, fix)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: %s is a folder, not a data file; %s", name, path, fix)
	}
	base := filepath.Base(path)
	n := standardRecords[base]
	if want := int64(n) * int64(size); st.Size() != want {
		return nil, fmt.Errorf("%s: %s has %d bytes, but the binary version's %s holds %d %s, %d bytes; the file is truncated or not from the binary version (for fewer images, set train_subset and test_subset); %s",
			name, path, st.Size(), base, n, what, want, fix)
	}
	return &recordFile{name: name, path: path, size: size, what: what, fix: fix, n: n}, nil
}

// each calls fn with every record in turn. rec is reused between calls.
func (rf *recordFile) each(fn func(i int, rec []byte) error) error {
	f, err := os.Open(rf.path)
	if err != nil {
		return fmt.Errorf("%s: %w", rf.name, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	rec := make([]byte, rf.size)
	for i := range rf.n {
		if _, err := io.ReadFull(r, rec); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%s: %s ended after %d of its %d %s (it changed while being read?); %s",
					rf.name, rf.path, i, rf.n, rf.what, rf.fix)
			}
			return fmt.Errorf("%s: reading %s: %w", rf.name, rf.path, err)
		}
		if err := fn(i, rec); err != nil {
			return err
		}
	}
	return nil
}

// bytesToUnit writes the bytes of src, divided by 255, into dst.
func bytesToUnit(dst []float32, src []byte) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = float32(b) / 255
	}
}
