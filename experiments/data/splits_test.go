package data

import (
	"strings"
	"testing"
)

// TestSplitsAreDisjointAndSized loads the embedded MNIST with a training
// subset and a validation split held out of the training file, and checks
// the stated sizes, that no training-file image is both trained on and
// validated on, that the validation images come from the training file
// (never the test file), and that holding images out does not change the
// training subset.
func TestSplitsAreDisjointAndSized(t *testing.T) {
	const train, val, test = 5000, 10000, 0
	sp, err := LoadSplits("mnist", Options{TrainSubset: train, ValidationSubset: val, TestSubset: test, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Train.N != train || sp.Validation.N != val || sp.Test.N != 10000 {
		t.Fatalf("sizes: train %d, validation %d, test %d; want %d, %d and the whole 10000-image test split",
			sp.Train.N, sp.Validation.N, sp.Test.N, train, val)
	}
	if sp.Train.Split != SplitTrain || sp.Validation.Split != SplitValidation || sp.Test.Split != SplitTest {
		t.Fatalf("split names %q, %q, %q", sp.Train.Split, sp.Validation.Split, sp.Test.Split)
	}
	seen := map[int]bool{}
	for _, i := range sp.Train.Source {
		seen[i] = true
	}
	if len(seen) != train {
		t.Fatalf("the training subset holds %d distinct images, want %d", len(seen), train)
	}
	for _, i := range sp.Validation.Source {
		if seen[i] {
			t.Fatalf("training-file image %d is in both the training and the validation split", i)
		}
		seen[i] = true
	}
	if len(seen) != train+val {
		t.Fatalf("the validation split repeats images: %d distinct of %d", len(seen)-train, val)
	}
	// The validation images are the training file's: the same pixels.
	whole, _, err := Load("mnist", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, i := range sp.Validation.Source[:50] {
		a, b := sp.Validation.Image(k), whole.Image(i)
		for p := range a {
			if a[p] != b[p] {
				t.Fatalf("validation image %d is not training-file image %d", k, i)
			}
		}
	}
	// Holding out images leaves the training subset as it was.
	alone, _, err := Load("mnist", Options{TrainSubset: train, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	for k := range alone.Source {
		if alone.Source[k] != sp.Train.Source[k] {
			t.Fatalf("training image %d is file image %d without a validation split and %d with one", k, alone.Source[k], sp.Train.Source[k])
		}
	}
}

// TestSplitOffRefusesTooMany checks the error when the training and
// validation images do not fit in the split.
func TestSplitOffRefusesTooMany(t *testing.T) {
	s := numberedSet(10)
	if _, _, err := s.SplitOff(6, 5, 1); err == nil || !strings.Contains(err.Error(), "only 10") {
		t.Fatalf("6 + 5 of 10 images: error %v, want one saying the split has only 10", err)
	}
	tr, va, err := s.SplitOff(0, 4, 1)
	if err != nil || tr.N != 6 || va.N != 4 {
		t.Fatalf("all but 4 of 10: %v, %v, %v", tr, va, err)
	}
}
