package gaussian

import (
	"fmt"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/engine/checkpoint"
	"github.com/infomax/infomax/experiments/tasks"
)

// Names of the values a run's checkpoint holds (see [saveState]).
const (
	stateStep       = "step"
	stateTotal      = "total_steps"
	stateEstimator  = "estimator"
	stateCritic     = "critic"
	stateParams     = "critic_params"
	stateAdam       = "adam"
	stateData       = "data_rng"
	stateEstimates  = "estimates"
	stateEstimatorS = "estimator_state"
)

// saveState puts into st everything the rest of a run depends on after
// step (counted from 0) has finished: the critic's weights, Adam's moments
// and step count, the data sampler's random state, the estimator's own
// state when it keeps one (mine's moving average), and the estimates of
// steps 0 to step, from which the summary is computed at the end. The
// estimator and critic names are kept to give a clear error when a
// checkpoint is resumed under another config.
func saveState(st *checkpoint.State, c *Config, m *Model, sampler *Sampler, step int, estimates []float64) error {
	st.PutInt(stateStep, int64(step))
	st.PutInt(stateTotal, int64(len(estimates)))
	st.PutBytes(stateEstimator, []byte(c.Estimator))
	st.PutBytes(stateCritic, []byte(c.Critic))
	if err := st.PutNodes(stateParams, m.Critic.Learnables()); err != nil {
		return err
	}
	st.PutAdam(stateAdam, m.Adam)
	if err := st.PutRand(stateData, sampler); err != nil {
		return err
	}
	if s, ok := m.Estimator.(estimators.Stateful); ok {
		b, err := s.MarshalState()
		if err != nil {
			return fmt.Errorf("estimator %s: %w", c.Estimator, err)
		}
		st.PutBytes(stateEstimatorS, b)
	}
	st.PutFloat64s(stateEstimates, estimates[:step+1])
	return nil
}

// restoreState copies a state written by [saveState] back into the model,
// sampler and estimates, which must have been made for the same config, and
// returns the step it was taken after.
func restoreState(st *checkpoint.State, c *Config, m *Model, sampler *Sampler, estimates []float64) (step int, err error) {
	for _, name := range []struct{ key, want string }{{stateEstimator, c.Estimator}, {stateCritic, c.Critic}} {
		b, err := st.GetBytes(name.key)
		if err != nil {
			return 0, err
		}
		if string(b) != name.want {
			return 0, fmt.Errorf("the checkpoint was saved with %s = %q, the config has %q", name.key, b, name.want)
		}
	}
	total, err := st.GetInt(stateTotal)
	if err != nil {
		return 0, err
	}
	if int(total) != len(estimates) {
		return 0, fmt.Errorf("the checkpoint was saved for a staircase of %d steps, the config has %d", total, len(estimates))
	}
	s, err := st.GetInt(stateStep)
	if err != nil {
		return 0, err
	}
	if s < 0 || s >= total {
		return 0, fmt.Errorf("the checkpoint's step %d is outside the staircase's steps 0 to %d", s, total-1)
	}
	step = int(s)
	saved, err := st.GetFloat64s(stateEstimates)
	if err != nil {
		return 0, err
	}
	if len(saved) != step+1 {
		return 0, fmt.Errorf("the checkpoint holds %d estimates for steps 0 to %d, want %d", len(saved), step, step+1)
	}
	if err := st.GetNodes(stateParams, m.Critic.Learnables()); err != nil {
		return 0, err
	}
	if err := st.GetAdam(stateAdam, m.Adam); err != nil {
		return 0, err
	}
	if err := st.GetRand(stateData, sampler); err != nil {
		return 0, err
	}
	if es, ok := m.Estimator.(estimators.Stateful); ok {
		b, err := st.GetBytes(stateEstimatorS)
		if err != nil {
			return 0, err
		}
		if err := es.UnmarshalState(b); err != nil {
			return 0, err
		}
	}
	copy(estimates, saved)
	return step, nil
}

// resume restores the run's last checkpoint, if there is one, and returns
// the first step still to train: 0 when there is no checkpoint, the step
// after the checkpoint's otherwise.
func resume(cp tasks.Checkpointer, c *Config, m *Model, sampler *Sampler, estimates []float64) (next int, err error) {
	resumed, step := false, 0
	at, err := checkpoint.Resume(cp, func(st *checkpoint.State) error {
		resumed = true
		var err error
		step, err = restoreState(st, c, m, sampler, estimates)
		return err
	})
	if err != nil && !resumed {
		return 0, fmt.Errorf("gaussian: reading the checkpoint: %w (if it is corrupt, delete %s in the run directory to start the run over)", err, checkpoint.FileName)
	}
	if err != nil {
		return 0, fmt.Errorf("gaussian: %w", err)
	}
	if !resumed {
		return 0, nil
	}
	// The file counts the steps done, one more than the index of the
	// state's step; a checkpoint saved before 2026-12-06 gave the index.
	if at != step+1 && at != step {
		return 0, fmt.Errorf("gaussian: the checkpoint file says %d steps done but its state is of step %d, counted from 0 (delete %s in the run directory to start the run over)", at, step, checkpoint.FileName)
	}
	return step + 1, nil
}
