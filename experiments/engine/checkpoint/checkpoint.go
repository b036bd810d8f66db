// Package checkpoint saves and restores the state of a training run so that
// an interrupted run continues where it stopped and ends with the same
// numbers as a run that was never interrupted.
//
// The sweep runner gives every run a [*Checkpointer] (as the task's
// tasks.Run.Checkpoint). A task that supports checkpoints follows this
// contract:
//
//  1. Before training, it calls [Resume]: when a checkpoint exists, its
//     restore function copies the saved parameters, optimizer state and
//     random state back, and Resume returns the step the checkpoint was
//     taken after. Training continues from the next step. The runner has
//     already cut metrics.jsonl back to that step.
//  2. After every step s, when run.Checkpoint.Due(s), it calls
//     [SaveState] with a function that puts its whole state into a [State].
//  3. When ctx is done, it saves a checkpoint for the last finished step
//     (whether or not one is due) and then returns ctx.Err().
//
// The state must be everything the rest of the run depends on: parameter
// values ([State.PutNodes]), optimizer moments ([State.PutAdam]), every
// random source ([State.PutRand] with a *rand.PCG), and any counters. A task
// that never calls Resume simply starts from scratch each time.
//
// On disk a checkpoint is <run dir>/checkpoint.bin, written atomically, with
// a header (magic, step, length) and a SHA-256 checksum, so that a torn or
// corrupt file is detected. Each save first moves the previous checkpoint to
// checkpoint.prev.bin when it is good (a corrupt one is overwritten, keeping
// the good checkpoint.prev.bin); a corrupt checkpoint.bin is reported in the
// run's log and the previous one is used instead, or none (the run starts
// over).
package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
)

// File names inside a run directory.
const (
	FileName     = "checkpoint.bin"
	PrevFileName = "checkpoint.prev.bin"
)

// magic starts every checkpoint file; its last byte is the format version.
var magic = [8]byte{'I', 'M', 'X', 'C', 'K', 'P', 'T', 1}

// headerSize is magic, step (uint64) and payload length (uint64).
const headerSize = 8 + 8 + 8

// DefaultMinutes is how often a run is checkpointed when a sweep file sets
// neither checkpoint_every nor checkpoint_minutes.
const DefaultMinutes = 10

// Policy says when a checkpoint is due. A zero policy never makes one due,
// though a task still saves one when it is interrupted.
type Policy struct {
	// EverySteps makes a checkpoint due after every step that is a
	// multiple of it; 0 turns step-based checkpoints off.
	EverySteps int
	// Every makes a checkpoint due when this long has passed since the
	// last one (or since the run started); 0 turns time-based checkpoints
	// off.
	Every time.Duration
}

// Off reports whether the policy never makes a checkpoint due.
func (p Policy) Off() bool { return p.EverySteps <= 0 && p.Every <= 0 }

// Checkpointer saves and loads the checkpoints of one run directory. It
// implements tasks.Checkpointer. It is safe for one goroutine, the
// task's.
type Checkpointer struct {
	dir    string
	policy Policy
	log    *slog.Logger
	now    func() time.Time
	last   time.Time
	// curGood reports whether checkpoint.bin is known to be good: this
	// Checkpointer wrote it, or Load read it back whole.
	curGood bool
}

var _ tasks.Checkpointer = (*Checkpointer)(nil)

// New returns a Checkpointer for the run directory dir. Problems found while
// loading (a corrupt file) are reported to log, which may be nil.
func New(dir string, p Policy, log *slog.Logger) *Checkpointer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checkpointer{dir: dir, policy: p, log: log, now: time.Now, last: time.Now()}
}

// Policy returns the checkpointer's policy.
func (c *Checkpointer) Policy() Policy { return c.policy }

// Due reports whether a checkpoint should be written after step: step is a
// multiple of EverySteps, or Every has passed since the last save.
func (c *Checkpointer) Due(step int) bool {
	if c.policy.EverySteps > 0 && step > 0 && step%c.policy.EverySteps == 0 {
		return true
	}
	return c.policy.Every > 0 && c.now().Sub(c.last) >= c.policy.Every
}

// Save writes state as the checkpoint after step, atomically. The checkpoint
// it replaces is kept as checkpoint.prev.bin if it is good; a corrupt one
// (a torn write, the run having resumed from checkpoint.prev.bin) is
// overwritten, and checkpoint.prev.bin, the last good one, stays until the
// new checkpoint is written.
func (c *Checkpointer) Save(step int, state []byte) error {
	if step < 0 {
		return fmt.Errorf("checkpoint: step %d is negative", step)
	}
	cur := filepath.Join(c.dir, FileName)
	if err := c.keepPrevious(cur); err != nil {
		return err
	}
	if err := results.WriteFileAtomic(cur, Encode(step, state)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	c.last = c.now()
	c.curGood = true
	return nil
}

// keepPrevious moves the checkpoint at cur aside as checkpoint.prev.bin
// when there is one and it is good: written by this Checkpointer, or read
// back whole with a valid checksum. A corrupt one is left for Save to
// overwrite, so that it never replaces a good previous checkpoint.
func (c *Checkpointer) keepPrevious(cur string) error {
	if !c.curGood {
		b, err := os.ReadFile(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checkpoint: checking the previous checkpoint: %w", err)
		}
		if _, _, err := Decode(b); err != nil {
			c.log.Warn("overwriting a corrupt checkpoint, keeping the previous one", "file", cur, "problem", err.Error())
			return nil
		}
	}
	if err := os.Rename(cur, filepath.Join(c.dir, PrevFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint: keeping the previous checkpoint: %w", err)
	}
	return nil
}

// Load returns the last good checkpoint: checkpoint.bin, or when that is
// missing or corrupt, checkpoint.prev.bin. A corrupt file is reported in the
// log and skipped, not returned as an error; ok is false when there is no
// good checkpoint. err is for files that exist but cannot be read.
func (c *Checkpointer) Load() (step int, state []byte, ok bool, err error) {
	for _, name := range []string{FileName, PrevFileName} {
		path := filepath.Join(c.dir, name)
		b, rerr := os.ReadFile(path)
		if errors.Is(rerr, os.ErrNotExist) {
			continue
		}
		if rerr != nil {
			return 0, nil, false, fmt.Errorf("checkpoint: %w", rerr)
		}
		step, state, derr := Decode(b)
		if derr != nil {
			c.log.Warn("ignoring a corrupt checkpoint", "file", path, "problem", derr.Error())
			continue
		}
		c.curGood = name == FileName
		return step, state, true, nil
	}
	return 0, nil, false, nil
}

// Remove deletes the run's checkpoints, as the runner does when the run is
// done.
func (c *Checkpointer) Remove() error { return Remove(c.dir) }

// Remove deletes the checkpoints in the run directory dir.
func Remove(dir string) error {
	var errs []error
	for _, name := range []string{FileName, PrevFileName} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Peek returns the step of the newest good checkpoint in the run directory
// dir, checking its checksum; ok is false when there is none.
func Peek(dir string) (step int, ok bool) {
	c := New(dir, Policy{}, nil)
	step, _, ok, _ = c.Load()
	return step, ok
}

// Encode frames state as a checkpoint file: header, state, checksum.
func Encode(step int, state []byte) []byte {
	b := make([]byte, 0, headerSize+len(state)+sha256.Size)
	b = append(b, magic[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(step))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(state)))
	b = append(b, state...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// Decode checks and unframes a checkpoint file made by Encode.
func Decode(b []byte) (step int, state []byte, err error) {
	if len(b) < headerSize+sha256.Size {
		return 0, nil, fmt.Errorf("%d bytes: too short for a checkpoint (torn write?)", len(b))
	}
	if !bytes.Equal(b[:7], magic[:7]) {
		return 0, nil, fmt.Errorf("not a checkpoint file")
	}
	if b[7] != magic[7] {
		return 0, nil, fmt.Errorf("checkpoint format version %d, this program reads version %d", b[7], magic[7])
	}
	s := binary.LittleEndian.Uint64(b[8:16])
	n := binary.LittleEndian.Uint64(b[16:24])
	if n != uint64(len(b)-headerSize-sha256.Size) {
		return 0, nil, fmt.Errorf("length %d in the header, %d bytes in the file (torn write?)", n, len(b)-headerSize-sha256.Size)
	}
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], b[len(b)-sha256.Size:]) {
		return 0, nil, fmt.Errorf("checksum mismatch (the file is corrupt)")
	}
	if s > 1<<62 {
		return 0, nil, fmt.Errorf("step %d is out of range", s)
	}
	return int(s), body[headerSize:], nil
}
