package ctxlock

import (
	"context"
	"errors"
	"testing"
)

// A waiter gives up when its context ends, with the context's error and
// cause, and the holder's lock is untouched; once let go, the lock is
// taken, even under an ended context.
func TestLockCtxGivesUpWithItsContext(t *testing.T) {
	m := New()
	m.Lock()
	why := errors.New("the operator stopped the run")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error)
	go func() { done <- m.LockCtx(ctx) }()
	cancel(why)
	if err := <-done; !errors.Is(err, context.Canceled) || !errors.Is(err, why) {
		t.Fatalf("LockCtx under an ended context: %v, want context.Canceled and its cause", err)
	}
	m.Unlock()
	if err := m.LockCtx(ctx); err != nil {
		t.Fatalf("LockCtx of a free lock: %v", err)
	}
	select {
	case m <- struct{}{}:
		t.Fatal("the lock LockCtx took is free")
	default:
	}
	m.Unlock()
}

// DoneErr adds the cause only when it says more than the error.
func TestDoneErr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := DoneErr(ctx); err != context.Canceled {
		t.Errorf("DoneErr without a cause: %v, want context.Canceled itself", err)
	}
}
