package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSetupReturnsWhenTheContextIsDone runs a setup step that cannot stop
// by itself: Setup must return ctx.Err() once ctx is done, without waiting
// for it, and release its result when it comes.
func TestSetupReturnsWhenTheContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started, finish, released := make(chan bool), make(chan bool), make(chan int, 1)
	go func() {
		<-started
		cancel()
	}()
	v, err := Setup(ctx, func() (int, error) {
		started <- true
		<-finish // blocks until the test lets it go, after Setup returned
		return 7, nil
	}, func(v int) { released <- v })
	if !errors.Is(err, context.Canceled) || v != 0 {
		t.Fatalf("Setup = %d, %v; want 0, context.Canceled", v, err)
	}
	close(finish)
	if got := <-released; got != 7 {
		t.Errorf("released %d, want the late result 7", got)
	}
}

func TestSetupReturnsTheResultOrThePanic(t *testing.T) {
	v, err := Setup(context.Background(), func() (string, error) { return "model", nil }, nil)
	if v != "model" || err != nil {
		t.Errorf("Setup = %q, %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := Setup(context.Background(), func() (int, error) { return 0, boom }, nil); err != boom {
		t.Errorf("error %v, want boom", err)
	}
	defer func() {
		// The panic carries build's stack, which a panic raised again
		// in Setup's goroutine would have lost.
		r, _ := recover().(*SetupPanic)
		if r == nil || r.Value != "bug" || !strings.Contains(string(r.Stack), "setup_test.go") {
			t.Errorf("recovered %+v, want the build's panic with its stack", r)
		}
	}()
	Setup(context.Background(), func() (int, error) { panic("bug") }, nil)
	t.Error("a panic in build did not reach the caller")
}

// TestSetupPanicPrintsItsValue checks that a *SetupPanic prints as a
// panic of its value would, not as its stack.
func TestSetupPanicPrintsItsValue(t *testing.T) {
	p := &SetupPanic{Value: "index out of range", Stack: []byte("goroutine 7 [running]:")}
	if got := fmt.Sprint(p); got != "index out of range" {
		t.Errorf("printed %q, want the panic's value", got)
	}
}
