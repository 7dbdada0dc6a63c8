package testserver

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Locker is a link with the instrument's device lock.
type Locker interface {
	LockDevice(ctx context.Context) error
	UnlockDevice(ctx context.Context) error
}

// AbandonLock makes the instrument grant b a lock b gave up on: a takes
// the lock, b asks for it and cancels once waiting (the server's log line)
// is closed, then a releases it, so the instrument hands it to a request
// nobody waits for. The test then makes b's next call, and calls
// CheckLockFree to see that b let the lock go.
func AbandonLock(tb testing.TB, a, b Locker, waiting <-chan struct{}) {
	tb.Helper()
	ctx := context.Background()
	if err := a.LockDevice(ctx); err != nil {
		tb.Fatal(err)
	}
	gaveUp, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- b.LockDevice(gaveUp) }()
	<-waiting // the instrument holds b's request
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		tb.Fatalf("cancelled lock: %v", err)
	}
	if err := a.UnlockDevice(ctx); err != nil {
		tb.Fatal(err)
	}
}

// CheckLockFree fails the test unless a can take the lock within a
// second.
func CheckLockFree(tb testing.TB, a Locker) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := a.LockDevice(ctx); err != nil {
		tb.Fatalf("lock after the other link gave up: %v", err)
	}
}
