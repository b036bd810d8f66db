package data

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// numberedSet returns n 2x2x2 images whose values encode their index (every
// value of image i is i + channel/10), with label i%3.
func numberedSet(n int) *Set {
	s := &Set{Name: "numbered", Split: "train", N: n, C: 2, H: 2, W: 2, Classes: 3}
	for i := range n {
		for c := range 2 {
			for range 4 {
				s.Images = append(s.Images, float32(i)+float32(c)/10)
			}
		}
		s.Labels = append(s.Labels, i%3)
	}
	return s
}

// imageIDs returns the index each image of s was made from.
func imageIDs(s *Set) []int {
	ids := make([]int, s.N)
	for i := range s.N {
		ids[i] = int(s.Image(i)[0])
	}
	return ids
}

func TestImageAndBatch(t *testing.T) {
	s := numberedSet(5)
	if img := s.Image(3); len(img) != 8 || img[0] != 3 || img[4] != 3.1 || cap(img) != 8 {
		t.Errorf("Image(3) = %v (cap %d)", img, cap(img))
	}
	batch := s.Batch([]int{4, 0, 4}, nil)
	want := append(append(slices.Clone(s.Image(4)), s.Image(0)...), s.Image(4)...)
	if !slices.Equal(batch, want) {
		t.Errorf("Batch = %v, want %v", batch, want)
	}
	again := s.Batch([]int{1}, batch)
	if &again[0] != &batch[0] || len(again) != 8 || again[0] != 1 {
		t.Errorf("Batch did not reuse dst: len %d, first %v", len(again), again[0])
	}
	if got := s.BatchLabels([]int{4, 2, 3}, nil); !slices.Equal(got, []int{1, 2, 0}) {
		t.Errorf("BatchLabels = %v, want [1 2 0]", got)
	}
}

func TestSubsetIsDeterministicAndWithoutReplacement(t *testing.T) {
	s := numberedSet(50)
	a, err := s.Subset(20, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Subset(20, 7)
	c, _ := s.Subset(20, 8)
	ia, ib, ic := imageIDs(a), imageIDs(b), imageIDs(c)
	if !slices.Equal(ia, ib) {
		t.Errorf("the same seed gave %v and %v", ia, ib)
	}
	if slices.Equal(ia, ic) {
		t.Errorf("seeds 7 and 8 gave the same subset %v", ia)
	}
	sorted := slices.Clone(ia)
	sort.Ints(sorted)
	if len(slices.Compact(sorted)) != 20 {
		t.Errorf("subset repeats an image: %v", ia)
	}
	for k, id := range ia {
		if a.Labels[k] != id%3 {
			t.Errorf("image %d of the subset (original %d) has label %d, want %d", k, id, a.Labels[k], id%3)
		}
	}
	if a.N != 20 || len(a.Images) != 20*8 || s.N != 50 {
		t.Errorf("subset N %d with %d values; original N %d", a.N, len(a.Images), s.N)
	}
	if all, _ := s.Subset(0, 7); all != s {
		t.Error("Subset(0) did not return the set itself")
	}
	if _, err := s.Subset(51, 7); err == nil || !strings.Contains(err.Error(), "only 50") {
		t.Errorf("Subset(51): %v", err)
	}
	if _, err := s.Subset(-1, 7); err == nil {
		t.Error("Subset(-1) gave no error")
	}
}

func TestShuffleIsASeededPermutation(t *testing.T) {
	s := numberedSet(30)
	p, q, r := s.Shuffle(1), s.Shuffle(1), s.Shuffle(2)
	if !slices.Equal(p, q) || slices.Equal(p, r) {
		t.Errorf("shuffles with seeds 1, 1, 2: %v %v %v", p, q, r)
	}
	sorted := slices.Clone(p)
	sort.Ints(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("Shuffle is not a permutation of 0..29: %v", p)
		}
	}
}

func TestNormalizeUsesTrainStatistics(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	raw, rawTest, err := Load("cifar10", Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := Load("cifar10", Options{Path: dir, Normalize: true})
	if err != nil {
		t.Fatal(err)
	}
	// The training split now has mean 0 and deviation 1 in every channel.
	mean, std := train.ChannelStats()
	for c := range 3 {
		if math.Abs(mean[c]) > 1e-5 || math.Abs(std[c]-1) > 1e-5 {
			t.Errorf("channel %d after normalization: mean %g std %g", c, mean[c], std[c])
		}
	}
	// The test split is normalized with the training statistics, computed
	// here independently in float64.
	plane := 32 * 32
	for c := range 3 {
		var sum, sq float64
		for i := range raw.N {
			for _, v := range raw.Image(i)[c*plane : (c+1)*plane] {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		n := float64(raw.N * plane)
		m := sum / n
		sd := math.Sqrt(sq/n - m*m)
		if math.Abs(float64(test.Mean[c])-m) > 1e-6 || math.Abs(float64(test.Std[c])-sd) > 1e-6 {
			t.Errorf("channel %d: test normalized with %v/%v, train statistics are %v/%v", c, test.Mean[c], test.Std[c], m, sd)
		}
		for i := range rawTest.N {
			for k := c * plane; k < (c+1)*plane; k++ {
				want := (float64(rawTest.Image(i)[k]) - m) / sd
				if got := float64(test.Image(i)[k]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("test image %d value %d = %v, want %v", i, k, got, want)
				}
			}
		}
	}
	if err := train.Normalize(train.Mean, train.Std); err == nil {
		t.Error("normalizing twice gave no error")
	}
}

func TestNormalizeCentresAConstantChannel(t *testing.T) {
	s := numberedSet(1) // one image: each channel is constant
	test := numberedSet(1)
	test.Split = "test"
	sp, err := prepare(numberedSet(1), test, Options{Normalize: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sp.Train.Images {
		if v != 0 {
			t.Fatalf("a constant channel normalized to %v, want 0", v)
		}
	}
	if err := s.Normalize([]float32{0, 0}, []float32{1, 0}); err == nil {
		t.Error("a zero std gave no error")
	}
	if err := s.Normalize([]float32{0}, []float32{1}); err == nil {
		t.Error("one channel's statistics for two channels gave no error")
	}
}

func TestLoadSubsetsBothSplits(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	opts := Options{Path: dir, TrainSubset: 6, TestSubset: 1, Seed: 3}
	a, at, err := Load("cifar10", opts)
	if err != nil {
		t.Fatal(err)
	}
	b, bt, _ := Load("cifar10", opts)
	if a.N != 6 || at.N != 1 || !slices.Equal(a.Images, b.Images) || !slices.Equal(a.Labels, b.Labels) || !slices.Equal(at.Images, bt.Images) {
		t.Errorf("the same options gave different subsets (sizes %d/%d)", a.N, at.N)
	}
	opts.TrainSubset = 16
	if _, _, err := Load("cifar10", opts); err == nil || !strings.Contains(err.Error(), "only 15") {
		t.Errorf("a train subset larger than the split: %v", err)
	}
	opts.TrainSubset = -2
	if _, _, err := Load("cifar10", opts); err == nil || !strings.Contains(err.Error(), "-2") {
		t.Errorf("a negative subset: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names not sorted: %v", names)
	}
	for _, want := range []string{"cifar10", "cifar100", "cifar100-coarse", "fashion-mnist", "mnist", "stl10"} {
		if !slices.Contains(names, want) {
			t.Errorf("%q not registered (have %v)", want, names)
		}
	}
	if _, err := Lookup("cifar-10"); err == nil || !strings.Contains(err.Error(), `did you mean "cifar10"`) {
		t.Errorf("Lookup(cifar-10): %v", err)
	}
	if _, err := Lookup("imagenet"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("Lookup(imagenet): %v", err)
	}
	if _, _, err := Load("mnsit", Options{}); err == nil || !strings.Contains(err.Error(), `"mnist"`) {
		t.Errorf("Load(mnsit): %v", err)
	}
}

func TestMissingDataPath(t *testing.T) {
	missing := t.TempDir() + "/nope"
	if _, _, err := Load("cifar10", Options{Path: missing}); err == nil || !strings.Contains(err.Error(), missing) ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing data path: %v", err)
	}
}

// TestCheckPathRefusesAnEmptyPathWithoutAnEmbeddedCopy checks CheckPath on
// every registered data set: an empty data_path is refused, with where to
// get the files, exactly where the loader itself would refuse it.
func TestCheckPathRefusesAnEmptyPathWithoutAnEmbeddedCopy(t *testing.T) {
	for _, name := range Names() {
		info, _ := Lookup(name)
		checked := CheckPath(name, "")
		if info.NeedsPath == "" {
			if checked != nil {
				t.Errorf("%s: CheckPath(\"\") = %v for a data set with an embedded copy", name, checked)
			}
			continue
		}
		if checked == nil || !strings.Contains(checked.Error(), "data_path") {
			t.Errorf("%s: CheckPath(\"\") = %v, want an error saying to set data_path", name, checked)
		}
		if _, _, err := info.Load(""); err == nil || err.Error() != checked.Error() {
			t.Errorf("%s: the loader refuses an empty path with %v, CheckPath with %v", name, err, checked)
		}
		if err := CheckPath(name, "/some/folder"); err != nil {
			t.Errorf("%s: CheckPath with a path: %v", name, err)
		}
	}
}

// TestCheckFolderSaysPermissionDenied checks that a data folder this user
// cannot enter is reported as denied, at validation, and that MNIST's
// loader says so too, rather than that its files are missing. Root enters
// every folder, so the test skips there.
func TestCheckFolderSaysPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root is not denied")
	}
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if err := CheckFolder(dir); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("CheckFolder of a folder mode 000: %v", err)
	}
	_, _, err := Load("mnist", Options{Path: dir})
	if err == nil || !strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "neither") {
		t.Errorf("Load of MNIST from a folder mode 000: %v", err)
	}
}

// TestCheckFolderSaysWhereARelativePathIsRead: a relative data path that
// is not found names the folder it was looked for from, the one the
// command runs in, since a researcher who runs a sweep file from another
// folder looks for it beside the file; an absolute one does not.
func TestCheckFolderSaysWhereARelativePathIsRead(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := "a relative path is read from the folder the command runs in, " + dir + ", not the sweep file's"
	if err := CheckFolder("cifar"); err == nil || !strings.Contains(err.Error(), `data path "cifar" does not exist`) ||
		!strings.Contains(err.Error(), want) {
		t.Errorf("CheckFolder of a missing relative path: %v, want it to say %q", err, want)
	}
	if err := CheckFolder(filepath.Join(dir, "cifar")); err == nil || strings.Contains(err.Error(), "relative") {
		t.Errorf("CheckFolder of a missing absolute path: %v", err)
	}
}
