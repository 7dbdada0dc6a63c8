// Package ctxlock is a mutex whose waiter can give up when its context
// ends. The links use it for the lock of their connection: an
// out-of-band call (a status byte, a clear) must not wait past its own
// context for a call that holds the link until its deadline, a read of
// an instrument that does not answer.
package ctxlock
