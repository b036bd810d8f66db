package data_test

import (
	"fmt"

	"github.com/infomax/infomax/experiments/data"
)

// stripes is a split of n one-channel images, image i a horizontal stripe
// at row i mod 32, labelled by the half of the image it is in.
func stripes(split string, n int) *data.Set {
	s := &data.Set{Name: "example-stripes", Split: split, N: n, C: 1, H: data.ImageSide, W: data.ImageSide, Classes: 2}
	s.Images = make([]float32, n*s.Dim())
	for i := range n {
		row := i % data.ImageSide
		for x := range data.ImageSide {
			s.Images[i*s.Dim()+row*data.ImageSide+x] = 1
		}
		s.Labels = append(s.Labels, row*2/data.ImageSide)
	}
	return s
}

// A data set is one file in experiments/data/ that registers its loader in
// init; a sweep file names it as dataset = "example-stripes". The loader
// returns two splits of ImageSide x ImageSide images with values in
// [0, 1], which LoadSplits checks before it draws subsets and normalizes.
func init() {
	data.Register(data.Info{
		Name:    "example-stripes",
		Summary: "one horizontal stripe per image (the worked example of adding a data set)",
		Load: func(path string) (train, test *data.Set, err error) {
			return stripes(data.SplitTrain, 64), stripes(data.SplitTest, 32), nil
		},
		EmbeddedTrain: 64, EmbeddedTest: 32,
	})
}

// Example_addingADataSet loads the data set above by name, as a run does.
func Example_addingADataSet() {
	sp, err := data.LoadSplits("example-stripes", data.Options{TrainSubset: 16, ValidationSubset: 8, Normalize: true, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []*data.Set{sp.Train, sp.Validation, sp.Test} {
		fmt.Printf("%s: %d images of %dx%dx%d, %d classes\n", s.Split, s.N, s.C, s.H, s.W, s.Classes)
	}
	// Output:
	// train: 16 images of 1x32x32, 2 classes
	// validation: 8 images of 1x32x32, 2 classes
	// test: 32 images of 1x32x32, 2 classes
}
