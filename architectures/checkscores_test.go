package architectures

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCheckScores checks that a critic's scores pass only as (rows, cols):
// transposed, a wrong count of rows or of columns, or not a matrix, is an
// error naming the critic and both shapes.
func TestCheckScores(t *testing.T) {
	g := G.NewGraph()
	node := func(shape ...int) *G.Node {
		if len(shape) == 1 {
			return G.NewVector(g, tensor.Float32, G.WithShape(shape...))
		}
		return G.NewMatrix(g, tensor.Float32, G.WithShape(shape...))
	}
	if err := CheckScores("c", node(3, 5), 3, 5); err != nil {
		t.Fatalf("(3, 5) scores for 3 rows and 5 columns: %v", err)
	}
	for _, s := range [][]int{{5, 3}, {3, 4}, {2, 5}, {15}} {
		err := CheckScores("c", node(s...), 3, 5)
		if err == nil || !strings.Contains(err.Error(), `critic "c"`) || !strings.Contains(err.Error(), "want (3, 5)") {
			t.Errorf("scores of shape %v for (3, 5): error %v, want one naming the critic and (3, 5)", s, err)
		}
	}
}
