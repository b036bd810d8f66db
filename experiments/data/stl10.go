package data

import (
	"fmt"
	"path/filepath"
)

// STL-10's binary version stores each 96x96 colour image as three planes
// (red, green, blue) of 96x96 bytes, each plane in column-major order: the
// byte at offset col*96 + row of a plane is the pixel at (row, col).
const (
	stlSide   = 96
	stlPlane  = stlSide * stlSide
	stlImage  = 3 * stlPlane
	stlPool   = stlSide / paddedSide // 3: the side of the averaged blocks
	stlFix    = "download the binary version (stl10_binary.tar.gz) from https://cs.stanford.edu/~acoates/stl10/, unpack it and pass the stl10_binary folder (which holds train_X.bin, train_y.bin, test_X.bin and test_y.bin) as data_path"
	stlLabels = 10
)

func init() {
	Register(Info{
		Name:      "stl10",
		Summary:   "STL-10 labelled splits, 5000 train / 8000 test, 3x96x96 averaged over 3x3 blocks to 3x32x32, 10 classes; needs data_path (the binary version)",
		Load:      loadSTL10,
		NeedsPath: stlFix,
	})
}

// loadSTL10 reads the labelled splits of STL-10's binary version. Each image
// is averaged over 3x3 blocks down to 32x32, because the paper's 32x32
// encoder serves every data set here (the paper itself trains a 64x64
// AlexNet-like encoder on STL-10, so its STL-10 numbers are not directly
// comparable). The unlabeled split (unlabeled_X.bin) is not read: the probes
// need labels. Each file must have its standard size: 5000 training and
// 8000 test images and labels.
func loadSTL10(dir string) (train, test *Set, err error) {
	if err := CheckPath("stl10", dir); err != nil {
		return nil, nil, err
	}
	type split struct {
		name string
		x, y *recordFile
	}
	var splits []split
	for _, name := range []string{"train", "test"} {
		x, err := statRecords("stl10", filepath.Join(dir, name+"_X.bin"), stlImage,
			"images of 96x96x3 bytes", stlFix)
		if err != nil {
			return nil, nil, err
		}
		y, err := statRecords("stl10", filepath.Join(dir, name+"_y.bin"), 1, "one-byte labels", stlFix)
		if err != nil {
			return nil, nil, err
		}
		if x.n != y.n {
			return nil, nil, fmt.Errorf("stl10: %s holds %d images but %s holds %d labels; the two must match; %s",
				x.path, x.n, y.path, y.n, stlFix)
		}
		splits = append(splits, split{name, x, y})
	}
	var out [2]*Set
	for k, sp := range splits {
		s := &Set{Name: "stl10", Split: sp.name, N: sp.x.n, C: 3, H: paddedSide, W: paddedSide, Classes: stlLabels}
		s.Labels = make([]int, s.N)
		err := sp.y.each(func(i int, rec []byte) error {
			if rec[0] < 1 || rec[0] > stlLabels {
				return fmt.Errorf("stl10: label %d in %s is %d, outside 1..%d; is this an STL-10 label file? %s",
					i, sp.y.path, rec[0], stlLabels, stlFix)
			}
			s.Labels[i] = int(rec[0]) - 1
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		s.Images = make([]float32, s.N*s.Dim())
		err = sp.x.each(func(i int, rec []byte) error {
			poolSTL(s.Image(i), rec)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		out[k] = s
	}
	return out[0], out[1], nil
}

// poolSTL writes the 3x32x32 channel-major average over 3x3 blocks of one
// STL-10 image (three column-major 96x96 planes) into dst, scaled to [0, 1].
func poolSTL(dst []float32, src []byte) {
	const side = paddedSide
	var acc [side * side]int
	for c := range 3 {
		clear(acc[:])
		plane := src[c*stlPlane : (c+1)*stlPlane]
		for col := range stlSide {
			column := plane[col*stlSide : (col+1)*stlSide]
			x := col / stlPool
			for row, b := range column {
				acc[(row/stlPool)*side+x] += int(b)
			}
		}
		out := dst[c*side*side : (c+1)*side*side]
		for k, sum := range acc {
			out[k] = float32(sum) / (stlPool * stlPool * 255)
		}
	}
}
