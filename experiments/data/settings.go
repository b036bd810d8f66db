package data

import (
	"fmt"
	"path/filepath"
)

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
