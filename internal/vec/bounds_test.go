package vec

import "testing"

// TestSumRowsNeedsALongEnoughMatrix checks that SumRows panics, as a
// slice bound does, where a (its capacity too) is one element short of
// rows rows of len(out) columns stride apart: the AVX2 loops read by
// pointer, so where the columns are a multiple of eight, reslicing a to
// its full extent is the only check.
func TestSumRowsNeedsALongEnoughMatrix(t *testing.T) {
	for _, cols := range []int{3, 8, 64, 75} {
		rows, stride := 3, cols+5
		need := (rows-1)*stride + cols
		a := make([]float32, need-1)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%d columns: SumRows of a one element short did not panic", cols)
				}
			}()
			SumRows(rows, stride, a, make([]float32, cols))
		}()
	}
}

// TestColumnSumsOfNoColumns checks that a matrix of no columns leaves the
// sums as they are, with no division by its width.
func TestColumnSumsOfNoColumns(t *testing.T) {
	ColumnSums(4, 0, nil, nil, nil, nil, nil)
	ColumnSums(4, 0, []float32{}, []float32{}, []float64{}, []float64{}, []float64{})
}
