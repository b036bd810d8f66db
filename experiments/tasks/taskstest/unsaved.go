package taskstest

import (
	"context"
	"reflect"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks"
)

// ForgetfulMINE is the name under which [RegisterForgetfulMINE] registers
// mine without its Stateful methods.
const ForgetfulMINE = "mine-forgetful"

// forgetfulMINE is mine without MarshalState and UnmarshalState: an
// estimator that keeps state between steps (the moving average of its
// partition term) and cannot save it, as a plug-in that leaves
// estimators.Stateful out is.
type forgetfulMINE struct{ mine estimators.Estimator }

func (f forgetfulMINE) Build(scores *G.Node, mask *estimators.Mask) (*estimators.Terms, error) {
	return f.mine.Build(scores, mask)
}

func (f forgetfulMINE) Reference(scores []float64, mask *estimators.Mask) (loss, mi float64) {
	return f.mine.Reference(scores, mask)
}

func (f forgetfulMINE) Update() error { return f.mine.(estimators.Updater).Update() }

var registerForgetful sync.Once

// RegisterForgetfulMINE registers, once, the estimator [ForgetfulMINE]: mine
// with state it cannot save, for tests of [UnsavedStateStartsOver].
func RegisterForgetfulMINE() {
	registerForgetful.Do(func() {
		estimators.Register(estimators.Info{Name: ForgetfulMINE, Summary: "mine that cannot save its state (for tests)",
			New: func(estimators.Params) (estimators.Estimator, error) {
				e, err := estimators.New("mine", nil)
				return forgetfulMINE{e}, err
			}})
	})
}

// UnsavedStateStartsOver checks a task's runs with an estimator whose
// state a checkpoint cannot hold (such as [ForgetfulMINE]): interrupted
// after step cut, with checkpoints due every every steps, the run must
// save none, and run again on the same checkpointer it must start over and
// return what an uninterrupted run of seed returns (wallClock aside), bit
// for bit, rather than resume with the estimator's state started afresh.
func UnsavedStateStartsOver(tb testing.TB, task tasks.Task, cfg tasks.Config, seed int64, cut, every int, wallClock ...string) {
	tb.Helper()
	want, _ := RunChecked(tb, task, cfg, seed)
	cp := &checkpoint.Memory{Every: every}
	run, _ := NewRun(seed, cp)
	Interrupt(tb, task, cfg, run, cut)
	if len(cp.Saves) != 0 {
		tb.Fatalf("the run saved checkpoints after steps %v; with an estimator whose state they cannot hold it must save none", cp.Saves)
	}
	run, _ = NewRun(seed, cp)
	got, err := task.Run(context.Background(), cfg, run)
	if err != nil {
		tb.Fatal(err)
	}
	if g, w := Without(got, wallClock...), Without(want, wallClock...); !reflect.DeepEqual(g, w) {
		tb.Errorf("run again after an interruption: summary\n%v\nuninterrupted\n%v", g, w)
	}
}
