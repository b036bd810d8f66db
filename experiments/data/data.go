// Package data loads the image data sets that Deep InfoMax is trained and
// probed on: MNIST (embedded in every binary, so it needs no download, no
// network and no Go installation), Fashion-MNIST, CIFAR-10, CIFAR-100 and
// STL-10 (from the standard binary distributions in a folder the user
// names).
//
// Every data set comes as two [Set] values, train and test, of 32x32 images
// stored channel-major (CHW) as float32 in [0, 1], so that the paper's 32x32
// encoder serves every data set: MNIST's 28x28 digits are padded with two
// zero pixels on each side, and STL-10's 96x96 images are averaged over 3x3
// blocks. [Load] then applies the [Options]: a seeded random subset of each
// split (for CPU budgets) and per-channel normalization with statistics
// computed on the training split.
//
// Data sets register themselves by name in init, like the estimators and
// critics; [Names] lists them and [Lookup] finds one.
package data

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/infomax/infomax/internal/hugepage"
	"github.com/infomax/infomax/internal/seed"

	"github.com/infomax/infomax/internal/registry"
)

// Set is one split (train or test) of an image data set.
type Set struct {
	// Name is the registered name of the data set, such as "mnist".
	Name string
	// Split is "train" or "test".
	Split string
	// N is the number of images; C, H and W are the channels, height and
	// width of each.
	N, C, H, W int
	// Images holds N*C*H*W values. Image i occupies
	// Images[i*C*H*W : (i+1)*C*H*W] and is channel-major: channel c, row y,
	// column x is at offset c*H*W + y*W + x. Values are in [0, 1] unless the
	// set has been normalized.
	Images []float32
	// Labels holds N class indices in [0, Classes).
	Labels []int
	// Classes is the number of classes.
	Classes int
	// Mean and Std are the per-channel statistics the images were normalized
	// with ((x - Mean[c]) / Std[c]); both are nil if the set is not
	// normalized.
	Mean, Std []float32
	// Source holds, for a subset, the index of each image in the split it
	// was drawn from (the data set's train or test file); it is nil for a
	// whole split, in file order.
	Source []int
}

// The splits a [Set] can be: the data set's own train and test splits, and
// the validation images held out of the training split (see
// [Options.ValidationSubset]).
const (
	SplitTrain      = "train"
	SplitTest       = "test"
	SplitValidation = "validation"
)

// Dim returns the number of values in one image, C*H*W.
func (s *Set) Dim() int { return s.C * s.H * s.W }

// Image returns image i as a slice of Images (not a copy) of length Dim.
func (s *Set) Image(i int) []float32 {
	d := s.Dim()
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Batch copies the images at indices, one after another, into dst and
// returns dst[:len(indices)*Dim()]. If dst is too short a new slice is
// allocated; pass the previous result to reuse its memory.
func (s *Set) Batch(indices []int, dst []float32) []float32 {
	d := s.Dim()
	need := len(indices) * d
	if cap(dst) < need {
		dst = hugepage.Float32s(need)
	}
	dst = dst[:need]
	for k, i := range indices {
		copy(dst[k*d:(k+1)*d], s.Images[i*d:(i+1)*d])
	}
	return dst
}

// BatchLabels copies the labels at indices into dst and returns
// dst[:len(indices)], allocating if dst is too short, like [Set.Batch].
func (s *Set) BatchLabels(indices []int, dst []int) []int {
	if cap(dst) < len(indices) {
		dst = make([]int, len(indices))
	}
	dst = dst[:len(indices)]
	for k, i := range indices {
		dst[k] = s.Labels[i]
	}
	return dst
}

// Streams of the PCG source, so that a subset and a shuffle drawn from the
// same seed are unrelated.
const (
	subsetStream  = 0x5ab5e7
	shuffleStream = 0x5bff1e
)

// Shuffle returns a permutation of 0..N-1 drawn from seed: the same seed
// always gives the same permutation. A training loop passes a different seed
// each epoch (for example one derived from the run seed and the epoch).
func (s *Set) Shuffle(seed uint64) []int {
	return rand.New(rand.NewPCG(seed, shuffleStream)).Perm(s.N)
}

// Subset returns a new set of n images drawn at random without replacement
// from s, in the random order drawn; the same seed always gives the same
// subset. n = 0 or n = N returns s itself unchanged (all images, in file
// order). The new set has its own copy of the chosen images.
func (s *Set) Subset(n int, seed uint64) (*Set, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s %s: subset size %d is negative; use 0 for all %d images", s.Name, s.Split, n, s.N)
	}
	if n > s.N {
		return nil, fmt.Errorf("%s %s: subset of %d images asked for, but the split has only %d; use at most %d, or 0 for all",
			s.Name, s.Split, n, s.N, s.N)
	}
	if n == 0 || n == s.N {
		return s, nil
	}
	return s.pick(rand.New(rand.NewPCG(seed, subsetStream)).Perm(s.N)[:n]), nil
}

// pick returns a new set of the images at idx, in that order, with their
// own copy of the images and their Source indices.
func (s *Set) pick(idx []int) *Set {
	sub := *s
	sub.N = len(idx)
	sub.Images = s.Batch(idx, nil)
	sub.Labels = s.BatchLabels(idx, nil)
	sub.Mean, sub.Std = slices.Clone(s.Mean), slices.Clone(s.Std)
	sub.Source = make([]int, len(idx))
	for k, i := range idx {
		sub.Source[k] = i
		if s.Source != nil {
			sub.Source[k] = s.Source[i]
		}
	}
	return &sub
}

// SplitOff returns a training subset of n images (0: every image not held
// out) and a validation set of v images, disjoint, drawn with seed: the
// training subset is the same one [Set.Subset] draws with that seed, and
// the validation images come next in the same random order, so holding
// images out never changes which images a run trains on. v = 0 is
// [Set.Subset] with no validation set.
func (s *Set) SplitOff(n, v int, seed uint64) (train, validation *Set, err error) {
	if v == 0 {
		train, err = s.Subset(n, seed)
		return train, nil, err
	}
	if n < 0 || v < 0 {
		return nil, nil, fmt.Errorf("%s %s: subset sizes %d and %d: want 0 or positive", s.Name, s.Split, n, v)
	}
	if n == 0 {
		n = s.N - v
	}
	if n <= 0 || n+v > s.N {
		return nil, nil, fmt.Errorf("%s %s: %d training and %d validation images asked for, but the split has only %d; use fewer", s.Name, s.Split, n, v, s.N)
	}
	order := rand.New(rand.NewPCG(seed, subsetStream)).Perm(s.N)
	train, validation = s.pick(order[:n]), s.pick(order[n:n+v])
	validation.Split = SplitValidation
	return train, validation, nil
}

// ChannelStats returns the mean and the (population) standard deviation of
// each channel over every pixel of every image, accumulated in float64.
func (s *Set) ChannelStats() (mean, std []float64) {
	mean = make([]float64, s.C)
	std = make([]float64, s.C)
	plane := s.H * s.W
	for c := 0; c < s.C; c++ {
		var sum, sq float64
		for i := 0; i < s.N; i++ {
			off := i*s.Dim() + c*plane
			var ps, pq float64
			for _, v := range s.Images[off : off+plane] {
				ps += float64(v)
				pq += float64(v) * float64(v)
			}
			sum += ps
			sq += pq
		}
		count := float64(s.N * plane)
		if count == 0 {
			continue
		}
		mean[c] = sum / count
		std[c] = math.Sqrt(max(0, sq/count-mean[c]*mean[c]))
	}
	return mean, std
}

// Normalize replaces every value x of channel c by (x - mean[c]) / std[c]
// and records mean and std in the set. It is an error to normalize a set
// twice, to pass the wrong number of channels, or to pass a std that is not
// positive and finite.
func (s *Set) Normalize(mean, std []float32) error {
	if s.Mean != nil {
		return fmt.Errorf("%s %s: already normalized", s.Name, s.Split)
	}
	if len(mean) != s.C || len(std) != s.C {
		return fmt.Errorf("%s %s: normalization needs %d channel means and stds, got %d and %d",
			s.Name, s.Split, s.C, len(mean), len(std))
	}
	for c, sd := range std {
		if !(sd > 0) || math.IsInf(float64(sd), 0) || math.IsNaN(float64(mean[c])) {
			return fmt.Errorf("%s %s: channel %d has mean %v and std %v; the std must be positive and finite",
				s.Name, s.Split, c, mean[c], sd)
		}
	}
	plane := s.H * s.W
	for i := 0; i < s.N; i++ {
		for c := 0; c < s.C; c++ {
			off := i*s.Dim() + c*plane
			m, inv := mean[c], 1/std[c]
			px := s.Images[off : off+plane]
			for k, v := range px {
				px[k] = (v - m) * inv
			}
		}
	}
	s.Mean, s.Std = slices.Clone(mean), slices.Clone(std)
	return nil
}

// check reports a set whose fields disagree; loaders call it before
// returning, so that every Set handed out is well formed.
func (s *Set) check() error {
	switch {
	case s.N <= 0 || s.C <= 0 || s.H <= 0 || s.W <= 0:
		return fmt.Errorf("%s %s: empty or malformed set (N=%d C=%d H=%d W=%d)", s.Name, s.Split, s.N, s.C, s.H, s.W)
	case len(s.Images) != s.N*s.Dim():
		return fmt.Errorf("%s %s: %d image values for %d images of %d", s.Name, s.Split, len(s.Images), s.N, s.Dim())
	case len(s.Labels) != s.N:
		return fmt.Errorf("%s %s: %d labels for %d images", s.Name, s.Split, len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if l < 0 || l >= s.Classes {
			return fmt.Errorf("%s %s: image %d has label %d outside [0, %d)", s.Name, s.Split, i, l, s.Classes)
		}
	}
	return nil
}

// Options say where to find a data set and how to prepare it.
type Options struct {
	// Path is the folder that holds the data set's files. "" means the
	// data set's default location; only mnist has one (its files embedded
	// in the binary).
	Path string
	// TrainSubset and TestSubset are the numbers of images to keep from
	// each split, drawn at random with Seed; 0 keeps all of them.
	TrainSubset, TestSubset int
	// Normalize standardizes each channel with the mean and standard
	// deviation of the (subset) training split, applied to both splits. A
	// channel with zero deviation is only centred.
	Normalize bool
	// ValidationSubset holds that many images of the training split out of
	// training, as the validation split, drawn disjoint from the training
	// subset (see [Set.SplitOff]); 0 holds none out.
	ValidationSubset int
	// Seed fixes the subsets drawn.
	Seed uint64
}

// Splits are the prepared splits of a data set: Validation is nil when no
// images are held out.
type Splits struct {
	Train, Validation, Test *Set
}

// Info describes a registered data set.
type Info struct {
	// Name is what sweep files write, such as "mnist".
	Name string
	// Summary is one line for listings.
	Summary string
	// Load reads the full train and test splits from the folder path ("" for
	// the data set's default location): images of ImageSide x ImageSide
	// pixels, the same channels in both splits, values in [0, 1].
	// [LoadSplits] checks all three and names the data set where one fails.
	Load func(path string) (train, test *Set, err error)
	// NeedsPath is set for a data set with no embedded copy: where to get
	// its files, and that their folder goes in data_path. Load then needs
	// a path, which CheckPath checks before anything is read.
	NeedsPath string
	// EmbeddedTrain and EmbeddedTest are the numbers of images in the
	// embedded copy's train and test splits, which [EmbeddedSizes] gives a
	// config to check its subsets against before anything is read; 0 for
	// a data set without one.
	EmbeddedTrain, EmbeddedTest int
}

// setRegistry holds the registered data sets; each needs a loader.
var setRegistry = registry.New("data set", func(i Info) (string, error) {
	return i.Name, cmp.Or(registry.Require(i.Load != nil, "a loader"), registry.RequireSummary(i.Summary))
})

// Register makes a data set available by name. It panics on an empty name,
// a nil loader or a name registered twice.
func Register(info Info) { setRegistry.Register(info) }

// Names returns the registered data-set names, sorted.
func Names() []string { return setRegistry.Names() }

// Lookup returns the named data set's registration; an unknown name is an
// error listing the known ones and the closest match.
func Lookup(name string) (Info, error) { return setRegistry.Lookup(name) }

// CheckPath reports a data path that the named data set cannot be read
// from without looking at the disk: an empty one, where the data set has
// no embedded copy, with where to get its files. A sweep checks it when
// validating, before any run starts.
func CheckPath(name, path string) error {
	info, err := Lookup(name)
	if err != nil {
		return err
	}
	if path == "" && info.NeedsPath != "" {
		return fmt.Errorf("%s has no embedded copy: %s", name, info.NeedsPath)
	}
	return nil
}

// CheckFolder reports a data path that is not a folder on this machine:
// one that does not exist, or a file. The empty path (a data set's
// embedded copy) passes. A sweep checks it before it runs and when it
// validates, so that a wrong path fails once, at its key, rather than
// every run at its start.
func CheckFolder(path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data path %q does not exist%s; give the folder that holds the data set's files", path, RelativeNote(path))
	case err != nil:
		return fmt.Errorf("data path %q: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("data path %q is a file; give the folder that holds the data set's files", path)
	}
	// A file in a folder that cannot be entered is not found but denied.
	if _, err := os.Lstat(filepath.Join(path, "infomax-access-check")); errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("data path %q: permission denied: give a folder this user can read (chmod a+rx)", path)
	}
	return nil
}

// RelativeNote says, for a relative path, which folder it is read from:
// the one the command runs in, not the sweep file's, which is where one
// run from another folder would have it. It is "" for an absolute path.
func RelativeNote(path string) string {
	if filepath.IsAbs(path) {
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (a relative path is read from the folder the command runs in, %s, not the sweep file's)", wd)
}

// EmbeddedSizes returns the numbers of images in the train and test
// splits that the named data set's Load reads from path, where that is
// known without reading: for its embedded copy (path ""). ok is false
// otherwise; a folder of the user's may hold any number of images.
func EmbeddedSizes(name, path string) (train, test int, ok bool) {
	info, err := Lookup(name)
	if err != nil || path != "" || info.EmbeddedTrain == 0 {
		return 0, 0, false
	}
	return info.EmbeddedTrain, info.EmbeddedTest, true
}

// Load reads the named data set and prepares it as opts say: first the
// subsets (train drawn with opts.Seed, test with a seed derived from it),
// then normalization with statistics of the training subset.
func Load(name string, opts Options) (train, test *Set, err error) {
	sp, err := LoadSplits(name, opts)
	if err != nil {
		return nil, nil, err
	}
	return sp.Train, sp.Test, nil
}

// LoadSplits is [Load] with the validation split as well: the images of
// the training split that opts.ValidationSubset holds out, normalized with
// the training subset's statistics like the others.
func LoadSplits(name string, opts Options) (*Splits, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if opts.TrainSubset < 0 || opts.TestSubset < 0 || opts.ValidationSubset < 0 {
		return nil, fmt.Errorf("%s: subset sizes must be 0 (all) or positive, got train %d, validation %d and test %d",
			name, opts.TrainSubset, opts.ValidationSubset, opts.TestSubset)
	}
	if err := CheckFolder(opts.Path); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	train, test, err := info.Load(opts.Path)
	if err != nil {
		return nil, err
	}
	if err := checkLoaded(name, train, test); err != nil {
		return nil, err
	}
	return prepare(train, test, opts)
}

// checkLoaded reports what a data set's loader returned against the
// contract of [Info.Load]: two splits of ImageSide x ImageSide images of
// the same channels, their values in [0, 1]. A registered loader that
// breaks it is named here, where its mistake is made, rather than in the
// encoder or a probe that the images reach later.
func checkLoaded(name string, train, test *Set) error {
	for _, s := range []*Set{train, test} {
		switch {
		case s == nil:
			return fmt.Errorf("data set %q: its loader returned no train or test split and no error; Load returns both", name)
		case s.H != ImageSide || s.W != ImageSide:
			return fmt.Errorf("data set %q: its loader returned %dx%d %s images; every data set is loaded as %dx%d (pad or resize in Load, as mnist and stl10 do)",
				name, s.H, s.W, s.Split, ImageSide, ImageSide)
		case s.C != train.C:
			return fmt.Errorf("data set %q: its loader returned %d channels in train and %d in test; both splits need the same", name, train.C, s.C)
		}
		for k, v := range s.Images {
			if !(v >= 0 && v <= 1) { // NaN fails both
				return fmt.Errorf("data set %q: its loader returned %v in %s image %d; Load returns values in [0, 1]", name, v, s.Split, k/max(s.Dim(), 1))
			}
		}
	}
	return nil
}

// prepare checks the loaded splits and applies opts' subsets and
// normalization to them.
func prepare(train, test *Set, opts Options) (*Splits, error) {
	for _, s := range []*Set{train, test} {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	sp := &Splits{}
	var err error
	if sp.Train, sp.Validation, err = train.SplitOff(opts.TrainSubset, opts.ValidationSubset, opts.Seed); err != nil {
		return nil, err
	}
	if sp.Test, err = test.Subset(opts.TestSubset, seed.Derive(opts.Seed, 1)); err != nil {
		return nil, err
	}
	if opts.Normalize {
		m, sd := sp.Train.ChannelStats()
		mean := make([]float32, len(m))
		std := make([]float32, len(sd))
		for c := range m {
			mean[c], std[c] = float32(m[c]), float32(sd[c])
			if !(std[c] > 0) {
				std[c] = 1
			}
		}
		for _, s := range []*Set{sp.Train, sp.Validation, sp.Test} {
			if s == nil {
				continue
			}
			if err := s.Normalize(mean, std); err != nil {
				return nil, err
			}
		}
	}
	return sp, nil
}
