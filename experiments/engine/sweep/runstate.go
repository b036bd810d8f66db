package sweep

import (
	"bytes"
	"encoding/binary"
)

// stateMagic starts the header the runner puts before a task's state in
// each checkpoint it saves; its last byte is the header's version.
var stateMagic = [8]byte{'I', 'M', 'X', 'R', 'E', 'C', 'S', 1}

// wrapState puts before a task's state the number of records metrics.jsonl
// held when the checkpoint was saved: resuming from the checkpoint, fewer
// records up to its step means that metrics.jsonl lost some.
func wrapState(records int, state []byte) []byte {
	b := make([]byte, 0, len(stateMagic)+8+len(state))
	b = append(b, stateMagic[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(records))
	return append(b, state...)
}

// unwrapState splits what wrapState made into the record count and the
// task's state. A checkpoint saved without the header, by an older
// version, gives records -1 and the state whole.
func unwrapState(b []byte) (records int, state []byte) {
	n := len(stateMagic) + 8
	if len(b) < n || !bytes.Equal(b[:len(stateMagic)], stateMagic[:]) {
		return -1, b
	}
	return int(binary.LittleEndian.Uint64(b[len(stateMagic):n])), b[n:]
}
