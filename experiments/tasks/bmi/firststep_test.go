package bmi

import (
	"context"
	"errors"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/experiments/tasks/taskstest"
)

// overflowing is an estimator whose estimate is 1e9 above the positives'
// mean score: beyond the bound on a loss from the first step, on any
// critic, as a new estimator with a wrong sign or a missing log would be.
type overflowing struct{}

// Build adds the estimate, and its negation as the loss, to the graph.
func (overflowing) Build(scores *G.Node, mask *estimators.Mask) (*estimators.Terms, error) {
	mean, err := estimators.MaskedMean(scores, mask, estimators.Positive)
	if err != nil {
		return nil, err
	}
	mi := G.Must(G.Add(mean, estimators.Constant(scores, 1e9)))
	return &estimators.Terms{Loss: G.Must(G.Neg(mi)), MI: mi}, nil
}

// Reference is Build in float64.
func (overflowing) Reference(scores []float64, mask *estimators.Mask) (loss, mi float64) {
	var sum float64
	var n int
	for i, role := range mask.Roles {
		if role == estimators.Positive {
			sum, n = sum+scores[i], n+1
		}
	}
	mi = sum/float64(n) + 1e9
	return -mi, mi
}

func init() {
	estimators.Register(estimators.Info{Name: "test-overflowing", Summary: "an estimate 1e9 too high, for a test",
		New: func(estimators.Params) (estimators.Estimator, error) { return overflowing{}, nil }})
}

// TestADivergenceAtTheFirstStepBlamesTheEstimator: a neural run whose
// estimator fails on the untrained critic's first scores diverges at step
// 1 with a reason that says so and names the estimator, since no learning
// rate helps there (pair.FirstStepHint).
func TestADivergenceAtTheFirstStepBlamesTheEstimator(t *testing.T) {
	run, _ := taskstest.NewRun(1, nil)
	_, err := Task{}.Run(context.Background(), smallNeural("test-overflowing"), run)
	var de *tasks.DivergedError
	if !errors.As(err, &de) || de.Step != 1 {
		t.Fatalf("a run of an estimator 1e9 too high: %v, want a divergence at step 1", err)
	}
	for _, want := range []string{"first step, so no learning rate helps", `estimator = "test-overflowing" fails on its first scores`} {
		if !strings.Contains(de.Reason, want) {
			t.Errorf("the reason %q lacks %q", de.Reason, want)
		}
	}
}
