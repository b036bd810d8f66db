package consistency

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// TestIdealRatiosAreSongAndErmons checks the ideal ratios reported beside
// the tests' ratios against Song and Ermon's targets, as literals: 1 for
// data processing (I([X, X]; [Y, h(Y)]) = I(X; Y)), 2 for additivity (two
// independent images), and none for the baseline, whose ratio is to rise
// with rows rather than meet a value; the summary lists "ideal" only
// where there is one.
func TestIdealRatiosAreSongAndErmons(t *testing.T) {
	for test, want := range map[string]float64{TestBaseline: 0, TestDataProcessing: 1, TestAdditivity: 2} {
		c := DefaultConfig()
		c.Test = test
		if got := c.ideal(); got != want {
			t.Errorf("%s: ideal %v, want %v", test, got, want)
		}
		if listed := slices.Contains(Task{}.Metrics(c).Summary, "ideal"); listed != (want > 0) {
			t.Errorf("%s: the summary lists ideal: %v, want %v", test, listed, want > 0)
		}
	}
}

// TestLoggedWindowsEndAtTheLastStep checks the training log where steps
// is not a multiple of log_every: a row every log_every steps and one at
// the last step, each the mean of its window, and the summary's train_mi
// and train_mi_ref those of the last window. With infonce, whose estimate
// is log batch_size minus its loss, each window's mean estimate and mean
// loss add up to log batch_size, for either critic.
func TestLoggedWindowsEndAtTheLastStep(t *testing.T) {
	c := tiny(TestDataProcessing)
	c.Steps, c.LogEvery = 7, 5
	out, m := taskstest.RunChecked(t, Task{}, c, 2)
	if !slices.Equal(m.Steps, []int{5, 7}) {
		t.Fatalf("logged steps %v, want [5 7]", m.Steps)
	}
	logK := math.Log(float64(c.BatchSize))
	for k, v := range m.Values {
		for _, key := range [][2]string{{"train_mi", "loss"}, {"train_mi_ref", "loss_ref"}} {
			if sum := v[key[0]] + v[key[1]]; math.Abs(sum-logK) > 1e-5 {
				t.Errorf("step %d: %s %v + %s %v = %v, want log %d = %v", m.Steps[k], key[0], v[key[0]], key[1], v[key[1]], sum, c.BatchSize, logK)
			}
		}
	}
	last := m.Values[len(m.Values)-1]
	if out["train_mi"] != last["train_mi"] || out["train_mi_ref"] != last["train_mi_ref"] {
		t.Errorf("summary train_mi %v, train_mi_ref %v; the last window's %v, %v", out["train_mi"], out["train_mi_ref"], last["train_mi"], last["train_mi_ref"])
	}
}

// TestBlankRowsAreTheBaselinesToTake checks that rows of padding only are
// refused for the ratio tests, whose denominator I(X; Y) they make 0, and
// taken for the baseline, whose curve I(X; Y) / I(X; X) starts at 0 rows
// of information.
func TestBlankRowsAreTheBaselinesToTake(t *testing.T) {
	for _, test := range []string{TestBaseline, TestDataProcessing, TestAdditivity} {
		c := tiny(test)
		c.Rows = 2
		_, _, err := loadImages(context.Background(), c, 1)
		if refused := err != nil && strings.Contains(err.Error(), "rows = 2: the first 2 rows of every training image are 0"); refused != (test != TestBaseline) {
			t.Errorf("%s with rows = 2 of padding: %v", test, err)
		}
	}
}
