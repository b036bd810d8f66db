package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// recordFile is a file of fixed-size records with no header, as in the
// binary distributions of CIFAR and STL-10.
type recordFile struct {
	name string // data set, for messages
	path string
	size int    // bytes per record
	what string // what a record holds, for messages
	fix  string // how to get a good copy, for messages
	n    int    // number of records, from the file size
}

// statRecords checks that path exists and holds a whole, positive number of
// records of size bytes, and returns how many. what describes a record
// ("3073-byte records (1 label byte + 3072 pixel bytes)") and fix says how
// to get the files; both go into the errors.
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
	if st.Size() == 0 || st.Size()%int64(size) != 0 {
		return nil, fmt.Errorf("%s: %s has %d bytes, which is not a whole positive number of %s (%d bytes each); the file is truncated or not from the binary version; %s",
			name, path, st.Size(), what, size, fix)
	}
	return &recordFile{name: name, path: path, size: size, what: what, fix: fix, n: int(st.Size() / int64(size))}, nil
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
