package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// idxFile is an open IDX file (the format of the MNIST distribution, gzip
// compressed or not) positioned just after its header.
//
// The header is two zero bytes, a type byte (0x08 for unsigned bytes), a
// byte giving the number of dimensions, and each dimension as a big-endian
// uint32; the data follows in row-major order.
type idxFile struct {
	path string
	dims []int
	r    *bufio.Reader
	f    fs.File
	gz   *gzip.Reader
}

// openIDX opens the file name of fsys, which messages call path, and reads
// its header, which must describe unsigned bytes in ndims dimensions.
func openIDX(fsys fs.FS, name, path string, ndims int) (*idxFile, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	x := &idxFile{path: path, f: f}
	br := bufio.NewReaderSize(f, 1<<16)
	if b, err := br.Peek(2); err == nil && b[0] == 0x1f && b[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: bad gzip stream: %w", path, err)
		}
		x.gz = gz
		br = bufio.NewReaderSize(gz, 1<<16)
	}
	x.r = br
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		x.Close()
		return nil, fmt.Errorf("%s: too short for an IDX header (%v)", path, err)
	}
	want := [4]byte{0, 0, 0x08, byte(ndims)}
	if magic != want {
		x.Close()
		return nil, fmt.Errorf("%s: not an IDX file of %d-dimensional unsigned bytes: magic number 0x%08x, want 0x%08x",
			path, ndims, binary.BigEndian.Uint32(magic[:]), binary.BigEndian.Uint32(want[:]))
	}
	raw := make([]byte, 4*ndims)
	if _, err := io.ReadFull(br, raw); err != nil {
		x.Close()
		return nil, fmt.Errorf("%s: IDX header is cut short before its %d dimensions (%v)", path, ndims, err)
	}
	for i := range ndims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		if d == 0 || d > 1<<28 {
			x.Close()
			return nil, fmt.Errorf("%s: IDX dimension %d is %d, which no MNIST-style file has", path, i, d)
		}
		x.dims = append(x.dims, int(d))
	}
	return x, nil
}

// headerSize returns the size of the IDX header in bytes.
func (x *idxFile) headerSize() int { return 4 + 4*len(x.dims) }

// readRecords fills buf with the next len(buf)/size records of size bytes,
// done records having been read before; a short read means the file is
// truncated, and the error says how many of the n promised records it holds.
func (x *idxFile) readRecords(buf []byte, size, done, n int, what string) error {
	got, err := io.ReadFull(x.r, buf)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s is truncated: its header promises %d %s of %d bytes (%d bytes after the %d-byte header) but it ends after %d of them; download the file again",
				x.path, n, what, size, n*size, x.headerSize(), done+got/size)
		}
		return fmt.Errorf("%s: reading %s %d: %w", x.path, what, done+got/size, err)
	}
	return nil
}

// finish checks that nothing follows the promised data (for a gzip file,
// reading to the end also verifies its checksum) and closes the file.
func (x *idxFile) finish(what string, n, size int) error {
	defer x.Close()
	extra, err := io.Copy(io.Discard, x.r)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s is truncated: its gzip stream ends early; download the file again", x.path)
	}
	if err != nil {
		return fmt.Errorf("%s: after its data: %w", x.path, err)
	}
	if extra > 0 {
		return fmt.Errorf("%s has %d bytes more than its header promises (%d %s of %d bytes after the %d-byte header); it is not a well-formed IDX file",
			x.path, extra, n, what, size, x.headerSize())
	}
	return nil
}

// Close closes the file.
func (x *idxFile) Close() {
	if x.gz != nil {
		x.gz.Close()
	}
	x.f.Close()
}
