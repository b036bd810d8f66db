package estimators

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
