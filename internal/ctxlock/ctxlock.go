package ctxlock

import (
	"context"
	"fmt"
)

// Mutex is a lock that Lock waits for as long as it takes and LockCtx
// only as long as its context. Make it with New; the zero value is not
// usable.
type Mutex chan struct{}

// New returns an unlocked Mutex.
func New() Mutex { return make(Mutex, 1) }

// Lock waits for the lock for as long as it takes.
func (m Mutex) Lock() { m <- struct{}{} }

// Unlock lets the lock go; it must be held.
func (m Mutex) Unlock() { <-m }

// LockCtx takes the lock, or gives up when ctx ends first with an error
// that matches ctx.Err() and its cause. A free lock is taken even when
// ctx has ended: the caller's own check of ctx decides then.
func (m Mutex) LockCtx(ctx context.Context) error {
	select {
	case m <- struct{}{}:
		return nil
	default:
	}
	select {
	case m <- struct{}{}:
		return nil
	case <-ctx.Done():
		return DoneErr(ctx)
	}
}

// DoneErr is ended ctx's error, with its cause when that says more.
func DoneErr(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return err
}
