package data

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/infomax/infomax/internal/hugepage"
)

// mnistFiles holds the four files of the MNIST database (LeCun, Cortes and
// Burges), gzip compressed, byte for byte as its page distributes them;
// mnist/README.md says where they come from and under which licence. They
// are embedded so that any binary of infomax, copied anywhere, has MNIST.
//
//go:embed mnist/*.gz
var mnistFiles embed.FS

// mnistEmbedded is the folder of mnistFiles that holds the files, and the
// prefix of their names in messages.
const mnistEmbedded = "mnist"

// The padded size of MNIST images: two zero pixels on each side of 28x28,
// the input size of the paper's encoder.
const (
	mnistSide  = 28
	paddedSide = 32
	mnistPad   = (paddedSide - mnistSide) / 2
)

// fashionFix says where Fashion-MNIST's files are and what to do with them.
const fashionFix = "download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist and pass their folder as data_path"

func init() {
	Register(Info{
		Name:    "mnist",
		Summary: "MNIST digits, 60000 train / 10000 test, 1x28x28 padded to 1x32x32; embedded in the binary unless data_path is set",
		Load:    func(path string) (*Set, *Set, error) { return loadMNIST("mnist", path) },
		// The embedded files' counts, which TestEmbeddedMNIST checks.
		EmbeddedTrain: 60000, EmbeddedTest: 10000,
	})
	Register(Info{
		Name:    "fashion-mnist",
		Summary: "Fashion-MNIST, 60000 train / 10000 test, 1x28x28 padded to 1x32x32; needs data_path (the four IDX files)",
		Load: func(path string) (*Set, *Set, error) {
			if err := CheckPath("fashion-mnist", path); err != nil {
				return nil, nil, err
			}
			return loadMNIST("fashion-mnist", path)
		},
		NeedsPath: fashionFix,
	})
}

// loadMNIST reads an MNIST-format data set (the four IDX files, gzip
// compressed or not) from dir, or from the embedded copy of MNIST if dir is
// "".
func loadMNIST(name, dir string) (train, test *Set, err error) {
	src := mnistSource{fsys: mnistFiles, root: mnistEmbedded, where: "the MNIST files embedded in this binary"}
	if dir != "" {
		src = mnistSource{fsys: os.DirFS(dir), where: dir, dir: dir}
	}
	// Find all four files before decoding any, so that a missing test file
	// is reported at once.
	var names [4]string
	for i, base := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if names[i], err = src.find(name, base); err != nil {
			return nil, nil, err
		}
	}
	if train, err = loadMNISTSplit(name, "train", src, names[0], names[1]); err != nil {
		return nil, nil, err
	}
	if test, err = loadMNISTSplit(name, "test", src, names[2], names[3]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// mnistSource is where the four IDX files are: a folder on disk (dir), or
// the embedded copy (root, a folder of fsys). where says which in messages.
type mnistSource struct {
	fsys      fs.FS
	root, dir string
	where     string
}

// name returns the name within fsys of the file base.
func (s mnistSource) name(base string) string { return path.Join(s.root, base) }

// path returns how messages name the file base: its path on disk, or its
// name in the embedded copy.
func (s mnistSource) path(base string) string {
	if s.dir != "" {
		return filepath.Join(s.dir, base)
	}
	return "embedded " + s.name(base)
}

// find returns base or, failing that, base.gz, whichever the source holds.
func (s mnistSource) find(name, base string) (string, error) {
	for _, b := range []string{base, base + ".gz"} {
		_, err := fs.Stat(s.fsys, s.name(b))
		switch {
		case err == nil:
			return b, nil
		case !errors.Is(err, fs.ErrNotExist): // such as permission denied
			return "", fmt.Errorf("%s: %s: %w", name, s.path(b), err)
		}
	}
	return "", fmt.Errorf("%s: neither %s nor %s.gz is in %s; put the four MNIST-format IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in that folder",
		name, base, base, s.where)
}

// open opens the file base and reads its IDX header (see openIDX).
func (s mnistSource) open(base string, ndims int) (*idxFile, error) {
	return openIDX(s.fsys, s.name(base), s.path(base), ndims)
}

// loadMNISTSplit reads one split from its images and labels files.
func loadMNISTSplit(name, split string, src mnistSource, images, labelsFile string) (*Set, error) {
	x, err := src.open(labelsFile, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	labels, err := readIDXLabels(x, 10)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if x, err = src.open(images, 3); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s, err := readIDXImages(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.N != len(labels) {
		return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels; the two files must come from the same split",
			name, src.path(images), s.N, src.path(labelsFile), len(labels))
	}
	s.Name, s.Split, s.Labels, s.Classes = name, split, labels, 10
	return s, nil
}

// readIDXLabels reads the open IDX file x of one-byte labels, each below
// classes, and closes it.
func readIDXLabels(x *idxFile, classes int) ([]int, error) {
	n := x.dims[0]
	if _, err := x.room(n, 1, "labels"); err != nil {
		x.Close()
		return nil, err
	}
	// Read what is there, up to n, rather than allocate n bytes first,
	// which a gzip file's header alone cannot vouch for.
	raw, err := io.ReadAll(io.LimitReader(x.r, int64(n)))
	if err == nil && len(raw) < n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		x.Close()
		return nil, x.readError(err, 1, len(raw), n, "labels")
	}
	if err := x.finish("labels", n, 1); err != nil {
		return nil, err
	}
	labels := make([]int, n)
	for i, b := range raw {
		if int(b) >= classes {
			return nil, fmt.Errorf("%s: label %d is %d, outside 0..%d; is this a label file?", x.path, i, b, classes-1)
		}
		labels[i] = int(b)
	}
	return labels, nil
}

// readIDXImages reads the open IDX file x of 28x28 one-byte images into a
// Set of 1x32x32 images in [0, 1], padding each with two zero pixels on
// every side, and closes it. It converts one image at a time, so no second
// copy of the file is held, and it allocates room for the images the
// header promises only as far as the file can hold them (see
// [idxFile.room]).
func readIDXImages(x *idxFile) (*Set, error) {
	n, rows, cols := x.dims[0], x.dims[1], x.dims[2]
	if rows != mnistSide || cols != mnistSide {
		x.Close()
		return nil, fmt.Errorf("%s holds %dx%d images; MNIST-format images must be %dx%d", x.path, rows, cols, mnistSide, mnistSide)
	}
	room, err := x.room(n, rows*cols, "images")
	if err != nil {
		x.Close()
		return nil, err
	}
	s := &Set{N: n, C: 1, H: paddedSide, W: paddedSide}
	s.Images = hugepage.Float32s(room * s.Dim())
	buf := make([]byte, rows*cols)
	for i := range n {
		if i == room { // a gzip file: make room as its images arrive
			room = min(n, 2*room)
			grown := hugepage.Float32s(room * s.Dim())
			copy(grown, s.Images)
			s.Images = grown
		}
		if err := x.readRecords(buf, len(buf), i, n, "images"); err != nil {
			x.Close()
			return nil, err
		}
		img := s.Images[i*s.Dim() : (i+1)*s.Dim()]
		for y := range rows {
			dst := img[(y+mnistPad)*paddedSide+mnistPad:]
			for xx, b := range buf[y*cols : (y+1)*cols] {
				dst[xx] = float32(b) / 255
			}
		}
	}
	if err := x.finish("images", n, rows*cols); err != nil {
		return nil, err
	}
	return s, nil
}
