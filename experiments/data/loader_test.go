package data

import (
	"math"
	"strings"
	"testing"
)

// badLoad is what the test-bad-loader data set's loader returns: a test
// sets it to a loader that breaks one rule of Info.Load.
var badLoad func() (train, test *Set)

func init() {
	Register(Info{Name: "test-bad-loader", Summary: "a loader that breaks Info.Load's contract, for a test",
		Load: func(string) (*Set, *Set, error) { tr, te := badLoad(); return tr, te, nil }})
}

// greySet is a split of n one-channel side x side images, every value v.
func greySet(split string, n, side int, v float32) *Set {
	s := &Set{Name: "test-bad-loader", Split: split, N: n, C: 1, H: side, W: side, Classes: 1, Labels: make([]int, n)}
	s.Images = make([]float32, n*side*side)
	for i := range s.Images {
		s.Images[i] = v
	}
	return s
}

// TestLoadSplitsNamesALoaderThatBreaksTheContract checks that images of
// another size, channels that differ between the splits and values
// outside [0, 1] (NaN among them) are refused when loaded, naming the
// data set and the rule, rather than found by the encoder or a probe.
func TestLoadSplitsNamesALoaderThatBreaksTheContract(t *testing.T) {
	nan := greySet("train", 2, 32, 0.5)
	nan.Images[1030] = float32(math.NaN())
	short := greySet("train", 2, 32, 0.5)
	short.H, short.Images = 28, short.Images[:2*28*32]
	rgb := greySet("test", 2, 32, 0.5)
	rgb.C, rgb.Images = 3, append(rgb.Images, make([]float32, 4*32*32)...)
	for _, tc := range []struct {
		train, test *Set
		want        string
	}{
		{greySet("train", 2, 28, 0.5), greySet("test", 2, 28, 0.5), `data set "test-bad-loader": its loader returned 28x28 train images; every data set is loaded as 32x32`},
		{short, greySet("test", 2, 32, 0.5), `its loader returned 28x32 train images`},
		{nan, greySet("test", 2, 32, 0.5), `data set "test-bad-loader": its loader returned NaN in train image 1; Load returns values in [0, 1]`},
		{greySet("train", 2, 32, 0.5), greySet("test", 2, 32, 255), `its loader returned 255 in test image 0`},
		{greySet("train", 2, 32, 0.5), rgb, "returned 1 channels in train and 3 in test"},
		{greySet("train", 2, 32, 0.5), nil, "returned no train or test split"},
	} {
		badLoad = func() (*Set, *Set) { return tc.train, tc.test }
		_, err := LoadSplits("test-bad-loader", Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("LoadSplits: %v\nwant one line containing %q", err, tc.want)
		}
	}
	badLoad = func() (*Set, *Set) { return greySet("train", 2, 32, 0.5), greySet("test", 2, 32, 1) }
	if _, err := LoadSplits("test-bad-loader", Options{}); err != nil {
		t.Errorf("a loader that keeps the contract: %v", err)
	}
}
