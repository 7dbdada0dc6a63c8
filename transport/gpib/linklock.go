package gpib

import (
	"context"
	"fmt"
)

// linkLock is a mutex whose waiter can give up when its context ends: an
// out-of-band call must not wait past its context for a call that holds
// the link until its own deadline (a read of an instrument that does not
// answer). Make it with newLinkLock.
type linkLock chan struct{}

func newLinkLock() linkLock { return make(linkLock, 1) }

// Lock waits for the lock for as long as it takes.
func (l linkLock) Lock() { l <- struct{}{} }

// Unlock lets the lock go; it must be held.
func (l linkLock) Unlock() { <-l }

// LockCtx takes the lock, or gives up when ctx ends first with an error
// that matches ctx.Err() and its cause. A lock free is taken even when
// ctx has ended: the caller's own check of ctx decides then.
func (l linkLock) LockCtx(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return doneErr(ctx)
	}
}

// doneErr is ended ctx's error, with its cause when that says more.
func doneErr(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return err
}
