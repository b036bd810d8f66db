package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
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
	size int64 // bytes on disk, compressed for a gzip file
	r    *bufio.Reader
	f    fs.File
	gz   *gzip.Reader
}

// gzipMaxRatio is the most that deflate can expand its input: a 258-byte
// match from two bits. A gzip file of n bytes so holds at most
// gzipMaxRatio*n bytes of data.
const gzipMaxRatio = 1032

// gzipUpFront is the most data, in bytes, whose room a reader allocates
// before reading it from a gzip file, whose size on disk says little
// about how much it holds: beyond it, the room grows as data arrives, so
// that a header promising more than the stream holds costs at most this
// much room beyond the data that is there. Room is counted in the loaded
// form: for MNIST's images, padded float32s, 64 MB of data is about 350
// MB of room, which a corrupt gzip file of 65 kB or more can make a run
// allocate before it fails. The real MNIST training images (47 MB) fit,
// so loading them, every run, allocates once. Tests lower it to take the
// growing path.
var gzipUpFront = 64 << 20

// openIDX opens the file name of fsys, which messages call path, and reads
// its header, which must describe unsigned bytes in ndims dimensions.
func openIDX(fsys fs.FS, name, path string, ndims int) (*idxFile, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	x := &idxFile{path: path, f: f, size: st.Size()}
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

// room checks, before the caller allocates room for them, that the file can
// hold the n records of size bytes (what, such as "images") that its header
// promises, and returns how many records to allocate room for before
// reading: all n for a file on disk, whose size must then be exactly what
// the header promises, or for a gzip file as many as gzipUpFront allows.
// The dimensions are at most 2^28 each, so n*size does not overflow for
// the records of MNIST-style files.
func (x *idxFile) room(n, size int, what string) (int, error) {
	want := int64(x.headerSize()) + int64(n)*int64(size)
	promise := fmt.Sprintf("its header promises %d %s", n, what)
	if len(x.dims) > 1 {
		shape := make([]string, len(x.dims)-1)
		for i, d := range x.dims[1:] {
			shape[i] = strconv.Itoa(d)
		}
		promise += " of " + strings.Join(shape, "x")
	}
	promise += fmt.Sprintf(", %d bytes with its %d-byte header", want, x.headerSize())
	switch {
	case x.gz != nil && want > gzipMaxRatio*x.size:
		return 0, fmt.Errorf("%s is corrupt: %s, but it is a gzip file of %d bytes, which decompresses to at most %d bytes; download the file again",
			x.path, promise, x.size, gzipMaxRatio*x.size)
	case x.gz != nil:
		return min(n, max(1, gzipUpFront/size)), nil
	case x.size < want:
		return 0, fmt.Errorf("%s is truncated: %s, but the file holds only %d bytes, the header and %d of them; download the file again",
			x.path, promise, x.size, max(0, x.size-int64(x.headerSize()))/int64(size))
	case x.size > want:
		return 0, fmt.Errorf("%s has %d bytes more than its header promises (%s); it is not a well-formed IDX file",
			x.path, x.size-want, strings.TrimPrefix(promise, "its header promises "))
	}
	return n, nil
}

// readRecords fills buf with the next len(buf)/size records of size bytes,
// done records having been read before; a short read means the file is
// truncated, and the error says how many of the n promised records it holds.
func (x *idxFile) readRecords(buf []byte, size, done, n int, what string) error {
	got, err := io.ReadFull(x.r, buf)
	if err != nil {
		return x.readError(err, size, done+got/size, n, what)
	}
	return nil
}

// readError describes err, met reading the records after the first got of
// the n records of size bytes that the header promises: a file that ends
// early is truncated.
func (x *idxFile) readError(err error, size, got, n int, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s is truncated: its header promises %d %s of %d bytes (%d bytes after the %d-byte header) but it ends after %d of them; download the file again",
			x.path, n, what, size, n*size, x.headerSize(), got)
	}
	return fmt.Errorf("%s: reading %s %d: %w", x.path, what, got, err)
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
