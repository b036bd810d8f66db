package checkpoint

// Memory is an in-memory tasks.Checkpointer for testing a task's
// resume: a checkpoint is due after every Every steps (step > 0), and the
// last one saved is kept. Saves lists the steps of every save; a non-nil
// LoadErr makes Load fail with it.
type Memory struct {
	Every   int
	Step    int
	State   []byte
	OK      bool
	Saves   []int
	LoadErr error
}

// Due reports whether step is a positive multiple of Every.
func (m *Memory) Due(step int) bool { return m.Every > 0 && step > 0 && step%m.Every == 0 }

// Save keeps a copy of state as the checkpoint after step.
func (m *Memory) Save(step int, state []byte) error {
	m.Step, m.State, m.OK = step, append([]byte(nil), state...), true
	m.Saves = append(m.Saves, step)
	return nil
}

// Load returns a copy of the last state saved, or LoadErr.
func (m *Memory) Load() (int, []byte, bool, error) {
	if m.LoadErr != nil {
		return 0, nil, false, m.LoadErr
	}
	return m.Step, append([]byte(nil), m.State...), m.OK, nil
}
