package estimators

import "fmt"

// Stateful is implemented by estimators that keep training state between
// steps (see [Updater]), such as mine's moving average of the partition
// term, so that a checkpointed run can save that state and an interrupted
// run can continue with it. MarshalState encodes the state as bytes;
// UnmarshalState replaces the state with one encoded by MarshalState of an
// estimator built with the same parameters, also updating the inputs of any
// graph already built with the estimator, and reports bytes it cannot read
// (wrong length, another format version, other parameters) as an error.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState(state []byte) error
}

// UnsavedState returns why a checkpoint cannot hold all of e's state, or ""
// when it can: e keeps state between steps (it is an [Updater]) but cannot
// save it (it is not [Stateful]), so that a run resumed from a checkpoint
// would start that state afresh and end with other numbers than a run that
// was never interrupted. name is e's registered name, for the message.
// Tasks that checkpoint take none for such an estimator: an interrupted
// run starts over.
func UnsavedState(name string, e Estimator) string {
	if _, ok := e.(Updater); !ok {
		return ""
	}
	if _, ok := e.(Stateful); ok {
		return ""
	}
	return fmt.Sprintf("estimator %q keeps state between steps (it has Update) but cannot save it "+
		"(it has no MarshalState and UnmarshalState: see estimators.Stateful)", name)
}
