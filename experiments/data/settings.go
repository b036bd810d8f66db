package data

import (
	"fmt"
	"path/filepath"
)

// Sizes are the numbers of images of a data set's train and test splits
// and their channels, for memory estimates made before anything is read.
type Sizes struct{ Train, Test, Channels int }

// sizes are the registered data sets' sizes (see `sweep list`).
var sizes = map[string]Sizes{
	"mnist": {60000, 10000, 1}, "fashion-mnist": {60000, 10000, 1},
	"cifar10": {50000, 10000, 3}, "cifar100": {50000, 10000, 3}, "cifar100-coarse": {50000, 10000, 3},
	"stl10": {5000, 8000, 3},
}

// SizesOf returns the named data set's sizes; one not listed is taken to
// be as large as the largest. Every set's images are 32x32 (package data
// pads or averages them to that side, ImageSide).
func SizesOf(name string) Sizes {
	if s, ok := sizes[name]; ok {
		return s
	}
	return Sizes{60000, 10000, 3}
}

// ImageSide is the side of every data set's images.
const ImageSide = 32

// Settings are the keys a task that reads images gives them: dataset,
// data_path, train_subset, test_subset, validation_subset and eval_split,
// as the dim and consistency tasks name them.
type Settings struct {
	Dataset, DataPath                         string
	TrainSubset, TestSubset, ValidationSubset int
	EvalSplit                                 string
}

// Check reports the first impossible setting of s, naming its key, and
// returns data_path cleaned: one folder written two ways ("cifar",
// "./cifar/") is one path, and gives its runs one id. Subsets larger than
// their splits fail here where the splits' sizes are known before reading
// (the embedded MNIST), rather than in every run.
func (s Settings) Check() (dataPath string, err error) {
	if _, err := Lookup(s.Dataset); err != nil {
		return "", fmt.Errorf("dataset = %q: %w", s.Dataset, err)
	}
	if err := CheckPath(s.Dataset, s.DataPath); err != nil {
		return "", fmt.Errorf("dataset = %q needs data_path: %w", s.Dataset, err)
	}
	if s.DataPath != "" {
		s.DataPath = filepath.Clean(s.DataPath)
	}
	for _, c := range []struct {
		key, must string
		v         int
	}{
		{"train_subset", "0 (all images) or positive", s.TrainSubset},
		{"test_subset", "0 (all images) or positive", s.TestSubset},
		{"validation_subset", "0 (none) or positive", s.ValidationSubset},
	} {
		if c.v < 0 {
			return "", fmt.Errorf("%s = %d: must be %s", c.key, c.v, c.must)
		}
	}
	if err := s.checkSubsetSizes(); err != nil {
		return "", err
	}
	switch s.EvalSplit {
	case SplitTest:
	case SplitValidation:
		if s.ValidationSubset == 0 {
			return "", fmt.Errorf("eval_split = %q but validation_subset = 0: hold out some training images, e.g. validation_subset = 10000", s.EvalSplit)
		}
	default:
		return "", fmt.Errorf("eval_split = %q: must be %q (report) or %q (tune settings on held-out training images)", s.EvalSplit, SplitTest, SplitValidation)
	}
	return s.DataPath, nil
}

// checkSubsetSizes checks the subsets against the splits' sizes where
// those are known before reading.
func (s Settings) checkSubsetSizes() error {
	train, test, ok := EmbeddedSizes(s.Dataset, s.DataPath)
	switch {
	case !ok:
	case s.TrainSubset > train:
		return fmt.Errorf("train_subset = %d: %s has %d training images; use at most %d, or 0 for all", s.TrainSubset, s.Dataset, train, train)
	case s.TestSubset > test:
		return fmt.Errorf("test_subset = %d: %s has %d test images; use at most %d, or 0 for all", s.TestSubset, s.Dataset, test, test)
	case s.ValidationSubset >= train:
		return fmt.Errorf("validation_subset = %d: %s has %d training images, and some must be left to train on; use fewer", s.ValidationSubset, s.Dataset, train)
	case s.ValidationSubset > 0 && s.TrainSubset+s.ValidationSubset > train:
		return fmt.Errorf("validation_subset = %d: with train_subset = %d, more than the %d training images of %s; use fewer", s.ValidationSubset, s.TrainSubset, train, s.Dataset)
	}
	return nil
}
