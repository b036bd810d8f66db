package tasks

import (
	"context"
	"fmt"
	"runtime/debug"
)

// SetupPanic is the value Setup panics with when build panicked: build's
// panic value and the stack where it panicked, which the panic raised
// again in Setup's goroutine would lose.
type SetupPanic struct {
	Value any
	Stack []byte
}

// String writes the panic value as a panic of it would.
func (p *SetupPanic) String() string { return fmt.Sprint(p.Value) }

// Setup runs build, a step of a run's setup that cannot stop midway (such
// as building and compiling a gorgonia graph, which for a deep network
// takes minutes), and returns its result; or, as soon as ctx is done,
// ctx.Err(), so that an interrupt (SIGTERM, Ctrl-C) stops a run that is
// still setting up as promptly as one that is training. build then goes on
// in the background until it returns, and release, when it is not nil, is
// given its result to free; a sweep process that was interrupted exits
// soon after, which ends it too. A panic in build is a panic of Setup's
// caller, with a *SetupPanic that holds build's value and stack.
func Setup[T any](ctx context.Context, build func() (T, error), release func(T)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v        T
		err      error
		panicked any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panicked = &SetupPanic{Value: p, Stack: debug.Stack()}
			}
			done <- r
		}()
		r.v, r.err = build()
	}()
	select {
	case r := <-done:
		if r.panicked != nil {
			panic(r.panicked)
		}
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.panicked == nil && r.err == nil && release != nil {
				release(r.v)
			}
		}()
		return zero, ctx.Err()
	}
}
